-- A counter that moves with every change of a domain policy or an account
-- block, whoever makes it: this process, another serve on the same
-- database, a CLI command, an administrator's psql. The inbox gate's cache
-- (storage.Store.InboxGate) keeps its answers for minutes and reads this
-- one row every GenerationBound to learn that it must forget them. The
-- triggers fire once per SQL statement (also for one that changed no row:
-- a false alarm only costs the cache a refill) and update the row in the
-- writer's transaction, so the counter moves exactly when the change
-- becomes visible. TRUNCATE bumps it too: removing an 'allow' under a
-- blocked parent domain tightens the gate.
INSERT INTO change_counters (name, n) VALUES ('inbox_gate', 0);

CREATE FUNCTION bump_inbox_gate_counter() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'inbox_gate';
    RETURN NULL;
END;
$$;

CREATE TRIGGER domain_policies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON domain_policies
    FOR EACH STATEMENT EXECUTE FUNCTION bump_inbox_gate_counter();
CREATE TRIGGER account_blocks_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON account_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION bump_inbox_gate_counter();
