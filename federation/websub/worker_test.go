package websub_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/federation/websub"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestSignature checks the HMAC against RFC 4231's test case 2.
func TestSignature(t *testing.T) {
	got := websub.Signature("Jefe", []byte("what do ya want for nothing?"))
	if want := "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"; got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
}

func TestLinkHeader(t *testing.T) {
	got := websub.LinkHeader([]string{"https://n.example/websub", "https://hub.example/"}, "https://n.example/feed.atom")
	want := `<https://n.example/websub>; rel="hub", <https://hub.example/>; rel="hub", <https://n.example/feed.atom>; rel="self"`
	if got != want {
		t.Errorf("LinkHeader = %s", got)
	}
}

// feed is a topic's rendering, the web side's job in the node.
type feed struct{}

func (feed) Render(context.Context, string) ([]byte, string, error) {
	return []byte("<feed/>"), "application/atom+xml", nil
}

// TestOutcomes: what becomes of a push after each kind of answer, through
// the real queue and a loopback subscriber: 2xx settles it, 5xx and 429
// put it off on the deliveries' schedule (at least the Retry-After), 410
// ends the subscription, another 4xx drops the push; a verification
// answered without the challenge is dropped and subscribes nothing.
func TestOutcomes(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testOutcomes(t, b.URL) })
	}
}

func testOutcomes(t *testing.T, dbURL string) {
	ctx := context.Background()
	st := storagetest.Open(t, dbURL)
	var mu sync.Mutex
	status := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if r.URL.Path == "/liar" {
				w.Write([]byte("no"))
				return
			}
			w.Write([]byte(r.URL.Query().Get("hub.challenge")))
			return
		}
		mu.Lock()
		code := status[r.URL.Path]
		mu.Unlock()
		w.Header().Set("Retry-After", "7200")
		w.WriteHeader(code)
	}))
	defer srv.Close()
	w, err := websub.New(websub.Config{}, st, transport.New(transport.Config{AllowPrivate: true}), feed{})
	if err != nil {
		t.Fatal(err)
	}
	const topic = "https://node.example/feed.atom"
	cases := map[string]int{"/ok": 204, "/busy": 503, "/slow": 429, "/gone": 410, "/bad": 400}
	lim := storage.WebSubLimits{}
	for path, code := range cases {
		status[path] = code
		in := storage.WebSubIntent{Mode: "subscribe", Topic: topic, Callback: srv.URL + path, Host: "127.0.0.1", LeaseSeconds: 3600}
		if err := st.QueueWebSubVerification(ctx, in, lim); err != nil {
			t.Fatal(err)
		}
	}
	liar := storage.WebSubIntent{Mode: "subscribe", Topic: topic, Callback: srv.URL + "/liar", Host: "127.0.0.1", LeaseSeconds: 3600}
	if err := st.QueueWebSubVerification(ctx, liar, lim); err != nil {
		t.Fatal(err)
	}
	if n, err := w.RunOnce(ctx); err != nil || n != 6 {
		t.Fatalf("verifications: %d, %v", n, err)
	}
	if _, err := st.ActiveWebSubscription(ctx, topic, liar.Callback); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the liar is subscribed: %v", err)
	}
	if _, err := st.AdvanceWebSubTopic(ctx, "node", "v1", []string{topic}, nil, true); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if n, err := w.RunOnce(ctx); err != nil || n != 5 {
		t.Fatalf("pushes: %d, %v", n, err)
	}
	if n := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM websub_jobs`); n != 2 {
		t.Errorf("%d jobs left, want the two to retry", n)
	}
	for _, path := range []string{"/busy", "/slow"} {
		if n := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM websub_jobs WHERE target = $1 AND attempts = 1`, srv.URL+path); n != 1 {
			t.Errorf("%s not put off for a retry", path)
		}
	}
	// Put off by the Retry-After (two hours), not the first backoff (30s).
	if n := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM websub_jobs WHERE next_attempt_at < $1`, start.Add(time.Hour)); n != 0 {
		t.Errorf("%d retries sooner than the Retry-After", n)
	}
	if _, err := st.ActiveWebSubscription(ctx, topic, srv.URL+"/gone"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("410 Gone left the subscription: %v", err)
	}
	if _, err := st.ActiveWebSubscription(ctx, topic, srv.URL+"/bad"); err != nil {
		t.Errorf("a refused push ended the subscription: %v", err)
	}
}
