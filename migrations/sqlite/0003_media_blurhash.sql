-- A BlurHash for each image (Mastodon paints it while the image loads);
-- images stored before it have none.
ALTER TABLE media ADD COLUMN blurhash TEXT NOT NULL DEFAULT '';
