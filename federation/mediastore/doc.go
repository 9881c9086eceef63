// Package mediastore keeps the node's media files (statements' images,
// actors' avatars and headers, copies of partners' pictures) where every
// serve process can reach them: a local directory by default, which the
// processes on one machine (or on a shared mount) share, or an
// S3-compatible object store such as MinIO, which processes on any number
// of machines share.
//
// Keys are slash-separated relative paths, e.g. "STATEMENT_ID/photo.webp";
// ValidKey says which are allowed. Objects are private: the node serves
// them itself (Serve), so an unpublished draft's image is never public in
// the bucket.
package mediastore
