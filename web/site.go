package web

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tadamun/tadamun/storage"
)

// siteTTL is how long a process keeps the node settings it read. Several
// processes may share one PostgreSQL database and any of them (or the CLI)
// may change the settings, so a change shows everywhere within this time
// without a query on every request.
const siteTTL = 5 * time.Second

// site is what pages, feeds and NodeInfo show of the node settings, with
// the defaults filled in: the domain as the name, no description.
type site struct {
	Name        string
	Description string // empty when unset
	Language    string // empty when unset
}

// siteCache holds the node settings last read and when (wall clock, not
// Config.Now: a test's frozen clock must not freeze the cache).
type siteCache struct {
	mu     sync.Mutex
	at     time.Time
	val    storage.NodeSettings
	writes uint64 // the store's SettingsWrites before val was read
}

// settingsCounter is a store that counts its own changes of the node
// settings (*storage.Store).
type settingsCounter interface{ SettingsWrites() uint64 }

// site returns the node settings, read from the store at most once per
// siteTTL, and at once after this process changed them (the admin's
// settings page).
func (s *Server) site(ctx context.Context) (site, error) {
	s.siteCache.mu.Lock()
	defer s.siteCache.mu.Unlock()
	var writes uint64
	if c, ok := s.store.(settingsCounter); ok {
		writes = c.SettingsWrites()
	}
	if s.siteCache.at.IsZero() || time.Since(s.siteCache.at) > siteTTL || writes != s.siteCache.writes {
		n, err := s.store.NodeSettings(ctx)
		if err != nil {
			return site{}, fmt.Errorf("web: node settings: %w", err)
		}
		s.siteCache.val, s.siteCache.at, s.siteCache.writes = n, time.Now(), writes
	}
	n := s.siteCache.val
	out := site{Name: n.Name, Description: n.Description, Language: n.Language}
	if out.Name == "" {
		out.Name = s.iri.Host()
	}
	return out, nil
}
