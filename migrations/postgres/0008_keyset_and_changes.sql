-- Lists that page by (published_at, id) read an index in that order instead
-- of sorting every visible statement: the home page, an actor's page, the
-- outbox and the feeds stay as fast with 100,000 statements as with 1,000.
-- The (state, published_at) index goes: with two visible states it gives
-- two ranges, which the planner then sorts, and it would be picked over
-- the keyset index.
DROP INDEX statements_visible_idx;
CREATE INDEX statements_published_idx ON statements (published_at DESC, id DESC);
DROP INDEX statements_actor_idx;
CREATE INDEX statements_actor_idx ON statements (actor_id, published_at DESC, id DESC);
CREATE INDEX statements_updated_idx ON statements (updated_at DESC);
-- Statements whose Create has not gone out yet (scheduled, or left by a
-- crash): the scheduler's look-ups read only these.
CREATE INDEX statements_due_idx ON statements (published_at, id) WHERE federated_at IS NULL;

-- A counter that moves with every write to statements and what is shown
-- with them. Together with the newest visible publish time (which moves
-- when a scheduled statement comes due) it is a version of everything
-- readers see, read in constant time: caches key on it instead of counting
-- rows. Triggers keep it, so no writer can forget to; they fire once per
-- SQL statement, and the row is updated in the writer's transaction, so the
-- counter moves exactly when the change becomes visible.
CREATE TABLE change_counters (
    name TEXT PRIMARY KEY,
    n    BIGINT NOT NULL
);
INSERT INTO change_counters (name, n) VALUES ('statements', 1);

CREATE FUNCTION bump_statements_counter() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'statements';
    RETURN NULL;
END;
$$;

CREATE TRIGGER statements_changed AFTER INSERT OR UPDATE OR DELETE ON statements
    FOR EACH STATEMENT EXECUTE FUNCTION bump_statements_counter();
CREATE TRIGGER statement_translations_changed AFTER INSERT OR UPDATE OR DELETE ON statement_translations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_statements_counter();
CREATE TRIGGER statement_tags_changed AFTER INSERT OR DELETE ON statement_tags
    FOR EACH STATEMENT EXECUTE FUNCTION bump_statements_counter();
CREATE TRIGGER media_changed AFTER INSERT OR UPDATE OR DELETE ON media
    FOR EACH STATEMENT EXECUTE FUNCTION bump_statements_counter();
