package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/mmcdole/gofeed"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
)

// The rendered-response cache: every surface shows a change on the very
// next request, compressed answers are right, and 304s answer per encoding.

var asJSON = []string{"Accept", "application/activity+json"}

// changed asserts that a surface, fetched once to fill the cache and once
// more to hit it, shows want after change and not before.
func changed(t *testing.T, n *node, path string, hdr []string, want string, change func()) {
	t.Helper()
	for i := 0; i < 2; i++ {
		res, body := n.get(t, path, hdr...)
		if res.StatusCode != 200 {
			t.Fatalf("%s = %d before the change", path, res.StatusCode)
		}
		if strings.Contains(body, want) {
			t.Fatalf("%s shows %q before the change", path, want)
		}
	}
	change()
	res, body := n.get(t, path, hdr...)
	if res.StatusCode != 200 || !strings.Contains(body, want) {
		t.Errorf("%s = %d and lacks %q on the request after the change", path, res.StatusCode, want)
	}
}

func TestResponseCacheSurfaces(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testResponseCacheSurfaces(t, b.URL) })
	}
}

func testResponseCacheSurfaces(t *testing.T, dbURL string) {
	n := newNode(t, dbURL)
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	st := n.publish(t, "icssi", "---\ntitle: We Stand Together\nlanguage: en\ntags: [Iraq]\n---\nFor more than 12 years.\n")
	page := "/@icssi/" + st.Slug
	doc := "/users/icssi/statements/" + st.ID
	edit := func(title string) func() {
		return func() {
			d, err := content.ParseStatementFile([]byte("---\ntitle: " + title + "\nlanguage: en\ntags: [Iraq]\n---\nFor more than 12 years.\n"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.fed.Edit(ctx, st.ID, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish := func(title string) func() {
		return func() { n.publish(t, "icssi", "---\ntitle: "+title+"\nlanguage: en\ntags: [Iraq]\n---\nMore.\n") }
	}
	rename := func(name string) func() {
		return func() {
			if _, err := n.fed.UpdateProfile(ctx, "icssi", federation.ProfileUpdate{DisplayName: &name}); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := &storage.RemoteActor{IRI: "https://peer.test/users/amal", Host: "peer.test", Username: "amal",
		DisplayName: "Amal", URL: "https://peer.test/@amal", Inbox: "https://peer.test/inbox"}
	if err := n.store.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}

	t.Run("statement page: edit", func(t *testing.T) { changed(t, n, page, nil, "Edited Once", edit("Edited Once")) })
	t.Run("statement page: like", func(t *testing.T) {
		changed(t, n, page, nil, ">1 like<", func() {
			if err := n.store.AddInteraction(ctx, "like", "https://peer.test/likes/1", st.ID, r.ID); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("statement page: reply approved", func(t *testing.T) {
		o := &storage.RemoteObject{IRI: "https://peer.test/n/1", RemoteActorID: r.ID, Type: "Note", StatementID: st.ID,
			InReplyTo: "x", URL: "https://peer.test/n/1", ContentHTML: content.SanitizeRemote("<p>Solidarity from Basra</p>"),
			Moderation: storage.ModerationPending}
		if err := n.store.UpsertRemoteObject(ctx, o); err != nil {
			t.Fatal(err)
		}
		changed(t, n, page, nil, "Solidarity from Basra", func() {
			if err := n.store.SetModeration(ctx, o.ID, storage.ModerationApproved); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("statement page: approved reply edited", func(t *testing.T) {
		changed(t, n, page, nil, "Solidarity from Basra and Mosul", func() {
			o := &storage.RemoteObject{IRI: "https://peer.test/n/1", RemoteActorID: r.ID, Type: "Note", StatementID: st.ID,
				InReplyTo: "x", URL: "https://peer.test/n/1", ContentHTML: content.SanitizeRemote("<p>Solidarity from Basra and Mosul</p>")}
			if err := n.store.UpsertRemoteObject(ctx, o); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("statement page: replier renamed", func(t *testing.T) {
		changed(t, n, page, nil, "Amal Renamed", func() {
			r.DisplayName = "Amal Renamed"
			if err := n.store.UpsertRemoteActor(ctx, r); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("statement page: translation", func(t *testing.T) {
		changed(t, n, page, nil, page+"/ar", func() {
			d, err := content.ParseStatementFile([]byte("---\ntitle: نقف معاً\nlanguage: ar\n---\nنص.\n"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.fed.Translate(ctx, st.ID, d); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("statement page: actor renamed", func(t *testing.T) { changed(t, n, page, nil, "Renamed Org", rename("Renamed Org")) })
	t.Run("statement JSON: edit", func(t *testing.T) { changed(t, n, doc, asJSON, "Edited Twice", edit("Edited Twice")) })
	t.Run("statement JSON by page address: edit", func(t *testing.T) {
		changed(t, n, page, asJSON, "Edited Thrice", edit("Edited Thrice"))
	})
	t.Run("home: publish", func(t *testing.T) { changed(t, n, "/", nil, "Second Statement", publish("Second Statement")) })
	t.Run("home: edit", func(t *testing.T) { changed(t, n, "/", nil, "Edited Four", edit("Edited Four")) })
	t.Run("tag page: publish", func(t *testing.T) { changed(t, n, "/tags/iraq", nil, "Third Statement", publish("Third Statement")) })
	t.Run("language page: publish", func(t *testing.T) { changed(t, n, "/en", nil, "Fourth Statement", publish("Fourth Statement")) })
	t.Run("actor page: rename", func(t *testing.T) { changed(t, n, "/@icssi", nil, "Second Name", rename("Second Name")) })
	t.Run("actor page: publish", func(t *testing.T) { changed(t, n, "/@icssi", nil, "Fifth Statement", publish("Fifth Statement")) })
	t.Run("actor JSON: rename", func(t *testing.T) { changed(t, n, "/users/icssi", asJSON, "Third Name", rename("Third Name")) })
	t.Run("actor JSON by profile address: rename", func(t *testing.T) {
		changed(t, n, "/@icssi", asJSON, "Fourth Name", rename("Fourth Name"))
	})
	t.Run("outbox: publish", func(t *testing.T) {
		changed(t, n, "/users/icssi/outbox?page=true", asJSON, "Sixth Statement", publish("Sixth Statement"))
	})
	for _, f := range []string{"/feed.rss", "/feed.atom", "/feed.json", "/@icssi/feed.atom", "/tags/iraq/feed.rss", "/en/feed.json"} {
		t.Run("feed "+f+": edit", func(t *testing.T) {
			title := "Edited For " + strings.NewReplacer("/", " ", ".", " ", "@", "").Replace(f)
			changed(t, n, f, []string{"Accept-Encoding", "identity"}, title, edit(title))
		})
	}
	t.Run("webfinger: a new actor", func(t *testing.T) {
		wf := "/.well-known/webfinger?resource=acct:later@node.test"
		if res, _ := n.get(t, wf); res.StatusCode != 404 {
			t.Fatalf("webfinger of a missing actor = %d", res.StatusCode)
		}
		if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "later"}); err != nil {
			t.Fatal(err)
		}
		if res, body := n.get(t, wf); res.StatusCode != 200 || !strings.Contains(body, "/users/later") {
			t.Errorf("webfinger after the actor was created = %d %s", res.StatusCode, body)
		}
	})
	t.Run("deleted statement answers 410 at once", func(t *testing.T) {
		if res, _ := n.get(t, page); res.StatusCode != 200 {
			t.Fatalf("page = %d", res.StatusCode)
		}
		if _, err := n.fed.DeleteStatement(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
		for _, hdr := range [][]string{nil, {"Accept-Encoding", "gzip"}} {
			if res, _ := n.get(t, page, hdr...); res.StatusCode != 410 {
				t.Errorf("deleted statement page %v = %d, want 410", hdr, res.StatusCode)
			}
		}
		if res, _ := n.get(t, doc, asJSON...); res.StatusCode != 410 {
			t.Errorf("deleted statement JSON = %d, want 410", res.StatusCode)
		}
	})
}

// decoded undoes a response's Content-Encoding.
func decoded(t *testing.T, coding, raw string) string {
	t.Helper()
	var r io.Reader
	switch coding {
	case "":
		return raw
	case "gzip":
		zr, err := gzip.NewReader(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(strings.NewReader(raw))
	default:
		t.Fatalf("Content-Encoding %q", coding)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s body does not decode: %v", coding, err)
	}
	return string(b)
}

// codings are the forms of a cached response, each with an Accept-Encoding
// that should get it: br preferred to gzip at equal weight, gzip when br
// weighs less or is refused.
var codings = []struct{ coding, accept string }{
	{"", "identity"},
	{"gzip", "br;q=0.5, gzip;q=0.8"},
	{"br", "gzip, deflate, br, zstd"},
}

// TestResponseEncodings checks br and gzip by Accept-Encoding, Vary,
// distinct ETags, 304 for each encoding and HEAD lengths, on every kind of
// surface: pages, ActivityStreams documents, WebFinger and each feed type.
func TestResponseEncodings(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	st := n.publish(t, "icssi", "---\ntitle: We Stand Together\nlanguage: en\ntags: [Iraq]\n---\n"+seedBody+"\n")
	for _, tc := range []struct {
		path string
		hdr  []string
		vary string
	}{
		{"/@icssi/" + st.Slug, nil, "Accept, Accept-Encoding, Accept-Language, Cookie"}, // pages follow the interface language
		{"/@icssi/" + st.Slug, asJSON, "Accept, Accept-Encoding"},
		{"/", nil, "Accept-Encoding, Accept-Language, Cookie"},
		{"/users/icssi", asJSON, "Accept, Accept-Encoding"},
		{"/users/icssi/statements/" + st.ID, asJSON, "Accept, Accept-Encoding"},
		{"/feed.atom", nil, "Accept-Encoding"},
		{"/feed.rss", nil, "Accept-Encoding"},
		{"/feed.json", nil, "Accept-Encoding"},
		{"/partners/feed.atom", nil, "Accept-Encoding"},
		{"/.well-known/webfinger?resource=acct:icssi@node.test", nil, "Accept-Encoding"},
	} {
		t.Run(tc.path+strings.Join(tc.hdr, ""), func(t *testing.T) {
			raw, etags := map[string]string{}, map[string]string{}
			for _, c := range codings {
				res, body := n.get(t, tc.path, append([]string{"Accept-Encoding", c.accept}, tc.hdr...)...)
				if res.StatusCode != 200 {
					t.Fatalf("%s: status %d", c.accept, res.StatusCode)
				}
				if ce := res.Header.Get("Content-Encoding"); ce != c.coding {
					t.Fatalf("Accept-Encoding %q: Content-Encoding %q, want %q", c.accept, ce, c.coding)
				}
				if v := res.Header.Get("Vary"); v != tc.vary {
					t.Errorf("%s: Vary %q, want %q", c.accept, v, tc.vary)
				}
				raw[c.coding], etags[c.coding] = body, res.Header.Get("ETag")
			}
			plain := raw[""]
			for _, coding := range []string{"gzip", "br"} {
				if decoded(t, coding, raw[coding]) != plain {
					t.Errorf("the %s body is not the identity body compressed", coding)
				}
				if len(raw[coding]) >= len(plain) {
					t.Errorf("%s %d bytes, identity %d", coding, len(raw[coding]), len(plain))
				}
			}
			if e := etags; e[""] == "" || e["gzip"] == "" || e["br"] == "" || e[""] == e["gzip"] || e[""] == e["br"] || e["gzip"] == e["br"] {
				t.Fatalf("ETags %q: want three distinct", etags)
			}
			// 304 for each encoding with its own validator; another
			// encoding's validator does not match.
			for _, c := range codings {
				for _, other := range codings {
					want := 200
					if other.coding == c.coding {
						want = 304
					}
					res, body := n.get(t, tc.path, append([]string{"Accept-Encoding", c.accept, "If-None-Match", etags[other.coding]}, tc.hdr...)...)
					if res.StatusCode != want {
						t.Errorf("%q with If-None-Match %s = %d, want %d", c.accept, etags[other.coding], res.StatusCode, want)
					}
					if want == 304 && (body != "" || res.Header.Get("ETag") != etags[c.coding] || res.Header.Get("Content-Encoding") != "") {
						t.Errorf("304 for %q: body %d bytes, ETag %q, Content-Encoding %q", c.accept, len(body),
							res.Header.Get("ETag"), res.Header.Get("Content-Encoding"))
					}
					if want == 200 && res.Header.Get("ETag") != etags[c.coding] {
						t.Errorf("%q with another form's validator: ETag %q, want %q", c.accept, res.Header.Get("ETag"), etags[c.coding])
					}
				}
			}
			// HEAD carries the length its GET would have, per encoding.
			for _, c := range codings {
				req, err := http.NewRequest(http.MethodHead, n.srv.URL+tc.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Accept-Encoding", c.accept)
				for i := 0; i+1 < len(tc.hdr); i += 2 {
					req.Header.Set(tc.hdr[i], tc.hdr[i+1])
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 200 || res.Header.Get("Content-Length") != strconv.Itoa(len(raw[c.coding])) ||
					res.Header.Get("Content-Encoding") != c.coding {
					t.Errorf("HEAD %q = %d, Content-Length %q, Content-Encoding %q; want %d bytes of %q", c.accept, res.StatusCode,
						res.Header.Get("Content-Length"), res.Header.Get("Content-Encoding"), len(raw[c.coding]), c.coding)
				}
			}
		})
	}
	t.Run("HEAD before any GET", func(t *testing.T) {
		for _, enc := range []string{"br", "gzip", "identity"} {
			path := "/tags/iraq?enc=" + enc // a selection nobody has asked for yet
			req, err := http.NewRequest(http.MethodHead, n.srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept-Encoding", enc)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			getRes, body := n.get(t, path, "Accept-Encoding", enc)
			if res.StatusCode != 200 || res.Header.Get("Content-Length") != strconv.Itoa(len(body)) ||
				res.Header.Get("ETag") != getRes.Header.Get("ETag") {
				t.Errorf("HEAD %s = %d, length %q, ETag %q; GET: %d bytes, ETag %q", enc, res.StatusCode,
					res.Header.Get("Content-Length"), res.Header.Get("ETag"), len(body), getRes.Header.Get("ETag"))
			}
		}
	})
	t.Run("transparent gzip in Go's client", func(t *testing.T) {
		res, err := http.Get(n.srv.URL + "/feed.atom")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if !res.Uncompressed {
			t.Error("Go's client did not get gzip when it asked for it")
		}
	})
}

// TestCompressedFeedsParse reads br and gzip feeds with gofeed: raw bytes
// decompressed by hand, and gzip through Go's client decompressing by
// itself.
func TestCompressedFeedsParse(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		n.publish(t, "icssi", "---\ntitle: Statement "+strconv.Itoa(i)+"\nlanguage: en\n---\n"+seedBody+"\n")
	}
	for _, f := range []string{"/feed.rss", "/feed.atom", "/feed.json", "/@icssi/feed.atom"} {
		t.Run(f, func(t *testing.T) {
			for _, coding := range []string{"br", "gzip"} {
				res, raw := n.get(t, f, "Accept-Encoding", coding)
				if ce := res.Header.Get("Content-Encoding"); ce != coding {
					t.Fatalf("%s asked: Content-Encoding %q", coding, ce)
				}
				feed, err := gofeed.NewParser().ParseString(decoded(t, coding, raw))
				if err != nil || len(feed.Items) != 3 {
					t.Fatalf("raw %s: %v, %v", coding, err, feed)
				}
			}
			tr, err := http.Get(n.srv.URL + f)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Body.Close()
			feed, err := gofeed.NewParser().Parse(tr.Body)
			if err != nil || len(feed.Items) != 3 || !tr.Uncompressed {
				t.Fatalf("transparent: %v, uncompressed %v", err, tr.Uncompressed)
			}
		})
	}
}

// TestCachedActivityStillNeedsSignature: a document stored while the node
// was open is not served unsigned once it requires signed fetches.
func TestCachedActivityStillNeedsSignature(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	st := n.publish(t, "icssi", "---\ntitle: T\nlanguage: en\n---\nx\n")
	paths := []string{"/users/icssi", "/@icssi", "/users/icssi/outbox?page=true", "/users/icssi/statements/" + st.ID, "/@icssi/" + st.Slug}
	for _, p := range paths {
		for i := 0; i < 2; i++ {
			if res, _ := n.get(t, p, asJSON...); res.StatusCode != 200 {
				t.Fatalf("open mode: %s = %d", p, res.StatusCode)
			}
		}
	}
	if err := n.fed.SetFederationMode(ctx, storage.FederationAllowList); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if res, _ := n.get(t, p, asJSON...); res.StatusCode != 401 {
			t.Errorf("allow-list mode: unsigned %s = %d, want 401", p, res.StatusCode)
		}
	}
	if res, _ := n.get(t, "/@icssi/"+st.Slug); res.StatusCode != 200 {
		t.Errorf("the public page = %d", res.StatusCode)
	}
}

// TestStatementPageWeight: the seed statement's page is at most 30 KB on
// the wire (gzip, images excluded) and carries no JavaScript.
func TestStatementPageWeight(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	st := n.publish(t, "icssi", "---\ntitle: We Stand Together\nlanguage: en\ntags: [Iraq, تضامن]\n---\n"+seedStatement(t)+"\n")
	res, raw := n.get(t, "/@icssi/"+st.Slug, "Accept-Encoding", "gzip")
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("page = %d, %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	wire := len(raw)
	// The stylesheet travels too, once; count it, compressed as it is served.
	cssRes, css := n.get(t, "/static/style.css", "Accept-Encoding", "gzip")
	if cssRes.StatusCode == 200 {
		if cssRes.Header.Get("Content-Encoding") == "gzip" {
			wire += len(css)
		} else {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write([]byte(css))
			zw.Close()
			wire += b.Len()
		}
	}
	zr, err := gzip.NewReader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("statement page: %d bytes, %d gzip; with the stylesheet %d bytes on the wire", len(page), len(raw), wire)
	if wire > 30*1024 {
		t.Errorf("statement page weighs %d bytes on the wire, want at most 30 KB", wire)
	}
	if bytes.Contains(bytes.ToLower(page), []byte("<script")) {
		t.Error("the statement page carries a <script>")
	}
	if !bytes.Contains(page, []byte("Iraqi Civil Society")) {
		t.Error("the page lacks the statement")
	}
}

// seedStatement is ICSSI's 2015 statement, the node's reference text.
func seedStatement(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/icssi-solidarity-statement-2015.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestResponseCachePartners: the partners page and feeds show a partner's
// new post on the next request.
func TestResponseCachePartners(t *testing.T) {
	p := newPartnerNet(t, storagetest.SQLiteURL(t))
	r := p.partner(t, "amal", "peer.test", "Amal", false)
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	p.post(t, r, "1", "en", "<p>First word from Basra</p>", at, nil)
	for i, path := range []string{"/partners", "/partners/feed.atom", "/partners/feed.rss"} {
		id := strconv.Itoa(i + 2)
		changed(t, p.node, path, nil, "Word number "+id, func() {
			p.post(t, r, id, "en", "<p>Word number "+id+"</p>", at.Add(time.Duration(i+1)*time.Hour), nil)
		})
	}
}

// cacheMetric reads one of a cache's gauges or counters from the registry
// the server was given.
func cacheMetric(t *testing.T, reg *prometheus.Registry, name, cache string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "cache" && l.GetValue() == cache {
					if g := m.GetGauge(); g != nil {
						return g.GetValue()
					}
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{cache=%q}", name, cache)
	return 0
}

// TestResponseCacheBound: the configured bound is the one applied, with
// every compressed form counted; a small one evicts, and a negative one
// keeps nothing while the answers stay whole, in every coding.
func TestResponseCacheBound(t *testing.T) {
	for _, tc := range []struct {
		name         string
		bound        int64
		maxEntries   float64
		wantEvicting bool
	}{
		{"default", 0, 6, false},
		{"40KiB", 40 << 10, 5, true}, // room for five pages with their forms, not six
		{"none", -1, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			n := newNodeConfig(t, storagetest.SQLiteURL(t), func(c *web.Config) {
				c.ResponseCacheBytes, c.FeedCacheBytes, c.Metrics = tc.bound, tc.bound, reg
			})
			if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
				t.Fatal(err)
			}
			var paths []string
			for i := 0; i < 6; i++ {
				st := n.publish(t, "icssi", "---\ntitle: Statement "+strconv.Itoa(i)+"\nlanguage: en\n---\n"+seedBody+"\n")
				paths = append(paths, "/@icssi/"+st.Slug)
			}
			for _, p := range append(paths, "/feed.atom") {
				_, plain := n.get(t, p, "Accept-Encoding", "identity")
				res, br := n.get(t, p, "Accept-Encoding", "br")
				if res.StatusCode != 200 || (res.Header.Get("Content-Encoding") == "br" && decoded(t, "br", br) != plain) {
					t.Fatalf("%s: %d, %q: not the identity body", p, res.StatusCode, res.Header.Get("Content-Encoding"))
				}
			}
			want := tc.bound
			if want == 0 {
				want = web.DefaultResponseCacheBytes
			}
			if got := cacheMetric(t, reg, "tadamun_cache_max_bytes", "responses"); got != float64(want) {
				t.Errorf("bound %v, want %d", got, want)
			}
			held, entries := cacheMetric(t, reg, "tadamun_cache_bytes", "responses"), cacheMetric(t, reg, "tadamun_cache_entries", "responses")
			evicted := cacheMetric(t, reg, "tadamun_cache_evictions_total", "responses")
			if held > max(float64(want), 0) || entries > tc.maxEntries || (evicted > 0) != tc.wantEvicting {
				t.Errorf("%v bytes in %v entries, %v evicted; bound %d", held, entries, evicted, want)
			}
			if tc.bound < 0 && cacheMetric(t, reg, "tadamun_cache_entries", "feeds") != 0 {
				t.Error("the feed cache kept a feed with a negative bound")
			}
		})
	}
}
