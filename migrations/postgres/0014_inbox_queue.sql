-- Inbound activities as the inbox accepted them, waiting to be filed into
-- activities by the inbox worker (storage/inbox_save.go).
--
-- The inbox answers 202 once an activity is on disk. Written straight into
-- activities, each one updated five B-trees, among them the unique index
-- of the IRI, where every new row lands on a random page. Here a row
-- touches only the end of one B-tree. The inbox workers of every process
-- move the rows into activities in large batches (deduplicating by IRI
-- there; FOR UPDATE SKIP LOCKED keeps two processes off the same rows) and
-- delete them from here in the same statement.
CREATE TABLE inbox_queue (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL,
    iri             TEXT NOT NULL CHECK (iri <> ''),
    activity_type   TEXT NOT NULL,
    actor_iri       TEXT NOT NULL,
    object_iri      TEXT NOT NULL DEFAULT '',
    local_actor_id  TEXT,
    statement_id    TEXT,
    body            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
