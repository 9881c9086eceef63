-- Editors work on the actors they are given (admins on all of them).
CREATE TABLE user_actors (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    actor_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, actor_id)
);
CREATE INDEX user_actors_actor_idx ON user_actors (actor_id);

-- Node settings kept in the database so the admin interface can change them:
-- one row per key (site_name, site_description, default_language).
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
