package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestSaveActivityGrouped: inbound activities saved at once by many callers
// (committed in groups) are each stored before SaveActivity returns, a
// redelivery, concurrent or not, is reported as not fresh exactly once per
// IRI, and an activity that cannot be stored fails alone.
func TestSaveActivityGrouped(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.Open(t, b.URL)
			const iris, copies = 150, 3
			var wg sync.WaitGroup
			var mu sync.Mutex
			fresh := map[string]int{}
			errs := make(chan error, iris*copies+1)
			for c := 0; c < copies; c++ {
				for i := 0; i < iris; i++ {
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						iri := fmt.Sprintf("https://peer.test/activities/%d", i)
						a := &storage.Activity{IRI: iri, Direction: storage.Inbound, Type: "Like",
							ActorIRI: "https://peer.test/u", ObjectIRI: "https://node.test/s/1", Body: []byte(`{"id":"` + iri + `"}`)}
						ok, err := s.SaveActivity(ctx, a)
						if err != nil {
							errs <- err
							return
						}
						// Stored before the call returned.
						if _, err := s.ActivityByIRI(ctx, iri); err != nil {
							errs <- fmt.Errorf("%s not readable after SaveActivity: %w", iri, err)
							return
						}
						if ok {
							mu.Lock()
							fresh[iri]++
							mu.Unlock()
						}
					}(i)
				}
			}
			// One activity that cannot be stored: its local actor does not
			// exist (a foreign key). It must fail, and only it.
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := &storage.Activity{IRI: "https://peer.test/activities/bad", Direction: storage.Inbound, Type: "Like",
					ActorIRI: "https://peer.test/u", LocalActorID: storage.NewID(), Body: []byte(`{}`)}
				if _, err := s.SaveActivity(ctx, a); err == nil {
					errs <- fmt.Errorf("an activity naming a missing local actor was stored")
				}
			}()
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if len(fresh) != iris {
				t.Errorf("%d IRIs reported fresh, want %d", len(fresh), iris)
			}
			for iri, n := range fresh {
				if n != 1 {
					t.Errorf("%s reported fresh %d times", iri, n)
				}
			}
			n, err := s.CountActivities(ctx, storage.Inbound, "")
			if err != nil {
				t.Fatal(err)
			}
			if n != iris {
				t.Errorf("%d inbound activities stored, want %d", n, iris)
			}
		})
	}
}
