package federation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestInboxKeyCache: a key that verified an inbox POST is used from memory
// for the next ones, without reading the stored actor, but only for a
// minute: after that the stored copy is the truth again. The stored actor
// is deleted behind the cache's back, and its server stops answering, to
// tell the two apart.
func TestInboxKeyCache(t *testing.T) {
	ctx := context.Background()
	url := storagetest.SQLiteURL(t)
	n := newCapNode(t, url)
	p := newPeer(t, n.web, "https://peer.test/users/alice")
	like := func(i int) string {
		return fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://peer.test/likes/%d","type":"Like",`+
			`"actor":%q,"object":"https://capture.test/users/cap/statements/1"}`, i, p.id)
	}
	post := func(i int) int {
		body := like(i)
		return inboxStatus(n.fed.Receive(ctx, p.post(t, "/inbox", body, n.clock), []byte(body), ""))
	}
	if got := post(1); got != 202 {
		t.Fatalf("first POST = %d, want 202", got)
	}
	storagetest.Exec(t, url, `DELETE FROM remote_actors WHERE iri = $1`, p.id)
	delete(n.web.docs, p.id)
	n.clock = n.clock.Add(30 * time.Second)
	if got := post(2); got != 202 {
		t.Errorf("POST within the minute = %d, want 202 from the cached key", got)
	}
	n.clock = n.clock.Add(2 * time.Minute)
	if got := post(3); got != 401 {
		t.Errorf("POST after the minute = %d, want 401 (the stored actor is gone and its key cannot be fetched)", got)
	}
}
