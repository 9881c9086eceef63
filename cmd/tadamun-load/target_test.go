package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestHeaderFlag(t *testing.T) {
	good := []struct{ in, name, value string }{
		{"Accept-Encoding: gzip", "Accept-Encoding", "gzip"},
		{"accept:application/activity+json", "Accept", "application/activity+json"},
		{"X-Empty:", "X-Empty", ""},
		{"Accept-Language:  ar, en;q=0.5  ", "Accept-Language", "ar, en;q=0.5"},
		{"If-None-Match: \"abc-gz\"", "If-None-Match", "\"abc-gz\""},
		{"Cookie: a=b:c", "Cookie", "a=b:c"},
	}
	for _, c := range good {
		h, err := parseHeader(c.in)
		if err != nil || h.name != c.name || h.value != c.value {
			t.Errorf("parseHeader(%q) = %q, %q, %v; want %q, %q", c.in, h.name, h.value, err, c.name, c.value)
		}
	}
	for _, in := range []string{"Accept-Encoding gzip", ": gzip", "Accept Encoding: gzip", "Bad(name): x", "X: a\r\nInjected: b"} {
		if _, err := parseHeader(in); err == nil {
			t.Errorf("parseHeader(%q) accepted", in)
		}
	}

	// Repeated on the command line, in order, and applied to a request.
	var hf headerFlag
	for _, s := range []string{"Accept: text/html", "Accept-Encoding: gzip", "Accept: application/json", "Host: node.example"} {
		if err := hf.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	hf.apply(req)
	if got := req.Header.Values("Accept"); len(got) != 2 || got[0] != "text/html" || got[1] != "application/json" {
		t.Errorf("Accept = %q", got)
	}
	if req.Header.Get("Accept-Encoding") != "gzip" || req.Host != "node.example" || req.Header.Get("Host") != "" {
		t.Errorf("headers %v, host %q", req.Header, req.Host)
	}

	// Through the flags: a bad -H is a usage error.
	var stderr bytes.Buffer
	if code := cli(context.Background(), []string{"-H", "no colon", "http://127.0.0.1:1/"}, &bytes.Buffer{}, &stderr); code != 2 {
		t.Errorf("exit %d for a bad -H; stderr: %s", code, stderr.String())
	}
}

func TestLoopbackRefusal(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"http://127.0.0.1:8080/", "http://127.3.2.1/feed.atom", "http://[::1]:8080/", "https://127.0.0.1/", "http://localhost:8080/@icssi"} {
		if _, err := checkTarget(ctx, u, errRemote); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://192.0.2.1/", "http://10.0.0.1:8080/", "http://[2001:db8::1]/", "http://[::ffff:192.0.2.1]/", "http://0.0.0.0:8080/"} {
		_, err := checkTarget(ctx, u, errRemote)
		if !errors.Is(err, errRemote) {
			t.Errorf("%s: %v, want a refusal", u, err)
		}
		if _, err := checkTarget(ctx, u, nil); err != nil {
			t.Errorf("%s with -allow-remote: %v", u, err)
		}
	}
	for _, u := range []string{"ftp://127.0.0.1/", "127.0.0.1:8080", "http:///x"} {
		if _, err := checkTarget(ctx, u, nil); err == nil {
			t.Errorf("%s accepted", u)
		}
	}

	// The dialler refuses too, before any packet leaves (192.0.2.0/24 is
	// TEST-NET-1, never routed): a name that resolved to loopback at the
	// start cannot lead elsewhere later.
	client := &http.Client{Transport: newTransport(1, errRemote, nil)}
	_, err := client.Get("http://192.0.2.1:9/")
	if !errors.Is(err, errRemote) {
		t.Errorf("guarded transport to 192.0.2.1: %v, want a refusal", err)
	}

	// The command refuses with exit status 2 and says how to allow it.
	var stdout, stderr bytes.Buffer
	code := cli(ctx, []string{"-d", "1s", "http://192.0.2.1/"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "-allow-remote") || stdout.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	// The usage says so.
	stderr.Reset()
	cli(ctx, []string{"-h"}, &stdout, &stderr)
	if !strings.Contains(stderr.String(), "Only loopback addresses") || !strings.Contains(stderr.String(), "-allow-remote") {
		t.Errorf("usage does not state the loopback rule:\n%s", stderr.String())
	}
}
