-- Posts brought in by "tadamun import" (a WordPress export, a feed, a
-- folder of Markdown): one row per source post, keyed by the source's own
-- identity (guid), so a second run finds what it did and a resumed run
-- continues where it stopped. The row is written in the same transaction
-- as its statement.
--
-- statement_id: the statement it became (several rows share one when the
-- source's posts translate each other); language: which of its texts;
-- content_hash: a digest of the source post as imported, so a re-run tells
-- unchanged from updated; old_path: the post's old address, normalised
-- (archive.NormalizePath), and old_post_id its WordPress id (0: none), both
-- answered with 301 to the statement's page.
CREATE TABLE imported_posts (
    actor_id     TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    guid         TEXT NOT NULL,
    statement_id TEXT NOT NULL REFERENCES statements (id) ON DELETE CASCADE,
    language     TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL DEFAULT '',
    old_path     TEXT NOT NULL DEFAULT '',
    old_post_id  BIGINT NOT NULL DEFAULT 0,
    imported_at  TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (actor_id, guid)
);
CREATE INDEX imported_posts_path_idx ON imported_posts (old_path) WHERE old_path <> '';
CREATE INDEX imported_posts_wpid_idx ON imported_posts (old_post_id) WHERE old_post_id <> 0;
CREATE INDEX imported_posts_statement_idx ON imported_posts (statement_id);
