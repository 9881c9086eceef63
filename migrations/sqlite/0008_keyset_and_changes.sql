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
-- rows. Triggers keep it, so no writer can forget to.
CREATE TABLE change_counters (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
);
INSERT INTO change_counters (name, n) VALUES ('statements', 1);

CREATE TRIGGER statements_changed_insert AFTER INSERT ON statements
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'statements'; END;
CREATE TRIGGER statements_changed_update AFTER UPDATE ON statements
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'statements'; END;
CREATE TRIGGER statements_changed_delete AFTER DELETE ON statements
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'statements'; END;
CREATE TRIGGER statement_translations_changed_insert AFTER INSERT ON statement_translations
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'statements'; END;
CREATE TRIGGER statement_translations_changed_update AFTER UPDATE ON statement_translations
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'statements'; END;
CREATE TRIGGER statement_translations_changed_delete AFTER DELETE ON statement_translations
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'statements'; END;
CREATE TRIGGER statement_tags_changed_insert AFTER INSERT ON statement_tags
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'statements'; END;
CREATE TRIGGER statement_tags_changed_delete AFTER DELETE ON statement_tags
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'statements'; END;
CREATE TRIGGER media_changed_insert AFTER INSERT ON media
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'statements'; END;
CREATE TRIGGER media_changed_update AFTER UPDATE ON media
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'statements'; END;
CREATE TRIGGER media_changed_delete AFTER DELETE ON media
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'statements'; END;
