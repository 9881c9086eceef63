package storage

import "errors"

// ErrNotFound is returned when the row asked for does not exist (or is not
// visible). Callers test for it with errors.Is; it is never signalled by a
// nil result.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would break a uniqueness rule, e.g. a
// username or a slug that is already taken.
var ErrConflict = errors.New("already exists")
