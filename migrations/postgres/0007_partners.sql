-- The partner network: what each follow relays, what we keep of a partner's
-- posts, the Announces we send for them, moves, and object-proof keys.

-- relay_policy: all (every public post of the partner's own), tags (only
-- posts carrying one of relay_tags, a JSON array of normalised hashtags) or
-- none (shown, never relayed). The old boolean becomes "all".
ALTER TABLE following ADD COLUMN relay_policy TEXT NOT NULL DEFAULT 'none'
    CHECK (relay_policy IN ('all', 'tags', 'none'));
ALTER TABLE following ADD COLUMN relay_tags TEXT NOT NULL DEFAULT '[]';
UPDATE following SET relay_policy = 'all' WHERE relay;
ALTER TABLE following DROP COLUMN relay;

-- tags: JSON array of normalised hashtags; attachments: JSON array of
-- media (address, type, alt text, size, local copy); is_public: addressed to
-- the Public collection (only those are shown or relayed); backfilled: read
-- from the partner's outbox rather than delivered, so never relayed.
ALTER TABLE remote_objects ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE remote_objects ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE remote_objects ADD COLUMN is_public BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE remote_objects ADD COLUMN backfilled BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX remote_objects_partner_idx ON remote_objects (published_at DESC, id) WHERE statement_id IS NULL;

-- Our Announces of partners' posts, one row per (our actor, post). An undone
-- relay keeps its row (undone_at set) so that an editor's "stop relaying"
-- is remembered.
CREATE TABLE relays (
    actor_id         TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    remote_object_id TEXT NOT NULL REFERENCES remote_objects (id) ON DELETE CASCADE,
    announce_iri     TEXT NOT NULL UNIQUE,
    manual           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL,
    undone_at        TIMESTAMPTZ,
    PRIMARY KEY (actor_id, remote_object_id)
);
CREATE INDEX relays_object_idx ON relays (remote_object_id);

-- also_known_as: JSON array of actor IRIs this actor is also known as (set
-- before moving here); moved_to: the IRI it moved to ('' if it has not).
-- proof_key_pem: PKCS#8 PEM of the Ed25519 key signing object proofs
-- (FEP-8b32); '' until one is generated.
ALTER TABLE actors ADD COLUMN also_known_as TEXT NOT NULL DEFAULT '[]';
ALTER TABLE actors ADD COLUMN moved_to TEXT NOT NULL DEFAULT '';
ALTER TABLE actors ADD COLUMN proof_key_pem TEXT NOT NULL DEFAULT '';
