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

	"golang.org/x/crypto/bcrypt"
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
	DisabledAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// MinPasswordLength is the shortest password CreateUser accepts.
const MinPasswordLength = 10

// HashPassword returns a bcrypt hash of password. bcrypt reads at most 72
// bytes, so longer passwords are refused rather than silently truncated.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
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

const userColumns = `id, username, password_hash, role, disabled_at, created_at, updated_at`

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
	_, err := s.q.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, NULL, $5, $6)`,
		u.ID, u.Username, u.PasswordHash, u.Role, u.CreatedAt, u.UpdatedAt)
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
	err := r.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &dis, &u.CreatedAt, &u.UpdatedAt)
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
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT u.id, u.username, u.password_hash, u.role, u.disabled_at,
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
