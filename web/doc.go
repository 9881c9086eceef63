// Package web is the node's HTTP face: one echo server with one route table,
// the middleware every request passes (request id, access log, panic
// recovery, body limit, metrics), one error handler, the health and metrics
// endpoints, and the pages readers see. It reads storage directly for pages
// and asks federation for anything that changes state or speaks the protocol.
//
// Rendered responses (pages, ActivityPub documents, WebFinger, feeds) are
// kept in a byte-bounded cache with a gzip and a brotli copy each: respcache.go serves
// them by Accept-Encoding with per-encoding ETags, respversions.go says what
// version of the data each one shows, and respgate.go lets concurrent
// requests share one version read.
package web
