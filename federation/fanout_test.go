package federation_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// fanOutNode is a node whose actor has followers on servers that are
// never reached (no delivery worker runs): only the queue is looked at.
func fanOutNode(t *testing.T, dbURL string, followers, blocked int) (*federation.Service, *storage.Store, *storage.Actor) {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, dbURL, nil)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fed := federation.New(federation.Config{Scheme: "https", Host: "node.test", Logger: quiet, Client: transport.New(transport.Config{})}, st)
	a, err := fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < followers; i++ {
		host := fmt.Sprintf("f%d.example", i)
		if i < blocked {
			host = fmt.Sprintf("f%d.blocked.example", i)
		}
		r := &storage.RemoteActor{IRI: "https://" + host + "/users/u", Host: host, Username: "u", Inbox: "https://" + host + "/users/u/inbox",
			SharedInbox: "https://" + host + "/inbox", ExpiresAt: time.Now().Add(time.Hour)}
		if err := st.UpsertRemoteActor(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := st.PutFollower(ctx, a.ID, r.ID, r.IRI+"/follow", storage.FollowAccepted); err != nil {
			t.Fatal(err)
		}
	}
	return fed, st, a
}

func countDeliveries(t *testing.T, st *storage.Store) (rows, records int) {
	t.Helper()
	if err := st.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM deliveries), (SELECT COUNT(*) FROM fanouts)`).Scan(&rows, &records); err != nil {
		t.Fatal(err)
	}
	return rows, records
}

// TestPublishFanOutComplete: a publish to more followers than the
// publishing transaction queues (64) has every follower's inbox queued by
// the time Publish returns, blocked domains left out, and no fan-out left
// recorded.
func TestPublishFanOutComplete(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			fed, st, _ := fanOutNode(t, b.URL, 300, 20)
			if err := st.SetDomainPolicy(ctx, "blocked.example", storage.PolicyBlock, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := fed.Publish(ctx, "icssi", &content.Draft{Title: "To all", Language: "en", Body: "Solidarity."}); err != nil {
				t.Fatal(err)
			}
			if rows, records := countDeliveries(t, st); rows != 280 || records != 0 {
				t.Fatalf("after Publish: %d deliveries queued and %d fan-outs recorded, want 280 and 0", rows, records)
			}
		})
	}
}

// TestFanOutFinishedAfterCrash: a fan-out recorded but not finished (the
// process died after the publishing transaction) is finished by the inbox
// worker of any process once it is stale.
func TestFanOutFinishedAfterCrash(t *testing.T) {
	defer federation.SetFanOutStale(50 * time.Millisecond)()
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			fed, st, a := fanOutNode(t, b.URL, 200, 0)
			act := &storage.Activity{IRI: "https://node.test/users/icssi/statements/x/activity", Direction: storage.Outbound,
				Type: "Create", ActorIRI: "https://node.test/users/icssi", LocalActorID: a.ID, Body: []byte(`{}`)}
			err := st.Tx(ctx, func(tx *storage.Store) error {
				if _, err := tx.SaveActivity(ctx, act); err != nil {
					return err
				}
				_, err := tx.StartFanOut(ctx, act.ID, a.ID, a.ID, nil)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if rows, records := countDeliveries(t, st); rows != 64 || records != 1 {
				t.Fatalf("after the publishing transaction: %d rows, %d records; want 64 and 1", rows, records)
			}
			wctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); _ = fed.RunInbox(wctx, 20*time.Millisecond) }()
			defer func() { cancel(); <-done }()
			deadline := time.Now().Add(10 * time.Second)
			for {
				rows, records := countDeliveries(t, st)
				if rows == 200 && records == 0 {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the inbox worker left the fan-out at %d rows, %d records", rows, records)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestAnyWakeFinishesEveryFanOut: whichever wake comes after a fan-out was
// recorded finishes it, however it was started and however many there
// are (here 20 started in one transaction, as a scheduler round or the
// Undo of many relays starts them).
func TestAnyWakeFinishesEveryFanOut(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			fed, st, a := fanOutNode(t, b.URL, 100, 0)
			err := st.Tx(ctx, func(tx *storage.Store) error {
				for i := 0; i < 20; i++ {
					act := &storage.Activity{IRI: fmt.Sprintf("https://node.test/users/icssi/statements/s%d/activity", i),
						Direction: storage.Outbound, Type: "Create", ActorIRI: "https://node.test/users/icssi", LocalActorID: a.ID, Body: []byte(`{}`)}
					if _, err := tx.SaveActivity(ctx, act); err != nil {
						return err
					}
					if _, err := tx.StartFanOut(ctx, act.ID, a.ID, a.ID, nil); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			fed.Wake()
			if rows, records := countDeliveries(t, st); rows != 2000 || records != 0 {
				t.Fatalf("after one wake: %d rows, %d records; want 2000 and 0", rows, records)
			}
		})
	}
}
