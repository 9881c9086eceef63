package web

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// versionGate shares version reads between concurrent requests without
// ever answering a request with a read that began before it arrived.
//
// When a statement is boosted widely, hundreds of requests for it arrive
// at once, and each would read the same version from the database. A plain
// single-flight would let a request join a read already under way, which
// may have started before a change the request's client has already seen
// (an editor saves, then reloads): that request could get the old page. The
// gate lets a request join only a read that has not started yet. While one
// read runs, the requests that arrive wait for the next one, which starts
// when the running one ends and serves all of them. Under load the
// database sees one read per key at a time instead of one per request,
// and every answer still reflects every change committed before its
// request arrived.
//
// When the store keeps a data generation (storage.Store.Generation), the
// gate also remembers each value with the epoch it was read in, and
// answers from memory while nothing has been written (gateMemory): most
// requests then cost no query at all.
type versionGate struct {
	mu    sync.Mutex
	flows map[string]*gateFlow

	wireOnce sync.Once
	memory   *gateMemory // nil: every call reads
}

type gateFlow struct {
	running *gateRead // started; nil when none
	next    *gateRead // not started yet: arrivals may join it
}

type gateRead struct {
	done chan struct{}
	val  string
	err  error
}

// do returns the value of read for key, as of a moment after this call
// began: a remembered value still current (see gateMemory), or that of a
// read that started after this call began. The read runs without the
// caller's cancellation, since other requests wait for it too.
func (g *versionGate) do(ctx context.Context, key string, read func(context.Context) (string, error)) (string, error) {
	m := g.memory
	if m == nil {
		return g.share(ctx, key, read)
	}
	epoch, err := m.epoch(ctx, g)
	if err != nil {
		return "", err
	}
	if v, ok := m.recall(key, epoch); ok {
		return v, nil
	}
	return g.share(ctx, key, func(ctx context.Context) (string, error) {
		// The epoch as the read starts: everything it covers was
		// committed before the read began.
		epoch, err := m.epoch(ctx, g)
		if err != nil {
			return "", err
		}
		v, err := read(ctx)
		if err == nil {
			m.keep(key, epoch, v)
		}
		return v, err
	})
}

// share runs read for key, or joins a read of key that has not started
// yet, never one that has.
func (g *versionGate) share(ctx context.Context, key string, read func(context.Context) (string, error)) (string, error) {
	g.mu.Lock()
	if g.flows == nil {
		g.flows = map[string]*gateFlow{}
	}
	fl := g.flows[key]
	if fl == nil {
		fl = &gateFlow{}
		g.flows[key] = fl
	}
	if r := fl.next; r != nil {
		g.mu.Unlock()
		select {
		case <-r.done:
			return r.val, r.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	r := &gateRead{done: make(chan struct{})}
	prev := fl.running
	if prev == nil {
		fl.running = r
	} else {
		fl.next = r
	}
	g.mu.Unlock()
	if prev != nil {
		<-prev.done
		g.mu.Lock()
		fl.running, fl.next = r, nil
		g.mu.Unlock()
	}
	r.val, r.err = read(context.WithoutCancel(ctx))
	g.mu.Lock()
	if fl.running == r {
		fl.running = nil
		if fl.next == nil {
			delete(g.flows, key)
		}
	}
	g.mu.Unlock()
	close(r.done)
	return r.val, r.err
}

// generationSource is what the gate needs of the store to remember values:
// *storage.Store provides it.
type generationSource interface {
	// Generation moves after every committed write: at once for this
	// process's own, within storage.GenerationBound for others'.
	Generation(ctx context.Context) (uint64, error)
	// NextVisible is the next publish time after at of a statement not
	// visible yet.
	NextVisible(ctx context.Context, at time.Time) (time.Time, bool, error)
}

// gateMemoryMaxAge bounds how long a remembered value is used however
// quiet the database is: the node settings in versions come from a cache
// of their own (site.go), which another process's change reaches only
// after siteTTL.
const gateMemoryMaxAge = siteTTL

// gateMemoryMax bounds the remembered values (keys name statements and
// actors that requests ask for); when full, the memory starts afresh.
const gateMemoryMax = 8192

// gateMemory remembers version values per epoch. An epoch is a stretch in
// which neither the data generation moved nor a scheduled statement came
// due (visibility changes with the clock, with nothing written), so every
// version is constant within it. A value is remembered with the epoch in
// which its read began and is answered only within that same epoch.
type gateMemory struct {
	src generationSource
	now func() time.Time // the clock scheduled statements are compared with

	mu      sync.RWMutex
	current gateEpoch
	known   map[string]gateKnown
}

type gateEpoch struct {
	n      uint64    // 0: none yet
	gen    uint64    // the data generation it began at
	due    time.Time // when the next scheduled statement comes due
	hasDue bool
}

type gateKnown struct {
	epoch uint64
	born  time.Time // wall clock
	val   string
}

// wire lets the gate remember values when the store keeps a generation. It
// is called while routes are set up, before any request.
func (g *versionGate) wire(store any, now func() time.Time) {
	g.wireOnce.Do(func() {
		if src, ok := store.(generationSource); ok {
			g.memory = &gateMemory{src: src, now: now, known: map[string]gateKnown{}}
		}
	})
}

// epoch is the current epoch number, starting a new one (with one read of
// the next due time, shared like any version read) when the generation
// moved or a scheduled statement came due.
func (m *gateMemory) epoch(ctx context.Context, g *versionGate) (uint64, error) {
	gen, err := m.src.Generation(ctx)
	if err != nil {
		return 0, err
	}
	now := m.now()
	m.mu.RLock()
	e := m.current
	m.mu.RUnlock()
	if e.n != 0 && e.gen == gen && (!e.hasDue || now.Before(e.due)) {
		return e.n, nil
	}
	// A new epoch, begun by a read that started after this call observed
	// the change: whatever it covers, the new epoch is at least as recent.
	v, err := g.share(ctx, "\x00epoch", func(ctx context.Context) (string, error) {
		gen, err := m.src.Generation(ctx)
		if err != nil {
			return "", err
		}
		now := m.now()
		due, hasDue, err := m.src.NextVisible(ctx, now)
		if err != nil {
			return "", err
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		m.current = gateEpoch{n: m.current.n + 1, gen: gen, due: due, hasDue: hasDue}
		clear(m.known)
		return strconv.FormatUint(m.current.n, 10), nil
	})
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(v, 10, 64)
}

// recall answers a value remembered in epoch.
func (m *gateMemory) recall(key string, epoch uint64) (string, bool) {
	m.mu.RLock()
	k, ok := m.known[key]
	m.mu.RUnlock()
	if !ok || k.epoch != epoch || time.Since(k.born) >= gateMemoryMaxAge {
		return "", false
	}
	return k.val, true
}

// keep remembers a value read in epoch, if that is still the current one.
func (m *gateMemory) keep(key string, epoch uint64, val string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.current.n != epoch {
		return
	}
	if len(m.known) >= gateMemoryMax {
		clear(m.known)
	}
	m.known[key] = gateKnown{epoch: epoch, born: time.Now(), val: val}
}
