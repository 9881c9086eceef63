-- Remote accounts blocked by the node's moderators: their inbox POSTs are
-- refused (403), their follows end and their pending replies are rejected.
-- Keyed by the actor's IRI, so a block holds even before the account is
-- fetched and after it is forgotten.
CREATE TABLE account_blocks (
    actor_iri  TEXT PRIMARY KEY,
    reason     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);
