-- Fan-out: the follower inboxes of an actor read from two covering indexes,
-- never from the tables' rows (the accepted followers of an actor, then
-- each one's inboxes).
CREATE INDEX followers_fanout_idx ON followers (actor_id, state, remote_actor_id);
CREATE INDEX remote_actors_inboxes_idx ON remote_actors (id, shared_inbox, inbox);
