package federation

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// Guards on the fetches that other servers can make us do. An inbox POST or
// a signed GET names a keyId, and a reader's address in the follow form
// names a server; before anyone is authenticated, each would make the node
// fetch something. These keep that bounded: a failed key is not fetched
// again for a while, the same key is fetched once however many requests
// name it at the same moment, and only so many such fetches run at once,
// overall and per host.

const (
	// keyFailureTTL is how long a key that could not be fetched (or did not
	// check out) is not fetched again. Short: a peer whose server was down
	// for a moment redelivers later anyway, and gets through then.
	keyFailureTTL = 2 * time.Minute
	// keyFailureEntries bounds the failed-key cache.
	keyFailureEntries = 4096
	// keyRefetchInterval is how soon after fetching an actor a signature
	// that fails with its stored key makes us fetch the key again (it may
	// have been rotated). Without it, every badly signed request naming a
	// real key would cost a fetch from that key's server.
	keyRefetchInterval = time.Minute

	// fetchesMax and fetchesPerHost bound the fetches made on behalf of
	// unauthenticated requests (keys, readers' WebFinger) in flight at once.
	fetchesMax     = 8
	fetchesPerHost = 2
	// fetchSlotWait is how long a request waits for a free slot before it
	// is refused with 503 (the sender retries later).
	fetchSlotWait = 5 * time.Second
)

// ErrBusy is returned when no fetch slot came free in time: the node is
// fetching as much as it allows itself, and the caller should answer 503.
var ErrBusy = errors.New("federation: too many remote fetches in progress")

// boundedCache maps strings to values that expire. It never holds more
// than max entries: when full, the oldest entry goes first. Expiry is
// measured on the caller's clock, so tests can move it.
type boundedCache[V any] struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	entries map[string]*list.Element
	order   *list.List // of *cacheEntry[V], oldest first
}

type cacheEntry[V any] struct {
	key     string
	value   V
	expires time.Time
}

func newBoundedCache[V any](max int, ttl time.Duration) *boundedCache[V] {
	return &boundedCache[V]{max: max, ttl: ttl, entries: map[string]*list.Element{}, order: list.New()}
}

// get returns the value stored under key if it has not expired at now.
func (c *boundedCache[V]) get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.entries[key]
	if !ok {
		return zero, false
	}
	e := el.Value.(*cacheEntry[V])
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return zero, false
	}
	return e.value, true
}

// put stores value under key until now plus the cache's TTL.
func (c *boundedCache[V]) put(key string, value V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.order.Remove(el)
		delete(c.entries, key)
	}
	for c.order.Len() >= c.max {
		oldest := c.order.Front()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry[V]).key)
	}
	c.entries[key] = c.order.PushBack(&cacheEntry[V]{key: key, value: value, expires: now.Add(c.ttl)})
}

// len is the number of entries held, expired ones included.
func (c *boundedCache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// fetchLimiter counts fetches in flight, overall and per host.
type fetchLimiter struct {
	mu      sync.Mutex
	max     int
	perHost int
	total   int
	hosts   map[string]int
	freed   chan struct{} // closed and replaced whenever a slot is released
}

func newFetchLimiter(max, perHost int) *fetchLimiter {
	return &fetchLimiter{max: max, perHost: perHost, hosts: map[string]int{}, freed: make(chan struct{})}
}

// acquire waits for a slot for host, at most wait; the returned release
// must be called when the fetch is over. Callers pass the host name without
// port, so that one machine's many ports share its slots.
func (l *fetchLimiter) acquire(ctx context.Context, host string, wait time.Duration) (release func(), err error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		l.mu.Lock()
		if l.total < l.max && l.hosts[host] < l.perHost {
			l.total++
			l.hosts[host]++
			l.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { l.release(host) }) }, nil
		}
		freed := l.freed
		l.mu.Unlock()
		select {
		case <-freed:
		case <-timer.C:
			return nil, ErrBusy
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (l *fetchLimiter) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.hosts[host]--; l.hosts[host] <= 0 {
		delete(l.hosts, host) // the map holds only hosts with fetches in flight
	}
	close(l.freed)
	l.freed = make(chan struct{})
}

// flightGroup runs one call per key at a time: callers that ask for a key
// already being fetched wait for that fetch and share its result.
type flightGroup[V any] struct {
	mu    sync.Mutex
	calls map[string]*flightCall[V]
}

type flightCall[V any] struct {
	done  chan struct{}
	value V
	err   error
}

// do runs fn for key unless a call for key is in flight, in which case it
// waits for that call's result (or ctx).
func (g *flightGroup[V]) do(ctx context.Context, key string, fn func() (V, error)) (V, error) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = map[string]*flightCall[V]{}
	}
	if c, ok := g.calls[key]; ok {
		g.mu.Unlock()
		select {
		case <-c.done:
			return c.value, c.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	c := &flightCall[V]{done: make(chan struct{})}
	g.calls[key] = c
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.calls, key)
		g.mu.Unlock()
		close(c.done)
	}()
	c.value, c.err = fn()
	return c.value, c.err
}
