// Package storage owns Tadamun's state: the domain types (actors, statements,
// translations, users and the actors given to them, node settings, remote
// actors, followers, activities, deliveries, ...),
// the sentinel errors, and the one store that reads and writes them.
//
// Only this package speaks SQL and imports database drivers. The same store
// code runs on SQLite (modernc.org/sqlite, the embedded default, in WAL mode)
// and on PostgreSQL (jackc/pgx/v5, for production and for several processes
// sharing one database). Both accept $1 parameters, ON CONFLICT and RETURNING;
// the few real differences (taking the migration lock, claiming queued work,
// classifying constraint errors) live in dialect.go and are named there.
//
// Times are stored in UTC with microsecond precision in both dialects.
package storage
