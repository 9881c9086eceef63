-- The interface language each admin user chose (web/admin's picker): a
-- BCP 47 tag of a shipped catalogue, or '' for none (the browser's
-- Accept-Language, then the node's default, decide).
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
