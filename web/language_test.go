package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
)

var htmlLang = regexp.MustCompile(`<html lang="([^"]*)" dir="([^"]*)">`)

// pageLanguage is the interface language a page is in, and its direction.
func pageLanguage(t *testing.T, n *node, path string, hdr ...string) (string, string) {
	t.Helper()
	res, body := n.get(t, path, hdr...)
	m := htmlLang.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s = %d, no <html lang dir>:\n%.400s", path, res.StatusCode, body)
	}
	return m[1], m[2]
}

// languageNode is a node with an English statement translated into Sorani.
func languageNode(t *testing.T, edit func(*web.Config)) (*node, *storage.Statement) {
	t.Helper()
	n := newNodeConfig(t, storagetest.SQLiteURL(t), edit)
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	st := n.publish(t, "icssi", "---\ntitle: We Stand Together\nlanguage: en\n---\nText.\n")
	st.Translations = append(st.Translations, storage.Translation{Language: "ckb", Title: "پێکەوە وەستاوین", BodyMarkdown: "دەق.", BodyHTML: "<p>دەق.</p>"})
	if err := n.store.UpdateStatement(ctx, st); err != nil {
		t.Fatal(err)
	}
	return n, st
}

// TestLanguagePrecedence: the address, then the reader's choice (cookie),
// then Accept-Language, then the node's default.
func TestLanguagePrecedence(t *testing.T) {
	n, st := languageNode(t, nil)
	page := "/@icssi/" + st.Slug
	for _, c := range []struct {
		name, path string
		hdr        []string
		want, dir  string
	}{
		{"nothing asks: the default", page, nil, "en", "ltr"},
		{"Accept-Language", page, []string{"Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5"}, "fr", "ltr"},
		{"Accept-Language, first shipped one", page, []string{"Accept-Language", "de-DE,de;q=0.9,it;q=0.8,ar;q=0.7"}, "it", "ltr"},
		{"Accept-Language names none shipped", page, []string{"Accept-Language", "de-DE,pt;q=0.5"}, "en", "ltr"},
		{"Accept-Language ku is Kurmanji", page, []string{"Accept-Language", "ku"}, "ku", "ltr"},
		{"Accept-Language ckb is Sorani", page, []string{"Accept-Language", "ckb-IQ"}, "ckb", "rtl"},
		{"Accept-Language ku-Arab is Sorani, not Arabic", page, []string{"Accept-Language", "ku-Arab"}, "ckb", "rtl"},
		{"Accept-Language kmr is Kurmanji", page, []string{"Accept-Language", "kmr"}, "ku", "ltr"},
		{"cookie beats Accept-Language", page, []string{"Accept-Language", "fr", "Cookie", "a=1; tadamun_lang=ar; b=2"}, "ar", "rtl"},
		{"a cookie for no shipped language is ignored", page, []string{"Accept-Language", "fr", "Cookie", "tadamun_lang=xx"}, "fr", "ltr"},
		{"address beats cookie: translation", page + "/ckb", []string{"Cookie", "tadamun_lang=fr", "Accept-Language", "it"}, "ckb", "rtl"},
		{"address beats cookie: language list", "/ar", []string{"Cookie", "tadamun_lang=fr"}, "ar", "rtl"},
		{"a language list not shipped names none", "/de", []string{"Cookie", "tadamun_lang=fr"}, "fr", "ltr"},
		{"error pages too", "/@icssi/no-such", []string{"Accept-Language", "ar"}, "ar", "rtl"},
	} {
		t.Run(c.name, func(t *testing.T) {
			lang, dir := pageLanguage(t, n, c.path, c.hdr...)
			if lang != c.want || dir != c.dir {
				t.Errorf("%s with %q: %s %s, want %s %s", c.path, c.hdr, lang, dir, c.want, c.dir)
			}
		})
	}
	// The cached page varies by the language: after an Arabic reader, an
	// Italian one still gets Italian, and the answer says what it varied on.
	res, _ := n.get(t, page, "Accept-Language", "ar")
	if v := res.Header.Get("Vary"); !strings.Contains(v, "Accept-Language") || !strings.Contains(v, "Cookie") {
		t.Errorf("Vary = %q", v)
	}
	if lang, _ := pageLanguage(t, n, page, "Accept-Language", "it"); lang != "it" {
		t.Errorf("after an Arabic reader, an Italian one gets %s", lang)
	}
	// The statement keeps its own language inside the Arabic interface.
	_, body := n.get(t, page, "Accept-Language", "ar")
	if !strings.Contains(body, `<article class="statement" lang="en" dir="ltr">`) || !strings.Contains(body, "We Stand Together") {
		t.Errorf("the English statement lost its own lang and dir in the Arabic interface:\n%s", body)
	}
}

// TestLanguageDefault: the configured language, else the node setting,
// else English; a configured language that is not shipped stops the start.
func TestLanguageDefault(t *testing.T) {
	n, _ := languageNode(t, func(c *web.Config) { c.Language = "it" })
	if lang, _ := pageLanguage(t, n, "/"); lang != "it" {
		t.Errorf("configured it: %s", lang)
	}
	if lang, _ := pageLanguage(t, n, "/", "Accept-Language", "fr"); lang != "fr" {
		t.Errorf("the browser's language must beat the default: %s", lang)
	}
	n, _ = languageNode(t, nil)
	if err := n.store.SetNodeSettings(context.Background(), storage.NodeSettings{Language: "ckb"}); err != nil {
		t.Fatal(err)
	}
	if lang, dir := pageLanguage(t, n, "/"); lang != "ckb" || dir != "rtl" {
		t.Errorf("node setting ckb: %s %s", lang, dir)
	}
	if err := n.store.SetNodeSettings(context.Background(), storage.NodeSettings{Language: "de"}); err != nil {
		t.Fatal(err)
	}
	n2, _ := languageNode(t, nil)
	if err := n2.store.SetNodeSettings(context.Background(), storage.NodeSettings{Language: "de"}); err != nil {
		t.Fatal(err)
	}
	if lang, _ := pageLanguage(t, n2, "/"); lang != "en" {
		t.Errorf("node setting de (not shipped): %s, want en", lang)
	}
	st := storagetest.Open(t, storagetest.SQLiteURL(t))
	fed := federation.New(federation.Config{Scheme: "http", Host: "node.test"}, st)
	if _, err := web.New(web.Config{Language: "de"}, st, fed); err == nil || !strings.Contains(err.Error(), "de.json") {
		t.Errorf("a configured language without a catalogue: %v", err)
	}
}

// TestLanguagePicker: the picker is a plain form (no JavaScript); choosing
// sets a long-lived Lax cookie and returns to the page, which is then in
// the chosen language; it never sends the reader to another site.
func TestLanguagePicker(t *testing.T) {
	n, st := languageNode(t, nil)
	page := "/@icssi/" + st.Slug
	_, body := n.get(t, page)
	for _, want := range []string{`<form class="language-picker" method="post" action="/language"`,
		`<input type="hidden" name="back" value="` + page + `">`,
		`<button type="submit" name="lang" value="ar" lang="ar" dir="rtl">العربية</button>`,
		`value="en" lang="en" dir="ltr" aria-current="true" disabled>English</button>`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("the page has a script")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	choose := func(lang, back string) *http.Response {
		t.Helper()
		res, err := client.PostForm(n.srv.URL+"/language", url.Values{"lang": {lang}, "back": {back}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := choose("ar", page)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
		t.Fatalf("choose ar = %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	var ck *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "tadamun_lang" {
			ck = c
		}
	}
	if ck == nil || ck.Value != "ar" || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge < 30*24*3600 || ck.Path != "/" || ck.Secure {
		t.Fatalf("cookie = %+v", ck)
	}
	if lang, _ := pageLanguage(t, n, page, "Cookie", ck.String(), "Accept-Language", "fr"); lang != "ar" {
		t.Errorf("after choosing Arabic: %s", lang)
	}
	for back, want := range map[string]string{
		"https://evil.test/":      "/",
		"//evil.test/x":           "/",
		"/\\evil.test":            "/",
		"\\\\evil.test":           "/",
		"javascript:alert(1)":     "/",
		"http:evil.test":          "/",
		"":                        "/",
		"/search?q=Basra":         "/search?q=Basra",
		"/ar":                     "/",
		page + "/ckb":             page,
		"/%2F%2Fevil.test":        "/",
		"/@icssi/x/ar?y=1":        "/@icssi/x?y=1",
		"/\r\nSet-Cookie: x=1":    "/",
		"/@icssi/" + st.Slug + "": page,
	} {
		res := choose("fr", back)
		if got := res.Header.Get("Location"); got != want {
			t.Errorf("back %q: sent to %q, want %q", back, got, want)
		}
	}
	if res := choose("xx", page); res.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown language = %d", res.StatusCode)
	}
}
