package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
	"github.com/tadamun/tadamun/web/admin"
	"github.com/tadamun/tadamun/web/i18n"
)

// i18nFixture is what the every-page test publishes: texts that hold no
// interface words, so that whatever English is left on a page once they
// are taken out is the interface's.
var i18nFixture = []string{
	"Solidarity with Basra", "Water for everyone in Basra.", "Basra water", "نقف معاً", "نص البيان.",
	"Wasser für alle", "Wasser für alle in Basra.", "ICSSI", "Iraqi civil society", "Basra",
}

// TestEveryPageInEveryLanguage renders every public page and every admin
// page in every shipped interface language (the node's default set to it,
// so the admin interface follows too). It fails when a message the
// interface uses is missing from a catalogue, when a page is not marked
// with its interface language, and when English interface text is left
// on a page whose interface is not English.
func TestEveryPageInEveryLanguage(t *testing.T) {
	set, err := i18n.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := i18n.Keys(".", "admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range set.Languages() {
		t.Run(l.Tag, func(t *testing.T) {
			var missing []string
			for _, k := range keys {
				if l.Tag != "en" && !set.Has(l.Tag, k.Text) {
					missing = append(missing, k.Text)
				}
			}
			if len(missing) > 0 {
				t.Errorf("%s.json lacks %d messages (go test ./web/i18n -run TestCataloguesComplete -v lists them)", l.Tag, len(missing))
			}
			english := i18n.EnglishLeft(set, keys, l.Tag, i18nFixture...)
			n := newNodeConfig(t, storagetest.SQLiteURL(t), func(c *web.Config) { c.Language = l.Tag })
			ids := i18nNode(t, n)
			check := func(path string, res *http.Response, body string) {
				t.Helper()
				if res.StatusCode >= 500 {
					t.Errorf("%s = %d", path, res.StatusCode)
				}
				if !strings.Contains(body, `<html lang="`+l.Tag+`" dir="`+set.UI(l.Tag).Dir()+`"`) {
					t.Errorf("%s is not marked as %s:\n%.300s", path, l.Tag, body)
				}
				if left := english(body); len(left) > 0 {
					t.Errorf("%s in %s shows English: %q", path, l.Tag, left)
				}
			}
			for _, p := range []string{"/", "/?before=" + ids.cursor, "/" + l.Tag, "/de", iri.TagPath("basra"),
				"/@icssi", "/@icssi/" + ids.enSlug, "/@icssi/" + url.PathEscape(ids.arSlug), "/@icssi/" + url.PathEscape(ids.arSlug) + "/de",
				"/@icssi/" + ids.enSlug + "/" + l.Tag, "/search", "/search?q=Basra", "/search?q=nothing-like-this",
				iri.PartnersPath, "/no/such/page", "/@nobody", "/@icssi/no-such-statement", "/@icssi/" + ids.goneSlug,
				"/@icssi/follow?address=not-an-address", "/?before=bad", "/search?page=0",
			} {
				res, body := n.get(t, p)
				check(p, res, body)
			}
			// Every admin page the route table has, signed in as an admin.
			c := i18nAdmin(t, n)
			for _, p := range adminPages(t, n, ids) {
				res, body := c.get(t, p)
				if res.StatusCode == http.StatusSeeOther || res.StatusCode == http.StatusFound {
					continue
				}
				check(p, res, body)
				// Counts in the admin's tables are in the catalogue's numerals.
				if set.UI(l.Tag).Number(7) != "7" {
					if m := latinCount.FindString(body); m != "" {
						t.Errorf("%s in %s shows a count in Latin digits: %s", p, l.Tag, m)
					}
				}
			}
		})
	}
}

// latinCount is a table cell holding only a number in Latin digits.
var latinCount = regexp.MustCompile(`<td(?: class="num")?>[0-9]+</td>`)

// i18nIDs are the fixture's addresses.
type i18nIDs struct {
	enSlug, arSlug, goneSlug, statementID, cursor string
}

// i18nNode publishes the fixture: an English statement, an Arabic one with
// a German translation, a deleted one, enough for a second home page.
func i18nNode(t *testing.T, n *node) i18nIDs {
	t.Helper()
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI", Summary: "Iraqi civil society",
		Languages: []string{"ar", "en"}}); err != nil {
		t.Fatal(err)
	}
	en := n.publish(t, "icssi", "---\ntitle: Solidarity with Basra\nlanguage: en\nsummary: Basra water\ntags: [Basra]\n---\nWater for everyone in Basra.\n")
	ar := n.publish(t, "icssi", "---\ntitle: نقف معاً\nlanguage: ar\nslug: naqif\ntags: [Basra]\n---\nنص البيان.\n")
	body, err := content.RenderMarkdown("Wasser für alle in Basra.")
	if err != nil {
		t.Fatal(err)
	}
	ar.Translations = append(ar.Translations, storage.Translation{Language: "de", Title: "Wasser für alle", BodyMarkdown: "Wasser für alle in Basra.", BodyHTML: body})
	if err := n.store.UpdateStatement(ctx, ar); err != nil {
		t.Fatal(err)
	}
	gone := n.publish(t, "icssi", "---\ntitle: Basra\nlanguage: en\n---\nBasra\n")
	if _, err := n.fed.DeleteStatement(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	return i18nIDs{enSlug: en.Slug, arSlug: ar.Slug, goneSlug: gone.Slug, statementID: en.ID,
		cursor: "1893456000000000_" + en.ID}
}

// i18nClient is a browser-like client: cookies kept, redirects not
// followed.
type i18nClient struct {
	base string
	http *http.Client
	csrf string
}

var i18nCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *i18nClient) do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if m := i18nCSRF.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return res, string(b)
}

func (c *i18nClient) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.do(t, req)
}

func (c *i18nClient) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(t, req)
}

func newI18nClient(t *testing.T, base string) *i18nClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &i18nClient{base: base, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// i18nAdmin signs an admin in.
func i18nAdmin(t *testing.T, n *node) *i18nClient {
	t.Helper()
	const password = "correct horse battery staple"
	hash, err := storage.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.store.CreateUser(context.Background(), &storage.User{Username: "admin", PasswordHash: hash, Role: storage.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	c := newI18nClient(t, n.srv.URL)
	c.get(t, "/admin/login")
	res, body := c.post(t, "/admin/login", url.Values{"username": {"admin"}, "password": {password}, "csrf": {c.csrf}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in = %d %.500s", res.StatusCode, body)
	}
	return c
}

// adminPages are the admin interface's GET routes, parameters filled with
// the fixture's (or a value that names nothing, for the error page).
func adminPages(t *testing.T, n *node, ids i18nIDs) []string {
	t.Helper()
	cat, err := i18n.Catalogues()
	if err != nil {
		t.Fatal(err)
	}
	h, err := admin.New(admin.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, n.store, n.fed, i18n.New(cat, "en"))
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	h.Register(e.Group(iri.AdminPrefix))
	values := map[string]string{"username": "icssi", "id": ids.statementID, "user": "admin", "name": "admin"}
	var out []string
	for _, r := range e.Routes() {
		if r.Method != http.MethodGet || strings.Contains(r.Path, "/static/") {
			continue
		}
		var parts []string
		for _, p := range strings.Split(r.Path, "/") {
			if strings.HasPrefix(p, ":") {
				if v, ok := values[p[1:]]; ok {
					p = v
				} else {
					p = "x"
				}
			}
			parts = append(parts, p)
		}
		p := strings.Join(parts, "/")
		if strings.HasSuffix(p, iri.AdminCompose) {
			p += "?actor=icssi"
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d admin pages: %v", len(out), out)
	}
	return out
}
