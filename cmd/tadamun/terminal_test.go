package main

import "testing"

func TestCell(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "Hello, world", "Hello, world"},
		{"arabic and marks kept", "تضامن\u200f مع\u061c العراق", "تضامن\u200f مع\u061c العراق"},
		{"osc 52 with bel", "a\x1b]52;c;ZWNobw==\x07b", "ab"},
		{"osc 8 link with st", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"csi clear", "a\x1b[2Jb\x1b[31mred\x1b[0m", "abred"},
		{"c1 csi and osc", "a\u009b2Jb\u009d52;c;AA\u009cc", "abc"},
		{"unterminated osc", "a\x1b]0;title", "a"},
		{"osc cut by a new escape", "a\x1b]0;t\x1b[2Jb", "ab"},
		{"two-byte escapes", "a\x1bcb\x1b(Bc", "abc"},
		{"bidi override and isolate", "abc\u202etxt.exe\u2066x\u2069", "abctxt.exex"},
		{"line breaks become spaces", "a\nb\r\nc\td\u2028e", "a b  c d e"},
		{"other controls dropped", "a\x00\x07\x08\x7f\u0085b", "a b"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := cell(c.in); got != c.want {
				t.Errorf("cell(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
