package cache

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

func body(n int) []byte { return bytes.Repeat([]byte("x"), n) }

func TestBoundInBytes(t *testing.T) {
	c := New(64 << 10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		c.Put(fmt.Sprintf("k%d", r.IntN(2000)), Entry{Body: body(r.IntN(8 << 10)), Version: "v"})
		if s := c.Stats(); s.Bytes > s.MaxBytes {
			t.Fatalf("after %d puts: %d bytes held, bound %d", i, s.Bytes, s.MaxBytes)
		}
	}
	s := c.Stats()
	var sum int64
	for k, el := range c.items {
		it := el.Value.(*item)
		if it.key != k || it.size != it.entry.size(k) {
			t.Fatalf("item %q is inconsistent", k)
		}
		sum += it.size
	}
	if sum != s.Bytes || len(c.items) != c.order.Len() || s.Evictions == 0 {
		t.Fatalf("accounting: sum %d, stats %+v, list %d", sum, s, c.order.Len())
	}
}

func TestLeastRecentlyUsedGoesFirst(t *testing.T) {
	one := Entry{Body: body(1000)}
	c := New(3 * one.size("a"))
	c.Put("a", one)
	c.Put("b", one)
	c.Put("c", one)
	c.Get("a") // a is now the most recently used; b the least
	c.Put("d", one)
	if _, ok := c.Get("b"); ok {
		t.Error("b, the least recently used, was kept")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
}

func TestReplaceInPlace(t *testing.T) {
	c := New(1 << 20)
	for v := 0; v < 100; v++ {
		c.Put("feed", Entry{Body: body(1000 + v), Version: fmt.Sprint(v)})
	}
	e, ok := c.Get("feed")
	if s := c.Stats(); !ok || s.Entries != 1 || e.Version != "99" || s.Bytes != e.size("feed") {
		t.Fatalf("after 100 versions of one key: %+v, version %q", s, e.Version)
	}
}

func TestOversizedEntry(t *testing.T) {
	c := New(10 << 10)
	c.Put("k", Entry{Body: body(100)})
	if c.Put("k", Entry{Body: body(20 << 10)}) {
		t.Fatal("an entry larger than the bound was stored")
	}
	if _, ok := c.Get("k"); ok {
		t.Fatal("the older entry under the key survived a failed Put; it is stale")
	}
	if s := c.Stats(); s.Entries != 0 || s.Bytes != 0 {
		t.Fatalf("stats %+v", s)
	}
	if New(0).Put("k", Entry{}) {
		t.Fatal("a zero cache stored something")
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New(32 << 10)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				k := fmt.Sprint(i % 50)
				if _, ok := c.Get(k); !ok {
					c.Put(k, Entry{Body: body(i % 3000)})
				}
			}
		}()
	}
	wg.Wait()
	if s := c.Stats(); s.Bytes > s.MaxBytes || s.Hits+s.Misses != 16000 {
		t.Fatalf("stats %+v", s)
	}
}

// TestEveryFormCounts: the compressed forms count against the bound as
// much as the body does, so a cache of three forms per entry stays within
// the memory it was given.
func TestEveryFormCounts(t *testing.T) {
	plain := Entry{Body: body(1000)}
	all := Entry{Body: body(1000), Gzip: body(300), Brotli: body(200)}
	if got, want := all.size("k")-plain.size("k"), int64(500); got != want {
		t.Fatalf("the compressed forms add %d bytes to an entry's size, want %d", got, want)
	}
	c := New(2 * all.size("k0"))
	for i := 0; i < 3; i++ {
		c.Put(fmt.Sprintf("k%d", i), all)
	}
	if s := c.Stats(); s.Entries != 2 || s.Evictions != 1 || s.Bytes > s.MaxBytes {
		t.Fatalf("three entries of three forms in room for two: %+v", s)
	}
	if _, ok := c.Get("k0"); ok {
		t.Error("the oldest entry was kept")
	}
}
