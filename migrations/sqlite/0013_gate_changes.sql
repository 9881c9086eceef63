-- A counter that moves with every change of a domain policy or an account
-- block, whoever makes it: this process, another serve, a CLI command on
-- the same file, an administrator's sqlite3 shell. The inbox gate's cache
-- (storage.Store.InboxGate) keeps its answers for minutes and reads this
-- one row every GenerationBound to learn that it must forget them. The
-- triggers write it in the writer's own transaction, so it moves exactly
-- when the change becomes visible. These tables are written rarely, so a
-- trigger per row costs nothing that matters. (No TRUNCATE here: SQLite's
-- DELETE without WHERE skips its truncate optimisation on a table with
-- triggers, so the delete triggers fire for it too.)
INSERT INTO change_counters (name, n) VALUES ('inbox_gate', 0);

CREATE TRIGGER domain_policies_changed_insert AFTER INSERT ON domain_policies
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'inbox_gate'; END;
CREATE TRIGGER domain_policies_changed_update AFTER UPDATE ON domain_policies
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'inbox_gate'; END;
CREATE TRIGGER domain_policies_changed_delete AFTER DELETE ON domain_policies
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'inbox_gate'; END;
CREATE TRIGGER account_blocks_changed_insert AFTER INSERT ON account_blocks
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'inbox_gate'; END;
CREATE TRIGGER account_blocks_changed_update AFTER UPDATE ON account_blocks
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'inbox_gate'; END;
CREATE TRIGGER account_blocks_changed_delete AFTER DELETE ON account_blocks
BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'inbox_gate'; END;
