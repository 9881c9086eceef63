package federation_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/delivery"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/federation/proof"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// proofNode is a node of ours on a loopback address, serving its actors'
// documents over real HTTP, with a delivery worker that posts to real
// inboxes.
type proofNode struct {
	fed   *federation.Service
	store *storage.Store
	base  string // http://127.0.0.x:port
}

func startProofNode(t *testing.T, ip, dbURL string) *proofNode {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	n := &proofNode{base: "http://" + ln.Addr().String()}
	n.store = openStore(t, dbURL, time.Now)
	client := transport.New(transport.Config{AllowPrivate: true})
	t.Cleanup(client.CloseIdleConnections)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n.fed = federation.New(federation.Config{Scheme: "http", Host: ln.Addr().String(), Logger: quiet, Client: client}, n.store)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/users/")
		a, err := n.store.ActorByUsername(r.Context(), name)
		if r.Method != http.MethodGet || err != nil {
			http.NotFound(w, r)
			return
		}
		doc, err := n.fed.ActorDocument(a)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", federation.ContentType)
		w.Write(doc)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	dw, err := delivery.New(delivery.Config{Poll: 20 * time.Millisecond, Timeout: 5 * time.Second, Logger: quiet,
		KeyID: func(username string, _ bool) string { return n.base + "/users/" + username + "#main-key" }}, n.store, client)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); dw.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return n
}

// inboxSink is a remote follower on a loopback address: it serves its
// actor document and keeps what is posted to its inbox.
type inboxSink struct {
	mu    sync.Mutex
	got   [][]byte
	id    string
	notes chan struct{}
}

func startInboxSink(t *testing.T, ip string) *inboxSink {
	t.Helper()
	s := &inboxSink{notes: make(chan struct{}, 16)}
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	var doc []byte
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/users/bob":
			w.Header().Set("Content-Type", federation.ContentType)
			w.Write(doc)
		case r.Method == http.MethodPost && r.URL.Path == "/users/bob/inbox":
			b, _ := io.ReadAll(r.Body)
			s.mu.Lock()
			s.got = append(s.got, b)
			s.mu.Unlock()
			s.notes <- struct{}{}
			w.WriteHeader(http.StatusAccepted)
		default:
			http.NotFound(w, r)
		}
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	k, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pem, err := httpsig.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	s.id = srv.URL + "/users/bob"
	doc = []byte(`{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],"id":"` + s.id +
		`","type":"Person","preferredUsername":"bob","inbox":"` + s.id + `/inbox","publicKey":{"id":"` + s.id +
		`#main-key","owner":"` + s.id + `","publicKeyPem":` + jsonString(pem) + `}}`)
	return s
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// next waits for the next POST to the sink's inbox.
func (s *inboxSink) next(t *testing.T) []byte {
	t.Helper()
	select {
	case <-s.notes:
	case <-time.After(15 * time.Second):
		t.Fatal("nothing was delivered to the sink")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[len(s.got)-1]
}

// fetchedKeys resolves verification methods by fetching the controller's
// actor document over HTTP, as any other server would, and reading its
// assertionMethod; the controller must be the document's actor.
func fetchedKeys(t *testing.T) proof.Resolver {
	return func(ctx context.Context, vm string) (ed25519.PublicKey, error) {
		actor, _, _ := strings.Cut(vm, "#")
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, actor, nil)
		req.Header.Set("Accept", federation.ContentType)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		doc, err := io.ReadAll(res.Body)
		if err != nil {
			return nil, err
		}
		k, pub, err := proof.AssertionKey(doc, vm)
		if err != nil {
			return nil, err
		}
		if k.Controller != actor {
			return nil, errors.New("key controlled by " + k.Controller)
		}
		return pub, nil
	}
}

// TestOurCreateCarriesAProof: a Create of ours, as delivered to a follower's
// inbox over HTTP, verifies with the proof package's verifier (itself
// checked against the W3C and FEP-8b32 vectors and Fedify's proofs) against
// the key in the actor document fetched over HTTP; one character changed,
// it does not. Another node's inbox refuses the changed copy even with a
// valid HTTP signature, and so a relayed copy that was changed.
func TestOurCreateCarriesAProof(t *testing.T) {
	for i, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			a := startProofNode(t, fmt.Sprintf("127.0.0.%d", 30+i), b.URL)
			sink := startInboxSink(t, fmt.Sprintf("127.0.0.%d", 40+i))
			org, err := a.fed.CreateActor(ctx, federation.NewActor{Username: "org", DisplayName: "Org"})
			if err != nil {
				t.Fatal(err)
			}
			// As an actor made before proofs existed: no key until it signs.
			if err := a.store.SetActorProofKey(ctx, org.ID, ""); err != nil {
				t.Fatal(err)
			}
			bob, err := a.fed.ResolveActor(ctx, sink.id, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.store.PutFollower(ctx, org.ID, bob.ID, sink.id+"#follow", storage.FollowAccepted); err != nil {
				t.Fatal(err)
			}
			// Node B knows org from before org had a proof key.
			var bSkew time.Duration
			bNow := func() time.Time { return time.Now().Add(bSkew) }
			bStore := openStore(t, storagetest.SQLiteURL(t), bNow)
			client := transport.New(transport.Config{AllowPrivate: true, Now: bNow})
			t.Cleanup(client.CloseIdleConnections)
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			bFed := federation.New(federation.Config{Scheme: "https", Host: "b.test", Logger: quiet, Client: client, Now: bNow}, bStore)
			post := func(actor *storage.Actor, body []byte) error {
				key, err := httpsig.ParsePrivateKeyPEM(actor.PrivateKeyPEM)
				if err != nil {
					t.Fatal(err)
				}
				req := httptest.NewRequest(http.MethodPost, "https://b.test/inbox", bytes.NewReader(body))
				req.Header.Set("Content-Type", federation.ContentType)
				if err := httpsig.Sign(req, body, a.base+"/users/"+actor.Username+"#main-key", key, bNow()); err != nil {
					t.Fatal(err)
				}
				return bFed.Receive(ctx, req, body, "")
			}
			if cached, err := bFed.ResolveActor(ctx, a.base+"/users/org", false); err != nil || strings.Contains(cached.Raw, "assertionMethod") {
				t.Fatalf("B's copy of org: %v", err)
			}

			st, err := a.fed.Publish(ctx, "org", &content.Draft{Title: "Solidarity", Language: "en",
				Body: "We stand with the dock workers of Basra."})
			if err != nil {
				t.Fatal(err)
			}
			body := sink.next(t)
			var create struct {
				ID    string          `json:"id"`
				Type  string          `json:"type"`
				Proof json.RawMessage `json:"proof"`
			}
			if err := json.Unmarshal(body, &create); err != nil || create.Type != "Create" || create.Proof == nil {
				t.Fatalf("delivered %s (%v)", body, err)
			}
			res, err := proof.Verify(ctx, body, fetchedKeys(t))
			if err != nil {
				t.Fatalf("our Create does not verify: %v\n%s", err, body)
			}
			if want := a.base + "/users/org#ed25519-key"; res.VerificationMethod != want || res.WithoutSignature {
				t.Errorf("verified %+v, want the key %s", res, want)
			}
			// And with a verifier in another language, written from the
			// spec (testdata/verify-proof.mjs), when Node.js is installed.
			actorDoc := httpGet(t, a.base+"/users/org")
			node := nodeVerifier(t)
			if node == nil {
				// Node.js missing outside CI: only the Go checks run.
			} else if out, err := node(body, actorDoc); err != nil {
				t.Errorf("the JavaScript verifier refused our Create: %v: %s", err, out)
			}
			stored, err := a.store.ActivityByIRI(ctx, create.ID)
			if err != nil || !bytes.Equal(stored.Body, body) {
				t.Errorf("the stored Create is not what was delivered (%v)", err)
			}
			tampered := bytes.Replace(body, []byte("dock workers"), []byte("dock workerz"), 1)
			if bytes.Equal(tampered, body) {
				t.Fatal("nothing to tamper with")
			}
			if _, err := proof.Verify(ctx, tampered, fetchedKeys(t)); !errors.Is(err, proof.ErrInvalid) {
				t.Errorf("a Create with its content changed: %v", err)
			}
			if node == nil {
				// as above
			} else if out, err := node(tampered, actorDoc); err == nil {
				t.Errorf("the JavaScript verifier took a changed Create: %s", out)
			}

			// An edit goes out as an Update, signed the same way.
			if _, err := a.fed.Edit(ctx, st.ID, &content.Draft{Title: "Solidarity", Language: "en",
				Body: "We stand with the dock workers of Basra and Umm Qasr."}); err != nil {
				t.Fatal(err)
			}
			update := sink.next(t)
			if !bytes.Contains(update, []byte(`"type":"Update"`)) || !bytes.Contains(update, []byte("Umm Qasr")) {
				t.Fatalf("delivered %s", update)
			}
			if _, err := proof.Verify(ctx, update, fetchedKeys(t)); err != nil {
				t.Errorf("our Update does not verify: %v", err)
			}

			// Node B's inbox: the changed copy, correctly HTTP-signed with
			// org's RSA key, is refused; the real one is taken, though B
			// had cached org's document from before org had a proof key.
			bSkew = 30 * time.Second
			err = post(org, tampered)
			var ie *federation.InboxError
			if !errors.As(err, &ie) || ie.Status != http.StatusUnauthorized || !strings.Contains(ie.Msg, "integrity proof") {
				t.Errorf("B took a changed Create: %v", err)
			}
			if _, err := bStore.ActivityByIRI(ctx, create.ID); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("the refused Create was stored (%v)", err)
			}
			if err := post(org, body); err != nil {
				t.Errorf("B refused our Create: %v", err)
			}
			// A proof naming a key org does not list proves nothing and is
			// not refused for it (see inbox_proof.go).
			unlisted := bytes.ReplaceAll(tampered, []byte("#ed25519-key"), []byte("#other-key"))
			unlisted = bytes.ReplaceAll(unlisted, []byte("/activity"), []byte("/activity-2"))
			if err := post(org, unlisted); err != nil {
				t.Errorf("B refused a Create whose proof names an unlisted key: %v", err)
			}

			// A relay (another actor) announces org's Create, embedded with
			// its proof: changed on the way, it is refused.
			relay, err := a.fed.CreateActor(ctx, federation.NewActor{Username: "relay"})
			if err != nil {
				t.Fatal(err)
			}
			announce := func(id string, obj []byte) []byte {
				return []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + a.base + `/users/relay/activities/` + id +
					`","type":"Announce","actor":"` + a.base + `/users/relay","to":"https://www.w3.org/ns/activitystreams#Public","object":` +
					string(obj) + `}`)
			}
			err = post(relay, announce("1", tampered))
			if !errors.As(err, &ie) || ie.Status != http.StatusUnauthorized || !strings.Contains(ie.Msg, "embedded object") {
				t.Errorf("B took a relayed Create that was changed: %v", err)
			}
			if err := post(relay, announce("2", body)); err != nil {
				t.Errorf("B refused a relayed Create: %v", err)
			}
		})
	}
}

// TestEnsureProofKeys: an actor made before proof keys existed gets one,
// and its document publishes it.
func TestEnsureProofKeys(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, b.URL, time.Now)
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			fed := federation.New(federation.Config{Scheme: "https", Host: "node.example", Logger: quiet}, st)
			old, err := fed.CreateActor(ctx, federation.NewActor{Username: "old"})
			if err != nil {
				t.Fatal(err)
			}
			if stored, err := st.ActorByID(ctx, old.ID); err != nil || stored.ProofKeyPEM == "" {
				t.Fatalf("a new actor has no proof key: %v", err)
			}
			// An actor from before proof keys existed has none.
			if err := st.SetActorProofKey(ctx, old.ID, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := fed.EnsureInstanceActor(ctx); err != nil {
				t.Fatal(err)
			}
			old, _ = st.ActorByID(ctx, old.ID)
			doc, err := fed.ActorDocument(old)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(doc, []byte("assertionMethod")) {
				t.Fatalf("an actor without a proof key lists one: %s", doc)
			}
			if n, err := fed.EnsureProofKeys(ctx); err != nil || n < 1 {
				t.Fatalf("EnsureProofKeys = %d, %v", n, err)
			}
			if n, err := fed.EnsureProofKeys(ctx); err != nil || n != 0 {
				t.Errorf("EnsureProofKeys again = %d, %v", n, err)
			}
			for _, name := range []string{"old", "node.example"} {
				a, err := st.ActorByUsername(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				blk, _ := pem.Decode([]byte(a.ProofKeyPEM))
				if blk == nil {
					t.Fatalf("%s has no proof key", name)
				}
				k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
				priv, ok := k.(ed25519.PrivateKey)
				if err != nil || !ok {
					t.Fatalf("%s's proof key: %T, %v", name, k, err)
				}
				doc, err := fed.ActorDocument(a)
				if err != nil {
					t.Fatal(err)
				}
				id := "https://node.example/users/old"
				if a.IsInstance {
					var d struct{ ID string }
					json.Unmarshal(doc, &d)
					id = d.ID
				}
				mk, pub, err := proof.AssertionKey(doc, id+"#ed25519-key")
				if err != nil || mk.Controller != id || !pub.Equal(priv.Public()) {
					t.Errorf("%s's document: %+v, %v\n%s", name, mk, err, doc)
				}
				for _, c := range []string{"https://w3id.org/security/data-integrity/v1", "https://w3id.org/security/multikey/v1"} {
					if !bytes.Contains(doc, []byte(`"`+c+`"`)) {
						t.Errorf("%s's document lacks the context %s", name, c)
					}
				}
			}
		})
	}
}

// TestInboxVerifiesFedifyProofs replays Fedify's real Create, whose proof
// the inbox checks against the Multikey in Fedify's actor document: with
// that key swapped for another (the RSA key, and so the HTTP signature,
// untouched) the Create is refused, with the real key it is taken.
func TestInboxVerifiesFedifyProofs(t *testing.T) {
	var create fixture
	for _, f := range peers(t) {
		if f.File == "fedify/08-create-note-public.http" {
			create = f
		}
	}
	if create.File == "" {
		t.Fatal("fixture fedify/08-create-note-public.http not indexed")
	}
	const actor, realKey = "https://fedify-a.test/users/probe", "z6MkmhtmdwxKFS8sxF3gDNsAy7CygJDEV9jt5w3gZiYczSAk"
	other, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key string
		status    int
	}{{"another key", proof.EncodePublicKey(other), http.StatusUnauthorized}, {"the real key", realKey, 202}} {
		t.Run(tc.name, func(t *testing.T) {
			n := newCapNode(t, storagetest.SQLiteURL(t))
			doc := n.web.docs[actor]
			if !bytes.Contains(doc, []byte(realKey)) {
				t.Fatal("Fedify's actor document lacks its Ed25519 Multikey")
			}
			n.web.docs[actor] = bytes.Replace(doc, []byte(realKey), []byte(tc.key), 1)
			err := n.receive(t, create)
			if got := inboxStatus(err); got != tc.status {
				t.Fatalf("status %d (%v), want %d", got, err, tc.status)
			}
			if tc.status == http.StatusUnauthorized {
				var ie *federation.InboxError
				if !errors.As(err, &ie) || !strings.Contains(ie.Msg, "integrity proof") {
					t.Errorf("refused for another reason: %v", err)
				}
				if c, _ := n.store.CountActivities(context.Background(), storage.Inbound, ""); c != 0 {
					t.Errorf("%d activities stored", c)
				}
			}
		})
	}
}

func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return b
}

// nodeVerifier runs testdata/verify-proof.mjs on a signed document and its
// actor's document, after checking that the script verifies the FEP-8b32
// vector (and only it, unchanged). Without Node.js it verifies nothing and
// its answers are nil for "verified" and an error for "refused", so that
// both kinds of check pass.
func nodeVerifier(t *testing.T) func(doc, actorDoc []byte) ([]byte, error) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		// .ci/run installs Node.js: under CI the cross-check must run.
		if os.Getenv("CI") == "true" {
			t.Fatal("Node.js is not installed: the JavaScript cross-check of our proofs cannot run")
		}
		t.Log("Node.js not installed: the JavaScript cross-check is left out (it runs under CI)")
		return nil
	}
	run := func(doc, actorDoc []byte) ([]byte, error) {
		dir := t.TempDir()
		d, ad := filepath.Join(dir, "doc.json"), filepath.Join(dir, "actor.json")
		if err := os.WriteFile(d, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ad, actorDoc, 0o600); err != nil {
			t.Fatal(err)
		}
		return exec.Command(node, "testdata/verify-proof.mjs", d, ad).CombinedOutput()
	}
	vector, err := os.ReadFile("proof/testdata/fep-8b32/signed.json")
	if err != nil {
		t.Fatal(err)
	}
	vectorActor, err := os.ReadFile("proof/testdata/fep-8b32/actor.json")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run(vector, vectorActor); err != nil {
		t.Fatalf("the JavaScript verifier refuses the FEP-8b32 vector: %v: %s", err, out)
	}
	if out, err := run(bytes.Replace(vector, []byte("Hello world"), []byte("Hello World"), 1), vectorActor); err == nil {
		t.Fatalf("the JavaScript verifier takes a changed FEP-8b32 vector: %s", out)
	}
	return run
}
