package federation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestFollowApproval: an actor that approves followers by hand holds a
// Follow as pending and answers only when an editor decides.
func TestFollowApproval(t *testing.T) {
	n := newCapNode(t, storagetest.SQLiteURL(t))
	n.clock = time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	ctx := context.Background()
	locked, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "locked", ManuallyApprovesFollowers: true})
	if err != nil {
		t.Fatal(err)
	}
	amal := newPeer(t, n.web, "https://mastodon.test/users/amal")
	body := strings.Replace(follow(amal.id, "https://mastodon.test/follows/1"), "users/cap", "users/locked", 1)
	if err := n.fed.Receive(ctx, amal.post(t, "/users/locked/inbox", body, n.clock), []byte(body), "locked"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.fed.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
	remote, err := n.store.RemoteActorByIRI(ctx, amal.id)
	if err != nil {
		t.Fatal(err)
	}
	f, err := n.store.Follower(ctx, locked.ID, remote.ID)
	if err != nil || f.State != storage.FollowPending {
		t.Fatalf("follow of a locked actor: %+v %v", f, err)
	}
	answers := func(typ string) int {
		c, err := n.store.CountActivities(ctx, storage.Outbound, typ)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if answers("Accept") != 0 {
		t.Fatal("an Accept went out before approval")
	}
	if _, err := n.fed.AnswerFollower(ctx, "locked", "https://mastodon.test/users/amal", true); err != nil {
		t.Fatal(err)
	}
	if f, _ := n.store.Follower(ctx, locked.ID, remote.ID); f.State != storage.FollowAccepted || answers("Accept") != 1 {
		t.Fatalf("after approval: %+v, %d Accepts", f, answers("Accept"))
	}
	stats, err := n.store.DeliveryStats(ctx)
	if err != nil || stats.Pending != 1 {
		t.Fatalf("the Accept is not queued: %+v %v", stats, err)
	}
	if _, err := n.fed.AnswerFollower(ctx, "locked", "https://mastodon.test/users/amal", false); err != nil {
		t.Fatal(err)
	}
	if _, err := n.store.Follower(ctx, locked.ID, remote.ID); err == nil || answers("Reject") != 1 {
		t.Fatalf("after removal the follower stays or no Reject went out")
	}
	if _, err := n.fed.AnswerFollower(ctx, "locked", "@nobody@nowhere.test", true); err == nil {
		t.Fatal("answering an unknown account succeeded")
	}
}
