package storage

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// InboxGate answers the two questions the inbox asks of every POST before
// it looks at the signing key: the domain policy that applies to host (as
// DomainPolicy: its own or its nearest parent's, "" for none), and whether
// the account actorIRI is blocked (as AccountBlocked).
//
// Outside a transaction the answer comes from a small cache: a busy inbox
// hears from the same few thousand accounts again and again, and the query
// cost a fifth of an inbox POST. Only unrestricted answers are kept, so
// lifting a block or a silence applies to the next POST wherever it is
// made. The cache is cleared
//
//   - at once by every change of a domain policy or an account block made
//     through this Store (ForgetInboxGate), so such a change applies to the
//     next POST;
//   - within about GenerationBound of a change made anywhere else (another
//     serve process on the same PostgreSQL, a CLI command on the same
//     SQLite file, an administrator's psql): triggers on domain_policies
//     and account_blocks (migration 0013) move the 'inbox_gate' row of
//     change_counters in the writer's own transaction, and at most once
//     per GenerationBound the first call here reads that row (pollGate)
//     and clears the cache when it moved.
//
// So an answer is kept until a policy or a block actually changes, or for
// GateTTL at most, and the common call runs no query at all.
func (s *Store) InboxGate(ctx context.Context, host, actorIRI string) (policy string, accountBlocked bool, err error) {
	if s.inTx || s.gate == nil {
		return s.inboxGate(ctx, host, actorIRI)
	}
	c := s.gate
	if c.pollDue() {
		if err := s.pollGate(ctx); err != nil {
			// Fail safe: without the counter the cache cannot be
			// trusted, so this call asks the database and keeps nothing
			// (if the database is down, the gate query's error is what
			// the caller sees). Calls that do not poll meanwhile serve
			// the cache only while the last successful poll is younger
			// than gateStale (fresh).
			return s.inboxGate(ctx, host, actorIRI)
		}
	}
	key := gateKey{host: host, actor: actorIRI}
	now := s.clock() // the store's clock, so that tests can age the cache
	if c.fresh() {
		if a, ok := c.get(key, now); ok {
			return a.policy, a.blocked, nil
		}
	}
	gen := c.generation()
	if policy, accountBlocked, err = s.inboxGate(ctx, host, actorIRI); err != nil {
		return "", false, err
	}
	// Only answers that let the sender through as any other are kept: a
	// refusal or a silence is rare, so it is read afresh every time, and
	// lifting one (from this process or another, such as a CLI command)
	// applies to the very next POST.
	if (policy == "" || policy == PolicyAllow) && !accountBlocked {
		c.put(key, gateAnswer{policy: policy, blocked: accountBlocked, at: now}, gen)
	}
	return policy, accountBlocked, nil
}

// ForgetInboxGate clears the cached answers of InboxGate. The Store's own
// writes of domain policies and account blocks call it; federation calls it
// again once the transaction that made such a change has committed, so
// that an answer read while the change was not yet visible is not kept.
func (s *Store) ForgetInboxGate() {
	if s.gate != nil {
		s.gate.forget()
	}
}

// pollGate reads the gate's change counter and clears the cache if it
// moved since the last read (or if there was none to compare with). One
// caller polls at a time; the others meanwhile go on with the cache as it
// is (current at the last poll, normally GenerationBound ago).
//
// Why no stale answer survives a poll: a change is committed at some time
// C, and its trigger moved the counter in the same transaction. A poll
// whose read begins after C sees the new value, and its forget then moves
// gen and empties the cache. An answer read before C is either already in
// the cache (emptied) or not yet stored: then it carries the generation
// taken before its query, hence before the forget, and put drops it. An
// answer that carries the new generation took it after the forget, so its
// query ran after the poll's read, after C, and saw the change. So a
// change made anywhere applies to every call that starts after the first
// poll begun after C: one call made GenerationBound after C begins such a
// poll itself, unless one is in flight (then it may be served the old
// answer for the length of that one small query).
func (s *Store) pollGate(ctx context.Context) error {
	c := s.gate
	if !c.pollMu.TryLock() {
		return nil // another caller is polling
	}
	defer c.pollMu.Unlock()
	began := c.since()
	if p := c.polled.Load(); p >= 0 && began-p < int64(GenerationBound) {
		return nil // polled by another caller meanwhile
	}
	var n int64
	if err := s.q.QueryRowContext(ctx, `SELECT n FROM change_counters WHERE name = 'inbox_gate'`).Scan(&n); err != nil {
		// Changes made while the counter could not be read (its row
		// deleted, say) may not have moved it: the next poll that
		// succeeds clears the cache whatever it reads.
		c.known = false
		return fmt.Errorf("storage: inbox gate changes: %w", err)
	}
	if !c.known || n != c.last {
		c.forget()
		c.last, c.known = n, true
	}
	c.polled.Store(began)
	return nil
}

// inboxGate reads both answers in one round trip.
func (s *Store) inboxGate(ctx context.Context, host, actorIRI string) (policy string, accountBlocked bool, err error) {
	if s.gate != nil {
		s.gate.queries.Add(1)
	}
	args := []any{actorIRI, host}
	for i := 0; i < len(host); i++ {
		if host[i] == '.' {
			args = append(args, host[i+1:])
		}
	}
	if err := s.q.QueryRowContext(ctx, gateQuery(len(args)-1), args...).Scan(&policy, &accountBlocked); err != nil {
		return "", false, fmt.Errorf("storage: inbox gate %s: %w", host, err)
	}
	return policy, accountBlocked, nil
}

// gateQueries holds the gate's query for each number of candidate domains
// (a host with n labels has n-1 candidates, its own and its parents').
var gateQueries sync.Map // int -> string

func gateQuery(domains int) string {
	if q, ok := gateQueries.Load(domains); ok {
		return q.(string)
	}
	var q strings.Builder
	q.WriteString(`SELECT COALESCE((SELECT policy FROM domain_policies WHERE domain IN (`)
	for i := 0; i < domains; i++ {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "$%d", i+2)
	}
	q.WriteString(`) ORDER BY LENGTH(domain) DESC LIMIT 1), ''),
		EXISTS (SELECT 1 FROM account_blocks WHERE actor_iri = $1)`)
	gateQueries.Store(domains, q.String())
	return q.String()
}

const (
	// GateTTL is the longest an answer of InboxGate is kept. It is a
	// safety net only: answers go as soon as a policy or a block changes
	// (see InboxGate), so this bounds the harm of a change that moved no
	// counter (a trigger dropped by hand, a restored backup).
	GateTTL = 10 * time.Minute
	// gateStale is how long the cache is still served after the last
	// successful read of the change counter: if that read keeps failing,
	// a change made elsewhere applies within this time, as it did when it
	// was the cache's only bound, and every call reads the gate afresh.
	gateStale = 3 * time.Second
	// gateEntries bounds the cache: outsiders choose the actors and hosts
	// that are its keys.
	gateEntries = 4096
)

type gateKey struct{ host, actor string }

type gateAnswer struct {
	policy  string
	blocked bool
	at      time.Time
}

// gateCache is the cache of InboxGate's answers of one Store (its
// transactions read around it). gen moves on every forget, so an answer
// read before a change but stored after it is dropped.
type gateCache struct {
	mu      sync.Mutex
	gen     uint64
	answers map[gateKey]gateAnswer

	// The change counter's poll (pollGate). Its times are monotonic
	// durations since start, not the Store's clock, which tests move by
	// hand.
	start  time.Time
	polled atomic.Int64 // when the last successful poll began, ns since start; <0 never
	pollMu sync.Mutex   // one poll at a time; guards last and known
	last   int64        // the counter at the last successful poll
	known  bool         // whether last has been read

	queries atomic.Int64 // gate queries run, for tests
}

func newGateCache() *gateCache {
	c := &gateCache{answers: map[gateKey]gateAnswer{}, start: time.Now()}
	c.polled.Store(-1)
	return c
}

func (c *gateCache) since() int64 { return int64(time.Since(c.start)) }

// pollDue says whether the change counter was last read GenerationBound
// ago or more (or never).
func (c *gateCache) pollDue() bool {
	p := c.polled.Load()
	return p < 0 || c.since()-p >= int64(GenerationBound)
}

// fresh says whether the cache may be served: the change counter was read
// successfully less than gateStale ago.
func (c *gateCache) fresh() bool {
	p := c.polled.Load()
	return p >= 0 && c.since()-p < int64(gateStale)
}

func (c *gateCache) get(k gateKey, now time.Time) (gateAnswer, bool) {
	c.mu.Lock()
	a, ok := c.answers[k]
	c.mu.Unlock()
	if !ok || now.Sub(a.at) >= GateTTL || now.Before(a.at) {
		return gateAnswer{}, false
	}
	return a, true
}

func (c *gateCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps an answer read at generation gen, unless the cache was cleared
// since. A full cache drops what has expired, and if that frees nothing,
// everything: each answer dropped costs one query to read again.
func (c *gateCache) put(k gateKey, a gateAnswer, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.answers) >= gateEntries {
		for key, old := range c.answers {
			if a.at.Sub(old.at) >= GateTTL {
				delete(c.answers, key)
			}
		}
		if len(c.answers) >= gateEntries {
			clear(c.answers)
		}
	}
	c.answers[k] = a
}

func (c *gateCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.answers)
}
