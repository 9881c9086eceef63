package federation_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// peer is a made-up remote account whose actor document the fixture web serves.
type peer struct {
	id, keyID string
	key       *rsa.PrivateKey
}

func newPeer(t testing.TB, w *fixtureWeb, id string) *peer {
	t.Helper()
	k, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pem, err := httpsig.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{id: id, keyID: id + "#main-key", key: k}
	doc := fmt.Sprintf(`{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],
		"id":%q,"type":"Person","preferredUsername":"p","inbox":%q,
		"publicKey":{"id":%q,"owner":%q,"publicKeyPem":%q}}`, id, id+"/inbox", p.keyID, id, pem)
	w.docs[id] = []byte(doc)
	return p
}

// post builds a signed inbox POST to capture.test.
func (p *peer) post(t testing.TB, path, body string, at time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "https://capture.test"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, []byte(body), p.keyID, p.key, at); err != nil {
		t.Fatal(err)
	}
	return req
}

func follow(actor, id string) string {
	return fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Follow","actor":%q,"object":"https://capture.test/users/cap"}`, id, actor)
}

func TestInboxRefusesBadInput(t *testing.T) {
	n := newCapNode(t, storagetest.SQLiteURL(t))
	n.clock = time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	alice := newPeer(t, n.web, "https://good.test/users/alice")
	mallory := newPeer(t, n.web, "https://evil.test/users/mallory")
	ctx := context.Background()

	// A private-address key server that must never be reached.
	var privateHits atomic.Int32
	private := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { privateHits.Add(1) }))
	defer private.Close()

	good := follow(alice.id, "https://good.test/activities/1")
	type tc struct {
		name   string
		req    func() (*http.Request, string)
		status int
	}
	cases := []tc{
		{"no signature", func() (*http.Request, string) {
			r := httptest.NewRequest("POST", "https://capture.test/inbox", strings.NewReader(good))
			r.Header.Set("Content-Type", "application/activity+json")
			return r, good
		}, 401},
		{"wrong key", func() (*http.Request, string) {
			// Signed with mallory's key but claiming alice's key id.
			r := httptest.NewRequest("POST", "https://capture.test/inbox", strings.NewReader(good))
			r.Header.Set("Content-Type", "application/activity+json")
			if err := httpsig.Sign(r, []byte(good), alice.keyID, mallory.key, n.clock); err != nil {
				t.Fatal(err)
			}
			return r, good
		}, 401},
		{"key owner is not the actor", func() (*http.Request, string) {
			return mallory.post(t, "/inbox", good, n.clock), good
		}, 401},
		{"bad digest", func() (*http.Request, string) {
			r := alice.post(t, "/inbox", good, n.clock)
			tampered := strings.Replace(good, "users/cap", "users/cap2", 1)
			return r, tampered
		}, 401},
		{"stale date", func() (*http.Request, string) { return alice.post(t, "/inbox", good, n.clock.Add(-2*time.Hour)), good }, 401},
		{"future date", func() (*http.Request, string) { return alice.post(t, "/inbox", good, n.clock.Add(2*time.Hour)), good }, 401},
		{"malformed JSON", func() (*http.Request, string) {
			b := `{"id": "https://good.test/x", "type": "Follow", `
			return alice.post(t, "/inbox", b, n.clock), b
		}, 400},
		{"no actor", func() (*http.Request, string) {
			b := `{"id": "https://good.test/x", "type": "Follow"}`
			return alice.post(t, "/inbox", b, n.clock), b
		}, 400},
		{"object on another host", func() (*http.Request, string) {
			b := fmt.Sprintf(`{"id":"https://good.test/a/2","type":"Create","actor":%q,"object":{"id":"https://elsewhere.test/n/1","type":"Note","attributedTo":%q,"content":"x"}}`, alice.id, alice.id)
			return alice.post(t, "/inbox", b, n.clock), b
		}, 400},
		{"activity id on another host", func() (*http.Request, string) {
			b := follow(alice.id, "https://elsewhere.test/activities/9")
			return alice.post(t, "/inbox", b, n.clock), b
		}, 400},
		{"object attributed to someone else", func() (*http.Request, string) {
			b := fmt.Sprintf(`{"id":"https://good.test/a/3","type":"Create","actor":%q,"object":{"id":"https://good.test/n/1","type":"Note","attributedTo":"https://good.test/users/bob","content":"x"}}`, alice.id)
			return alice.post(t, "/inbox", b, n.clock), b
		}, 400},
		{"wrong content type", func() (*http.Request, string) {
			r := alice.post(t, "/inbox", good, n.clock)
			r.Header.Set("Content-Type", "text/plain")
			return r, good
		}, 415},
		{"unknown inbox", func() (*http.Request, string) { return alice.post(t, "/users/nobody/inbox", good, n.clock), good }, 404},
		{"key on a private address", func() (*http.Request, string) {
			r := httptest.NewRequest("POST", "https://capture.test/inbox", strings.NewReader(good))
			r.Header.Set("Content-Type", "application/activity+json")
			if err := httpsig.Sign(r, []byte(good), private.URL+"/key#main-key", alice.key, n.clock); err != nil {
				t.Fatal(err)
			}
			return r, good
		}, 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, body := c.req()
			username := ""
			if strings.HasPrefix(req.URL.Path, "/users/") {
				username = strings.TrimSuffix(strings.TrimPrefix(req.URL.Path, "/users/"), "/inbox")
			}
			err := n.fed.Receive(ctx, req, []byte(body), username)
			var ie *federation.InboxError
			if !errors.As(err, &ie) || ie.Status != c.status {
				t.Fatalf("got %v, want status %d", err, c.status)
			}
			if got, _ := n.store.CountActivities(ctx, storage.Inbound, ""); got != 0 {
				t.Fatalf("%d activities stored after a refused request", got)
			}
		})
	}
	if privateHits.Load() != 0 {
		t.Fatalf("the private key server was contacted %d times", privateHits.Load())
	}

	t.Run("blocked domain", func(t *testing.T) {
		if err := n.store.SetDomainPolicy(ctx, "evil.test", storage.PolicyBlock, "spam"); err != nil {
			t.Fatal(err)
		}
		b := follow(mallory.id, "https://evil.test/activities/1")
		err := n.fed.Receive(ctx, mallory.post(t, "/inbox", b, n.clock), []byte(b), "")
		var ie *federation.InboxError
		if !errors.As(err, &ie) || ie.Status != 403 {
			t.Fatalf("got %v, want 403", err)
		}
	})
	t.Run("accepted once, replay changes nothing", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			if err := n.fed.Receive(ctx, alice.post(t, "/inbox", good, n.clock), []byte(good), ""); err != nil {
				t.Fatalf("delivery %d: %v", i, err)
			}
		}
		if got, _ := n.store.CountActivities(ctx, storage.Inbound, ""); got != 1 {
			t.Fatalf("%d activities stored for one activity delivered three times", got)
		}
		if _, err := n.fed.ProcessInbox(ctx); err != nil {
			t.Fatal(err)
		}
		r, _ := n.store.RemoteActorByIRI(ctx, alice.id)
		if f, err := n.store.Follower(ctx, n.cap.ID, r.ID); err != nil || f.State != storage.FollowAccepted {
			t.Fatalf("follower after Follow: %v %v", f, err)
		}
	})
	t.Run("unknown type accepted and ignored", func(t *testing.T) {
		b := fmt.Sprintf(`{"id":"https://good.test/a/ping","type":"Ping","actor":%q,"object":"https://capture.test/users/cap"}`, alice.id)
		if err := n.fed.Receive(ctx, alice.post(t, "/inbox", b, n.clock), []byte(b), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := n.fed.ProcessInbox(ctx); err != nil {
			t.Fatal(err)
		}
		if p, _ := n.store.PendingInbound(ctx); p != 0 {
			t.Fatalf("unknown type left pending")
		}
	})
}

var (
	_ = bytes.NewReader
	_ = io.EOF
	_ = transport.ErrGone
)
