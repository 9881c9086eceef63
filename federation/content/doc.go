// Package content turns what people write into what the node stores and
// shows: Markdown rendered to safe HTML, remote HTML sanitized, statement
// files with front matter parsed and checked, language tags validated (with
// their writing direction), slugs and hashtags normalised.
//
// Everything here is pure: no I/O beyond the reader it is handed, no clock.
package content
