package federation_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestRemoteLinksMustBeWebAddresses: a reply's "url" and an actor's "url"
// and icon are kept only when they are http(s) addresses; javascript: and
// data: links are dropped when stored rather than left for every page to
// neutralise.
func TestRemoteLinksMustBeWebAddresses(t *testing.T) {
	ctx := context.Background()
	n := newCapNode(t, storagetest.SQLiteURL(t))
	st, err := n.fed.Publish(ctx, "cap", &content.Draft{Title: "Together", Language: "en", Body: "We stand together.", RepliesEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	mallory := newPeer(t, n.web, "https://evil.test/users/mallory")
	// The actor document, with hostile links.
	n.web.docs[mallory.id] = []byte(fmt.Sprintf(`{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],
		"id":%q,"type":"Person","preferredUsername":"mallory","inbox":%q,"url":"javascript:alert(1)",
		"icon":{"type":"Image","url":"data:image/svg+xml,<svg onload=alert(2)>"},
		"publicKey":{"id":%q,"owner":%q,"publicKeyPem":%q}}`, mallory.id, mallory.id+"/inbox", mallory.keyID, mallory.id, publicPEM(t, mallory)))
	reply := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://evil.test/create/1","type":"Create","actor":%[1]q,
		"object":{"id":"https://evil.test/notes/1","type":"Note","attributedTo":%[1]q,"inReplyTo":"https://capture.test/users/cap/statements/%[2]s",
		"url":"javascript:alert(3)","content":"<p>hello</p>","to":["https://www.w3.org/ns/activitystreams#Public"]}}`, mallory.id, st.ID)
	if err := n.fed.Receive(ctx, mallory.post(t, "/users/cap/inbox", reply, n.clock), []byte(reply), "cap"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.fed.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
	o, err := n.store.RemoteObjectByIRI(ctx, "https://evil.test/notes/1")
	if err != nil {
		t.Fatal(err)
	}
	if o.URL != o.IRI {
		t.Errorf("reply url stored as %q, want the object's id", o.URL)
	}
	r, err := n.store.RemoteActorByIRI(ctx, mallory.id)
	if err != nil {
		t.Fatal(err)
	}
	if r.URL != "" || r.IconURL != "" {
		t.Errorf("actor links stored: url %q, icon %q", r.URL, r.IconURL)
	}
}

func publicPEM(t *testing.T, p *peer) string {
	t.Helper()
	pem, err := httpsig.MarshalPublicKeyPEM(&p.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem
}
