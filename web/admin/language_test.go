package admin_test

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/web/i18n"
)

// htmlTag is the page's <html> start tag.
var htmlTag = regexp.MustCompile(`<html lang="([^"]*)" dir="([^"]*)">`)

// pageLanguage is the lang and dir of a page's <html>, "" when unmarked.
func pageLanguage(body string) string {
	m := htmlTag.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1] + " " + m[2]
}

// getWith is get with request headers (Accept-Language, Cookie).
func (c *client) getWith(path string, header http.Header) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.n.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	return c.do(req)
}

// latinCount is an element holding only a number in Latin digits (a count,
// an error page's status code, a profile field's number).
var latinCount = regexp.MustCompile(`>\s*[0-9]+\s*<`)

// TestAdminPagesInEveryLanguage: on a node whose default is English, an
// admin chooses each shipped language with the picker in turn, and every
// admin page (every GET route of Register, and an error page) comes in
// that language: marked with its lang and dir, no English interface text
// left, counts in its numerals. The language is the editor's, per request,
// not the node's.
func TestAdminPagesInEveryLanguage(t *testing.T) {
	set, err := i18n.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := i18n.Keys(".")
	if err != nil {
		t.Fatal(err)
	}
	n := adminTestNode(t, "http")
	st, err := n.fed.Publish(context.Background(), "icssi", &content.Draft{Title: "Basra", Language: "ar", Body: "نص البيان."})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{"username": "icssi", "id": st.ID, "user": editorName}
	var pages []string
	for _, r := range adminRoutes(t, n, http.MethodGet) {
		if strings.Contains(r, "/static/") || strings.HasSuffix(r, iri.AdminLogin) {
			continue
		}
		p := fill(r, values)
		if strings.HasSuffix(p, iri.AdminCompose) {
			p += "?actor=icssi"
		}
		pages = append(pages, p)
	}
	pages = append(pages, "/admin/statements/no-such-statement", "/admin/actors/nobody")
	if len(pages) < 15 {
		t.Fatalf("only %d admin pages: %v", len(pages), pages)
	}
	c := n.signedIn(t, adminName, "127.0.0.3")
	for _, l := range set.Languages() {
		t.Run(l.Tag, func(t *testing.T) {
			ui := set.UI(l.Tag)
			res, body := c.postForm("/admin/language", url.Values{"lang": {l.Tag}, "back": {"/admin/account"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/account" {
				t.Fatalf("choose %s = %d %s %.300s", l.Tag, res.StatusCode, res.Header.Get("Location"), body)
			}
			for _, k := range keys {
				if l.Tag != "en" && !set.Has(l.Tag, k.Text) {
					t.Errorf("%s.json lacks %q (%s)", l.Tag, k.Text, k.Where)
				}
			}
			english := i18n.EnglishLeft(set, keys, l.Tag)
			want := l.Tag + " " + ui.Dir()
			for _, p := range pages {
				res, body := c.get(p)
				if res.StatusCode == http.StatusSeeOther || res.StatusCode == http.StatusFound {
					continue
				}
				if res.StatusCode >= 500 {
					t.Errorf("%s = %d", p, res.StatusCode)
				}
				if got := pageLanguage(body); got != want {
					t.Errorf("%s is marked %q, want %q", p, got, want)
				}
				if left := english(body); len(left) > 0 {
					t.Errorf("%s in %s shows English: %q", p, l.Tag, left)
				}
				if ui.Number(7) != "7" {
					if m := latinCount.FindString(body); m != "" {
						t.Errorf("%s in %s shows a count in Latin digits: %s", p, l.Tag, m)
					}
				}
			}
		})
	}
}

// TestAdminLanguageChoice: with no choice made, the browser's
// Accept-Language decides (then the site's picker cookie on the sign-in
// page, then the node's default); the picker's choice is kept with the
// user, beats the browser, follows them to a new session and is theirs
// alone; "auto" hands the choice back to the browser. The picker returns
// only to admin pages of this node.
func TestAdminLanguageChoice(t *testing.T) {
	n := adminTestNode(t, "http")
	c := n.signedIn(t, adminName, "127.0.0.3")
	lang := func(who *client, path string, header http.Header) string {
		t.Helper()
		res, body := who.getWith(path, header)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s = %d", path, res.StatusCode)
		}
		return pageLanguage(body)
	}
	accept := func(v string) http.Header { return http.Header{"Accept-Language": {v}} }
	if got := lang(c, "/admin", nil); got != "en ltr" {
		t.Errorf("no choice, no Accept-Language: %q, want the node's English", got)
	}
	if got := lang(c, "/admin", accept("fr-CA,fr;q=0.9,en;q=0.5")); got != "fr ltr" {
		t.Errorf("Accept-Language fr: %q", got)
	}
	if got := lang(c, "/admin/account", accept("ar-IQ")); got != "ar rtl" {
		t.Errorf("Accept-Language ar-IQ: %q", got)
	}
	if got := lang(c, "/admin", accept("de")); got != "en ltr" {
		t.Errorf("Accept-Language de (not shipped): %q, want the node's English", got)
	}
	// Signed out, the site's picker cookie names the sign-in page's language.
	out := n.newClient(t, "127.0.0.5")
	if got := lang(out, "/admin/login", http.Header{"Cookie": {"tadamun_lang=ckb"}, "Accept-Language": {"fr"}}); got != "ckb rtl" {
		t.Errorf("sign-in page with the site's cookie ckb: %q", got)
	}
	if got := lang(out, "/admin/login", accept("it")); got != "it ltr" {
		t.Errorf("sign-in page, Accept-Language it: %q", got)
	}

	// The picker: on every page, each language a button; the choice made.
	_, body := c.get("/admin/statements")
	for _, want := range []string{`action="/admin/language"`, `name="back" value="/admin/statements"`,
		`value="ar" lang="ar" dir="rtl"`, `value="auto" aria-current="true" disabled`} {
		if !strings.Contains(body, want) {
			t.Errorf("the picker lacks %s", want)
		}
	}
	res, _ := c.postForm("/admin/language", url.Values{"lang": {"ar"}, "back": {"/admin/statements?state=draft"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/statements?state=draft" {
		t.Fatalf("choose ar = %d, to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body = c.getWith("/admin/statements?state=draft", accept("fr"))
	if got := pageLanguage(body); res.StatusCode != http.StatusOK || got != "ar rtl" {
		t.Errorf("after choosing ar (browser asking fr): %d %q", res.StatusCode, got)
	}
	if !strings.Contains(body, `value="ar" lang="ar" dir="rtl" aria-current="true" disabled`) {
		t.Error("the picker does not mark the choice")
	}
	if u, err := n.store.UserByID(context.Background(), n.admin.ID); err != nil || u.Language != "ar" {
		t.Errorf("the choice is not kept with the user: %+v %v", u, err)
	}
	// Kept with the user: a new session elsewhere has it; another user not.
	if got := lang(n.signedIn(t, adminName, "127.0.0.6"), "/admin", nil); got != "ar rtl" {
		t.Errorf("a new session of the same user: %q", got)
	}
	if got := lang(n.signedIn(t, editorName, "127.0.0.7"), "/admin", nil); got != "en ltr" {
		t.Errorf("another user: %q", got)
	}
	// Refused: a language not shipped; the choice stays.
	if res, _ := c.postForm("/admin/language", url.Values{"lang": {"de"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("choose de = %d, want 400", res.StatusCode)
	}
	if got := lang(c, "/admin", nil); got != "ar rtl" {
		t.Errorf("after a refused choice: %q", got)
	}
	// Back only to admin pages of this node.
	for back, want := range map[string]string{
		"https://evil.example/admin": "/admin", "//evil.example/admin": "/admin", "/": "/admin",
		"/@icssi": "/admin", "/admin/language": "/admin", "": "/admin", "/admin/../@icssi": "/admin",
		"/admin/users": "/admin/users", "/adminx": "/admin", "/admin\r\nX: y": "/admin",
	} {
		res, _ := c.postForm("/admin/language", url.Values{"lang": {"ar"}, "back": {back}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("back %q: %d to %q, want %q", back, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	// Without the CSRF token: refused, nothing changed.
	if res, _ := c.post("/admin/language", url.Values{"lang": {"fr"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("without a token = %d", res.StatusCode)
	}
	// "auto": the browser decides again.
	if res, _ := c.postForm("/admin/language", url.Values{"lang": {"auto"}, "back": {"/admin"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("auto = %d", res.StatusCode)
	}
	if got := lang(c, "/admin", accept("it")); got != "it ltr" {
		t.Errorf("after auto, Accept-Language it: %q", got)
	}
}

// TestAdminErrorsInArabic: the refusals that carry a number (a password's
// length, an image's size, a node name's length) come in the editor's
// language, with the plural form and the numerals of that language, and
// so do the node settings' refusals, which storage gives in English.
func TestAdminErrorsInArabic(t *testing.T) {
	n := adminTestNode(t, "http")
	c := n.signedIn(t, adminName, "127.0.0.3")
	if res, _ := c.postForm("/admin/language", url.Values{"lang": {"ar"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose ar = %d", res.StatusCode)
	}
	short := "كلمة المرور قصيرة جدًا: يلزمها ١٠ أحرف على الأقل."
	long := "كلمة المرور طويلة جدًا: ٧٢ بايتًا على الأكثر (يشغل الحرف العربي بايتين)."
	tooLong := strings.Repeat("كلمة", 10) // 80 bytes
	c.get("/admin/actors/icssi/profile")
	big := append(profilePNG(t, 8, 8), bytes.Repeat([]byte{0}, 11<<20)...)
	for _, tc := range []struct {
		name string
		send func() (*http.Response, string)
		code int
		want string
	}{
		{"create a user", func() (*http.Response, string) {
			return c.postForm("/admin/users", url.Values{"username": {"noor"}, "role": {"admin"}, "password": {"short"}, "confirm": {"short"}})
		}, http.StatusBadRequest, short},
		{"reset a password", func() (*http.Response, string) {
			return c.postForm("/admin/users/"+editorName+"/password", url.Values{"password": {tooLong}, "confirm": {tooLong}})
		}, http.StatusBadRequest, long},
		{"change one's password", func() (*http.Response, string) {
			return c.postForm("/admin/account/password", url.Values{"current": {testPassword}, "new": {"short"}, "confirm": {"short"}})
		}, http.StatusBadRequest, short},
		{"an avatar too large", func() (*http.Response, string) {
			return c.postMultipart("/admin/actors/icssi/profile", profileTestForm("Changed"), map[string][]byte{"avatar": big})
		}, http.StatusRequestEntityTooLarge, "الصورة الرمزية كبيرة جدًا: الحد الأقصى ١٠ ميغابايت."},
		{"a header too large", func() (*http.Response, string) {
			return c.postMultipart("/admin/actors/icssi/profile", profileTestForm("Changed"), map[string][]byte{"header": big})
		}, http.StatusRequestEntityTooLarge, "صورة الترويسة كبيرة جدًا: الحد الأقصى ١٠ ميغابايت."},
		{"a node name too long", func() (*http.Response, string) {
			return c.postForm("/admin/settings", url.Values{"name": {strings.Repeat("ن", 101)}})
		}, http.StatusBadRequest, "الاسم طويل جدًا: ١٠٠ حرف على الأكثر."},
		{"a node description too long", func() (*http.Response, string) {
			return c.postForm("/admin/settings", url.Values{"name": {"x"}, "description": {strings.Repeat("و", 501)}})
		}, http.StatusBadRequest, "الوصف طويل جدًا: ٥٠٠ حرف على الأكثر."},
		{"a control character in the node name", func() (*http.Response, string) {
			return c.postForm("/admin/settings", url.Values{"name": {"a\x01b"}})
		}, http.StatusBadRequest, "يجب ألا يحتوي الاسم والوصف على محارف تحكم."},
		{"a node language that is no tag", func() (*http.Response, string) {
			return c.postForm("/admin/settings", url.Values{"name": {"x"}, "language": {"not a language!"}})
		}, http.StatusBadRequest, "اللغة ليست رمز لغة مثل ar أو en أو ckb."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := tc.send()
			if res.StatusCode != tc.code || !strings.Contains(html.UnescapeString(body), tc.want) {
				t.Errorf("= %d, want %d with %q: %.1500s", res.StatusCode, tc.code, tc.want, body)
			}
			if got := pageLanguage(body); got != "ar rtl" {
				t.Errorf("the page is marked %q", got)
			}
		})
	}
	if u, err := n.store.UserByUsername(context.Background(), "noor"); err == nil {
		t.Errorf("a refused user was created: %+v", u)
	}
	// In English, the same refusal reads as English, its count in the
	// singular or plural as English has it.
	if res, _ := c.postForm("/admin/language", url.Values{"lang": {"en"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose en = %d", res.StatusCode)
	}
	_, body := c.postForm("/admin/account/password", url.Values{"current": {testPassword}, "new": {"short"}, "confirm": {"short"}})
	if !strings.Contains(body, "The password is too short: it needs at least 10 characters.") {
		t.Errorf("in English: %.1500s", body)
	}
}

// loginPickerButton is a button of the sign-in page's language picker:
// its value, lang, dir, whether it is the current one, and its label.
var loginPickerButton = regexp.MustCompile(`<button type="submit" name="lang" value="([^"]*)" lang="([^"]*)" dir="([^"]*)"( aria-current="true" disabled)?>([^<]*)</button>`)

// TestSignInLanguagePicker: signed out, the sign-in page offers every
// shipped language, each named in itself, through a plain form posted to
// the public site's picker, which sets only the site's language cookie
// (no CSRF token needed: that cookie is all a cross-site post could
// change). An editor whose browser asks for English chooses العربية and
// gets the sign-in page in Arabic, right to left, and can still sign in.
// The picker returns only to the sign-in page, whatever the request says,
// and the public picker refuses to send the browser to another site.
func TestSignInLanguagePicker(t *testing.T) {
	set, err := i18n.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	n := adminTestNode(t, "http")
	c := n.newClient(t, "127.0.0.8")
	english := http.Header{"Accept-Language": {"en-GB,en;q=0.9"}}
	res, body := c.getWith("/admin/login?back=//evil.example/&next=https://evil.example/", english)
	if res.StatusCode != http.StatusOK || pageLanguage(body) != "en ltr" {
		t.Fatalf("sign-in page = %d, %q", res.StatusCode, pageLanguage(body))
	}
	picker := func(body string) (form string, buttons [][]string) {
		t.Helper()
		i := strings.Index(body, `<form method="post" action="/language" class="picker"`)
		if i < 0 {
			t.Fatalf("the sign-in page has no language picker posting to /language: %.3000s", body)
		}
		form = body[i:]
		form = form[:strings.Index(form, "</form>")]
		return form, loginPickerButton.FindAllStringSubmatch(form, -1)
	}
	form, buttons := picker(body)
	if !strings.Contains(form, `<input type="hidden" name="back" value="/admin/login">`) {
		t.Errorf("the picker does not return to the sign-in page: %s", form)
	}
	if strings.Contains(form, "evil") || strings.Contains(form, `name="csrf"`) {
		t.Errorf("the picker carries what it should not: %s", form)
	}
	if len(buttons) != len(set.Languages()) {
		t.Errorf("%d languages offered, %d shipped: %s", len(buttons), len(set.Languages()), form)
	}
	offered := map[string][]string{}
	for _, b := range buttons {
		offered[b[1]] = b
	}
	for _, l := range set.Languages() {
		b := offered[l.Tag]
		if b == nil {
			t.Errorf("%s (%s) is not offered", l.Tag, l.Name)
			continue
		}
		if b[2] != l.Tag || b[3] != set.UI(l.Tag).Dir() || html.UnescapeString(b[5]) != l.Name {
			t.Errorf("%s is offered as %q", l.Tag, b[0])
		}
		if current := b[4] != ""; current != (l.Tag == "en") {
			t.Errorf("%s marked current: %v", l.Tag, current)
		}
	}

	// Choosing Arabic: the public picker, posted as the form is, no token.
	res, _ = c.post("/language", url.Values{"lang": {"ar"}, "back": {"/admin/login"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/login" {
		t.Fatalf("choose ar = %d, to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got := c.cookie("tadamun_lang"); got != "ar" {
		t.Fatalf("the site's language cookie is %q", got)
	}
	res, body = c.getWith("/admin/login", english)
	if res.StatusCode != http.StatusOK || pageLanguage(body) != "ar rtl" {
		t.Fatalf("sign-in page after choosing ar = %d, %q", res.StatusCode, pageLanguage(body))
	}
	ar := set.UI("ar")
	for _, want := range []string{"<title>" + ar.T("Sign in") + " · Tadamun</title>", ">" + ar.T("User name") + "<", ">" + ar.T("Password") + "<"} {
		if !strings.Contains(body, want) {
			t.Errorf("the Arabic sign-in page lacks %q", want)
		}
	}
	if _, buttons := picker(body); len(buttons) == 0 {
		t.Error("the Arabic sign-in page has no picker")
	} else {
		for _, b := range buttons {
			if current := b[4] != ""; current != (b[1] == "ar") {
				t.Errorf("in Arabic, %s marked current: %v", b[1], current)
			}
		}
	}
	// The sign-in form still works, and the session keeps the page's
	// language until the user chooses one of their own.
	res, _ = c.postForm("/admin/login", url.Values{"username": {editorName}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin" {
		t.Fatalf("sign in after choosing ar = %d, to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, body := c.getWith("/admin", english); res.StatusCode != http.StatusOK || pageLanguage(body) != "ar rtl" {
		t.Errorf("signed in after choosing ar on the sign-in page: %d %q", res.StatusCode, pageLanguage(body))
	}

	// Never to another site: an open redirect through the picker is refused.
	out := n.newClient(t, "127.0.0.9")
	for _, back := range []string{"https://evil.example/admin/login", "//evil.example/admin/login", `/\evil.example/admin/login`,
		"http:/evil.example", "/admin/login\r\nLocation: https://evil.example/", "javascript:alert(1)", "///evil.example/"} {
		res, _ := out.post("/language", url.Values{"lang": {"ar"}, "back": {back}})
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") ||
			strings.Contains(loc, "evil") || strings.Contains(loc, "javascript") {
			t.Errorf("back %q: %d to %q", back, res.StatusCode, loc)
		}
	}
	// Signed out, the admin's own picker (which keeps the choice with a
	// user) is still refused: the CSRF rule is as before.
	if res, _ := out.get("/admin/login"); res.StatusCode != http.StatusOK {
		t.Fatalf("sign-in page = %d", res.StatusCode)
	}
	if res, _ := out.postForm("/admin/language", url.Values{"lang": {"ar"}, "back": {"/admin/login"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("signed out, the admin's picker = %d, want 403", res.StatusCode)
	}
}
