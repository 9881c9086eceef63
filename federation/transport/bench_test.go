package transport

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

// benchActivity is the size of a typical Create{Note}.
var benchActivity = bytes.Repeat([]byte("x"), 2048)

// benchInbox is a loopback inbox that reads the delivery and answers 202.
func benchInbox(b *testing.B) *testServer {
	return newTestServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
}

// BenchmarkPostLoopback is a signed delivery through Client.Post: compare
// with BenchmarkBareHTTPPost for the cost of signing and the checks.
func BenchmarkPostLoopback(b *testing.B) {
	srv := benchInbox(b)
	c := newTestClient(b, Config{AllowPrivate: true})
	signer := testSigner(b)
	inbox := srv.URL + "/inbox"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Post(ctx, inbox, benchActivity, signer); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareHTTPPost is the same POST to the same kind of server with a
// plain net/http client: no signature, no checks.
func BenchmarkBareHTTPPost(b *testing.B) {
	srv := benchInbox(b)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: maxIdleConnsPerHost}}
	b.Cleanup(hc.CloseIdleConnections)
	inbox := srv.URL + "/inbox"
	b.ReportAllocs()
	for b.Loop() {
		resp, err := hc.Post(inbox, ContentTypeActivity, bytes.NewReader(benchActivity))
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusAccepted {
			b.Fatal(resp.Status, err)
		}
	}
}
