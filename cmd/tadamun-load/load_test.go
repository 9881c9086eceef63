package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Answers other than 2xx and 304 are errors, counted by status and kind,
// and make the exit status 1; a 304 is not an error.
func TestErrorsCounted(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 4 {
		case 0:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case 1:
			w.WriteHeader(http.StatusNotModified)
		default:
			io.WriteString(w, "hello")
		}
	}))
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	code := cli(context.Background(), []string{"-json", "-c", "4", "-d", "300ms", srv.URL + "/"}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d with errors, want 1; stderr: %s", code, stderr.String())
	}
	var s summary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	node := s.URLs[0].Node
	if node.Status["503"] == 0 || node.Status["304"] == 0 || node.Status["200"] == 0 {
		t.Fatalf("answers %v", node.Status)
	}
	if node.Errors != node.Status["503"] || s.Errors != node.Errors || node.ErrorKinds["status 503"] != node.Errors {
		t.Errorf("%d errors (%d in all, kinds %v) for %d answers 503", node.Errors, s.Errors, node.ErrorKinds, node.Status["503"])
	}
	if node.Requests != node.Status["200"]+node.Status["304"]+node.Status["503"] {
		t.Errorf("%d requests, answers %v", node.Requests, node.Status)
	}

	// The text form says so too.
	stdout.Reset()
	cli(context.Background(), []string{"-c", "2", "-d", "100ms", srv.URL + "/"}, &stdout, &stderr)
	for _, want := range []string{"503×", "node error", "status 503", "errors: answers other than 2xx or 304"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, stdout.String())
		}
	}
}

// Ctrl-C (a real SIGINT to this process) stops a long run at once and
// prints what was measured, with exit status 130.
func TestInterruptPrintsMeasured(t *testing.T) {
	var n atomic.Int64
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 200 {
			close(started)
		}
		io.WriteString(w, "hello")
	}))
	defer srv.Close()
	done := make(chan int)
	var stdout, stderr bytes.Buffer
	go func() {
		done <- cli(context.Background(), []string{"-baseline", "-d", "1m", "-c", "4", srv.URL + "/"}, &stdout, &stderr)
	}()
	// The run is well under way (and its signal handler in place) once the
	// server has seen 200 requests.
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("no load arrived")
	}
	start := time.Now()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var code int
	select {
	case code = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after Ctrl-C")
	}
	if code != 130 {
		t.Errorf("exit %d after Ctrl-C, want 130; stderr: %s", code, stderr.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to stop", d)
	}
	out := stdout.String()
	if !strings.Contains(out, "interrupted") || !strings.Contains(out, "200×") || !strings.Contains(out, "req/s") {
		t.Errorf("output after Ctrl-C:\n%s", out)
	}
}

// The memory side serves exactly the stored answer: status, headers (not
// Date) and bytes.
func TestMemoryServesStoredAnswer(t *testing.T) {
	body := bytes.Repeat([]byte("\x1f\x8b compressed-looking bytes "), 200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "gzip" {
			t.Errorf("Accept-Encoding %q", r.Header.Get("Accept-Encoding"))
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Encoding", "gzip")
		h.Set("Vary", "Accept-Encoding")
		h.Set("ETag", `"abc-gz"`)
		h.Set("Cache-Control", "public, max-age=60")
		w.Write(body)
	}))
	defer srv.Close()
	client := &http.Client{Transport: newTransport(2, errRemote, nil)}
	hdr := headerFlag{{"Accept-Encoding", "gzip"}}
	st, err := fetchOnce(context.Background(), client, srv.URL+"/page", hdr)
	if err != nil {
		t.Fatal(err)
	}
	mem, err := startMemory(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.close()
	at := mem.add(st)
	for i := 0; i < 2; i++ {
		res, err := client.Get(at)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Equal(got, body) {
			t.Fatalf("memory answered %d, %d bytes; want 200, %d", res.StatusCode, len(got), len(body))
		}
		for _, k := range []string{"Content-Type", "Content-Encoding", "Vary", "ETag", "Cache-Control"} {
			if res.Header.Get(k) != st.header.Get(k) || res.Header.Get(k) == "" {
				t.Errorf("%s: memory %q, node %q", k, res.Header.Get(k), st.header.Get(k))
			}
		}
		if res.ContentLength != int64(len(body)) {
			t.Errorf("Content-Length %d", res.ContentLength)
		}
	}

	// An answer that is an error cannot be the baseline.
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	if _, err := fetchOnce(context.Background(), client, missing.URL+"/", hdr); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a 404 as baseline: %v", err)
	}
}
