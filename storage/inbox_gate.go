package storage

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// InboxGate answers the two questions the inbox asks of every POST before
// it looks at the signing key: the domain policy that applies to host (as
// DomainPolicy: its own or its nearest parent's, "" for none), and whether
// the account actorIRI is blocked (as AccountBlocked).
//
// Outside a transaction the answer comes from a small cache when it was
// read less than GateTTL ago: a busy inbox hears from the same few
// thousand accounts again and again, and the query cost a fifth of an
// inbox POST. Only unrestricted answers are kept. Every change of a domain
// policy or an account block made through this Store clears the cache
// (ForgetInboxGate), so a block set here applies to the next POST; one
// made by another process applies within GateTTL, and lifting a block or a
// silence applies at once wherever it is made.
func (s *Store) InboxGate(ctx context.Context, host, actorIRI string) (policy string, accountBlocked bool, err error) {
	if s.inTx || s.gate == nil {
		return s.inboxGate(ctx, host, actorIRI)
	}
	key := gateKey{host: host, actor: actorIRI}
	now := s.clock() // the store's clock, so that tests can age the cache
	if a, ok := s.gate.get(key, now); ok {
		return a.policy, a.blocked, nil
	}
	gen := s.gate.generation()
	if policy, accountBlocked, err = s.inboxGate(ctx, host, actorIRI); err != nil {
		return "", false, err
	}
	// Only answers that let the sender through as any other are kept: a
	// refusal or a silence is rare, so it is read afresh every time, and
	// lifting one (from this process or another, such as a CLI command)
	// applies to the very next POST. A new block set by another process
	// applies within GateTTL.
	if (policy == "" || policy == PolicyAllow) && !accountBlocked {
		s.gate.put(key, gateAnswer{policy: policy, blocked: accountBlocked, at: now}, gen)
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

// inboxGate reads both answers in one round trip.
func (s *Store) inboxGate(ctx context.Context, host, actorIRI string) (policy string, accountBlocked bool, err error) {
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
	// GateTTL is how long an answer of InboxGate is trusted: how late a
	// block set by another process (or the CLI) may apply to inbox POSTs.
	GateTTL = 3 * time.Second
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
}

func newGateCache() *gateCache { return &gateCache{answers: map[gateKey]gateAnswer{}} }

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
