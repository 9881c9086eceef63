package storage_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestEnqueueFollowerDeliveriesContract pins the fan-out's enqueue on every
// backend: one row per distinct inbox of the accepted followers (shared
// inbox first), refused hosts left out, and each row's host exactly what
// InboxHost says of its inbox, however odd the URL; and a claim that mixes
// activities and signers gives each row its own body and key.
func TestEnqueueFollowerDeliveriesContract(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Run("Followers", func(t *testing.T) { testEnqueueFollowers(t, freshURL(t, b.Name)) })
			t.Run("Hosts", func(t *testing.T) { testEnqueueFollowerHosts(t, freshURL(t, b.Name)) })
			t.Run("ClaimCarries", func(t *testing.T) { testClaimCarries(t, freshURL(t, b.Name)) })
		})
	}
}

// follow makes a remote actor with these inboxes follow a, in state.
func (f *queueFixture) follow(t *testing.T, a *storage.Actor, name, inbox, shared, state string) {
	t.Helper()
	r := &storage.RemoteActor{IRI: "https://remote.example/users/" + name, Host: "remote.example", Username: name,
		Inbox: inbox, SharedInbox: shared, ExpiresAt: time.Now().Add(time.Hour)}
	must(t, f.s.UpsertRemoteActor(ctx, r))
	must(t, f.s.PutFollower(ctx, a.ID, r.ID, r.IRI+"/follow", state))
}

// rows lists an activity's deliveries as "inbox@host", checking that every
// row is fresh and that its host is InboxHost of its inbox.
func (f *queueFixture) rows(t *testing.T, act *storage.Activity) []string {
	t.Helper()
	list, err := f.s.DeliveriesOf(ctx, act.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range list {
		if want := storage.InboxHost(d.Inbox); d.Host != want {
			t.Errorf("inbox %q queued with host %q, InboxHost says %q", d.Inbox, d.Host, want)
		}
		if d.State != storage.DeliveryPending || d.Attempts != 0 || d.LockedUntil != nil || d.SignerActorID != f.actor.ID ||
			d.NextAttemptAt.After(time.Now()) || d.CreatedAt.IsZero() || d.UpdatedAt.IsZero() {
			t.Errorf("fresh row %+v", d)
		}
		got = append(got, d.Inbox+"@"+d.Host)
	}
	return got
}

func testEnqueueFollowers(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	other := &storage.Actor{Username: "partner", PrivateKeyPEM: "p", PublicKeyPEM: "q"}
	must(t, f.s.CreateActor(ctx, other))
	// Three followers on one server with a shared inbox: one row.
	for i := 0; i < 3; i++ {
		f.follow(t, f.actor, fmt.Sprintf("x%d", i), fmt.Sprintf("https://x.example/users/x%d/inbox", i), "https://x.example/inbox", storage.FollowAccepted)
	}
	f.follow(t, f.actor, "y", "https://y.example/users/y/inbox", "", storage.FollowAccepted)     // no shared inbox
	f.follow(t, f.actor, "z", "https://z.example:443/users/z/inbox", "", storage.FollowAccepted) // default port
	f.follow(t, f.actor, "up", "https://Up.Example/users/up/inbox", "", storage.FollowAccepted)  // not plain: Go's host
	f.follow(t, f.actor, "bad", "not a url", "", storage.FollowAccepted)                         // queued, host ""
	f.follow(t, f.actor, "blocked", "https://spam.example/inbox", "", storage.FollowAccepted)    // refused below
	f.follow(t, f.actor, "sub", "https://a.spam.example/inbox", "https://a.spam.example/inbox", storage.FollowAccepted)
	f.follow(t, f.actor, "waiting", "https://w.example/users/w/inbox", "", storage.FollowPending)  // not accepted
	f.follow(t, f.actor, "gone", "", "https://g.example/inbox", storage.FollowAccepted)            // no inbox of its own
	f.follow(t, other, "elsewhere", "https://e.example/users/e/inbox", "", storage.FollowAccepted) // another actor's
	refuse := func(host string) bool { return host == "spam.example" || strings.HasSuffix(host, ".spam.example") }

	n, err := f.s.EnqueueFollowerDeliveries(ctx, f.act.ID, f.actor.ID, f.actor.ID, refuse)
	if err != nil {
		t.Fatal(err)
	}
	got := f.rows(t, f.act)
	want := []string{
		"https://Up.Example/users/up/inbox@up.example",
		"https://x.example/inbox@x.example",
		"https://y.example/users/y/inbox@y.example",
		"https://z.example:443/users/z/inbox@z.example",
		"not a url@",
	}
	if n != len(want) || !slices.Equal(got, want) {
		t.Fatalf("enqueued %d rows:\n got %s\nwant %s", n, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	// Again: nothing new. Without a refusal the blocked ones come too.
	if n, err := f.s.EnqueueFollowerDeliveries(ctx, f.act.ID, f.actor.ID, f.actor.ID, refuse); err != nil || n != 0 {
		t.Fatalf("re-enqueue: %d, %v; want 0", n, err)
	}
	if n, err := f.s.EnqueueFollowerDeliveries(ctx, f.act.ID, f.actor.ID, f.actor.ID, nil); err != nil || n != 2 {
		t.Fatalf("enqueue refusing none: %d, %v; want the 2 refused before", n, err)
	}
	// A transaction that rolls back takes the rows with it.
	second := f.activity(t, "2")
	err = f.s.Tx(ctx, func(tx *storage.Store) error {
		if _, err := tx.EnqueueFollowerDeliveries(ctx, second.ID, f.actor.ID, f.actor.ID, nil); err != nil {
			return err
		}
		return errRollBack
	})
	if !errors.Is(err, errRollBack) {
		t.Fatal(err)
	}
	if n := storagetest.Count(t, url, `SELECT COUNT(*) FROM deliveries WHERE activity_id = '`+second.ID+`'`); n != 0 {
		t.Fatalf("%d rows after a rolled-back enqueue", n)
	}
}

var errRollBack = errors.New("roll back")

// testEnqueueFollowerHosts: the host the SQL cuts from a plain URL, and the
// one Go finds for any other, are both InboxHost's.
func testEnqueueFollowerHosts(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	inboxes := []string{
		"https://h1.example/inbox",
		"https://h2.example",
		"https://h3.example:443",
		"https://h4.example:4430/inbox",
		"https://h5.example:443x/inbox",
		"https://h6.example:/inbox",
		"http://h7.example:80/inbox",
		"http://h8.example:8080/inbox",
		"http://h9.example:443/inbox",
		"https://h10.example:80/inbox",
		"https://h11.example?x=1",
		"https://h12.example#frag",
		"https://user@h13.example/inbox",
		"https://h%31%34.example/inbox",
		"HTTPS://H15.EXAMPLE/inbox",
		"https://h16.example/ünïcode",
		"https://[::1]:443/inbox",
		"https://[::1]:8443/inbox",
		"ftp://h19.example/inbox",
		"https:///inbox",
		"http://h21.example:80:80/inbox",
		"https://h22.example./inbox",
		"https://h23.example/in box",
		"https://h24.example\\inbox",
		"https://h25_under.example/inbox",
		"//h26.example/inbox",
		"https://127.0.0.1:40001/inbox",
	}
	for i, in := range inboxes {
		f.follow(t, f.actor, fmt.Sprintf("u%d", i), in, "", storage.FollowAccepted)
	}
	n, err := f.s.EnqueueFollowerDeliveries(ctx, f.act.ID, f.actor.ID, f.actor.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.rows(t, f.act); n != len(inboxes) || len(got) != len(inboxes) {
		t.Fatalf("enqueued %d (%d rows) of %d inboxes: %v", n, len(got), len(inboxes), got)
	}
}

// testClaimCarries: one claim of rows of two activities signed by two
// actors gives each row its own activity's body and time and its own
// signer's key, oldest due first.
func testClaimCarries(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	other := &storage.Actor{Username: "node", PrivateKeyPEM: "instance pem", PublicKeyPEM: "q", IsInstance: true}
	must(t, f.s.CreateActor(ctx, other))
	second := f.activity(t, "2")
	f.enqueue(t, f.act, "https://a.example/inbox", "https://b.example/inbox")
	if _, err := f.s.EnqueueDeliveries(ctx, second.ID, other.ID, []string{"https://c.example/inbox", "https://d.example/inbox"}); err != nil {
		t.Fatal(err)
	}
	got := f.claim(t, "w1", time.Minute, 10)
	if len(got) != 4 {
		t.Fatalf("claimed %d rows, want 4", len(got))
	}
	for i, c := range got {
		act, signer, pem, instance := f.act, "icssi", "private pem", false
		if c.ActivityID == second.ID {
			act, signer, pem, instance = second, "node", "instance pem", true
		}
		if string(c.Body) != string(act.Body) || !c.ActivityCreatedAt.Equal(act.CreatedAt) || c.SignerUsername != signer ||
			c.SignerKeyPEM != pem || c.SignerIsInstance != instance || c.LockedBy != "w1" || c.LockedUntil == nil {
			t.Errorf("row %d (%s): body %s, created %v, signer %s %q instance %v, locked by %q",
				i, c.Inbox, c.Body, c.ActivityCreatedAt, c.SignerUsername, c.SignerKeyPEM, c.SignerIsInstance, c.LockedBy)
		}
		if i > 0 && (c.NextAttemptAt.Before(got[i-1].NextAttemptAt) || c.NextAttemptAt.Equal(got[i-1].NextAttemptAt) && c.ID < got[i-1].ID) {
			t.Errorf("row %d is due before row %d", i, i-1)
		}
	}
}
