package federation

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation/proof"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestGoldenActorWithProofKey: the actor document of an actor with a proof
// key lists it in assertionMethod as a Multikey, with the contexts that
// define those terms.
func TestGoldenActorWithProofKey(t *testing.T) {
	s, a, _ := docFixtures()
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	a.ProofKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	doc, err := s.ActorDocument(a)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "actor-proof.json", doc)
}

// TestSendSignsByType: whatever code builds an activity, send and
// sendToFollowers store (and so deliver) a Create, Update or Announce with
// a proof by the sending actor, and anything else without one.
func TestSendSignsByType(t *testing.T) {
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Config{URL: storagetest.SQLiteURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Scheme: "https", Host: "node.example"}, st)
	a, err := s.CreateActor(ctx, NewActor{Username: "org"})
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"Create", "Update", "Announce", "Delete", "Follow", "Accept", "Undo"} {
		id := storage.NewID()
		iri := s.iri.Activity("org", id)
		body := `{"@context":"https://www.w3.org/ns/activitystreams","id":"` + iri + `","type":"` + typ +
			`","actor":"https://node.example/users/org","object":"https://elsewhere.example/notes/1"}`
		act := &storage.Activity{ID: id, IRI: iri, Direction: storage.Outbound, Type: typ, ActorIRI: s.iri.Actor("org"),
			ObjectIRI: "https://elsewhere.example/notes/1", LocalActorID: a.ID, Body: []byte(body)}
		err := st.Tx(ctx, func(tx *storage.Store) error {
			if typ == "Announce" {
				return s.sendToFollowers(ctx, tx, act, a, []string{"https://elsewhere.example/inbox"})
			}
			return s.send(ctx, tx, act, a, "https://elsewhere.example/inbox")
		})
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		stored, err := st.ActivityByIRI(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		signed := typ == "Create" || typ == "Update" || typ == "Announce"
		if got := strings.Contains(string(stored.Body), `"proof"`); got != signed {
			t.Fatalf("%s stored with a proof: %v, want %v\n%s", typ, got, signed, stored.Body)
		}
		if !signed {
			continue
		}
		fresh, err := st.ActorByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := s.ActorDocument(fresh)
		if err != nil {
			t.Fatal(err)
		}
		res, err := proof.Verify(ctx, stored.Body, func(_ context.Context, vm string) (ed25519.PublicKey, error) {
			_, pub, err := proof.AssertionKey(doc, vm)
			return pub, err
		})
		if err != nil {
			t.Fatalf("%s: %v\n%s", typ, err, stored.Body)
		}
		var m struct {
			Context []any `json:"@context"`
		}
		if err := json.Unmarshal(stored.Body, &m); err != nil || len(m.Context) != 2 || m.Context[1] != dataIntegrityContext {
			t.Errorf("%s @context %v (%v)", typ, m.Context, err)
		}
		if res.VerificationMethod != "https://node.example/users/org#ed25519-key" {
			t.Errorf("%s verification method %s", typ, res.VerificationMethod)
		}
	}
}
