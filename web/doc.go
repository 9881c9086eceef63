// Package web is the node's HTTP face: one echo server with one route table,
// the middleware every request passes (request id, access log, panic
// recovery, body limit, metrics), one error handler, the health and metrics
// endpoints, and the pages readers see. It reads storage directly for pages
// and asks federation for anything that changes state or speaks the protocol.
package web
