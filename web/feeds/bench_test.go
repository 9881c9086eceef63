package feeds

import (
	"fmt"
	"testing"
	"time"
)

// benchItems is a feed page as the node serves it: the latest 50 items,
// cycling through the fixture's kinds of statement.
func benchItems() (Feed, []Item) {
	f, base := fixture("https://node.example/@icssi/feed")
	items := make([]Item, 50)
	for n := range items {
		it := base[n%len(base)]
		it.ID = fmt.Sprintf("%s-%d", it.ID, n)
		it.Published = it.Published.Add(-time.Duration(n) * time.Hour)
		it.Updated = it.Updated.Add(-time.Duration(n) * time.Hour)
		items[n] = it
	}
	return f, items
}

func benchmark(b *testing.B, fn func(Feed, []Item) ([]byte, error)) {
	f, items := benchItems()
	b.ReportAllocs()
	for b.Loop() {
		out, err := fn(f, items)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
	}
}

func BenchmarkRSS(b *testing.B)  { benchmark(b, RSS) }
func BenchmarkAtom(b *testing.B) { benchmark(b, Atom) }
func BenchmarkJSON(b *testing.B) { benchmark(b, JSON) }
