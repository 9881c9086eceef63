package transport

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"120", 2 * time.Minute},
		{" 30 ", 30 * time.Second},
		{"604800", MaxRetryAfter},
		{"604801", MaxRetryAfter},
		{"99999999999999999999999", MaxRetryAfter},
		{"-5", 0},
		{"1.5", 0},
		{"+60", 0},
		{"soon", 0},
		{"Sun, 01 Mar 2026 12:01:30 GMT", 90 * time.Second}, // IMF-fixdate
		{"Sunday, 01-Mar-26 12:02:00 GMT", 2 * time.Minute}, // RFC 850
		{"Sun Mar  1 12:00:10 2026", 10 * time.Second},      // asctime
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0},                // past
		{"Sun, 01 Mar 2026 12:00:00 GMT", 0},                // now
		{"Fri, 01 Jan 2100 00:00:00 GMT", MaxRetryAfter},    // far future
		{"Sun, 01 Mar 2026 25:00:00 GMT", 0},                // invalid
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if got := parseRetryAfter(tt.value, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
	// A date in between whole seconds rounds up, never down.
	if got := parseRetryAfter("Sun, 01 Mar 2026 12:00:02 GMT", now.Add(500*time.Millisecond)); got != 2*time.Second {
		t.Errorf("fractional: %v", got)
	}
}

func TestStatusErrorPermanent(t *testing.T) {
	tests := []struct {
		code      int
		permanent bool
		sentinel  error
	}{
		{300, false, nil},
		{302, false, nil},
		{400, true, nil},
		{401, true, ErrForbidden},
		{403, true, ErrForbidden},
		{404, true, ErrNotFound},
		{405, true, nil},
		{408, false, nil},
		{410, true, ErrGone},
		{413, true, nil},
		{422, true, nil},
		{429, false, nil},
		{499, true, nil},
		{500, false, nil},
		{502, false, nil},
		{503, false, nil},
		{504, false, nil},
	}
	sentinels := []error{ErrForbidden, ErrNotFound, ErrGone}
	for _, tt := range tests {
		e := &StatusError{Method: "POST", URL: "https://a.example/inbox", Code: tt.code}
		if got := e.Permanent(); got != tt.permanent {
			t.Errorf("%d: Permanent = %v, want %v", tt.code, got, tt.permanent)
		}
		for _, s := range sentinels {
			if got := errors.Is(e, s); got != (s == tt.sentinel) {
				t.Errorf("%d: errors.Is(%v) = %v", tt.code, s, got)
			}
		}
	}
}

func TestStatusErrorMessage(t *testing.T) {
	tests := []struct {
		e    StatusError
		want string
	}{
		{StatusError{Method: "GET", URL: "https://a.example/x", Code: 404}, "transport: GET https://a.example/x: 404 Not Found"},
		{StatusError{Method: "POST", URL: "https://a.example/inbox", Code: 503, RetryAfter: 2 * time.Minute, Body: "busy"},
			"transport: POST https://a.example/inbox: 503 Service Unavailable (retry after 2m0s): busy"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"plain", "plain"},
		{"  lead and trail  \n", "lead and trail"},
		{"a\r\nb\tc", "a b c"},
		{"line\nINFO forged=1", "line INFO forged=1"},
		{"\x1b[2J\x1b[Hclear", "[2J [Hclear"},
		{"nul\x00byte", "nul byte"},
		{"bad \xff\xfe utf8", "bad utf8"},
		{"bidi \u202eevil", "bidi evil"},
		{"zero\u200bwidth", "zero width"},
		{"عربي ok", "عربي ok"},
		{strings.Repeat("a", 300), strings.Repeat("a", 200)},
		{strings.Repeat("€", 100), strings.Repeat("€", 66)}, // 3 bytes each, no split rune
	}
	for _, tt := range tests {
		got := sanitize([]byte(tt.in))
		if got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if len(got) > snippetMax {
			t.Errorf("sanitize(%q): %d bytes", tt.in, len(got))
		}
	}
}
