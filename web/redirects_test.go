package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/archive"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
)

// oldSite is a WordPress export of two posts that translate each other
// (Polylang) and a draft.
const oldSite = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>ICSSI</title><link>https://old.icssi.example</link><language>en-US</language>
<item><title>We Stand Together</title><link>https://old.icssi.example/2015/03/we-stand-together/</link>
<guid isPermaLink="false">https://old.icssi.example/?p=12</guid>
<content:encoded><![CDATA[<p>Solidarity.</p>]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>12</wp:post_id><wp:post_date_gmt>2015-03-01 09:00:00</wp:post_date_gmt><wp:post_name>we-stand-together</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="language" nicename="en">English</category><category domain="post_translations" nicename="pll_1">pll_1</category></item>
<item><title>نقف معاً</title><link>https://old.icssi.example/ar/2015/03/%d9%86%d9%82%d9%81-%d9%85%d8%b9%d8%a7%d9%8b/</link>
<guid isPermaLink="false">https://old.icssi.example/?p=13</guid>
<content:encoded><![CDATA[<p>تضامن.</p>]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>13</wp:post_id><wp:post_date_gmt>2015-03-01 10:00:00</wp:post_date_gmt><wp:post_name>%d9%86%d9%82%d9%81-%d9%85%d8%b9%d8%a7%d9%8b</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="language" nicename="ar">العربية</category><category domain="post_translations" nicename="pll_1">pll_1</category></item>
<item><title>Unfinished</title><link>https://old.icssi.example/?p=14</link><guid isPermaLink="false">https://old.icssi.example/?p=14</guid>
<content:encoded><![CDATA[<p>Later.</p>]]></content:encoded><wp:post_id>14</wp:post_id><wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>
<wp:post_name>unfinished</wp:post_name><wp:status>draft</wp:status><wp:post_type>post</wp:post_type></item>
</channel></rss>`

// TestLegacyRedirects: after an import, the old site's addresses answer
// 301 to the statement (in the language the old address showed) however
// the path is spelled; WordPress's ?p= and ?page_id= too. Anything else is
// left alone, and a home page without those parameters reads nothing more.
func TestLegacyRedirects(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := newNodeConfig(t, b.URL, func(c *web.Config) { c.ResponseCacheBytes = 1 })
			ctx := context.Background()
			if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
				t.Fatal(err)
			}
			a, err := archive.ReadWXR(strings.NewReader(oldSite))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := n.fed.Import(ctx, a, federation.ImportOptions{Actor: "icssi", Language: "en",
				Drafts: federation.ImportDraft, Pages: federation.ImportSkip})
			if err != nil || rep.Imported != 2 {
				t.Fatalf("import: %+v %v", rep, err)
			}
			en := n.fed.IRI().StatementPage("icssi", "we-stand-together", "")
			ar := n.fed.IRI().StatementPage("icssi", "we-stand-together", "ar")
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for _, c := range []struct{ method, path, want string }{
				{"GET", "/2015/03/we-stand-together/", en},
				{"GET", "/2015/03/we-stand-together", en},
				{"GET", "/2015/03/We-Stand-Together/", en},
				{"HEAD", "/2015/03/we-stand-together/", en},
				{"GET", "/ar/2015/03/%d9%86%d9%82%d9%81-%d9%85%d8%b9%d8%a7%d9%8b/", ar},
				{"GET", "/ar/2015/03/%D9%86%D9%82%D9%81-%D9%85%D8%B9%D8%A7%D9%8B", ar},
				{"GET", "/ar/2015/03/نقف-معاً/", ar},
				{"GET", "/?p=12", en},
				{"GET", "/?page_id=13", ar},
				{"GET", "/?p=13&lang=ar", ar},
				{"GET", "/2015/03/unknown/", ""},
				{"GET", "/?p=14", ""}, // a draft: the home page
				{"GET", "/?p=999", ""},
				{"GET", "/?p=x", ""},
				{"POST", "/2015/03/we-stand-together/", ""},
			} {
				req, err := http.NewRequest(c.method, n.srv.URL+c.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				res, err := noFollow.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if c.want != "" && (res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != c.want) {
					t.Errorf("%s %s: %d %q, want 301 to %s", c.method, c.path, res.StatusCode, res.Header.Get("Location"), c.want)
				}
				if c.want == "" && res.StatusCode == http.StatusMovedPermanently {
					t.Errorf("%s %s: redirected to %s", c.method, c.path, res.Header.Get("Location"))
				}
			}
			// Without the response cache every request runs the home page:
			// with an unrelated query it reads what it reads without one; a
			// numeric ?p= costs one look-up more.
			cost := func(path string) int64 {
				before := n.store.QueryCount()
				if res, _ := n.get(t, path); res.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d", path, res.StatusCode)
				}
				return n.store.QueryCount() - before
			}
			cost("/")
			plain, other, unknown := cost("/"), cost("/?utm_source=x&page_ref=2"), cost("/?p=999")
			if other != plain || unknown != plain+1 {
				t.Errorf("home page queries: %d without a query, %d with another, %d with an unknown ?p= (want %d, %d, %d)",
					plain, other, unknown, plain, plain, plain+1)
			}
		})
	}
}
