package admin

import (
	"container/list"
	"sync"
	"time"
)

// ThrottleConfig bounds failed sign-ins. The counts live in the process's
// memory: each serve process throttles on its own, and a restart forgets.
type ThrottleConfig struct {
	// Free is how many failures of one account from one address pass
	// without delay; 0 means 3. After that each failure doubles the wait
	// before the next try from that address (1 s, 2 s, 4 s ... up to Max).
	Free int
	// Max caps that wait; 0 means 15 minutes.
	Max time.Duration
	// PerAddress is how many failures one address may have, over all
	// accounts, within Window before it is refused; 0 means 30.
	PerAddress int
	// Window is how long failures are remembered; 0 means an hour.
	Window time.Duration
	// AccountSlow is the delay added to every sign-in attempt for an
	// account that many addresses are failing on, at most this long; 0
	// means 2 s. It slows guessing spread over many addresses, yet the
	// real user always gets in (never a lockout).
	AccountSlow time.Duration
	// Entries bounds each table's size (least recently used go first); 0
	// means 10,000.
	Entries int
}

// throttle holds failure counts per (account, address), per address and
// per account in bounded tables.
type throttle struct {
	cfg       ThrottleConfig
	now       func() time.Time
	mu        sync.Mutex
	pair      *lru // account + "\x00" + address
	address   *lru
	account   *lru
	sleepFunc func(time.Duration)
}

func newThrottle(cfg ThrottleConfig, now func() time.Time) *throttle {
	if cfg.Free == 0 {
		cfg.Free = 3
	}
	if cfg.Max == 0 {
		cfg.Max = 15 * time.Minute
	}
	if cfg.PerAddress == 0 {
		cfg.PerAddress = 30
	}
	if cfg.Window == 0 {
		cfg.Window = time.Hour
	}
	if cfg.AccountSlow == 0 {
		cfg.AccountSlow = 2 * time.Second
	}
	if cfg.Entries == 0 {
		cfg.Entries = 10000
	}
	return &throttle{cfg: cfg, now: now, pair: newLRU(cfg.Entries), address: newLRU(cfg.Entries),
		account: newLRU(cfg.Entries), sleepFunc: time.Sleep}
}

// check says how long the address must still wait before trying the
// account again (0: go ahead), and the slowing to apply to the attempt.
func (t *throttle) check(account, address string) (wait, slow time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if e := t.address.get(address, now, t.cfg.Window); e != nil && e.failures >= t.cfg.PerAddress {
		wait = e.last.Add(t.cfg.Window).Sub(now)
	}
	if e := t.pair.get(account+"\x00"+address, now, t.cfg.Window); e != nil && e.failures >= t.cfg.Free {
		if w := e.last.Add(t.backoff(e.failures)).Sub(now); w > wait {
			wait = w
		}
	}
	if e := t.account.get(account, now, t.cfg.Window); e != nil && e.failures > t.cfg.Free {
		slow = time.Duration(e.failures-t.cfg.Free) * 100 * time.Millisecond
		if slow > t.cfg.AccountSlow {
			slow = t.cfg.AccountSlow
		}
	}
	return wait, slow
}

// backoff is the wait after n failures of one pair.
func (t *throttle) backoff(n int) time.Duration {
	d := time.Second
	for i := t.cfg.Free; i < n && d < t.cfg.Max; i++ {
		d *= 2
	}
	if d > t.cfg.Max {
		d = t.cfg.Max
	}
	return d
}

// fail records a failed sign-in.
func (t *throttle) fail(account, address string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, x := range []struct {
		m   *lru
		key string
	}{{t.pair, account + "\x00" + address}, {t.address, address}, {t.account, account}} {
		e := x.m.get(x.key, now, t.cfg.Window)
		if e == nil {
			e = x.m.put(x.key)
		}
		e.failures++
		e.last = now
	}
}

// succeed forgets the pair's failures: the person at that address knows
// the password. The address's and account's counts stay.
func (t *throttle) succeed(account, address string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pair.remove(account + "\x00" + address)
}

// entry is one key's failures.
type entry struct {
	key      string
	failures int
	last     time.Time
}

// lru is a map bounded in size, least recently used first out, whose
// entries also expire a while after their last failure.
type lru struct {
	max   int
	order *list.List // front: most recent
	items map[string]*list.Element
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: make(map[string]*list.Element)}
}

// get returns the live entry for key, or nil.
func (l *lru) get(key string, now time.Time, ttl time.Duration) *entry {
	el, ok := l.items[key]
	if !ok {
		return nil
	}
	e := el.Value.(*entry)
	if now.Sub(e.last) > ttl {
		l.order.Remove(el)
		delete(l.items, key)
		return nil
	}
	l.order.MoveToFront(el)
	return e
}

// put adds a fresh entry for key, evicting the least recently used beyond
// the bound.
func (l *lru) put(key string) *entry {
	e := &entry{key: key}
	l.items[key] = l.order.PushFront(e)
	for l.order.Len() > l.max {
		old := l.order.Back()
		l.order.Remove(old)
		delete(l.items, old.Value.(*entry).key)
	}
	return e
}

func (l *lru) remove(key string) {
	if el, ok := l.items[key]; ok {
		l.order.Remove(el)
		delete(l.items, key)
	}
}

func (l *lru) len() int { return l.order.Len() }
