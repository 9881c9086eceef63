package transport

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
)

// TestFetchMedia: a file is fetched with its own size cap (not MaxBody),
// refused past it whether or not it declares its length, and never from a
// private address unless the client allows them.
func TestFetchMedia(t *testing.T) {
	ctx := context.Background()
	body := bytes.Repeat([]byte{0xAB}, 3000)
	srv := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "image/*" {
			http.Error(w, "accept", http.StatusNotAcceptable)
			return
		}
		switch r.URL.Path {
		case "/declared":
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		case "/chunked":
			w.(http.Flusher).Flush() // no length: the body is streamed
		}
		w.Header().Set("Content-Type", "image/png; charset=binary")
		w.Write(body)
	}))
	c := newTestClient(t, Config{AllowPrivate: true, MaxBody: 1000})
	m, err := c.FetchMedia(ctx, srv.URL+"/declared", "image/*", 5000, testSigner(t))
	if err != nil || !bytes.Equal(m.Body, body) || m.ContentType != "image/png" {
		t.Fatalf("FetchMedia above MaxBody, under its own cap: %v", err)
	}
	for _, p := range []string{"/declared", "/chunked"} {
		if _, err := c.FetchMedia(ctx, srv.URL+p, "image/*", 2999, nil); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s over the cap: %v", p, err)
		}
	}
	hits := srv.hits.Load()
	guarded := newTestClient(t, Config{})
	if _, err := guarded.FetchMedia(ctx, srv.URL+"/declared", "image/*", 5000, nil); err == nil {
		t.Fatal("a loopback address was fetched by a guarded client")
	}
	if srv.hits.Load() != hits {
		t.Fatal("the guarded client reached the server")
	}
}
