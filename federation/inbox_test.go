package federation_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

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
		{"keys differing only in case", func() (*http.Request, string) {
			b := `{"id":"https://good.test/a/4","type":"Follow","actor":"` + alice.id + `","object":"https://capture.test/users/cap","Type":"Like"}`
			return alice.post(t, "/inbox", b, n.clock), b
		}, 400},
		{"duplicate object key", func() (*http.Request, string) {
			b := `{"id":"https://good.test/a/5","type":"Like","actor":"` + alice.id + `","object":"https://capture.test/users/cap","object":"https://capture.test/users/cap/statements/x"}`
			return alice.post(t, "/inbox", b, n.clock), b
		}, 400},
		{"urn object", func() (*http.Request, string) {
			b := `{"id":"https://good.test/a/6","type":"Like","actor":"` + alice.id + `","object":"urn:x"}`
			return alice.post(t, "/inbox", b, n.clock), b
		}, 400},
		{"ftp object", func() (*http.Request, string) {
			b := `{"id":"https://good.test/a/7","type":"Announce","actor":"` + alice.id + `","object":"ftp://good.test/n/1"}`
			return alice.post(t, "/inbox", b, n.clock), b
		}, 400},
		{"relative object", func() (*http.Request, string) {
			b := `{"id":"https://good.test/a/8","type":"Like","actor":"` + alice.id + `","object":"/n/1"}`
			return alice.post(t, "/inbox", b, n.clock), b
		}, 400},
		{"keyId that is not a URL", func() (*http.Request, string) {
			return signedAs(t, good, "acct:alice@good.test", alice.key, n.clock), good
		}, 401},
		{"overlong keyId", func() (*http.Request, string) {
			return signedAs(t, good, "https://good.test/"+strings.Repeat("k", 5000), alice.key, n.clock), good
		}, 401},
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
		if got, _ := n.store.CountActivities(ctx, storage.Inbound, ""); got != 1 {
			t.Fatalf("%d activities stored; the unknown one must not be kept", got)
		}
		// Not even its signature is checked: nothing is fetched for it.
		b = strings.Replace(b, "ping", "ping2", 1)
		r := httptest.NewRequest("POST", "https://capture.test/inbox", strings.NewReader(b))
		r.Header.Set("Content-Type", "application/activity+json")
		if err := n.fed.Receive(ctx, r, []byte(b), ""); err != nil {
			t.Fatalf("unsigned unknown type: %v, want 202", err)
		}
	})
}

// TestInboxAnswerOnlyFromFollowee: an Accept or Reject of our Follow counts
// only when the followee sends it.
func TestInboxAnswerOnlyFromFollowee(t *testing.T) {
	n := newCapNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	alice := newPeer(t, n.web, "https://good.test/users/alice")
	mallory := newPeer(t, n.web, "https://evil.test/users/mallory")
	ra, err := n.fed.ResolveActor(ctx, alice.id, false)
	if err != nil {
		t.Fatal(err)
	}
	followIRI := "https://capture.test/users/cap/activities/follow-alice"
	if err := n.store.PutFollowing(ctx, n.cap.ID, ra.ID, followIRI, storage.RelayPolicy{}); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		list, err := n.store.ListFollowing(ctx, n.cap.ID, 0, 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("following: %v %v", list, err)
		}
		return list[0].State
	}
	deliver := func(p *peer, typ, id string, object string) {
		t.Helper()
		b := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":%q,"actor":%q,"object":%s}`, id, typ, p.id, object)
		if err := n.fed.Receive(ctx, p.post(t, "/users/cap/inbox", b, n.clock), []byte(b), "cap"); err != nil {
			t.Fatalf("%s refused: %v", typ, err)
		}
		if _, err := n.fed.ProcessInbox(ctx); err != nil {
			t.Fatal(err)
		}
	}
	embedded := fmt.Sprintf(`{"id":%q,"type":"Follow","actor":"https://capture.test/users/cap","object":%q}`, followIRI, alice.id)
	deliver(mallory, "Accept", "https://evil.test/a/1", strconv.Quote(followIRI))
	deliver(mallory, "Accept", "https://evil.test/a/2", embedded)
	deliver(mallory, "Reject", "https://evil.test/a/3", strconv.Quote(followIRI))
	if got := state(); got != storage.FollowPending {
		t.Fatalf("after answers from someone else the follow is %q, want pending", got)
	}
	deliver(alice, "Accept", "https://good.test/a/1", strconv.Quote(followIRI))
	if got := state(); got != storage.FollowAccepted {
		t.Fatalf("after the followee's Accept the follow is %q", got)
	}
}

// TestInboxFlagCapped: a report keeps a bounded comment and only as many of
// our own objects as the cap allows.
func TestInboxFlagCapped(t *testing.T) {
	n := newCapNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	alice := newPeer(t, n.web, "https://good.test/users/alice")
	objs := []string{`"https://capture.test/users/cap"`}
	for i := 0; i < 500; i++ {
		objs = append(objs, fmt.Sprintf(`"https://capture.test/users/cap/statements/s%d"`, i), fmt.Sprintf(`"https://elsewhere.test/n/%d"`, i))
	}
	comment := strings.Repeat("spam ", 40000)
	b := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://good.test/flag/1","type":"Flag","actor":%q,"content":%q,"object":[%s]}`,
		alice.id, comment, strings.Join(objs, ","))
	if err := n.fed.Receive(ctx, alice.post(t, "/inbox", b, n.clock), []byte(b), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := n.fed.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
	var content, objects string
	if err := n.store.DB().QueryRow(`SELECT content, object_iris FROM reports`).Scan(&content, &objects); err != nil {
		t.Fatal(err)
	}
	var list []string
	if err := json.Unmarshal([]byte(objects), &list); err != nil {
		t.Fatal(err)
	}
	if c := utf8.RuneCountInString(content); c > 2000 || c < 1000 {
		t.Fatalf("report comment has %d characters, want it cut to at most 2000", c)
	}
	if len(list) > 20 || len(list) == 0 || list[0] != "https://capture.test/users/cap" {
		t.Fatalf("report keeps %d objects (%v), want at most 20, ours only", len(list), list[:min(len(list), 3)])
	}
	for _, o := range list {
		if !strings.HasPrefix(o, "https://capture.test/") {
			t.Fatalf("report keeps foreign object %s", o)
		}
	}
}

// TestInboxRetention: processed activities lose their bodies after
// BodyRetention and their ids after DedupeWindow; within the window a
// redelivery is still recognised.
func TestInboxRetention(t *testing.T) {
	for _, be := range storagetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			n := newCapNode(t, be.URL)
			ctx := context.Background()
			alice := newPeer(t, n.web, "https://good.test/users/alice")
			good := follow(alice.id, "https://good.test/activities/1")
			deliver := func() {
				t.Helper()
				if err := n.fed.Receive(ctx, alice.post(t, "/inbox", good, n.clock), []byte(good), ""); err != nil {
					t.Fatal(err)
				}
				if _, err := n.fed.ProcessInbox(ctx); err != nil {
					t.Fatal(err)
				}
			}
			deliver()
			start := n.clock
			n.clock = start.Add(federation.BodyRetention - time.Hour)
			if err := n.fed.PruneActivities(ctx); err != nil {
				t.Fatal(err)
			}
			if a, err := n.store.ActivityByIRI(ctx, "https://good.test/activities/1"); err != nil || len(a.Body) == 0 {
				t.Fatalf("body pruned too early: %v", err)
			}
			n.clock = start.Add(federation.BodyRetention + time.Hour)
			if err := n.fed.PruneActivities(ctx); err != nil {
				t.Fatal(err)
			}
			a, err := n.store.ActivityByIRI(ctx, "https://good.test/activities/1")
			if err != nil || len(a.Body) != 0 || a.Type != "Follow" || a.ActorIRI != alice.id {
				t.Fatalf("after %v: %+v %v, want the row without its body", federation.BodyRetention, a, err)
			}
			deliver() // redelivered inside the window: recognised, nothing new stored
			if c, _ := n.store.CountActivities(ctx, storage.Inbound, ""); c != 1 {
				t.Fatalf("%d activities after a redelivery inside the window", c)
			}
			n.clock = start.Add(federation.DedupeWindow + time.Hour)
			if err := n.fed.PruneActivities(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := n.store.ActivityByIRI(ctx, "https://good.test/activities/1"); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("after %v the id is still kept: %v", federation.DedupeWindow, err)
			}
			// Our Accept of the follow stays while its delivery is pending
			// (no delivery worker runs here), and goes once it is done.
			if c, _ := n.store.CountActivities(ctx, storage.Outbound, "Accept"); c != 1 {
				t.Fatalf("%d outbound Accepts left, want 1 (its delivery is pending)", c)
			}
			acc, err := n.store.DB().Query(`SELECT id FROM deliveries`)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for acc.Next() {
				var id int64
				if err := acc.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			acc.Close()
			if len(ids) != 1 {
				t.Fatalf("%d deliveries, want the Accept's one", len(ids))
			}
			if err := n.store.DeliveryDone(ctx, ids[0], 202); err != nil {
				t.Fatal(err)
			}
			if err := n.fed.PruneActivities(ctx); err != nil {
				t.Fatal(err)
			}
			if c, _ := n.store.CountActivities(ctx, storage.Outbound, "Accept"); c != 0 {
				t.Fatalf("%d outbound Accepts left after the window and delivery, want 0", c)
			}
		})
	}
}

var (
	_ = bytes.NewReader
	_ = io.EOF
	_ = transport.ErrGone
)

// keyServer is a remote server on a loopback address that serves actor
// documents and counts the requests it gets, and how many were in flight
// at once (overall, across every keyServer sharing its counters).
type keyServer struct {
	base  string
	docs  map[string][]byte // by path
	delay time.Duration
	hits  atomic.Int32
	load  *loadMeter
}

// loadMeter records the most requests in flight at once.
type loadMeter struct {
	now, max atomic.Int32
}

func (m *loadMeter) enter() {
	n := m.now.Add(1)
	for {
		old := m.max.Load()
		if n <= old || m.max.CompareAndSwap(old, n) {
			return
		}
	}
}

func (m *loadMeter) leave() { m.now.Add(-1) }

// startKeyServer listens on ip (a 127.0.0.x address) with plain HTTP.
func startKeyServer(t *testing.T, ip string, overall *loadMeter) *keyServer {
	t.Helper()
	ks := &keyServer{docs: map[string][]byte{}, load: &loadMeter{}}
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.hits.Add(1)
		ks.load.enter()
		defer ks.load.leave()
		if overall != nil {
			overall.enter()
			defer overall.leave()
		}
		time.Sleep(ks.delay)
		b, ok := ks.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(b)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	ks.base = srv.URL
	return ks
}

// addActor serves an actor at path whose document lists listedKeyID
// (its own "#main-key" when empty) and returns it, signing as keyID
// "<actor>#main-key".
func (ks *keyServer) addActor(t *testing.T, path, listedKeyID string) *peer {
	t.Helper()
	k, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pem, err := httpsig.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	id := ks.base + path
	p := &peer{id: id, keyID: id + "#main-key", key: k}
	if listedKeyID == "" {
		listedKeyID = p.keyID
	}
	ks.docs[path] = []byte(fmt.Sprintf(`{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],
		"id":%q,"type":"Person","preferredUsername":"p","inbox":%q,
		"publicKey":{"id":%q,"owner":%q,"publicKeyPem":%q}}`, id, id+"/inbox", listedKeyID, id, pem))
	return p
}

// netNode is our node fetching over the real network (loopback allowed),
// with a settable clock shared by the store.
type netNode struct {
	fed   *federation.Service
	store *storage.Store
	clock time.Time
}

func newNetNode(t *testing.T) *netNode {
	t.Helper()
	n := &netNode{clock: time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)}
	now := func() time.Time { return n.clock }
	n.store = openStore(t, storagetest.SQLiteURL(t), now)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	client := transport.New(transport.Config{AllowPrivate: true, Now: now})
	t.Cleanup(client.CloseIdleConnections)
	n.fed = federation.New(federation.Config{Scheme: "https", Host: "capture.test", Logger: quiet, Now: now, Client: client}, n.store)
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "cap"}); err != nil {
		t.Fatal(err)
	}
	return n
}

// signedAs builds an inbox POST of body signed with key under keyID.
func signedAs(t *testing.T, body, keyID string, key *rsa.PrivateKey, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest("POST", "https://capture.test/inbox", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(r, []byte(body), keyID, key, at); err != nil {
		t.Fatal(err)
	}
	return r
}

func inboxStatus(err error) int {
	var ie *federation.InboxError
	if errors.As(err, &ie) {
		return ie.Status
	}
	if err == nil {
		return 202
	}
	return 500
}

// TestInboxKeyFetchGuards: unauthenticated POSTs cannot make the node fetch
// keys at will. Every key server is a real HTTP server on 127.0.0.x that
// counts what it is asked.
func TestInboxKeyFetchGuards(t *testing.T) {
	ctx := context.Background()

	t.Run("blocked keyId domain is refused before any fetch", func(t *testing.T) {
		n := newNetNode(t)
		friend := startKeyServer(t, "127.0.0.3", nil)
		blocked := startKeyServer(t, "127.0.0.2", nil)
		alice := friend.addActor(t, "/users/alice", "")
		mallory := blocked.addActor(t, "/users/mallory", "")
		if err := n.store.SetDomainPolicy(ctx, "127.0.0.2", storage.PolicyBlock, "test"); err != nil {
			t.Fatal(err)
		}
		// An activity of an unblocked actor, signed with a key on the blocked domain.
		b := follow(alice.id, alice.id+"/a/1")
		err := n.fed.Receive(ctx, signedAs(t, b, mallory.keyID, mallory.key, n.clock), []byte(b), "")
		if inboxStatus(err) != 403 {
			t.Fatalf("got %v, want 403", err)
		}
		// An activity of the blocked actor, signed with a key elsewhere.
		b = follow(mallory.id, mallory.id+"/a/1")
		err = n.fed.Receive(ctx, signedAs(t, b, alice.keyID, alice.key, n.clock), []byte(b), "")
		if inboxStatus(err) != 403 {
			t.Fatalf("got %v, want 403", err)
		}
		// A signed GET (authorized fetch) with a key on the blocked domain.
		get := httptest.NewRequest("GET", "https://capture.test/users/cap", nil)
		get.Header.Set("Accept", "application/activity+json")
		if err := httpsig.Sign(get, nil, mallory.keyID, mallory.key, n.clock); err != nil {
			t.Fatal(err)
		}
		if err := n.fed.VerifyFetch(ctx, get); err == nil {
			t.Fatal("a GET signed with a key on a blocked domain verified")
		}
		if h := blocked.hits.Load(); h != 0 {
			t.Fatalf("the blocked domain's server got %d requests", h)
		}
		if c, _ := n.store.CountActivities(ctx, storage.Inbound, ""); c != 0 {
			t.Fatalf("%d activities stored", c)
		}
	})

	t.Run("a key that failed is not fetched again for a while", func(t *testing.T) {
		n := newNetNode(t)
		ks := startKeyServer(t, "127.0.0.4", nil)
		k, err := httpsig.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		ghost := ks.base + "/users/ghost" // not served: 404
		for i := 0; i < 5; i++ {
			b := follow(ghost, fmt.Sprintf("%s/a/%d", ghost, i))
			err := n.fed.Receive(ctx, signedAs(t, b, ghost+"#main-key", k, n.clock), []byte(b), "")
			if inboxStatus(err) != 401 {
				t.Fatalf("got %v, want 401", err)
			}
		}
		if h := ks.hits.Load(); h != 1 {
			t.Fatalf("5 requests naming one missing key made %d fetches, want 1", h)
		}
		n.clock = n.clock.Add(5 * time.Minute)
		b := follow(ghost, ghost+"/a/9")
		n.fed.Receive(ctx, signedAs(t, b, ghost+"#main-key", k, n.clock), []byte(b), "")
		if h := ks.hits.Load(); h != 2 {
			t.Fatalf("after the failure expired: %d fetches, want 2", h)
		}
	})

	t.Run("bad signatures naming a real key cost one fetch", func(t *testing.T) {
		n := newNetNode(t)
		ks := startKeyServer(t, "127.0.0.5", nil)
		alice := ks.addActor(t, "/users/alice", "")
		wrong, err := httpsig.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			b := follow(alice.id, fmt.Sprintf("%s/a/%d", alice.id, i))
			err := n.fed.Receive(ctx, signedAs(t, b, alice.keyID, wrong, n.clock), []byte(b), "")
			if inboxStatus(err) != 401 {
				t.Fatalf("got %v, want 401", err)
			}
		}
		first := ks.hits.Load()
		if first == 0 || first > 2 {
			t.Fatalf("%d fetches for the first request, want the key (and its actor)", first)
		}
		n.clock = n.clock.Add(2 * time.Minute) // a rotation may be fetched again, once
		for i := 0; i < 5; i++ {
			b := follow(alice.id, fmt.Sprintf("%s/b/%d", alice.id, i))
			n.fed.Receive(ctx, signedAs(t, b, alice.keyID, wrong, n.clock), []byte(b), "")
		}
		if h := ks.hits.Load(); h > 2*first {
			t.Fatalf("10 badly signed requests made %d fetches, want at most %d", h, 2*first)
		}
		// The real key still gets through.
		b := follow(alice.id, alice.id+"/ok")
		if err := n.fed.Receive(ctx, signedAs(t, b, alice.keyID, alice.key, n.clock), []byte(b), ""); err != nil {
			t.Fatalf("good signature refused: %v", err)
		}
	})

	t.Run("concurrent key fetches are capped overall and per host", func(t *testing.T) {
		n := newNetNode(t)
		overall := &loadMeter{}
		var servers []*keyServer
		for i := 0; i < 5; i++ {
			ks := startKeyServer(t, fmt.Sprintf("127.0.0.%d", 11+i), overall)
			ks.delay = 100 * time.Millisecond
			servers = append(servers, ks)
		}
		k, err := httpsig.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan int, 20)
		for i := 0; i < 20; i++ {
			ks := servers[i%len(servers)]
			go func() {
				who := fmt.Sprintf("%s/users/u%d", ks.base, i)
				b := follow(who, who+"/a/1")
				done <- inboxStatus(n.fed.Receive(ctx, signedAs(t, b, who+"#main-key", k, n.clock), []byte(b), ""))
			}()
		}
		for i := 0; i < 20; i++ {
			if st := <-done; st != 401 {
				t.Fatalf("status %d, want 401", st)
			}
		}
		if m := overall.max.Load(); m > 8 || m < 2 {
			t.Fatalf("%d key fetches in flight at once, want at most 8", m)
		}
		for _, ks := range servers {
			if m := ks.load.max.Load(); m > 2 {
				t.Fatalf("%s had %d key fetches in flight at once, want at most 2", ks.base, m)
			}
		}
	})

	t.Run("an actor is stored only if it lists the key, on the key's host", func(t *testing.T) {
		n := newNetNode(t)
		ks := startKeyServer(t, "127.0.0.6", nil)
		other := startKeyServer(t, "127.0.0.7", nil)
		// eve's document lists another key than the one she signs with.
		eve := ks.addActor(t, "/users/eve", ks.base+"/users/eve#other-key")
		// carol's document lists a key id on another host.
		carol := ks.addActor(t, "/users/carol", other.base+"/users/carol#main-key")
		for _, p := range []*peer{eve, carol} {
			b := follow(p.id, p.id+"/a/1")
			err := n.fed.Receive(ctx, signedAs(t, b, p.keyID, p.key, n.clock), []byte(b), "")
			if inboxStatus(err) != 401 {
				t.Fatalf("%s: got %v, want 401", p.id, err)
			}
			if _, err := n.store.RemoteActorByIRI(ctx, p.id); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("%s was stored though it does not list the key it was fetched for (%v)", p.id, err)
			}
		}
		if h := other.hits.Load(); h != 0 {
			t.Fatalf("the other host got %d requests", h)
		}
	})
}

// TestInboxWorkerPrunes: the inbox worker that serve runs applies the
// retention by itself.
func TestInboxWorkerPrunes(t *testing.T) {
	n := newCapNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	alice := newPeer(t, n.web, "https://good.test/users/alice")
	b := follow(alice.id, "https://good.test/activities/1")
	if err := n.fed.Receive(ctx, alice.post(t, "/inbox", b, n.clock), []byte(b), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := n.fed.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
	n.clock = n.clock.Add(federation.BodyRetention + time.Hour) // set before the worker reads it
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.fed.RunInbox(wctx, 10*time.Millisecond) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := n.store.ActivityByIRI(ctx, "https://good.test/activities/1")
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Body) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the inbox worker did not prune the body")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestInboxActsOnWhatItChecked: the worker acts on the type the inbox read,
// never on another one go-fed would pick from the same document (the next
// entry of a type list, or a prefixed alias).
func TestInboxActsOnWhatItChecked(t *testing.T) {
	n := newCapNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	alice := newPeer(t, n.web, "https://good.test/users/alice")
	for i, b := range []string{
		fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://good.test/a/1","type":["Ping","Follow"],"actor":%q,"object":"https://capture.test/users/cap"}`, alice.id),
		fmt.Sprintf(`{"@context":{"as":"https://www.w3.org/ns/activitystreams"},"id":"https://good.test/a/2","type":"as:Follow","actor":%q,"object":"https://capture.test/users/cap"}`, alice.id),
	} {
		if err := n.fed.Receive(ctx, alice.post(t, "/inbox", b, n.clock), []byte(b), ""); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if _, err := n.fed.ProcessInbox(ctx); err != nil {
			t.Fatal(err)
		}
		if r, err := n.store.RemoteActorByIRI(ctx, alice.id); err == nil {
			if _, err := n.store.Follower(ctx, n.cap.ID, r.ID); err == nil {
				t.Fatalf("%d: a document the inbox read as another type was acted on as a Follow", i)
			}
		}
	}
}
