//go:build unix

package storage

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkFileInbound measures the other half of accepting an inbound
// activity: the inbox worker filing the queue into activities (FileInbound,
// whole batches of fileBatch, with their commits), the work the inbox's
// group commits no longer do. One op is one activity filed; "cpu-us/row"
// is the process's CPU per activity. The activities are queued beforehand
// in groups of 32, as a busy inbox queues them, onto a table that already
// holds 20,000 filed ones (so that the IRI index is not trivially small).
func BenchmarkFileInbound(b *testing.B) {
	ctx := context.Background()
	s := openSQLite(b)
	queue := func(tag string, n int) {
		b.Helper()
		for start := 0; start < n; start += 32 {
			batch := make([]*groupedSave, 0, 32)
			for i := start; i < min(start+32, n); i++ {
				iri := fmt.Sprintf("https://peer%d.test/users/u%d/activities/%s-%d", i%100, i%1000, tag, i)
				batch = append(batch, &groupedSave{a: &Activity{IRI: iri, Direction: Inbound, Type: "Like",
					ActorIRI: fmt.Sprintf("https://peer%d.test/users/u%d", i%100, i%1000), ObjectIRI: "https://node.test/s/1",
					Body: []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + iri + `","type":"Like"}`)}})
			}
			for _, w := range s.commitGroupSafe(ctx, batch) {
				if w.err != nil {
					b.Fatal(w.err)
				}
			}
		}
	}
	queue("old", 20000)
	if err := s.fileAll(ctx); err != nil {
		b.Fatal(err)
	}
	queue("new", b.N)
	b.ResetTimer()
	c0 := processCPU()
	filed := 0
	for filed < b.N {
		n, err := s.FileInbound(ctx, fileBatch)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatalf("filed %d of %d, then nothing", filed, b.N)
		}
		filed += n
	}
	cpu := processCPU() - c0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/row")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "wall-us/row")
}
