package federation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tadamun/tadamun/storage"
)

// Domain policies, as the operator sets them:
//
//   - block: everything from the domain and its subdomains is refused (the
//     inbox answers 403, signed fetches of our documents too), and follows of
//     our actors by its accounts end when the block is set, so nothing more
//     is delivered there.
//   - silence: the domain may talk to us, but nothing from it is taken on
//     trust: a follow waits for an editor's approval even when the actor
//     accepts followers automatically, and replies wait for moderation (as
//     every reply does). Relaying partners' posts, built later, will never
//     relay a silenced domain's.
//   - allow: recorded for the allow-list mode of a later release; today it
//     only makes an exception to a block of a parent domain (the policy of
//     the nearest domain applies).

// ErrUnknownDomain marks a domain name that cannot be a policy's subject.
var ErrUnknownDomain = errors.New("not a domain name")

// NormalizeDomain checks a domain name given by an operator and returns it
// in the form policies are looked up by: lower case, without a final dot.
// Only a bare host name or IPv4 address is taken; a URL, a port or a
// handle is refused, so that a policy never silently fails to match.
func NormalizeDomain(raw string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(raw)), ".")
	if d == "" || len(d) > 253 {
		return "", fmt.Errorf("%w: %q", ErrUnknownDomain, raw)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("%w: %q (give a host name such as social.example)", ErrUnknownDomain, raw)
		}
		for _, c := range label {
			if c > 0x7f {
				return "", fmt.Errorf("%w: %q (give an international name in its xn-- form)", ErrUnknownDomain, raw)
			}
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", fmt.Errorf("%w: %q (give a host name such as social.example, without scheme, port or path)", ErrUnknownDomain, raw)
			}
		}
	}
	return d, nil
}

// SetDomainPolicy sets the policy of a domain (replacing any it had) and
// returns how many follows of our actors it ended: a block ends those of
// the domain's accounts, in the same transaction.
func (s *Service) SetDomainPolicy(ctx context.Context, domain, policy, reason string) (int, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return 0, domainRefusal(domain, err)
	}
	switch policy {
	case storage.PolicyBlock, storage.PolicySilence, storage.PolicyAllow:
	default:
		return 0, reject("policy %q: use block, silence or allow", policy)
	}
	removed, undone := 0, 0
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.SetDomainPolicy(ctx, d, policy, strings.TrimSpace(reason)); err != nil {
			return err
		}
		if policy != storage.PolicyBlock {
			return nil
		}
		if removed, err = tx.RemoveFollowersOnDomain(ctx, d); err != nil {
			return err
		}
		// What was queued for the domain before the block is not sent
		// after it.
		if _, err := tx.FailDeliveriesTo(ctx, d, "domain blocked"); err != nil {
			return err
		}
		// Nor do we go on relaying its posts to our followers.
		var err error
		undone, err = s.undoRelaysWhere(ctx, tx, nil, func(o *storage.RemoteObject) (bool, error) {
			p, err := tx.DomainPolicy(ctx, domainOf(o.IRI))
			return p == storage.PolicyBlock, err
		})
		return err
	})
	s.policyChanged() // also after a failed commit: it may have landed
	if err != nil {
		return 0, fmt.Errorf("federation: domain %s: %w", policy, err)
	}
	if undone > 0 {
		s.wake() // the Undos of those relays go to our followers
	}
	s.log.InfoContext(ctx, "domain policy set", "domain", d, "policy", policy, "followers_removed", removed)
	return removed, nil
}

// RemoveDomainPolicy lifts a domain's own policy.
func (s *Service) RemoveDomainPolicy(ctx context.Context, domain string) error {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return domainRefusal(domain, err)
	}
	err = s.store.RemoveDomainPolicy(ctx, d)
	s.policyChanged()
	if errors.Is(err, storage.ErrNotFound) {
		return reject("%s has no policy of its own (see 'tadamun domain list')", d)
	}
	if err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	s.log.InfoContext(ctx, "domain policy removed", "domain", d)
	return nil
}

// silenced reports whether the remote actor's domain is silenced.
func (s *Service) silenced(ctx context.Context, remote *storage.RemoteActor) (bool, error) {
	p, err := s.store.DomainPolicy(ctx, domainOf(remote.IRI))
	if err != nil {
		return false, fmt.Errorf("federation: %w", err)
	}
	return p == storage.PolicySilence, nil
}

// withoutBlocked drops the inboxes on blocked domains from a delivery list
// (and, in the allow-list mode, those on domains not allowed).
// Followers there were removed when the block was set, but a mention, the
// author of a post we answer or someone who interacted may still be on one.
func withoutBlocked(ctx context.Context, tx *storage.Store, inboxes []string) ([]string, error) {
	if len(inboxes) == 0 {
		return inboxes, nil
	}
	isRefused, err := refusedHosts(ctx, tx)
	if err != nil || isRefused == nil {
		return inboxes, err
	}
	out := make([]string, 0, len(inboxes))
	for _, in := range inboxes {
		if u, err := url.Parse(in); err == nil && isRefused(u.Host) {
			continue
		}
		out = append(out, in)
	}
	return out, nil
}

// nearestPolicy is the policy of host or of its nearest parent domain that
// has one, as storage.DomainPolicy decides it.
func nearestPolicy(policy map[string]string, host string) string {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	for {
		if p, ok := policy[h]; ok {
			return p
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			return ""
		}
		h = h[i+1:]
	}
}

// modeTTL is how long a process trusts the federation mode it read: a
// change made by another process (or the CLI) takes effect within it.
const modeTTL = 5 * time.Second

// modeCache is the federation mode as last read, and when.
type modeCache struct {
	mu   sync.Mutex
	mode string
	at   time.Time
}

// FederationMode returns storage.FederationOpen or
// storage.FederationAllowList, read from the database at most every
// modeTTL.
func (s *Service) FederationMode(ctx context.Context) (string, error) {
	s.mode.mu.Lock()
	defer s.mode.mu.Unlock()
	now := time.Now()
	if s.mode.mode != "" && now.Sub(s.mode.at) < modeTTL {
		return s.mode.mode, nil
	}
	m, err := s.store.FederationMode(ctx)
	if err != nil {
		return "", fmt.Errorf("federation: %w", err)
	}
	s.mode.mode, s.mode.at = m, now
	return m, nil
}

// SetFederationMode switches between the open and the allow-list mode. In
// the allow-list mode only the domains given the allow policy (and their
// subdomains) may deliver to us or fetch our documents; everything else
// gets 403 before any key is fetched, and nothing is delivered to it.
func (s *Service) SetFederationMode(ctx context.Context, mode string) error {
	if mode != storage.FederationOpen && mode != storage.FederationAllowList {
		return reject("federation mode %q: use %s or %s", mode, storage.FederationOpen, storage.FederationAllowList)
	}
	if err := s.store.SetFederationMode(ctx, mode); err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	s.mode.mu.Lock()
	s.mode.mode, s.mode.at = mode, time.Now()
	s.mode.mu.Unlock()
	return nil
}

// refused reports whether a domain's policy shuts it out in the given
// mode: blocked, or not allowed while the node federates only with the
// domains it lists.
func refused(policy, mode string) bool {
	return policy == storage.PolicyBlock || mode == storage.FederationAllowList && policy != storage.PolicyAllow
}

// SignedFetchRequired reports whether our ActivityPub documents answer
// only signed GETs: in authorized-fetch mode, and always in the allow-list
// mode (a fetch must show which server it comes from to be allowed).
func (s *Service) SignedFetchRequired(ctx context.Context) (bool, error) {
	if s.authorizedFetch {
		return true, nil
	}
	m, err := s.FederationMode(ctx)
	return m == storage.FederationAllowList, err
}
