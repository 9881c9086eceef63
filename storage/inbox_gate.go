package storage

import (
	"context"
	"fmt"
	"strings"
)

// InboxGate answers, in one round trip, the two questions the inbox asks of
// every POST before it looks at the signing key: the domain policy that
// applies to host (as DomainPolicy: its own or its nearest parent's, "" for
// none), and whether the account actorIRI is blocked (as AccountBlocked).
func (s *Store) InboxGate(ctx context.Context, host, actorIRI string) (policy string, accountBlocked bool, err error) {
	args := []any{actorIRI, host}
	for i := 0; i < len(host); i++ {
		if host[i] == '.' {
			args = append(args, host[i+1:])
		}
	}
	var q strings.Builder
	q.WriteString(`SELECT COALESCE((SELECT policy FROM domain_policies WHERE domain IN (`)
	for i := 2; i <= len(args); i++ {
		if i > 2 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "$%d", i)
	}
	q.WriteString(`) ORDER BY LENGTH(domain) DESC LIMIT 1), ''),
		EXISTS (SELECT 1 FROM account_blocks WHERE actor_iri = $1)`)
	if err := s.q.QueryRowContext(ctx, q.String(), args...).Scan(&policy, &accountBlocked); err != nil {
		return "", false, fmt.Errorf("storage: inbox gate %s: %w", host, err)
	}
	return policy, accountBlocked, nil
}
