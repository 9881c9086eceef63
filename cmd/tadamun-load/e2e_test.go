package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadRunningNode builds the real tadamun binary, starts `serve` on
// loopback with SQLite, publishes statements through the CLI, and loads
// the statement page, the actor document and the Atom feed with -baseline,
// as an operator would.
func TestLoadRunningNode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the node, about 15 s")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tadamun")
	build := exec.Command("go", "build", "-o", bin, "../tadamun")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build tadamun: %v\n%s", err, out)
	}
	addr := freeLoopback(t)
	env := []string{"TADAMUN_DOMAIN=" + addr, "TADAMUN_INSECURE_HTTP=true", "TADAMUN_RATE_LIMIT=0", "TADAMUN_LOG_LEVEL=warn"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TADAMUN_") {
			env = append(env, kv)
		}
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = dir, env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("tadamun %v: %v\n%s%s", args, err, out.String(), errb.String())
		}
		return out.String()
	}
	run("actor", "create", "icssi", "--name", "ICSSI")
	seed, err := os.ReadFile("../tadamun/testdata/icssi-2015.md")
	if err != nil {
		t.Fatal(err)
	}
	var page string
	for i := 0; i < 5; i++ {
		p := filepath.Join(dir, fmt.Sprintf("s%d.md", i))
		text := strings.Replace(string(seed), "title: We Stand Together", fmt.Sprintf("title: %d We Stand Together", i), 1)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		printed := strings.TrimSpace(run("publish", "--actor", "icssi", p))
		u, err := url.Parse(printed)
		if err != nil || !strings.HasPrefix(u.Path, "/@icssi/") {
			t.Fatalf("publish printed %q", printed)
		}
		page = u.Path
	}

	serve := exec.Command(bin, "serve", "--listen", addr)
	serve.Dir, serve.Env = dir, env
	var serveLog bytes.Buffer
	serve.Stdout, serve.Stderr = &serveLog, &serveLog
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { serve.Wait(); close(exited) }()
	t.Cleanup(func() { serve.Process.Kill(); <-exited })
	base := "http://" + addr
	waitReady(t, base, exited)

	load := func(args ...string) summary {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := cli(context.Background(), append([]string{"-json", "-c", "8", "-baseline", "-rounds", "2"}, args...), &stdout, &stderr)
		if code != 0 {
			t.Fatalf("tadamun-load %v: exit %d\n%s%s", args, code, stdout.String(), stderr.String())
		}
		var s summary
		if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
			t.Fatalf("%v\n%s", err, stdout.String())
		}
		return s
	}
	gz := load("-d", "1s", "-H", "Accept-Encoding: gzip", base+page, base+"/feed.atom")
	actor := load("-d", "1s", "-H", "Accept: application/activity+json", "-H", "Accept-Encoding: gzip", base+"/users/icssi")
	plain := load("-d", "500ms", base+page)

	all := append(append(append([]urlSummary{}, gz.URLs...), actor.URLs...), plain.URLs...)
	if len(all) != 4 {
		t.Fatalf("%d URLs measured, want 4", len(all))
	}
	for _, u := range all {
		if u.Memory == nil || u.Stored == nil {
			t.Fatalf("%s: no baseline", u.URL)
		}
		for name, x := range map[string]sideSummary{"node": u.Node, "memory": *u.Memory} {
			if x.Requests == 0 || x.RequestsPerSecond <= 0 || x.BytesPerSecond <= 0 {
				t.Errorf("%s, %s: %d requests, %.0f req/s, %.0f B/s", u.URL, name, x.Requests, x.RequestsPerSecond, x.BytesPerSecond)
			}
			if x.Errors != 0 || len(x.Status) != 1 || x.Status["200"] != x.Requests {
				t.Errorf("%s, %s: %d errors, answers %v (%v)", u.URL, name, x.Errors, x.Status, x.ErrorKinds)
			}
			// Every answer is the stored one, byte for byte on the wire.
			if x.BytesPerRequest != float64(u.Stored.Bytes) {
				t.Errorf("%s, %s: %.1f bytes a request, the stored answer has %d", u.URL, name, x.BytesPerRequest, u.Stored.Bytes)
			}
			l := x.LatencyMs
			if !(l.P50 > 0 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
				t.Errorf("%s, %s: latency %+v", u.URL, name, l)
			}
		}
		if !(u.Ratio > 0 && u.Ratio < 10) {
			t.Errorf("%s: ratio %.2f", u.URL, u.Ratio)
		}
		t.Logf("%s: node %.0f req/s, memory %.0f req/s, ratio %.2f, %d bytes (%s)", u.URL, u.Node.RequestsPerSecond, u.Memory.RequestsPerSecond, u.Ratio, u.Stored.Bytes, u.Stored.Encoding)
	}
	for _, u := range append(gz.URLs, actor.URLs...) {
		if u.Stored.Encoding != "gzip" {
			t.Errorf("%s: stored answer %s, want gzip", u.URL, u.Stored.Encoding)
		}
	}
	if enc := plain.URLs[0].Stored.Encoding; enc != "identity" {
		t.Errorf("without Accept-Encoding the page came %s", enc)
	}
	// Transfer is counted as on the wire: the gzip page is smaller, in
	// bytes per request and in bytes per second.
	zipped, raw := gz.URLs[0], plain.URLs[0]
	if !(zipped.Node.BytesPerRequest < raw.Node.BytesPerRequest/1.5) || !(zipped.Node.BytesPerSecond < raw.Node.BytesPerSecond) {
		t.Errorf("gzip: %.0f bytes a request, %.0f B/s; plain: %.0f bytes a request, %.0f B/s",
			zipped.Node.BytesPerRequest, zipped.Node.BytesPerSecond, raw.Node.BytesPerRequest, raw.Node.BytesPerSecond)
	}
	if len(gz.Headers) != 1 || gz.Headers[0] != "Accept-Encoding: gzip" || len(plain.Headers) != 0 {
		t.Errorf("headers reported: %v, %v", gz.Headers, plain.Headers)
	}
}

// freeLoopback gives a loopback address with a free port.
func freeLoopback(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitReady polls /readyz until it answers 200, the node exits, or a
// minute passes.
func waitReady(t *testing.T, base string, exited <-chan struct{}) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		select {
		case <-exited:
			t.Fatal("serve exited before it was ready")
		default:
		}
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("serve not ready after a minute")
}
