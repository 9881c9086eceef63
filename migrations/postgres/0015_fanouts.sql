-- Fan-outs still being queued (storage/fanout.go). A publish commits its
-- activity with the deliveries to the first few follower inboxes and a row
-- here; the rest are queued right after, in short transactions, and the
-- row goes last. A row left behind (a crash in between) is finished by
-- the inbox worker's periodic round. Finishing is idempotent: an inbox
-- already queued for the activity is skipped.
CREATE TABLE fanouts (
    activity_id     TEXT PRIMARY KEY REFERENCES activities (id) ON DELETE CASCADE,
    signer_actor_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    actor_id        TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL
);
