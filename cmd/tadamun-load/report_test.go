package main

import (
	"strings"
	"testing"
	"time"
)

// The text form, as an operator reads it: rates grouped by thousands, the
// stored answer, the ratio, and a side that never ran said plainly.
func TestTextReport(t *testing.T) {
	node, memory := newSide(), newSide()
	node.requests, node.bytes, node.elapsed, node.status[200] = 71000, 71000*2431, 10*time.Second, 71000
	memory.requests, memory.bytes, memory.elapsed, memory.status[200] = 104000, 104000*2431, 10*time.Second, 104000
	for i := 0; i < 100; i++ {
		node.latency.record(4 * time.Millisecond)
		memory.latency.record(3 * time.Millisecond)
	}
	hdr := headerFlag{{"Accept-Encoding", "gzip"}}
	r := &results{
		cfg: config{conns: 32, duration: 10 * time.Second, rounds: 4, baseline: true, headers: hdr},
		targets: []*target{
			{url: "http://127.0.0.1:8080/@icssi/we-stand", node: node, memory: memory,
				stored: &stored{status: 200, body: make([]byte, 2431), header: map[string][]string{"Content-Encoding": {"gzip"}}}},
			{url: "http://127.0.0.1:8080/feed.atom", node: node, memory: newSide(), stored: &stored{status: 200, body: []byte("x"), header: map[string][]string{}}},
		},
		interrupted: true,
	}
	var b strings.Builder
	if err := writeText(&b, summarize(r)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"32 connections, 10s per URL on each side in 4 turns",
		`-H "Accept-Encoding: gzip"`,
		"stored answer: 200, 2,431 bytes, gzip",
		"7,100", "10,400", "16.5 MiB/s", "4.00ms", "3.00ms", "200×71,000",
		"ratio 0.68 (node/memory): 7,100 req/s against 10,400 req/s",
		"stored answer: 200, 1 bytes, identity",
		"memory: not measured",
		"interrupted",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "ratio") != 1 {
		t.Errorf("a ratio printed for a URL whose memory side never ran:\n%s", out)
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 7: "7", 999.6: "1,000", 7100: "7,100", 71012.4: "71,012", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := group(in); got != want {
			t.Errorf("group(%v) = %q, want %q", in, got, want)
		}
	}
}
