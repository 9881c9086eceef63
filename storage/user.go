package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/language"
)

// User roles. Admins manage users, actors and moderation; editors write.
const (
	RoleAdmin  = "admin"
	RoleEditor = "editor"
)

// User is a person who signs in to the admin interface.
type User struct {
	ID           string
	Username     string
	PasswordHash string // bcrypt
	Role         string
	// Language is the interface language the user chose for the admin (a
	// BCP 47 tag), or "" when they chose none.
	Language   string
	DisabledAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// MinPasswordLength is the shortest password CreateUser accepts.
const MinPasswordLength = 10

// HashPassword returns a bcrypt hash of password. bcrypt reads at most 72
// bytes, so longer passwords are refused rather than silently truncated.
func HashPassword(password string) (string, error) {
	if utf8.RuneCountInString(password) < MinPasswordLength { // characters, not bytes: an Arabic letter is two
		return "", fmt.Errorf("password must have at least %d characters", MinPasswordLength)
	}
	if len(password) > 72 {
		return "", errors.New("password must have at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches the user's hash.
func (u *User) CheckPassword(password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
}

const userColumns = `id, username, password_hash, role, language, disabled_at, created_at, updated_at`

// CreateUser stores a new user. A taken username gives ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	if !ValidUsername(u.Username) {
		return fmt.Errorf("storage: create user: invalid username %q (use 1-30 of a-z, 0-9, _)", u.Username)
	}
	if u.Role != RoleAdmin && u.Role != RoleEditor {
		return fmt.Errorf("storage: create user: unknown role %q", u.Role)
	}
	u.ID = NewID()
	u.CreatedAt = s.now()
	u.UpdatedAt = u.CreatedAt
	_, err := s.q.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7)`,
		u.ID, u.Username, u.PasswordHash, u.Role, u.Language, u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return fmt.Errorf("storage: create user %s: %w", u.Username, s.dialect.classify(err))
	}
	return nil
}

// UserByUsername returns the user, or ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (*User, error) {
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
	if err != nil {
		return nil, fmt.Errorf("storage: user %q: %w", username, err)
	}
	return u, nil
}

// CountUsers returns how many users exist; zero means the node still needs
// its first admin.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: count users: %w", err)
	}
	return n, nil
}

func scanUser(r scanner) (*User, error) {
	var u User
	var dis sql.NullTime
	err := r.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &u.Language, &dis, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	u.DisabledAt = nullTime(dis)
	return &u, nil
}

// Session is a signed-in browser. Only a hash of its token is stored, so a
// leaked database does not leak usable sessions.
type Session struct {
	UserID     string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreateSession starts a session for the user and returns the token to put
// in the cookie.
func (s *Store) CreateSession(ctx context.Context, userID, userAgent string, ttl time.Duration) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("storage: session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	t := s.now()
	_, err := s.q.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, user_agent, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $4, $5)`, tokenHash(token), userID, userAgent, t, t.Add(ttl))
	if err != nil {
		return "", fmt.Errorf("storage: create session: %w", err)
	}
	return token, nil
}

// UserBySession returns the user of an unexpired session whose account is
// not disabled, or ErrNotFound.
func (s *Store) UserBySession(ctx context.Context, token string) (*User, error) {
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT u.id, u.username, u.password_hash, u.role, u.language, u.disabled_at,
		u.created_at, u.updated_at FROM sessions x JOIN users u ON u.id = x.user_id
		WHERE x.token_hash = $1 AND x.expires_at > $2 AND u.disabled_at IS NULL`, tokenHash(token), s.now()))
	if err != nil {
		return nil, fmt.Errorf("storage: session: %w", err)
	}
	return u, nil
}

// DeleteSession ends a session (sign-out).
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash(token)); err != nil {
		return fmt.Errorf("storage: delete session: %w", err)
	}
	return nil
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// UserByID returns the user, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("storage: user %s: %w", id, err)
	}
	return u, nil
}

// ListUsers returns every user ordered by username.
func (s *Store) ListUsers(ctx context.Context) ([]*User, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("storage: list users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list users: %w", err)
	}
	return out, nil
}

// UserActors returns the ids of the actors given to the user, ordered by the
// actors' usernames. Admins work on every actor whatever this returns.
func (s *Store) UserActors(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT ua.actor_id FROM user_actors ua JOIN actors a ON a.id = ua.actor_id
		WHERE ua.user_id = $1 ORDER BY a.username`, userID)
	if err != nil {
		return nil, fmt.Errorf("storage: user %s actors: %w", userID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("storage: user %s actors: %w", userID, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: user %s actors: %w", userID, err)
	}
	return out, nil
}

// SetUserActors replaces the actors given to the user with actorIDs
// (duplicates ignored; empty takes every actor away). An unknown user or
// actor gives ErrNotFound and changes nothing.
func (s *Store) SetUserActors(ctx context.Context, userID string, actorIDs []string) error {
	return s.Tx(ctx, func(tx *Store) error {
		if err := tx.touchUser(ctx, userID); err != nil {
			return fmt.Errorf("storage: set user actors: %w", err)
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM user_actors WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("storage: set user actors: %w", err)
		}
		seen := make(map[string]bool, len(actorIDs))
		for _, id := range actorIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			var one int
			err := tx.q.QueryRowContext(ctx, `SELECT 1 FROM actors WHERE id = $1`, id).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("storage: set user actors: actor %s: %w", id, ErrNotFound)
			}
			if err != nil {
				return fmt.Errorf("storage: set user actors: %w", err)
			}
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO user_actors (user_id, actor_id) VALUES ($1, $2)`, userID, id); err != nil {
				return fmt.Errorf("storage: set user actors: %w", err)
			}
		}
		return nil
	})
}

// touchUser sets the user's updated_at, or gives ErrNotFound.
func (s *Store) touchUser(ctx context.Context, userID string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET updated_at = $2 WHERE id = $1`, userID, s.now())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("user %s: %w", userID, ErrNotFound)
	}
	return nil
}

// MaxUserLanguageLength bounds a user's language tag (BCP 47 tags of
// shipped catalogues are a few letters; 35 is the longest tag worth
// keeping, as for the node's language).
const MaxUserLanguageLength = 35

// SetUserLanguage keeps the interface language the user chose for the
// admin: a BCP 47 tag, or "" to choose none again. Which tags are shipped
// is the interface's concern; here the tag only has to be a short,
// well-formed one. An unknown user gives ErrNotFound.
func (s *Store) SetUserLanguage(ctx context.Context, userID, lang string) error {
	if lang != "" {
		if len(lang) > MaxUserLanguageLength {
			return fmt.Errorf("storage: set user language: tag too long")
		}
		if _, err := language.Parse(lang); err != nil {
			return fmt.Errorf("storage: set user language %q: not a language tag", lang)
		}
	}
	res, err := s.q.ExecContext(ctx, `UPDATE users SET language = $2, updated_at = $3 WHERE id = $1`, userID, lang, s.now())
	if err != nil {
		return fmt.Errorf("storage: set user language: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("storage: set user language: %w", err)
	} else if n == 0 {
		return fmt.Errorf("storage: set user language: user %s: %w", userID, ErrNotFound)
	}
	return nil
}

// SetPassword replaces the user's password hash (from HashPassword) and, in
// the same transaction, ends every session of the user: a password change
// signs the account out everywhere. An unknown user gives ErrNotFound.
func (s *Store) SetPassword(ctx context.Context, userID, hash string) error {
	if hash == "" {
		return errors.New("storage: set password: empty hash")
	}
	return s.Tx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, `UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1`,
			userID, hash, tx.now())
		if err != nil {
			return fmt.Errorf("storage: set password: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("storage: set password: %w", err)
		} else if n == 0 {
			return fmt.Errorf("storage: set password: user %s: %w", userID, ErrNotFound)
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("storage: set password: end sessions: %w", err)
		}
		return nil
	})
}

// ErrLastAdmin is returned (wrapped, and matching ErrConflict) when a change
// would leave the node without an admin.
var ErrLastAdmin = fmt.Errorf("%w: the node must keep at least one admin", ErrConflict)

// otherAdmins counts the admins other than userID. On PostgreSQL it first
// locks the admin rows so that two transactions demoting or deleting two
// different admins at once cannot both see the other one; SQLite has a
// single writer, so nothing is needed there.
func (s *Store) otherAdmins(ctx context.Context, userID string) (int, error) {
	if s.dialect.name == "postgres" {
		rows, err := s.q.QueryContext(ctx, `SELECT id FROM users WHERE role = $1 FOR UPDATE`, RoleAdmin)
		if err != nil {
			return 0, err
		}
		for rows.Next() { // read every row so that every one is locked
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = $1 AND id <> $2`, RoleAdmin, userID).Scan(&n)
	return n, err
}

// SetRole changes the user's role to admin or editor. Demoting the last
// admin gives ErrLastAdmin (an ErrConflict); an unknown user ErrNotFound.
// An editor's actors are kept, so promoting and demoting again restores them.
func (s *Store) SetRole(ctx context.Context, userID, role string) error {
	if role != RoleAdmin && role != RoleEditor {
		return fmt.Errorf("storage: set role: unknown role %q", role)
	}
	return s.Tx(ctx, func(tx *Store) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return fmt.Errorf("storage: set role: %w", err)
		}
		if u.Role == RoleAdmin && role != RoleAdmin {
			n, err := tx.otherAdmins(ctx, userID)
			if err != nil {
				return fmt.Errorf("storage: set role: %w", err)
			}
			if n == 0 {
				return fmt.Errorf("storage: set role of %s: %w", u.Username, ErrLastAdmin)
			}
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE users SET role = $2, updated_at = $3 WHERE id = $1`,
			userID, role, tx.now()); err != nil {
			return fmt.Errorf("storage: set role: %w", err)
		}
		return nil
	})
}

// DeleteUser deletes the user with their sessions and actor grants. Deleting
// the last admin gives ErrLastAdmin (an ErrConflict); an unknown user
// ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, userID string) error {
	return s.Tx(ctx, func(tx *Store) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return fmt.Errorf("storage: delete user: %w", err)
		}
		if u.Role == RoleAdmin {
			n, err := tx.otherAdmins(ctx, userID)
			if err != nil {
				return fmt.Errorf("storage: delete user: %w", err)
			}
			if n == 0 {
				return fmt.Errorf("storage: delete user %s: %w", u.Username, ErrLastAdmin)
			}
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, userID); err != nil {
			return fmt.Errorf("storage: delete user: %w", err)
		}
		return nil
	})
}
