package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// partnerNet is a node whose actor follows partners, with their posts
// stored as the inbox stores them: sanitized with content.SanitizeRemote.
type partnerNet struct {
	*node
	actor *storage.Actor
}

func newPartnerNet(t testing.TB, dbURL string) *partnerNet {
	t.Helper()
	return partnerNetOn(t, newNode(t, dbURL))
}

// partnerNetOn gives node n the actor icssi that follows the partners.
func partnerNetOn(t testing.TB, n *node) *partnerNet {
	t.Helper()
	a, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi", DisplayName: "ICSSI"})
	if err != nil {
		t.Fatal(err)
	}
	return &partnerNet{node: n, actor: a}
}

// partner stores a remote account and our actor's follow of it, accepted
// unless pending is set.
func (p *partnerNet) partner(t testing.TB, username, host, name string, pending bool) *storage.RemoteActor {
	t.Helper()
	ctx := context.Background()
	r := &storage.RemoteActor{IRI: "https://" + host + "/users/" + username, Host: host, Username: username,
		DisplayName: name, URL: "https://" + host + "/@" + username, Inbox: "https://" + host + "/users/" + username + "/inbox",
		IconURL: "https://" + host + "/avatars/" + username + ".png", ExpiresAt: time.Now().Add(time.Hour)}
	if err := p.store.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}
	follow := "http://node.test/users/icssi/activities/follow-" + username
	if err := p.store.PutFollowing(ctx, p.actor.ID, r.ID, follow, storage.RelayPolicy{Mode: storage.RelayNone}); err != nil {
		t.Fatal(err)
	}
	if !pending {
		if err := p.store.SetFollowingState(ctx, follow, p.actor.ID, r.ID, storage.FollowAccepted); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// post stores a public post of r, its HTML sanitized as the inbox does.
func (p *partnerNet) post(t testing.TB, r *storage.RemoteActor, id, lang, rawHTML string, at time.Time, edit func(*storage.RemoteObject)) *storage.RemoteObject {
	t.Helper()
	o := &storage.RemoteObject{IRI: "https://" + r.Host + "/objects/" + id, RemoteActorID: r.ID, Type: "Note",
		URL: "https://" + r.Host + "/@" + r.Username + "/" + id, ContentHTML: content.SanitizeRemote(rawHTML),
		Language: lang, Public: true, PublishedAt: &at, Moderation: storage.ModerationApproved}
	if edit != nil {
		edit(o)
	}
	if err := p.store.UpsertRemoteObject(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return o
}

// writePNG writes a small PNG below the node's media directory, as the
// partner media cache would, and returns its path relative to it.
func (p *partnerNet) writePNG(t testing.TB, rel string) string {
	t.Helper()
	full := filepath.Join(p.fed.MediaDir(), filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 320, 180))
	for x := 0; x < 320; x++ {
		for y := 0; y < 180; y++ {
			img.Set(x, y, color.RGBA{R: uint8(x * 255 / 320), G: 120, B: uint8(y * 255 / 180), A: 255})
		}
	}
	f, err := os.Create(full)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return rel
}

// seed gives the node two accepted partners (one writing in Arabic) and a
// pending one, with posts of each kind the page must treat differently.
func (p *partnerNet) seed(t testing.TB) {
	t.Helper()
	mena := p.partner(t, "mena", "mena.test", "شبكة المنطقة", false)
	ngo := p.partner(t, "ngo", "ngo.test", "", false)
	later := p.partner(t, "later", "later.test", "Not Yet Partner", true)
	day := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	local := p.writePNG(t, "partners/01JPHOTO/1.png")
	p.post(t, mena, "1", "ar", `<p>تضامن مع <a href="https://mena.test/tags/x">#العراق</a></p>`, day, func(o *storage.RemoteObject) {
		o.Tags = []string{"العراق"}
		o.Attachments = []storage.RemoteAttachment{
			{URL: "https://mena.test/media/1.png", MediaType: "image/png", Alt: "متظاهرون في بغداد", Width: 320, Height: 180, LocalPath: local},
			{URL: "https://mena.test/media/2.mp4", MediaType: "video/mp4", Alt: "a video"},
		}
	})
	p.post(t, ngo, "2", "en", `<p>The hidden body.</p>`, day.Add(time.Hour), func(o *storage.RemoteObject) {
		o.Summary = "Violence"
		o.Sensitive = true
	})
	p.post(t, ngo, "3", "en", `<p>A reply to someone.</p>`, day.Add(2*time.Hour), func(o *storage.RemoteObject) {
		o.InReplyTo = "https://elsewhere.test/objects/9"
	})
	p.post(t, ngo, "4", "en", `<p>Followers only.</p>`, day.Add(3*time.Hour), func(o *storage.RemoteObject) { o.Public = false })
	p.post(t, later, "5", "en", `<p>From the pending partner.</p>`, day.Add(4*time.Hour), nil)
}

func TestPartnersPage(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testPartnersPage(t, b.URL) })
	}
}

func testPartnersPage(t *testing.T, dbURL string) {
	p := newPartnerNet(t, dbURL)
	t.Run("empty", func(t *testing.T) {
		res, page := p.get(t, "/partners")
		if res.StatusCode != 200 || !strings.Contains(page, "This node follows no partners yet.") {
			t.Fatalf("empty partners page = %d\n%s", res.StatusCode, page)
		}
		if _, home := p.get(t, "/"); !strings.Contains(home, `href="/partners"`) {
			t.Error("the site navigation does not link to /partners")
		}
		if _, sm := p.get(t, "/sitemap.xml"); !strings.Contains(sm, "<loc>http://node.test/partners</loc>") {
			t.Error("the sitemap does not list /partners")
		}
	})
	p.seed(t)
	res, page := p.get(t, "/partners")
	if res.StatusCode != 200 {
		t.Fatalf("partners page = %d\n%s", res.StatusCode, page)
	}
	t.Run("partners listed, not hot-linked", func(t *testing.T) {
		for _, want := range []string{"شبكة المنطقة", "@mena@mena.test", `href="https://mena.test/@mena"`, "@ngo@ngo.test",
			`<span class="initial" aria-hidden="true">ش</span>`, `<span class="initial" aria-hidden="true">N</span>`} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		if strings.Contains(page, "/avatars/") {
			t.Error("a partner's avatar is hot-linked")
		}
		if strings.Contains(page, "Not Yet Partner") || strings.Contains(page, "pending partner") {
			t.Error("a partner whose follow is pending is shown")
		}
	})
	t.Run("posts", func(t *testing.T) {
		for _, want := range []string{
			`<li lang="ar" dir="rtl">`, "تضامن مع", `href="https://mena.test/@mena/1"`,
			`<img src="/media/partners/01JPHOTO/1.png" alt="متظاهرون في بغداد" width="320" height="180"`,
			`class="elsewhere">Media at the original</a>`,
			`<details class="cw"><summary dir="auto">Violence</summary>`, "The hidden body.",
			`<time datetime="2026-11-20T09:00:00Z">20 November 2026</time>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		for _, absent := range []string{"A reply to someone.", "Followers only.", "From the pending partner.", "media/2.mp4", "mena.test/media/1.png"} {
			if strings.Contains(page, absent) {
				t.Errorf("page shows %q", absent)
			}
		}
		if i, j := strings.Index(page, "The hidden body."), strings.Index(page, "تضامن مع"); i < 0 || j < i {
			t.Error("posts are not newest first")
		}
	})
	t.Run("head, images policy, validators", func(t *testing.T) {
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") {
			t.Errorf("CSP lets pictures come from elsewhere: %s", csp)
		}
		unescaped := html.UnescapeString(page)
		for _, f := range []string{"feed.rss", "feed.atom", "feed.json"} {
			if !strings.Contains(unescaped, `href="http://node.test/partners/`+f+`"`) {
				t.Errorf("page does not advertise %s", f)
			}
		}
		r2, body := p.get(t, "/partners", "If-None-Match", res.Header.Get("ETag"))
		if r2.StatusCode != 304 || body != "" || res.Header.Get("Last-Modified") == "" {
			t.Errorf("conditional GET = %d (Last-Modified %q)", r2.StatusCode, res.Header.Get("Last-Modified"))
		}
	})
	t.Run("local copy served, nothing else", func(t *testing.T) {
		res, _ := p.get(t, "/media/partners/01JPHOTO/1.png")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("partner picture = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		if err := os.WriteFile(filepath.Join(p.fed.MediaDir(), "partners", "01JPHOTO", "page.html"), []byte("<html><script>alert(1)</script>"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"/media/partners/01JPHOTO/page.html", "/media/partners/01JPHOTO/none.png",
			"/media/partners/%2e%2e/%2e%2e/secret", "/media/partners/.hidden", "/media/partners/"} {
			if res, _ := p.get(t, bad); res.StatusCode != 404 {
				t.Errorf("%s = %d, want 404", bad, res.StatusCode)
			}
		}
	})
	t.Run("paging", func(t *testing.T) {
		many := p.partner(t, "many", "many.test", "Many", false)
		for i := 0; i < 45; i++ {
			p.post(t, many, fmt.Sprintf("m%02d", i), "en", fmt.Sprintf("<p>Post number %02d.</p>", i),
				time.Date(2026, 11, 21, 0, i, 0, 0, time.UTC), nil)
		}
		_, first := p.get(t, "/partners")
		i := strings.Index(first, `rel="next"`)
		if strings.Count(first, `<article class="partner-post">`) != 40 || i < 0 {
			t.Fatalf("first page: %d posts, next link %v", strings.Count(first, `<article class="partner-post">`), i >= 0)
		}
		href := html.UnescapeString(first[strings.LastIndex(first[:i], `href="`)+6 : i-2])
		res, second := p.get(t, href)
		// 45 + the two older seeded posts: 7 on the second page.
		if res.StatusCode != 200 || strings.Count(second, `<article class="partner-post">`) != 7 || strings.Contains(second, `rel="next"`) ||
			!strings.Contains(second, "Post number 00") || strings.Contains(second, "Post number 44") || !strings.Contains(second, "تضامن مع") {
			t.Fatalf("second page %d: %d posts", res.StatusCode, strings.Count(second, `<article class="partner-post">`))
		}
		for _, bad := range []string{"/partners?before=garbage", "/partners?before=12_not-an-id"} {
			if res, _ := p.get(t, bad); res.StatusCode != 400 {
				t.Errorf("%s = %d", bad, res.StatusCode)
			}
		}
	})
}

// parsedFeed fetches a partners feed, checks its type and validators, and
// parses it with gofeed.
func parsedFeed(t *testing.T, n *node, path string) (*gofeed.Feed, string) {
	t.Helper()
	types := map[string]string{"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}
	res, body := n.get(t, path)
	ext := path[strings.LastIndex(path, ".")+1:]
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), types[ext]) || res.Header.Get("ETag") == "" ||
		res.Header.Get("Last-Modified") == "" {
		t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if r2, b2 := n.get(t, path, "If-None-Match", res.Header.Get("ETag")); r2.StatusCode != 304 || b2 != "" {
		t.Errorf("%s with If-None-Match: %d", path, r2.StatusCode)
	}
	if r3, _ := n.get(t, path, "If-Modified-Since", res.Header.Get("Last-Modified")); r3.StatusCode != 304 {
		t.Errorf("%s with If-Modified-Since: %d", path, r3.StatusCode)
	}
	f, err := gofeed.NewParser().ParseString(body)
	if err != nil {
		t.Fatalf("%s does not parse: %v\n%s", path, err, body)
	}
	return f, body
}

func TestPartnersFeeds(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testPartnersFeeds(t, b.URL) })
	}
}

func testPartnersFeeds(t *testing.T, dbURL string) {
	p := newPartnerNet(t, dbURL)
	p.seed(t)
	for _, ext := range []string{"rss", "atom", "json"} {
		path := "/partners/feed." + ext
		f, body := parsedFeed(t, p.node, path)
		if len(f.Items) != 2 {
			t.Fatalf("%s: %d items, want 2\n%s", path, len(f.Items), body)
		}
		ar, cw := f.Items[1], f.Items[0]
		if ar.GUID != "https://mena.test/objects/1" || ar.Link != "https://mena.test/@mena/1" || !strings.Contains(ar.Content, "تضامن مع") ||
			len(ar.Categories) != 1 || ar.Categories[0] != "العراق" || !strings.HasPrefix(ar.Title, "تضامن مع") {
			t.Errorf("%s: Arabic item %+v", path, ar)
		}
		if ar.Author == nil || ar.Author.Name != "شبكة المنطقة" ||
			!strings.Contains(ar.Content, `<a href="https://mena.test/@mena">شبكة المنطقة</a> <bdi>@mena@mena.test</bdi>`) {
			t.Errorf("%s: author %+v, content %s", path, ar.Author, ar.Content)
		}
		if !strings.Contains(ar.Content, "Media at the original") || strings.Contains(ar.Content, "mena.test/media") {
			t.Errorf("%s: the video is not a link to the original, or is hot-linked: %s", path, ar.Content)
		}
		if cw.Title != "Violence" || cw.Author == nil || cw.Author.Name != "ngo" || !strings.Contains(cw.Content, "@ngo@ngo.test") {
			t.Errorf("%s: warned item %q by %+v", path, cw.Title, cw.Author)
		}
		for _, absent := range []string{"A reply to someone.", "Followers only.", "pending partner", "/avatars/"} {
			if strings.Contains(body, absent) {
				t.Errorf("%s carries %q", path, absent)
			}
		}
		switch ext {
		case "rss":
			// RSS 2.0 has no language per item; Dublin Core's dc:language
			// carries it, which gofeed reads.
			if ar.DublinCoreExt == nil || len(ar.DublinCoreExt.Language) != 1 || ar.DublinCoreExt.Language[0] != "ar" {
				t.Errorf("rss: item language %+v", ar.DublinCoreExt)
			}
			if !strings.Contains(body, `<media:content url="http://node.test/media/partners/01JPHOTO/1.png" type="image/png" medium="image"`) {
				t.Error("rss: the local copy is not the item's picture")
			}
		case "atom":
			if !strings.Contains(body, `<entry xml:lang="ar">`) || !strings.Contains(body, `<uri>https://mena.test/@mena</uri>`) {
				t.Errorf("atom: no per-entry xml:lang or author uri\n%s", body)
			}
		case "json":
			var doc struct {
				Items []struct {
					Language string `json:"language"`
					Authors  []struct {
						Name, URL string
					} `json:"authors"`
					Attachments []struct {
						URL   string `json:"url"`
						Title string `json:"title"`
					} `json:"attachments"`
				} `json:"items"`
			}
			if err := json.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatal(err)
			}
			it := doc.Items[1]
			if it.Language != "ar" || len(it.Authors) != 1 || it.Authors[0].URL != "https://mena.test/@mena" ||
				len(it.Attachments) != 1 || it.Attachments[0].URL != "http://node.test/media/partners/01JPHOTO/1.png" ||
				it.Attachments[0].Title != "متظاهرون في بغداد" {
				t.Errorf("json: item %+v", it)
			}
		}
	}
	// A new post reaches the cached feeds at once: PartnerVersion moved.
	ngo, err := p.store.RemoteActorByIRI(context.Background(), "https://ngo.test/users/ngo")
	if err != nil {
		t.Fatal(err)
	}
	p.post(t, ngo, "6", "en", "<p>Fresh news.</p>", time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), nil)
	for _, ext := range []string{"rss", "atom", "json"} {
		if f, _ := parsedFeed(t, p.node, "/partners/feed."+ext); len(f.Items) != 3 || f.Items[0].Title != "Fresh news." {
			t.Errorf("%s after a new post: %d items", ext, len(f.Items))
		}
	}
}

// TestPartnerPostsRenderInert: the hostile HTML of TestRepliesRenderInert,
// in a partner's post (stored sanitized, as the inbox stores it) and in its
// author's profile, leaves nothing active on the page or in any feed.
func TestPartnerPostsRenderInert(t *testing.T) {
	p := newPartnerNet(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	r := &storage.RemoteActor{IRI: "https://evil.test/users/x", Host: "evil.test", Username: "x<script>alert(5)</script>",
		DisplayName: `<img src=x onerror=alert(1)>Mallory"><script>alert(6)</script>`, URL: "javascript:alert(1)",
		Inbox: "https://evil.test/inbox", ExpiresAt: time.Now().Add(time.Hour)}
	if err := p.store.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}
	follow := "http://node.test/users/icssi/activities/follow-evil"
	if err := p.store.PutFollowing(ctx, p.actor.ID, r.ID, follow, storage.RelayPolicy{}); err != nil {
		t.Fatal(err)
	}
	if err := p.store.SetFollowingState(ctx, follow, p.actor.ID, r.ID, storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	hostile := `<p style="position:fixed">Solidarity<script>alert(1)</script><a href="javascript:alert(2)" onclick="x()">click</a><img src=x onerror=alert(3)><iframe src="https://evil.test"></iframe></p>`
	p.post(t, r, "1", "en", hostile, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), func(o *storage.RemoteObject) {
		o.URL = "javascript:alert(4)"
		o.Name = `<b onmouseover=alert(7)>Title</b>`
		o.Attachments = []storage.RemoteAttachment{{URL: "javascript:alert(8)", Alt: `"><script>alert(9)</script>`,
			LocalPath: "../../etc/passwd"}}
	})
	bad := []string{"<script", "javascript:", "onerror=alert(3)", "onclick", "<iframe", "position:fixed", "<img src=x",
		"<b onmouseover", "etc/passwd"}
	_, page := p.get(t, "/partners")
	if !strings.Contains(page, "Solidarity") || !strings.Contains(page, "Mallory") {
		t.Fatalf("the partner's post is missing:\n%s", page)
	}
	for _, b := range bad {
		if strings.Contains(page, b) {
			t.Errorf("page contains %q", b)
		}
	}
	for _, ext := range []string{"rss", "atom", "json"} {
		f, body := parsedFeed(t, p.node, "/partners/feed."+ext)
		if len(f.Items) != 1 || !strings.Contains(f.Items[0].Content, "Solidarity") {
			t.Fatalf("%s: %d items", ext, len(f.Items))
		}
		// What a feed reader renders: the item's HTML, and its text fields
		// once unescaped by the parser, which a reader shows as text.
		it := f.Items[0]
		for _, b := range bad {
			if strings.Contains(it.Content, b) || strings.Contains(it.Link, b) {
				t.Errorf("%s: item content or link contains %q", ext, b)
			}
		}
		if strings.Contains(body, "javascript:") {
			t.Errorf("%s carries a javascript: address", ext)
		}
	}
}

// TestMovedNotice: a local actor that has moved says so on its profile,
// with a link to its new address.
func TestMovedNotice(t *testing.T) {
	p := newPartnerNet(t, storagetest.SQLiteURL(t))
	if _, page := p.get(t, "/@icssi"); strings.Contains(page, "has moved") {
		t.Fatal("an actor that has not moved shows the notice")
	}
	if err := p.store.SetActorMovedTo(context.Background(), p.actor.ID, "https://new.test/users/icssi"); err != nil {
		t.Fatal(err)
	}
	_, page := p.get(t, "/@icssi")
	if !strings.Contains(page, `This account has moved to <a href="https://new.test/users/icssi"`) {
		t.Fatalf("no moved notice:\n%s", page)
	}
}

// TestPartnerPostThroughInbox: a partner's Create, signed as its server
// sends it, goes through the real inbox (signature, key fetch, worker),
// which sanitizes the post and copies its picture; the hostile HTML of
// TestRepliesRenderInert and a hostile display name leave nothing active
// on /partners or in the feeds, and the picture is our copy.
func TestPartnerPostThroughInbox(t *testing.T) {
	n := newBrowserNode(t) // a node that may reach servers on loopback
	p := partnerNetOn(t, n)
	ctx := context.Background()
	key, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pem, err := httpsig.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var pic bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 12, 9))
	img.Set(2, 2, color.RGBA{B: 200, A: 255})
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	partner := httptest.NewServer(mux)
	t.Cleanup(partner.Close)
	actor := partner.URL + "/users/mallory"
	mux.HandleFunc("/users/mallory", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprintf(w, `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],
			"id":%q,"type":"Organization","preferredUsername":"mallory","name":%q,"url":"javascript:alert(1)",
			"inbox":%q,"publicKey":{"id":%q,"owner":%q,"publicKeyPem":%q}}`,
			actor, `<img src=x onerror=alert(1)>Mallory<script>alert(6)</script>`, actor+"/inbox", actor+"#main-key", actor, pem)
	})
	mux.HandleFunc("/users/mallory/inbox", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	mux.HandleFunc("/media/1.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pic.Bytes())
	})
	if _, err := n.fed.Follow(ctx, "icssi", actor, storage.RelayPolicy{Mode: storage.RelayNone}); err != nil {
		t.Fatal(err)
	}
	r, err := n.store.RemoteActorByIRI(ctx, actor)
	if err != nil {
		t.Fatal(err)
	}
	f, err := n.store.Following(ctx, p.actor.ID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.store.SetFollowingState(ctx, f.FollowIRI, p.actor.ID, r.ID, storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	hostile := `<p style="position:fixed">Solidarity<script>alert(1)</script><a href="javascript:alert(2)" onclick="x()">click</a><img src=x onerror=alert(3)><iframe src="https://evil.test"></iframe></p>`
	note := map[string]any{"id": partner.URL + "/notes/1", "type": "Note", "attributedTo": actor, "url": "javascript:alert(4)",
		"content": hostile, "contentMap": map[string]string{"en": hostile}, "published": "2026-11-22T10:00:00Z",
		"to": []string{"https://www.w3.org/ns/activitystreams#Public"},
		"attachment": []map[string]any{{"type": "Document", "mediaType": "image/png", "url": partner.URL + "/media/1.png",
			"name": `"><script>alert(9)</script>A square`}}}
	body, err := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": partner.URL + "/notes/1/activity",
		"type": "Create", "actor": actor, "to": note["to"], "object": note})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, n.srv.URL+"/users/icssi/inbox", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, body, actor+"#main-key", key, *n.clock); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("inbox POST = %d", res.StatusCode)
	}
	if _, err := n.fed.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
	o, err := n.store.RemoteObjectByIRI(ctx, partner.URL+"/notes/1")
	if err != nil {
		t.Fatalf("the inbox did not store the partner's post: %v", err)
	}
	if len(o.Attachments) != 1 || o.Attachments[0].LocalPath == "" {
		t.Fatalf("the picture was not copied: %+v", o.Attachments)
	}
	bad := []string{"<script", "javascript:", "onerror=alert(3)", "onclick", "<iframe", "position:fixed", "<img src=x"}
	_, page := n.get(t, "/partners")
	local := "/media/" + o.Attachments[0].LocalPath
	if !strings.Contains(page, "Solidarity") || !strings.Contains(page, `<img src="`+local+`"`) || strings.Contains(page, partner.URL+"/media") {
		t.Fatalf("the post or its local picture is missing, or the original is hot-linked:\n%s", page)
	}
	for _, b := range bad {
		if strings.Contains(page, b) {
			t.Errorf("page contains %q", b)
		}
	}
	if res, _ := n.get(t, local); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("the local copy = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, ext := range []string{"rss", "atom", "json"} {
		f, body := parsedFeed(t, n, "/partners/feed."+ext)
		if len(f.Items) != 1 || !strings.Contains(f.Items[0].Content, "Solidarity") {
			t.Fatalf("%s: %d items", ext, len(f.Items))
		}
		for _, b := range bad {
			if strings.Contains(f.Items[0].Content, b) {
				t.Errorf("%s: item content contains %q", ext, b)
			}
		}
		if strings.Contains(body, "javascript:") {
			t.Errorf("%s carries a javascript: address", ext)
		}
	}
}
