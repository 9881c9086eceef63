-- Inbound activities as the inbox accepted them, waiting to be filed into
-- activities by the inbox worker (storage/inbox_save.go).
--
-- The inbox answers 202 once an activity is on disk. Written straight into
-- activities, each one updated five B-trees, among them the unique index
-- of the IRI, where every new row lands on a random page: most of what a
-- group commit wrote and flushed. Here a row touches only the end of one
-- B-tree, so a commit writes a page or two. The worker moves the rows into
-- activities in large batches (deduplicating by IRI there) and deletes
-- them from here in the same transaction.
CREATE TABLE inbox_queue (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL,
    iri             TEXT NOT NULL CHECK (iri <> ''),
    activity_type   TEXT NOT NULL,
    actor_iri       TEXT NOT NULL,
    object_iri      TEXT NOT NULL DEFAULT '',
    local_actor_id  TEXT,
    statement_id    TEXT,
    body            TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
