package cache

import (
	"container/list"
	"net/http"
	"sync"
	"time"
)

// entryOverhead is what one entry costs beyond its bytes: the list element,
// the map slot and the Entry's own fields. An estimate, kept on the high
// side so that many tiny entries cannot exceed the bound unnoticed.
const entryOverhead = 256

// Entry is one cached response: its bytes and what a handler needs to
// answer with them without recomputing anything.
type Entry struct {
	Body        []byte
	ContentType string
	// ETag is the strong validator of Body, computed once when stored.
	ETag string
	// Modified is when the content last changed, for Last-Modified.
	Modified time.Time
	// Version names what Body was rendered from. Keys name a selection, not
	// a version, so a newer rendering replaces the older one in place and
	// superseded versions never pile up; the caller compares Version to
	// decide whether an entry is still current.
	Version string
	// Gzip is Body compressed once with gzip when stored, nil when
	// compressing did not make it smaller. Its ETag is ETag with a suffix
	// (web/encoding.go).
	Gzip []byte
	// Brotli is Body compressed once with brotli when stored, nil when
	// compressing did not make it smaller; its ETag has its own suffix.
	Brotli []byte
	// Aux is what the caller learned when it stored the entry and needs to
	// check its version cheaply later (a statement's id for a page keyed by
	// its slug).
	Aux string
	// Header holds the response headers to answer with, beyond the
	// validators and Content-Type. Shared: callers must not modify it.
	Header http.Header
}

func (e *Entry) size(key string) int64 {
	n := len(key) + len(e.Body) + len(e.Gzip) + len(e.Brotli) + len(e.ContentType) + len(e.ETag) + len(e.Version) + len(e.Aux)
	for k, vs := range e.Header {
		n += len(k) + 32
		for _, v := range vs {
			n += len(v) + 16
		}
	}
	return int64(n) + entryOverhead
}

// Stats is a snapshot of a cache's counters.
type Stats struct {
	Entries   int
	Bytes     int64 // what the entries cost now, overhead included
	MaxBytes  int64
	Hits      uint64
	Misses    uint64
	Evictions uint64 // entries removed to make room
}

type item struct {
	key   string
	entry Entry
	size  int64
}

// LRU is a byte-bounded least-recently-used cache, safe for concurrent use.
// The zero value is not usable; call New.
type LRU struct {
	mu      sync.Mutex
	max     int64
	size    int64
	order   *list.List // front: most recently used
	items   map[string]*list.Element
	hits    uint64
	misses  uint64
	evicted uint64
}

// New returns a cache that holds at most maxBytes (keys, bodies, metadata
// and a per-entry overhead counted). maxBytes <= 0 gives a cache that
// stores nothing.
func New(maxBytes int64) *LRU {
	return &LRU{max: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

// Get returns the entry stored under key and marks it recently used. The
// entry's Body is shared: callers must not modify it.
func (c *LRU) Get(key string) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		c.misses++
		return Entry{}, false
	}
	c.hits++
	c.order.MoveToFront(el)
	return el.Value.(*item).entry, true
}

// Put stores e under key, replacing what was there, and evicts the least
// recently used entries until the cache is within its bound. An entry
// larger than the whole bound is not stored (and any older entry under key
// is dropped); Put reports whether it stored e. The cache keeps e.Body:
// callers must not modify it afterwards.
func (c *LRU) Put(key string, e Entry) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	it := &item{key: key, entry: e, size: e.size(key)}
	if it.size > c.max {
		return false
	}
	for c.size+it.size > c.max {
		c.remove(c.order.Back())
		c.evicted++
	}
	c.items[key] = c.order.PushFront(it)
	c.size += it.size
	return true
}

// Remove drops the entry stored under key, if any.
func (c *LRU) Remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
}

func (c *LRU) remove(el *list.Element) {
	it := c.order.Remove(el).(*item)
	delete(c.items, it.key)
	c.size -= it.size
}

// Stats returns the cache's size and counters.
func (c *LRU) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Entries: len(c.items), Bytes: c.size, MaxBytes: c.max, Hits: c.hits, Misses: c.misses, Evictions: c.evicted}
}
