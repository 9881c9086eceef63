package storage_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// BenchmarkSaveInbound measures what the inbox's store side alone
// sustains: inbound activities saved (each durable on return) by 32
// concurrent callers, as 32 inbox POSTs at once would. It reports
// activities per second; federation's BenchmarkInboxRatio measures the
// whole path.
var benchSaveRuns atomic.Int64

func BenchmarkSaveInbound(b *testing.B) {
	for _, be := range storagetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			s := storagetest.Open(b, be.URL)
			const callers = 32
			run := benchSaveRuns.Add(1) // b.N grows over runs on one database: new IRIs each time
			var next atomic.Int64
			var wg sync.WaitGroup
			var failed atomic.Value
			b.ResetTimer()
			for c := 0; c < callers; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						iri := fmt.Sprintf("https://peer%d.test/users/u%d/activities/%d-%d", i%100, i%1000, run, i)
						body := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Like","actor":"https://peer.test/u","object":"https://node.test/s/1"}`, iri)
						a := &storage.Activity{IRI: iri, Direction: storage.Inbound, Type: "Like",
							ActorIRI: "https://peer.test/u", ObjectIRI: "https://node.test/s/1", Body: []byte(body)}
						if _, err := s.SaveActivity(ctx, a); err != nil {
							failed.CompareAndSwap(nil, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "act/s")
		})
	}
}
