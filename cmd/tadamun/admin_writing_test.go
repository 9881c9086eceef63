package main

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// adminBrowser is an HTTP client of a node's admin interface: cookies, the
// last page's CSRF token, redirects not followed.
type adminBrowser struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

var adminCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *adminBrowser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if m := adminCSRF.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return res, string(body)
}

func (b *adminBrowser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends fields as multipart/form-data (as the compose form does) with
// the CSRF token.
func (b *adminBrowser) post(path string, fields url.Values) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fields.Set("csrf", b.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				b.t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		b.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.base+path, &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// signInAdmin creates an admin on node n and signs in to its admin
// interface over HTTP.
func signInAdmin(t *testing.T, n *node) *adminBrowser {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n.run(t, "user", "create", "amal", "--role", "admin", "--password-file", pw)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &adminBrowser{t: t, base: "http://" + n.domain, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.get("/admin/login")
	if res, body := b.post("/admin/login", url.Values{"username": {"amal"}, "password": {"correct horse battery"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in = %d %s", res.StatusCode, body)
	}
	if res, body := b.get("/admin/statements/new?actor=icssi"); res.StatusCode != http.StatusOK {
		t.Fatalf("compose = %d %s", res.StatusCode, body)
	}
	return b
}

// TestAdminWritingFederates is the admin interface's end-to-end test: two
// real nodes; the second follows the first, whose editor writes a statement
// in the admin interface. It reaches the follower, an edit arrives as an
// Update (an unchanged save sends none), and the deletion as a Delete.
func TestAdminWritingFederates(t *testing.T) {
	for _, be := range storagetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			dbURL := func() string {
				if be.Name == "sqlite" {
					return storagetest.SQLiteURL(t)
				}
				return storagetest.PostgresURL(t)
			}
			a := startNode(t, "127.0.0.2", dbURL(), "icssi")
			f := startNode(t, "127.0.0.3", dbURL(), "partner")
			f.run(t, "follow", "partner", "@icssi@"+a.domain)
			eventually(t, "the follow is accepted", func() bool {
				return a.count(t, `SELECT COUNT(*) FROM followers WHERE state = 'accepted'`) == 1
			}, a, f)

			b := signInAdmin(t, a)
			form := func(body string) url.Values {
				return url.Values{"actor": {"icssi"}, "title": {"نقف معاً"}, "body": {body}, "tags": {"تضامن"},
					"language": {"ar"}, "replies": {"on"}, "zone": {"UTC"}, "action": {"publish"}}
			}
			res, body := b.post("/admin/statements", form("نص البيان الأول"))
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("publish = %d %s", res.StatusCode, body)
			}
			id := strings.TrimPrefix(res.Header.Get("Location"), "/admin/statements/")
			objIRI := "http://" + a.domain + "/users/icssi/statements/" + id
			eventually(t, "the statement reaches the follower", func() bool {
				return f.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND content_html LIKE '%نص البيان الأول%'`, objIRI) == 1
			}, a, f)

			b.get("/admin/statements/" + id)
			if res, body := b.post("/admin/statements/"+id, form("نص البيان المعدل")); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("edit = %d %s", res.StatusCode, body)
			}
			eventually(t, "the edit arrives as an Update", func() bool {
				return f.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND content_html LIKE '%المعدل%' AND edited_at IS NOT NULL`, objIRI) == 1
			}, a, f)
			updates := a.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Update'`)
			b.get("/admin/statements/" + id)
			if res, body := b.post("/admin/statements/"+id, form("نص البيان المعدل")); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("unchanged save = %d %s", res.StatusCode, body)
			}
			if again := a.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Update'`); again != updates {
				t.Fatalf("a save that changed nothing sent an Update")
			}

			b.get("/admin/statements/" + id + "/delete")
			if res, body := b.post("/admin/statements/"+id+"/delete", url.Values{"confirm": {"yes"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete = %d %s", res.StatusCode, body)
			}
			eventually(t, "the delete arrives", func() bool {
				return f.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND deleted_at IS NOT NULL`, objIRI) == 1
			}, a, f)
			if code, _ := getAS(t, objIRI); code != http.StatusGone {
				t.Fatalf("deleted statement answers %d", code)
			}
		})
	}
}
