package main

import (
	"strings"
	"unicode/utf8"
)

// Text from other servers (names, handles, replies, error messages) reaches
// the operator's terminal through the list commands. A terminal obeys
// control sequences in what it prints: OSC 52 writes the clipboard, CSI 2J
// clears the screen, OSC 8 hides a link behind other text, and bidi
// overrides reorder what the eye reads (the "Trojan Source" trick). So every
// cell printed is passed through cell, which keeps the text and drops all
// of that.

// cell returns s fit for one cell of a table on a terminal: escape and
// control sequences (7-bit ESC and 8-bit C1 forms) removed with their
// payload, other C0/C1 controls and DEL removed, bidi embeddings, overrides
// and isolates removed, and tabs and line breaks turned into spaces so a
// row stays one line.
func cell(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == 0x1b: // ESC: the sequence it starts
			i = skipEscape(s, i)
		case r == 0x9b: // C1 CSI
			i = skipCSI(s, i)
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // C1 OSC, DCS, SOS, PM, APC
			i = skipString(s, i)
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029:
			b.WriteByte(' ')
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			// another control character: dropped
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			// bidi embedding, override or isolate: dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// skipEscape skips what follows an ESC at s[i:] and returns the index after
// the whole sequence (ECMA-48 and ISO 2022 forms).
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// ESC, intermediate bytes 0x20-0x2F, then one final byte.
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI skips a control sequence's parameter and intermediate bytes and
// its final byte (0x40-0x7E).
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
		if c < 0x20 || c > 0x3f {
			return i - 1 // malformed: stop here, the rest is judged on its own
		}
	}
	return i
}

// skipString skips a control string (OSC, DCS, SOS, PM, APC) up to and
// including its terminator: ST (ESC \ or C1 ST) or, as xterm accepts, BEL.
// An unterminated string runs to the end and is dropped whole.
func skipString(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x07 || r == 0x9c:
			return i + n
		case r == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i // a new escape ends the string; it is judged on its own
		}
		i += n
	}
	return i
}
