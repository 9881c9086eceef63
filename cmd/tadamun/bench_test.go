package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkServeMemory runs the real binary with 200 statements, serves
// pages and feeds in a loop, and reports the process's resident memory
// (VmRSS, VmHWM from /proc) while it serves.
func BenchmarkServeMemory(b *testing.B) {
	dir := b.TempDir()
	env := cleanEnv("TADAMUN_RATE_LIMIT=0", "TADAMUN_LOG_LEVEL=warn")
	run := runner(b, dir, env)
	run("actor", "create", "icssi", "--name", "ICSSI")
	seed, _ := os.ReadFile(filepath.Join("testdata", "icssi-2015.md"))
	for i := 0; i < 200; i++ {
		p := filepath.Join(dir, fmt.Sprintf("s%d.md", i))
		src := strings.Replace(string(seed), "title: We Stand Together", fmt.Sprintf("title: %d We Stand Together", i), 1)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			b.Fatal(err)
		}
		run("publish", "--actor", "icssi", p)
	}
	base, pid := benchServe(b, dir, env)
	paths := []string{"/", "/@icssi", "/feed.rss", "/feed.atom", "/feed.json", "/@icssi/feed.atom", "/sitemap.xml",
		"/@icssi/0-we-stand-together-with-iraqi-civil-society-activists"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fetch(b, base+paths[i%len(paths)])
	}
	b.StopTimer()
	rss, hwm := procMemory(b, pid)
	b.ReportMetric(float64(rss)/1024, "RSS-MiB")
	b.ReportMetric(float64(hwm)/1024, "peak-RSS-MiB")
}

// feedMemoryBound is the most resident memory, in MiB, a serve process may
// reach while it answers 1,000 distinct feed addresses
// (BenchmarkServeMemoryFeeds). The README states it.
const feedMemoryBound = 128

// BenchmarkServeMemoryFeeds runs the real binary with 180 long statements
// by 3 actors in 3 languages under 43 tags, then requests 1,000 distinct
// feed addresses: every format of the node's, each actor's, language's and
// tag's feed, and case variants of tags (/tags/SoLiDaRiTy/feed.rss), which
// are one feed. It samples the process's resident memory every 50
// requests and fails when the peak (VmHWM) passes feedMemoryBound: the
// feed cache is bounded in bytes, so memory must not grow with the number
// of addresses asked for.
//
//	go test -run '^$' -bench ServeMemoryFeeds -benchtime 1000x ./cmd/tadamun/
func BenchmarkServeMemoryFeeds(b *testing.B) {
	dir := b.TempDir()
	env := cleanEnv("TADAMUN_RATE_LIMIT=0", "TADAMUN_LOG_LEVEL=warn")
	run := runner(b, dir, env)
	actors, langs := []string{"icssi", "isf", "tadamun"}, []string{"en", "ar", "fr"}
	for _, a := range actors {
		run("actor", "create", a, "--name", strings.ToUpper(a))
	}
	seed, err := os.ReadFile(filepath.Join("testdata", "icssi-2015.md"))
	if err != nil {
		b.Fatal(err)
	}
	head, body, _ := strings.Cut(strings.TrimPrefix(string(seed), "---\n"), "\n---\n")
	for i := 0; i < 180; i++ {
		h := strings.Replace(head, "title: We Stand Together", fmt.Sprintf("title: %d We Stand Together", i), 1)
		h = strings.Replace(h, "language: en", "language: "+langs[i%3], 1)
		h = strings.Replace(h, "tags: [Iraq, solidarity, ICSSI]", fmt.Sprintf("tags: [Iraq, solidarity, ICSSI, topic%d]", i%40), 1)
		p := filepath.Join(dir, fmt.Sprintf("s%d.md", i))
		// Three times the text: feeds of about half a megabyte each.
		if err := os.WriteFile(p, []byte("---\n"+h+"\n---\n"+body+body+body), 0o600); err != nil {
			b.Fatal(err)
		}
		run("publish", "--actor", actors[i%3], p)
	}
	var paths []string
	formats := []string{"feed.rss", "feed.atom", "feed.json"}
	for _, f := range formats {
		paths = append(paths, "/"+f)
		for _, a := range actors {
			paths = append(paths, "/@"+a+"/"+f)
		}
		for _, l := range langs {
			paths = append(paths, "/"+l+"/"+f)
		}
		for _, t := range []string{"iraq", "solidarity", "icssi"} {
			paths = append(paths, "/tags/"+t+"/"+f)
		}
		for t := 0; t < 40; t++ {
			paths = append(paths, fmt.Sprintf("/tags/topic%d/%s", t, f))
		}
	}
	for m := 1; len(paths) < 1000; m++ {
		// Case variants of two tags: the bits of m choose the upper-case letters.
		for _, tag := range []string{"solidarity", "iraq"} {
			v := []byte(tag)
			for i := range v {
				if m&(1<<i) != 0 {
					v[i] -= 'a' - 'A'
				}
			}
			if m < 1<<len(tag) && len(paths) < 1000 {
				paths = append(paths, "/tags/"+string(v)+"/"+formats[m%3])
			}
		}
	}
	base, pid := benchServe(b, dir, env)
	rss0, _ := procMemory(b, pid)
	peak := 0
	sample := func() {
		if rss, _ := procMemory(b, pid); rss > peak {
			peak = rss
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N || i < len(paths); i++ {
		fetch(b, base+paths[i%len(paths)])
		if i%50 == 0 {
			sample()
		}
	}
	b.StopTimer()
	sample()
	_, hwm := procMemory(b, pid)
	b.ReportMetric(float64(rss0)/1024, "start-RSS-MiB")
	b.ReportMetric(float64(peak)/1024, "sampled-peak-RSS-MiB")
	b.ReportMetric(float64(hwm)/1024, "peak-RSS-MiB")
	if hwm > feedMemoryBound<<10 {
		b.Fatalf("serving %d distinct feed addresses took the process to %d MiB resident, over the bound of %d MiB",
			len(paths), hwm>>10, feedMemoryBound)
	}
}

// runner returns a function that runs the binary in dir with env.
func runner(b *testing.B, dir string, env []string) func(args ...string) {
	return func(args ...string) {
		cmd := exec.Command(binary, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
}

// benchServe starts `tadamun serve` in dir, waits until it is ready, and
// stops it when the benchmark ends. It returns the base URL and the pid.
func benchServe(b *testing.B, dir string, env []string) (string, int) {
	ln := freeAddr(b)
	cmd := exec.Command(binary, "serve", "--listen", ln)
	cmd.Dir, cmd.Env = dir, env
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + ln
	for start := time.Now(); ; {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > 30*time.Second {
			b.Fatal("serve did not come up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return base, cmd.Process.Pid
}

// fetch GETs a URL and reads the whole answer, which must be 200.
func fetch(b *testing.B, url string) {
	res, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		b.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
}

// procMemory reads VmRSS and VmHWM (KiB) of a process.
func procMemory(b *testing.B, pid int) (rss, hwm int) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			n, _ := strconv.Atoi(f[1])
			if f[0] == "VmRSS:" {
				rss = n
			} else {
				hwm = n
			}
		}
	}
	return rss, hwm
}
