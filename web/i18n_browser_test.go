package web_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage"
)

// TestBrowserInterfaceLanguages: in Chromium, a reader on an Arabic
// statement picks Arabic in the footer (a plain form, no script) and gets
// the interface right to left with Arabic words, month and numerals; the
// Sorani translation's address shows the Sorani interface. Screenshots of
// both are saved; with TADAMUN_SCREENSHOTS=1 also as
// web/screenshots/statement-{ar,ckb}.png, the pictures of the README.
func TestBrowserInterfaceLanguages(t *testing.T) {
	b := startBrowser(t)
	n := newBrowserNode(t)
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi",
		DisplayName: "مبادرة التضامن مع المجتمع المدني العراقي", Languages: []string{"ar", "ckb", "en"}}); err != nil {
		t.Fatal(err)
	}
	st := n.publish(t, "icssi", "---\ntitle: نقف معاً مع ناشطي المجتمع المدني العراقي\nlanguage: ar\nslug: naqif\n"+
		"summary: مبادرة التضامن مع المجتمع المدني العراقي تجمع منظمات عراقية ودولية.\ntags: [العراق, البصرة]\n"+
		"publish: 2026-11-20T09:00:00Z\n---\n"+
		"منذ أكثر من اثني عشر عاماً من الغزو والحرب والاحتلال، يواصل الناشطون العراقيون عملهم من أجل السلام والعدالة.\n\n"+
		"ندعو المنظمات الشريكة إلى نشر هذا البيان وترجمته.\n")
	st.Translations = append(st.Translations, storage.Translation{Language: "ckb", Title: "پێکەوە لەگەڵ چالاکوانانی کۆمەڵگەی مەدەنی عێراق",
		Summary:      "دەستپێشخەری هاوپشتی لەگەڵ کۆمەڵگەی مەدەنی عێراق.",
		BodyMarkdown: "زیاتر لە دوازدە ساڵە چالاکوانانی عێراقی کار دەکەن.",
		BodyHTML:     "<p>زیاتر لە دوازدە ساڵە چالاکوانانی عێراقی کار دەکەن.</p>"})
	if err := n.store.UpdateStatement(ctx, st); err != nil {
		t.Fatal(err)
	}
	page := n.srv.URL + "/@icssi/" + url.PathEscape(st.Slug)

	type view struct {
		Lang     string `json:"lang"`
		Dir      string `json:"dir"`
		Computed string `json:"computed"`
		Counts   string `json:"counts"`
		Date     string `json:"date"`
		Search   string `json:"search"`
	}
	read := func(tab context.Context) view {
		return eval[view](t, tab, `({lang: document.documentElement.lang, dir: document.documentElement.dir,
			computed: getComputedStyle(document.body).direction,
			counts: document.querySelector('p.counts').innerText.trim(),
			date: document.querySelector('article.statement p.meta time').innerText.trim(),
			search: document.querySelector('a.search-link').innerText.trim()})`)
	}
	keep := func(name string) {
		if os.Getenv("TADAMUN_SCREENSHOTS") != "1" {
			return
		}
		src := filepath.Join(b.artifacts, unsafeFileChars.ReplaceAllString(t.Name()+"-"+name, "_")+".png")
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("screenshots", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("screenshots", "statement-"+name+".png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	tab := b.tab(t)
	b.visit(t, tab, page, "before")
	if got := read(tab); got.Lang != "en" || got.Dir != "ltr" {
		t.Fatalf("before choosing: %+v", got)
	}
	b.follow(t, tab, "pick Arabic", "ar", chromedp.Click(chromedp.CSS(`form.language-picker button[value="ar"]`)))
	got := read(tab)
	latin := func(s string) bool {
		return strings.ContainsAny(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz0123456789")
	}
	if got.Lang != "ar" || got.Dir != "rtl" || got.Computed != "rtl" || got.Counts == "" || latin(got.Counts) {
		t.Errorf("Arabic interface: %+v", got)
	}
	if !strings.Contains(got.Date, "تشرين الثاني") || !strings.Contains(got.Date, "٢٠٢٦") || latin(got.Date) {
		t.Errorf("Arabic date %q: want the Iraqi month name and Arabic-Indic digits", got.Date)
	}
	if got.Search == "" || latin(got.Search) {
		t.Errorf("the header's search link says %q", got.Search)
	}
	if p := eval[string](t, tab, `location.pathname`); p != "/@icssi/"+url.PathEscape(st.Slug) {
		t.Errorf("the picker left the page: %s", p)
	}
	keep("ar")

	b.visit(t, tab, page+"/ckb", "ckb")
	got = read(tab)
	if got.Lang != "ckb" || got.Dir != "rtl" || got.Computed != "rtl" || !strings.Contains(got.Date, "٢٠") ||
		!strings.Contains(got.Date, "تشرینی دووەم") || latin(got.Counts) || latin(got.Search) {
		t.Errorf("Sorani interface: %+v", got)
	}
	if article := eval[string](t, tab, `document.querySelector('article.statement').lang`); article != "ckb" {
		t.Errorf("the Sorani translation's block is %q", article)
	}
	keep("ckb")
}
