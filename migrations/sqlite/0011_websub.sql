-- WebSub (push to feed readers). The node as its own hub keeps its
-- verified subscribers here: one row per (topic, callback), active until
-- expires_at. Rows past it get nothing and are pruned.
CREATE TABLE websub_subscriptions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    topic         TEXT NOT NULL,
    callback      TEXT NOT NULL,
    host          TEXT NOT NULL,
    secret        TEXT NOT NULL DEFAULT '',
    lease_seconds INTEGER NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    UNIQUE (topic, callback)
);
CREATE INDEX websub_subscriptions_expires_idx ON websub_subscriptions (expires_at);
CREATE INDEX websub_subscriptions_host_idx ON websub_subscriptions (host);

-- The outbound WebSub queue: verifications of intent (GET to a callback),
-- pushes of a feed to a subscriber, and pings of external hubs. Rows are
-- claimed with a lease like deliveries and deleted once settled.
CREATE TABLE websub_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL CHECK (kind IN ('verify', 'push', 'ping')),
    topic           TEXT NOT NULL,
    target          TEXT NOT NULL,
    host            TEXT NOT NULL,
    mode            TEXT NOT NULL DEFAULT '',
    secret          TEXT NOT NULL DEFAULT '',
    lease_seconds   INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP,
    locked_by       TEXT NOT NULL DEFAULT '',
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX websub_jobs_due_idx ON websub_jobs (next_attempt_at, id);
CREATE INDEX websub_jobs_target_idx ON websub_jobs (kind, topic, target);
CREATE INDEX websub_jobs_host_idx ON websub_jobs (host);

-- The last content seen of each feed selection ("node", "actor:NAME",
-- "tag:NAME", "lang:TAG"): a process that moves a row from one version to
-- the next is the one that queues the pushes and pings for that change,
-- so several processes on one database push each change once.
CREATE TABLE websub_topics (
    selection  TEXT PRIMARY KEY,
    version    TEXT NOT NULL,
    checked_at TIMESTAMP NOT NULL
);
