package transport

import (
	"errors"
	"net/url"
	"testing"
)

func TestCheckURL(t *testing.T) {
	strict := New(Config{})
	open := New(Config{AllowPrivate: true})
	tests := []struct {
		raw        string
		strictErr  error // nil: accepted
		privateErr error // with AllowPrivate
	}{
		{"https://social.example/users/alice", nil, nil},
		{"http://social.example:8080/inbox", nil, nil},
		{"HTTPS://Social.Example/users/alice", nil, nil},
		{"https://social.example./users/alice", nil, nil},
		{"https://social.example/users/alice#main-key", nil, nil},
		{"https://social.example/search?q=a%20b", nil, nil},
		{"https://bücher.example/@alice", nil, nil},
		{"https://1.1.1.1/x", nil, nil},
		{"https://[2606:4700::1111]/x", nil, nil},
		{"https://under_score.example/", nil, nil},

		{"", ErrBadURL, ErrBadURL},
		{"/users/alice", ErrBadURL, ErrBadURL},
		{"//social.example/users/alice", ErrBadURL, ErrBadURL},
		{"#fragment", ErrBadURL, ErrBadURL},
		{"ftp://social.example/x", ErrBadURL, ErrBadURL},
		{"file:///etc/passwd", ErrBadURL, ErrBadURL},
		{"gopher://social.example:70/", ErrBadURL, ErrBadURL},
		{"javascript:alert(1)", ErrBadURL, ErrBadURL},
		{"https:social.example", ErrBadURL, ErrBadURL},
		{"https:///users/alice", ErrBadURL, ErrBadURL},
		{"https://:443/users/alice", ErrBadURL, ErrBadURL},
		{"https://good.example@evil.example/", ErrBadURL, ErrBadURL},
		{"https://user:pass@social.example/", ErrBadURL, ErrBadURL},
		{"https://@social.example/", ErrBadURL, ErrBadURL},
		{`https://good.example\@evil.example/`, ErrBadURL, ErrBadURL},
		{"https://social.example:0/", ErrBadURL, ErrBadURL},
		{"https://social.example:65536/", ErrBadURL, ErrBadURL},
		{"https://social.example:99999999999999999999/", ErrBadURL, ErrBadURL},
		{"https://social.example:http/", ErrBadURL, ErrBadURL},
		{"https://soc ial.example/", ErrBadURL, ErrBadURL},
		{"https://social.example\r\nX: y/", ErrBadURL, ErrBadURL},
		{"https://social..example/", ErrBadURL, ErrBadURL},
		{"https://social%2eexample/", ErrBadURL, ErrBadURL},
		{"http://2130706433/", ErrBadURL, ErrBadURL},
		{"http://127.1/", ErrBadURL, ErrBadURL},
		{"http://0x7f.0.0.1/", ErrBadURL, ErrBadURL},
		{"http://0x7f000001/", ErrBadURL, ErrBadURL},
		{"http://[fe80::1%25eth0]/", ErrBadURL, ErrBadURL},

		{"http://127.0.0.1:8080/", ErrPrivateAddress, nil},
		{"http://10.1.2.3/", ErrPrivateAddress, nil},
		{"http://169.254.169.254/latest/meta-data/", ErrPrivateAddress, nil},
		{"http://[::1]/", ErrPrivateAddress, nil},
		{"http://[::ffff:127.0.0.1]/", ErrPrivateAddress, nil},
		{"http://[fd00::1]/", ErrPrivateAddress, nil},
		{"http://0.0.0.0/", ErrPrivateAddress, nil},
		{"http://localhost/", ErrPrivateAddress, nil},
		{"http://LocalHost./", ErrPrivateAddress, nil},
		{"http://api.localhost/", ErrPrivateAddress, nil},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			for _, run := range []struct {
				c    *Client
				want error
			}{{strict, tt.strictErr}, {open, tt.privateErr}} {
				u, err := run.c.CheckURL(tt.raw)
				switch {
				case run.want == nil && err != nil:
					t.Errorf("AllowPrivate=%v: %v", run.c.allowPrivate, err)
				case run.want == nil && u == nil:
					t.Errorf("AllowPrivate=%v: nil URL", run.c.allowPrivate)
				case run.want != nil && !errors.Is(err, run.want):
					t.Errorf("AllowPrivate=%v: %v, want %v", run.c.allowPrivate, err, run.want)
				}
			}
		})
	}
}

func TestCheckID(t *testing.T) {
	parse := func(s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := []struct {
		name, id, requested, final string
		ok                         bool
	}{
		{"same", "https://a.example/note/1", "https://a.example/note/1", "https://a.example/note/1", true},
		{"host case and default port", "https://A.example:443/note/1", "https://a.example/note/1", "https://a.example/note/1", true},
		{"empty path", "https://a.example", "https://a.example/", "https://a.example/", true},
		{"fragment of requested", "https://a.example/actor", "https://a.example/actor#main-key", "https://a.example/actor", true},
		{"same fragment", "https://a.example/actor#main-key", "https://a.example/actor#main-key", "https://a.example/actor", true},
		{"final after redirect", "https://a.example/new", "https://a.example/old", "https://a.example/new", true},
		{"requested after redirect", "https://a.example/old", "https://a.example/old", "https://a.example/new", true},
		{"cross-host redirect, final id", "https://b.example/x", "https://a.example/x", "https://b.example/x", true},
		{"query", "https://a.example/x?page=2", "https://a.example/x?page=2", "https://a.example/x?page=2", true},

		{"other host", "https://evil.example/note/1", "https://a.example/note/1", "https://a.example/note/1", false},
		{"other path", "https://a.example/note/2", "https://a.example/note/1", "https://a.example/note/1", false},
		{"path case", "https://a.example/Note/1", "https://a.example/note/1", "https://a.example/note/1", false},
		{"other port", "https://a.example:8443/note/1", "https://a.example/note/1", "https://a.example/note/1", false},
		{"other scheme", "http://a.example/note/1", "https://a.example/note/1", "https://a.example/note/1", false},
		{"other query", "https://a.example/x?page=3", "https://a.example/x?page=2", "https://a.example/x?page=2", false},
		{"fragment not requested", "https://a.example/note#x", "https://a.example/note", "https://a.example/note", false},
		{"cross-host redirect, requested id", "https://a.example/x", "https://a.example/x", "https://b.example/x", false},
		{"relative id", "/note/1", "https://a.example/note/1", "https://a.example/note/1", false},
		{"userinfo id", "https://u@a.example/note/1", "https://a.example/note/1", "https://a.example/note/1", false},
		{"urn id", "urn:uuid:1", "https://a.example/note/1", "https://a.example/note/1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkID(tt.id, parse(tt.requested), parse(tt.final))
			if (err == nil) != tt.ok {
				t.Errorf("checkID(%q, %q, %q) = %v, want ok=%v", tt.id, tt.requested, tt.final, err, tt.ok)
			}
		})
	}
}

func TestDocumentID(t *testing.T) {
	tests := []struct {
		body string
		id   string
		err  error
	}{
		{`{"id":"https://a.example/1","type":"Note"}`, "https://a.example/1", nil},
		{` {"type":"Note","nested":{"id":"https://x.example/"},"id":"https://a.example/1"} `, "https://a.example/1", nil},
		{`{"\u0069d":"https://a.example/1"}`, "https://a.example/1", nil},
		{`{"type":"Note"}`, "", ErrIDMismatch},
		{`{"id":""}`, "", ErrIDMismatch},
		{`{"id":42}`, "", ErrIDMismatch},
		{`{"id":["https://a.example/1"]}`, "", ErrIDMismatch},
		{`{"id":"https://a.example/1","id":"https://b.example/1"}`, "", ErrIDMismatch},
		{`{"id":"https://a.example/1","ID":"https://b.example/1"}`, "", ErrIDMismatch},
		{`{"Id":"https://a.example/1"}`, "", ErrIDMismatch},
		{`[{"id":"https://a.example/1"}]`, "", ErrMalformed},
		{`"https://a.example/1"`, "", ErrMalformed},
		{`{"id":"https://a.example/1"`, "", ErrMalformed},
		{`{"id":"https://a.example/1"}{}`, "", ErrMalformed},
		{`{"id":"https://a.example/1"} x`, "", ErrMalformed},
		{`<html></html>`, "", ErrMalformed},
		{``, "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			id, err := documentID([]byte(tt.body), "test")
			if tt.err == nil && (err != nil || id != tt.id) {
				t.Errorf("got %q, %v; want %q", id, err, tt.id)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("got %q, %v; want %v", id, err, tt.err)
			}
		})
	}
}
