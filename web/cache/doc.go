// Package cache is a least-recently-used cache of rendered responses,
// bounded by the bytes it holds rather than by its number of entries: a
// node's memory must not depend on how many distinct URLs strangers ask
// for. Feeds use it today; rendered pages, ActivityStreams documents and
// WebFinger answers can share the same type.
//
// It is written here rather than taken from a library: hashicorp/golang-lru
// bounds entries, not bytes, and ristretto admits entries asynchronously and
// by sampling, so a value just stored may be missing, which would make
// "renamed actor is in the feed on the next request" a matter of luck. A
// map and a container/list make an exact byte-bounded LRU in a page.
package cache
