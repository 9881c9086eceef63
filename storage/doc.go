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
//
// Speed (prepared.go, version.go): on SQLite every query runs through a
// prepared statement kept for the life of the pool (pgx keeps its own on
// PostgreSQL). Readers' lists page by keyset on (published_at, id) indexes,
// never by OFFSET. A trigger-kept change counter gives a version of what
// readers see in one indexed look-up (ReadersVersion, StatementsVersion);
// answers over the whole table (CountVisible, Languages) are kept under it.
// QueryCount lets tests hold each page to a number of queries.
package storage
