package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// NodeSettings are the node-wide settings kept in the database (so that the
// admin interface and `tadamun node set` can change them without a restart).
// Empty fields are unset: the web side then falls back to the domain as the
// name, no description, and its configured default language.
type NodeSettings struct {
	Name        string // the site's name, shown instead of the bare domain
	Description string // one or two sentences: meta description, NodeInfo
	Language    string // default language of the interface, a BCP 47 tag
	UpdatedAt   time.Time
}

// Limits on node settings, in characters.
const (
	MaxNodeNameLength        = 100
	MaxNodeDescriptionLength = 500
)

// The keys of the settings table.
const (
	settingName        = "site_name"
	settingDescription = "site_description"
	settingLanguage    = "default_language"
)

// Validate reports the first problem with the settings, in words fit for the
// person who typed them, and canonicalises the language tag.
func (n *NodeSettings) Validate() error {
	if !utf8.ValidString(n.Name) || !utf8.ValidString(n.Description) {
		return fmt.Errorf("settings must be valid UTF-8")
	}
	if utf8.RuneCountInString(n.Name) > MaxNodeNameLength {
		return fmt.Errorf("the name must have at most %d characters", MaxNodeNameLength)
	}
	if utf8.RuneCountInString(n.Description) > MaxNodeDescriptionLength {
		return fmt.Errorf("the description must have at most %d characters", MaxNodeDescriptionLength)
	}
	for _, r := range n.Name + n.Description {
		if r < 0x20 && r != '\n' || r == 0x7f {
			return fmt.Errorf("the name and description must not hold control characters")
		}
	}
	if n.Language != "" {
		tag, err := language.Parse(n.Language)
		if err != nil || len(n.Language) > 35 {
			return fmt.Errorf("language %q is not a language tag such as ar, en or ckb", n.Language)
		}
		n.Language = tag.String()
	}
	return nil
}

// NodeSettings returns the node's settings in one query; unset fields are
// empty and UpdatedAt is the latest change (zero if never set).
func (s *Store) NodeSettings(ctx context.Context) (NodeSettings, error) {
	var n NodeSettings
	rows, err := s.q.QueryContext(ctx, `SELECT key, value, updated_at FROM settings WHERE key IN ($1, $2, $3)`,
		settingName, settingDescription, settingLanguage)
	if err != nil {
		return n, fmt.Errorf("storage: node settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, value string
		var at time.Time
		if err := rows.Scan(&key, &value, &at); err != nil {
			return n, fmt.Errorf("storage: node settings: %w", err)
		}
		switch key {
		case settingName:
			n.Name = value
		case settingDescription:
			n.Description = value
		case settingLanguage:
			n.Language = value
		}
		if at.After(n.UpdatedAt) {
			n.UpdatedAt = at.UTC()
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("storage: node settings: %w", err)
	}
	return n, nil
}

// SetNodeSettings replaces all the node's settings at once (an empty field
// unsets it). Invalid settings give an error and change nothing.
func (s *Store) SetNodeSettings(ctx context.Context, n NodeSettings) error {
	if err := n.Validate(); err != nil {
		return fmt.Errorf("storage: node settings: %w", err)
	}
	defer s.settingsWrites.Add(1) // after the commit (SettingsWrites)
	return s.Tx(ctx, func(tx *Store) error {
		t := tx.now()
		for _, kv := range [][2]string{{settingName, n.Name}, {settingDescription, n.Description}, {settingLanguage, n.Language}} {
			var err error
			if kv[1] == "" {
				_, err = tx.q.ExecContext(ctx, `DELETE FROM settings WHERE key = $1`, kv[0])
			} else {
				_, err = tx.q.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
					ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, kv[0], kv[1], t)
			}
			if err != nil {
				return fmt.Errorf("storage: set node settings %s: %w", kv[0], err)
			}
		}
		return nil
	})
}

// SettingsWrites counts the changes of the node settings made through this
// Store (and its transactions) since it was opened. A cache of the
// settings that remembers this number with what it read, read before the
// settings, knows that a change made in this process is not in it; a
// change made by another process shows through its own bound (the web
// server's is a few seconds).
func (s *Store) SettingsWrites() uint64 { return s.settingsWrites.Load() }

// Federation modes. In the open mode (the default) the node federates with
// every server that is not blocked; in the allow-list mode only with the
// domains given the allow policy (and their subdomains): others get 403
// before any key of theirs is fetched, and nothing is delivered to them.
const (
	FederationOpen      = "open"
	FederationAllowList = "allowlist"
)

const settingFederation = "federation_mode"

// FederationMode returns FederationOpen or FederationAllowList.
func (s *Store) FederationMode(ctx context.Context) (string, error) {
	var mode string
	err := s.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, settingFederation).Scan(&mode)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && mode != FederationAllowList) {
		return FederationOpen, nil
	}
	if err != nil {
		return "", fmt.Errorf("storage: federation mode: %w", err)
	}
	return mode, nil
}

// SetFederationMode sets the federation mode; anything but the two modes is
// refused with ErrInvalid.
func (s *Store) SetFederationMode(ctx context.Context, mode string) error {
	if mode != FederationOpen && mode != FederationAllowList {
		return fmt.Errorf("storage: federation mode %q: use %s or %s", mode, FederationOpen, FederationAllowList)
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, settingFederation, mode, s.now())
	if err != nil {
		return fmt.Errorf("storage: set federation mode: %w", err)
	}
	return nil
}
