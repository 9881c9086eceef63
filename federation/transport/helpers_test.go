package transport

import (
	"crypto/rsa"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tadamun/tadamun/federation/httpsig"
)

const testKeyID = "https://node.example/actors/org#main-key"

var (
	keyOnce sync.Once
	keyVal  *rsa.PrivateKey
	keyErr  error
)

// testSigner returns a Signer with a key made once per test binary.
func testSigner(tb testing.TB) *Signer {
	tb.Helper()
	keyOnce.Do(func() { keyVal, keyErr = httpsig.GenerateKey() })
	if keyErr != nil {
		tb.Fatal(keyErr)
	}
	return &Signer{KeyID: testKeyID, Key: keyVal}
}

// testServer is a loopback httptest server that counts the requests and
// connections it sees.
type testServer struct {
	*httptest.Server
	hits  atomic.Int64
	conns atomic.Int64
}

// newTestServer starts h on 127.0.0.1 and stops it when the test ends.
func newTestServer(tb testing.TB, h http.Handler) *testServer {
	tb.Helper()
	s := &testServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	tb.Cleanup(s.Close)
	return s
}

// newTestClient makes a Client whose idle connections are closed when the
// test ends.
func newTestClient(tb testing.TB, cfg Config) *Client {
	tb.Helper()
	c := New(cfg)
	tb.Cleanup(c.CloseIdleConnections)
	return c
}

// serveDoc answers with an ActivityStreams document whose id is id.
func serveDoc(id string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ContentTypeActivity)
		writeJSON(w, map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Note"})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(b)
}

// fakeHosts is a RoundTripper serving made-up hosts from handlers, for
// Config.Transport. It records which hosts were asked for.
type fakeHosts struct {
	mu       sync.Mutex
	handlers map[string]http.Handler
	asked    []string
}

func (f *fakeHosts) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.asked = append(f.asked, req.URL.Host)
	h := f.handlers[req.URL.Host]
	f.mu.Unlock()
	if h == nil {
		h = http.NotFoundHandler()
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	// Response.Request is left unset on purpose: RoundTrippers need not
	// set it, and the Client must cope.
	return rec.Result(), nil
}

func (f *fakeHosts) hosts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}
