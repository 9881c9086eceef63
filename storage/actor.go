package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Actor types a local actor may have (ActivityStreams actor types).
const (
	ActorOrganization = "Organization"
	ActorPerson       = "Person"
	ActorGroup        = "Group"
	ActorService      = "Service"
	ActorApplication  = "Application" // the instance actor only
)

// Field is one profile field, shown as an ActivityStreams PropertyValue.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Actor is a local account that publishes: usually an organisation.
type Actor struct {
	ID                        string
	Username                  string // lower case, [a-z0-9_], unique on the node
	Type                      string // Organization by default
	DisplayName               string
	Summary                   string // Markdown
	AvatarPath                string // relative to the media directory; empty for none
	HeaderPath                string
	Fields                    []Field
	Languages                 []string // BCP 47 tags the actor publishes in
	ObjectType                string   // Note or Article: how statements federate by default
	PrivateKeyPEM             string
	PublicKeyPEM              string
	ManuallyApprovesFollowers bool
	Discoverable              bool
	IsInstance                bool     // the node's own Application actor, which signs fetches
	AlsoKnownAs               []string // actor IRIs this actor is also known as (set before moving here)
	MovedTo                   string   // the IRI this actor moved to, "" if it has not
	ProofKeyPEM               string   // PKCS#8 PEM of the Ed25519 key for object proofs, "" until generated
	CreatedAt                 time.Time
	UpdatedAt                 time.Time
}

var usernameRE = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// ValidUsername reports whether s can be a local username: 1 to 30 lower-case
// ASCII letters, digits or underscores, the rule Mastodon applies too, so that
// @name@host is typed the same everywhere.
func ValidUsername(s string) bool { return usernameRE.MatchString(s) }

// ValidActorType reports whether t is a type an editor may give an actor.
func ValidActorType(t string) bool {
	switch t {
	case ActorOrganization, ActorPerson, ActorGroup, ActorService:
		return true
	}
	return false
}

const actorColumns = `id, username, actor_type, display_name, summary, avatar_path, header_path, fields, languages,
	object_type, private_key_pem, public_key_pem, manually_approves_followers, discoverable, is_instance,
	created_at, updated_at, also_known_as, moved_to, proof_key_pem`

// CreateActor stores a new actor. ID, CreatedAt and UpdatedAt are filled in.
// A taken username gives ErrConflict.
func (s *Store) CreateActor(ctx context.Context, a *Actor) error {
	if !ValidUsername(a.Username) && !a.IsInstance {
		return fmt.Errorf("storage: create actor: invalid username %q", a.Username)
	}
	if a.Type == "" {
		a.Type = ActorOrganization
	}
	if a.ObjectType == "" {
		a.ObjectType = "Note"
	}
	fields, langs, err := marshalProfile(a)
	if err != nil {
		return fmt.Errorf("storage: create actor: %w", err)
	}
	aliases, err := jsonList(a.AlsoKnownAs)
	if err != nil {
		return fmt.Errorf("storage: create actor: %w", err)
	}
	a.ID = NewID()
	a.CreatedAt = s.now()
	a.UpdatedAt = a.CreatedAt
	_, err = s.q.ExecContext(ctx, `INSERT INTO actors (`+actorColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		a.ID, a.Username, a.Type, a.DisplayName, a.Summary, a.AvatarPath, a.HeaderPath, fields, langs,
		a.ObjectType, a.PrivateKeyPEM, a.PublicKeyPEM, a.ManuallyApprovesFollowers, a.Discoverable, a.IsInstance,
		a.CreatedAt, a.UpdatedAt, aliases, a.MovedTo, a.ProofKeyPEM)
	if err != nil {
		return fmt.Errorf("storage: create actor %s: %w", a.Username, s.dialect.classify(err))
	}
	return nil
}

// UpdateActor saves the editable profile of an actor (not its keys or username).
func (s *Store) UpdateActor(ctx context.Context, a *Actor) error {
	fields, langs, err := marshalProfile(a)
	if err != nil {
		return fmt.Errorf("storage: update actor: %w", err)
	}
	a.UpdatedAt = s.now()
	res, err := s.q.ExecContext(ctx, `UPDATE actors SET actor_type = $2, display_name = $3, summary = $4,
		avatar_path = $5, header_path = $6, fields = $7, languages = $8, object_type = $9,
		manually_approves_followers = $10, discoverable = $11, updated_at = $12 WHERE id = $1`,
		a.ID, a.Type, a.DisplayName, a.Summary, a.AvatarPath, a.HeaderPath, fields, langs, a.ObjectType,
		a.ManuallyApprovesFollowers, a.Discoverable, a.UpdatedAt)
	if err != nil {
		return fmt.Errorf("storage: update actor %s: %w", a.Username, err)
	}
	return mustAffect(res, "update actor "+a.Username)
}

// ActorByUsername returns the actor with that username, or ErrNotFound.
func (s *Store) ActorByUsername(ctx context.Context, username string) (*Actor, error) {
	a, err := scanActor(s.q.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors WHERE username = $1`, username))
	if err != nil {
		return nil, fmt.Errorf("storage: actor %q: %w", username, err)
	}
	return a, nil
}

// ActorByID returns the actor with that id, or ErrNotFound.
func (s *Store) ActorByID(ctx context.Context, id string) (*Actor, error) {
	a, err := scanActor(s.q.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("storage: actor %s: %w", id, err)
	}
	return a, nil
}

// InstanceActor returns the node's Application actor, or ErrNotFound if it
// has not been created yet.
func (s *Store) InstanceActor(ctx context.Context) (*Actor, error) {
	a, err := scanActor(s.q.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors WHERE is_instance`))
	if err != nil {
		return nil, fmt.Errorf("storage: instance actor: %w", err)
	}
	return a, nil
}

// ListActors returns the publishing actors (not the instance actor) by username.
func (s *Store) ListActors(ctx context.Context) ([]*Actor, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+actorColumns+` FROM actors WHERE NOT is_instance ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("storage: list actors: %w", err)
	}
	defer rows.Close()
	var out []*Actor
	for rows.Next() {
		a, err := scanActor(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list actors: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list actors: %w", err)
	}
	return out, nil
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

func scanActor(r scanner) (*Actor, error) {
	var a Actor
	var fields, langs, aliases string
	err := r.Scan(&a.ID, &a.Username, &a.Type, &a.DisplayName, &a.Summary, &a.AvatarPath, &a.HeaderPath,
		&fields, &langs, &a.ObjectType, &a.PrivateKeyPEM, &a.PublicKeyPEM, &a.ManuallyApprovesFollowers,
		&a.Discoverable, &a.IsInstance, &a.CreatedAt, &a.UpdatedAt, &aliases, &a.MovedTo, &a.ProofKeyPEM)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &a.Fields); err != nil {
		return nil, fmt.Errorf("decode fields: %w", err)
	}
	if err := json.Unmarshal([]byte(langs), &a.Languages); err != nil {
		return nil, fmt.Errorf("decode languages: %w", err)
	}
	if err := json.Unmarshal([]byte(aliases), &a.AlsoKnownAs); err != nil {
		return nil, fmt.Errorf("decode also_known_as: %w", err)
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

func marshalProfile(a *Actor) (fields, langs string, err error) {
	f := a.Fields
	if f == nil {
		f = []Field{}
	}
	l := a.Languages
	if l == nil {
		l = []string{}
	}
	fb, err := json.Marshal(f)
	if err != nil {
		return "", "", err
	}
	lb, err := json.Marshal(l)
	if err != nil {
		return "", "", err
	}
	return string(fb), string(lb), nil
}

// mustAffect turns "no row changed" into ErrNotFound.
func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("storage: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("storage: %s: %w", what, ErrNotFound)
	}
	return nil
}

// ActorsChanged is when any actor's profile last changed (zero without
// actors). Rendered lists that show actors' names, such as feeds, include
// it in their version so that a rename reaches them.
func (s *Store) ActorsChanged(ctx context.Context) (time.Time, error) {
	var t time.Time
	// ORDER BY rather than MAX(): SQLite types the column, not the aggregate, as a time.
	err := s.q.QueryRowContext(ctx, `SELECT updated_at FROM actors ORDER BY updated_at DESC LIMIT 1`).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: actors changed: %w", err)
	}
	return t.UTC(), nil
}

// SetActorAliases replaces the IRIs an actor is also known as: the accounts
// it may move from (a Move to this actor is accepted only from one of them).
func (s *Store) SetActorAliases(ctx context.Context, actorID string, aliases []string) error {
	v, err := jsonList(aliases)
	if err != nil {
		return fmt.Errorf("storage: set aliases: %w", err)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE actors SET also_known_as = $2, updated_at = $3 WHERE id = $1`, actorID, v, s.now())
	if err != nil {
		return fmt.Errorf("storage: set aliases: %w", err)
	}
	return mustAffect(res, "set aliases of "+actorID)
}

// SetActorMovedTo records that an actor moved to another address ("" to
// clear it).
func (s *Store) SetActorMovedTo(ctx context.Context, actorID, target string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE actors SET moved_to = $2, updated_at = $3 WHERE id = $1`, actorID, target, s.now())
	if err != nil {
		return fmt.Errorf("storage: set moved_to: %w", err)
	}
	return mustAffect(res, "set moved_to of "+actorID)
}

// SetActorProofKey stores the Ed25519 key (PKCS#8 PEM) that signs an actor's
// object proofs. It does not bump updated_at: a key is not a profile change.
func (s *Store) SetActorProofKey(ctx context.Context, actorID, pem string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE actors SET proof_key_pem = $2 WHERE id = $1`, actorID, pem)
	if err != nil {
		return fmt.Errorf("storage: set proof key: %w", err)
	}
	return mustAffect(res, "set proof key of "+actorID)
}

// jsonList encodes a list of strings as a JSON array, never null.
func jsonList(l []string) (string, error) {
	if l == nil {
		l = []string{}
	}
	b, err := json.Marshal(l)
	return string(b), err
}
