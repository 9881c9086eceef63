package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// partnerSite is another server on a loopback address: it serves what docs
// holds, by request URI (path and query), and counts what it is asked.
type partnerSite struct {
	base    string
	mu      sync.Mutex
	docs    map[string]servedDoc
	hits    map[string]int
	handler http.Handler // when set, answers what docs does not hold
}

type servedDoc struct {
	ctype string
	body  []byte
	delay time.Duration
}

func startPartnerSite(t *testing.T, ip string) *partnerSite {
	t.Helper()
	ps := &partnerSite{docs: map[string]servedDoc{}, hits: map[string]int{}}
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.mu.Lock()
		ps.hits[r.URL.RequestURI()]++
		d, ok := ps.docs[r.URL.RequestURI()]
		h := ps.handler
		ps.mu.Unlock()
		if !ok {
			if h != nil {
				h.ServeHTTP(w, r)
				return
			}
			http.NotFound(w, r)
			return
		}
		if d.delay > 0 {
			select {
			case <-time.After(d.delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", d.ctype)
		w.Write(d.body)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	ps.base = srv.URL
	return ps
}

// serve puts a document at uri (a path, with its query if any).
func (ps *partnerSite) serve(uri, ctype string, body []byte) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.docs[uri] = servedDoc{ctype: ctype, body: body}
}

func (ps *partnerSite) serveJSON(t *testing.T, uri string, doc any) {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	ps.serve(uri, "application/activity+json", b)
}

func (ps *partnerSite) delay(uri string, d time.Duration) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	doc := ps.docs[uri]
	doc.delay = d
	ps.docs[uri] = doc
}

func (ps *partnerSite) hitsOf(uri string) int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.hits[uri]
}

// addActor serves an actor at path with its outbox at path+"/outbox".
func (ps *partnerSite) addActor(t *testing.T, path string) string {
	t.Helper()
	id := ps.base + path
	ps.serveJSON(t, path, map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Person",
		"preferredUsername": "p", "inbox": id + "/inbox", "outbox": id + "/outbox", "followers": id + "/followers"})
	return id
}

// bfNode is our node, fetching over the real network.
type bfNode struct {
	fed   *federation.Service
	store *storage.Store
	media string
}

func newBackfillNode(t *testing.T, dbURL string, allowPrivate bool) *bfNode {
	t.Helper()
	n := &bfNode{media: t.TempDir()}
	n.store = openStore(t, dbURL, time.Now)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	client := transport.New(transport.Config{AllowPrivate: allowPrivate})
	t.Cleanup(client.CloseIdleConnections)
	n.fed = federation.New(federation.Config{Scheme: "https", Host: "node.test", Logger: quiet, Client: client, MediaDir: n.media}, n.store)
	return n
}

func (n *bfNode) resolve(t *testing.T, actorIRI string) *storage.RemoteActor {
	t.Helper()
	r, err := n.fed.ResolveActor(context.Background(), actorIRI, true)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// post is a Note of actor, public unless to is given.
func note(actor, id, text string, extra map[string]any) map[string]any {
	n := map[string]any{"id": id, "type": "Note", "attributedTo": actor, "content": "<p>" + text + "</p>",
		"published": "2026-11-20T10:00:00Z", "url": id, "inReplyTo": nil,
		"to": []any{federation.PublicAddress}, "cc": []any{actor + "/followers"}}
	for k, v := range extra {
		n[k] = v
	}
	return n
}

func create(actor string, obj any) map[string]any {
	id := ""
	if m, ok := obj.(map[string]any); ok {
		id, _ = m["id"].(string)
	} else {
		id, _ = obj.(string)
	}
	return map[string]any{"id": id + "/activity", "type": "Create", "actor": actor, "published": "2026-11-20T10:00:00Z",
		"to": []any{federation.PublicAddress}, "cc": []any{actor + "/followers"}, "object": obj}
}

// TestBackfillMastodonShapedOutbox: an outbox whose "first" is the URL of a
// page of Creates with embedded objects, as Mastodon serves it. Only the
// partner's own public posts on its own origin are stored, from the first
// 20 items; boosts, bare IRIs, replies, followers-only posts, posts of
// other origins or authors are not; a second run stores nothing.
func TestBackfillMastodonShapedOutbox(t *testing.T) {
	ctx := context.Background()
	site := startPartnerSite(t, "127.0.0.31")
	elsewhere := startPartnerSite(t, "127.0.0.32")
	actor := site.addActor(t, "/users/p")
	n := newBackfillNode(t, storagetest.SQLiteURL(t), true)
	partner := n.resolve(t, actor)

	site.serve("/media/photo.jpg", "image/jpeg", exifPhoto(t, 3000, 40))
	post := func(i int) string { return fmt.Sprintf("%s/statuses/%d", actor, i) }
	items := []any{
		create(actor, note(actor, post(0), "With pictures", map[string]any{
			"tag": []any{map[string]any{"type": "Hashtag", "name": "#Iraq", "href": site.base + "/tags/iraq"}},
			"attachment": []any{
				map[string]any{"type": "Document", "mediaType": "image/jpeg", "url": site.base + "/media/photo.jpg",
					"name": "A <b>march</b> in Baghdad", "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH", "width": 3000, "height": 40,
					"focalPoint": []any{0.0, 0.0}},
				map[string]any{"type": "Document", "mediaType": "video/mp4", "url": site.base + "/media/speech.mp4", "name": "A speech"},
			}})),
		map[string]any{"id": actor + "/statuses/b/activity", "type": "Announce", "actor": actor,
			"to": []any{federation.PublicAddress}, "object": "https://elsewhere.example/notes/1"},
		actor + "/statuses/iri-only/activity",
		create(actor, note(actor, post(3), "A reply", map[string]any{"inReplyTo": "https://elsewhere.example/notes/2"})),
		create(actor, note(actor, post(4), "Followers only", map[string]any{"to": []any{actor + "/followers"}, "cc": []any{}})),
		create(actor, note(actor, elsewhere.base+"/statuses/5", "Not on the partner's origin", nil)),
		create(actor, note(site.base+"/users/q", post(6), "Someone else's", nil)),
		create(site.base+"/users/q", note(actor, post(7), "Created by someone else", nil)),
		create(actor, note(actor, post(8), "A poll", map[string]any{"type": "Question"})),
	}
	for i := 9; i < 20; i++ {
		items = append(items, create(actor, note(actor, post(i), fmt.Sprintf("Post %d", i), nil)))
	}
	items = append(items, create(actor, note(actor, post(20), "Beyond the first 20 items", nil)))
	site.serveJSON(t, "/users/p/outbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": actor + "/outbox", "type": "OrderedCollection", "totalItems": 400,
		"first": actor + "/outbox?page=true", "last": actor + "/outbox?min_id=0&page=true"})
	site.serveJSON(t, "/users/p/outbox?page=true", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": actor + "/outbox?page=true", "type": "OrderedCollectionPage", "partOf": actor + "/outbox",
		"next": actor + "/outbox?max_id=1&page=true", "orderedItems": items})

	got, err := n.fed.Backfill(ctx, partner)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{0, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	if got != len(want) {
		t.Errorf("Backfill stored %d, want %d", got, len(want))
	}
	for _, i := range want {
		o, err := n.store.RemoteObjectByIRI(ctx, post(i))
		if err != nil {
			t.Errorf("post %d not stored: %v", i, err)
			continue
		}
		if !o.Backfilled || !o.Public || o.RemoteActorID != partner.ID {
			t.Errorf("post %d: backfilled=%v public=%v author=%s", i, o.Backfilled, o.Public, o.RemoteActorID)
		}
	}
	for _, iri := range []string{post(3), post(4), elsewhere.base + "/statuses/5", post(6), post(7), post(20), "https://elsewhere.example/notes/1"} {
		if _, err := n.store.RemoteObjectByIRI(ctx, iri); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s was stored (%v)", iri, err)
		}
	}
	if elsewhere.hitsOf("/statuses/5") != 0 {
		t.Error("an object of another origin was fetched")
	}

	first, err := n.store.RemoteObjectByIRI(ctx, post(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Tags) != 1 || first.Tags[0] != "iraq" {
		t.Errorf("tags: %v", first.Tags)
	}
	if len(first.Attachments) != 2 {
		t.Fatalf("attachments: %+v", first.Attachments)
	}
	img, vid := first.Attachments[0], first.Attachments[1]
	if img.LocalPath == "" || img.URL != site.base+"/media/photo.jpg" || img.Alt != "A march in Baghdad" ||
		img.Height != 2560 || img.Width != 34 || img.Blurhash == "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH" {
		// Turned upright (EXIF orientation 6), scaled to 2560 px, its own blurhash.
		t.Errorf("image: %+v", img)
	}
	checkCopy(t, n.media, img.LocalPath)
	if vid.LocalPath != "" || vid.URL != site.base+"/media/speech.mp4" || vid.MediaType != "video/mp4" || vid.Alt != "A speech" {
		t.Errorf("video: %+v", vid)
	}
	if site.hitsOf("/media/speech.mp4") != 0 {
		t.Error("a video was fetched")
	}

	// Again: nothing new, nothing fetched again but the outbox.
	if again, err := n.fed.Backfill(ctx, partner); err != nil || again != 0 {
		t.Fatalf("second backfill stored %d: %v", again, err)
	}
	if h := site.hitsOf("/media/photo.jpg"); h != 1 {
		t.Errorf("the image was fetched %d times", h)
	}
}

// checkCopy: a local copy is a private file without the original's metadata.
func checkCopy(t *testing.T, mediaDir, rel string) {
	t.Helper()
	if !strings.HasPrefix(rel, federation.PartnerMediaFolder+"/") {
		t.Fatalf("copy %q is not in the partner folder", rel)
	}
	path := mediaDir + "/" + rel
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("copy mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Exif", secretArtist, secretSerial, secretXMP, "Photoshop"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the copy keeps %q", secret)
		}
	}
}

// TestBackfillGoToSocialShapedOutbox: GoToSocial's page lists Creates whose
// objects are IRIs; those on the partner's origin are fetched, once.
func TestBackfillGoToSocialShapedOutbox(t *testing.T) {
	ctx := context.Background()
	site := startPartnerSite(t, "127.0.0.33")
	elsewhere := startPartnerSite(t, "127.0.0.34")
	actor := site.addActor(t, "/users/p")
	n := newBackfillNode(t, storagetest.SQLiteURL(t), true)
	partner := n.resolve(t, actor)
	var items []any
	for i := range 3 {
		path := fmt.Sprintf("/users/p/statuses/%d", i)
		site.serveJSON(t, path, note(actor, site.base+path, fmt.Sprintf("Status %d", i),
			map[string]any{"@context": "https://www.w3.org/ns/activitystreams"}))
		items = append(items, create(actor, site.base+path))
	}
	elsewhere.serveJSON(t, "/statuses/x", note(actor, elsewhere.base+"/statuses/x", "Elsewhere", nil))
	items = append(items, create(actor, elsewhere.base+"/statuses/x"))
	site.serveJSON(t, "/users/p/outbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": actor + "/outbox", "type": "OrderedCollection", "first": actor + "/outbox?page=true"})
	site.serveJSON(t, "/users/p/outbox?page=true", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": actor + "/outbox?page=true", "type": "OrderedCollectionPage", "partOf": actor + "/outbox", "orderedItems": items})

	got, err := n.fed.Backfill(ctx, partner)
	if err != nil || got != 3 {
		t.Fatalf("Backfill stored %d, want 3: %v", got, err)
	}
	if elsewhere.hitsOf("/statuses/x") != 0 {
		t.Error("an object on another origin was fetched")
	}
	if got, err := n.fed.Backfill(ctx, partner); err != nil || got != 0 {
		t.Fatalf("second backfill stored %d: %v", got, err)
	}
	for i := range 3 {
		if h := site.hitsOf(fmt.Sprintf("/users/p/statuses/%d", i)); h != 1 {
			t.Errorf("status %d fetched %d times, want once", i, h)

		}
	}
}

// TestBackfillBounds: the documents read are bounded together in bytes,
// and the whole backfill in time.
func TestBackfillBounds(t *testing.T) {
	ctx := context.Background()
	t.Run("bytes", func(t *testing.T) {
		site := startPartnerSite(t, "127.0.0.35")
		actor := site.addActor(t, "/users/p")
		n := newBackfillNode(t, storagetest.SQLiteURL(t), true)
		partner := n.resolve(t, actor)
		// Each document is under the client's 1 MiB cap; together they are not.
		pad := strings.Repeat("x", 600<<10)
		site.serveJSON(t, "/users/p/outbox", map[string]any{"id": actor + "/outbox", "type": "OrderedCollection",
			"first": actor + "/outbox?page=true", "summary": pad})
		site.serveJSON(t, "/users/p/outbox?page=true", map[string]any{"id": actor + "/outbox?page=true",
			"type": "OrderedCollectionPage", "summary": pad,
			"orderedItems": []any{create(actor, note(actor, actor+"/statuses/1", "One", nil))}})
		got, err := n.fed.Backfill(ctx, partner)
		if !errors.Is(err, transport.ErrTooLarge) || got != 0 {
			t.Fatalf("Backfill = %d, %v; want ErrTooLarge", got, err)
		}
		if _, err := n.store.RemoteObjectByIRI(ctx, actor+"/statuses/1"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("stored past the byte bound: %v", err)
		}
	})
	t.Run("time", func(t *testing.T) {
		site := startPartnerSite(t, "127.0.0.36")
		actor := site.addActor(t, "/users/p")
		n := newBackfillNode(t, storagetest.SQLiteURL(t), true)
		partner := n.resolve(t, actor)
		site.serveJSON(t, "/users/p/outbox", map[string]any{"id": actor + "/outbox", "type": "OrderedCollection",
			"first": actor + "/outbox?page=true"})
		site.serveJSON(t, "/users/p/outbox?page=true", map[string]any{"id": actor + "/outbox?page=true",
			"type": "OrderedCollectionPage", "orderedItems": []any{create(actor, note(actor, actor+"/statuses/1", "One", nil))}})
		site.delay("/users/p/outbox?page=true", 5*time.Second)
		start := time.Now()
		got, err := n.fed.BackfillWithin(ctx, partner, 300*time.Millisecond)
		if err == nil || got != 0 {
			t.Fatalf("Backfill = %d, %v; want a timeout", got, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Backfill took %v past its 300ms bound", d)
		}
	})
}

// tadamunSite serves a node of ours: actor documents and outboxes, as the
// web layer does.
func tadamunSite(t *testing.T, ip, dbURL string) (*federation.Service, *storage.Store, *partnerSite) {
	t.Helper()
	ps := startPartnerSite(t, ip)
	store := openStore(t, dbURL, time.Now)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	client := transport.New(transport.Config{AllowPrivate: true})
	t.Cleanup(client.CloseIdleConnections)
	host := strings.TrimPrefix(ps.base, "http://")
	fed := federation.New(federation.Config{Scheme: "http", Host: host, Logger: quiet, Client: client, MediaDir: t.TempDir()}, store)
	ps.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, part, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/users/"), "/")
		a, err := store.ActorByUsername(r.Context(), name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		var doc []byte
		switch part {
		case "":
			doc, err = fed.ActorDocument(a)
		case iri.Outbox:
			doc, err = fed.OutboxDocument(r.Context(), a, r.URL.Query().Get(iri.PageParam) != "", r.URL.Query().Get(iri.BeforeParam))
		default:
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", federation.ContentType)
		w.Write(doc)
	})
	return fed, store, ps
}

// TestBackfillFromTadamunOutbox: a Tadamun partner's outbox embeds its
// first page, so one GET gives its 20 latest statements; the page URL is
// not fetched.
func TestBackfillFromTadamunOutbox(t *testing.T) {
	ctx := context.Background()
	for i, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			pfed, pstore, site := tadamunSite(t, fmt.Sprintf("127.0.0.%d", 37+i), b.URL)
			pa, err := pfed.CreateActor(ctx, federation.NewActor{Username: "partner"})
			if err != nil {
				t.Fatal(err)
			}
			for j := range 25 {
				if _, err := pfed.Publish(ctx, "partner", &content.Draft{Title: fmt.Sprintf("Statement %d", j), Language: "ar",
					Body: "نص", Tags: []string{"تضامن"}}); err != nil {
					t.Fatal(err)
				}
			}
			n := newBackfillNode(t, storagetest.SQLiteURL(t), true)
			partner := n.resolve(t, site.base+"/users/partner")
			got, err := n.fed.Backfill(ctx, partner)
			if err != nil || got != federation.BackfillItems {
				t.Fatalf("Backfill stored %d, want %d: %v", got, federation.BackfillItems, err)
			}
			if h := site.hitsOf("/users/partner/outbox?page=true"); h != 0 {
				t.Errorf("the first page was fetched %d times: it should come embedded", h)
			}
			if h := site.hitsOf("/users/partner/outbox"); h != 1 {
				t.Errorf("the outbox was fetched %d times", h)
			}
			// The 20 newest are stored, with their hashtag; the 5 oldest not.
			list, err := pstore.ListStatements(ctx, storage.StatementQuery{ActorID: pa.ID, VisibleAt: time.Now(), Limit: 100})
			if err != nil || len(list) != 25 {
				t.Fatalf("partner statements: %d %v", len(list), err)
			}
			for j, st := range list {
				o, err := n.store.RemoteObjectByIRI(ctx, pfed.IRI().Statement("partner", st.ID))
				if j < federation.BackfillItems && (err != nil || !o.Backfilled || !o.Public || len(o.Tags) != 1 || o.Tags[0] != "تضامن") {
					t.Errorf("statement %d (%s): %+v %v", j, st.Title, o, err)
				}
				if j >= federation.BackfillItems && !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("statement %d (%s) beyond the first page was stored: %v", j, st.Title, err)
				}
			}
			if again, err := n.fed.Backfill(ctx, partner); err != nil || again != 0 {
				t.Fatalf("second backfill stored %d: %v", again, err)
			}
		})
	}
}

// TestOutboxEmbedsFirstPage: our outbox head carries its first page, with
// its own id (the page's URL, which serves the same page) and a next link.
func TestOutboxEmbedsFirstPage(t *testing.T) {
	ctx := context.Background()
	fed, _, _ := tadamunSite(t, "127.0.0.39", storagetest.SQLiteURL(t))
	a, err := fed.CreateActor(ctx, federation.NewActor{Username: "icssi"})
	if err != nil {
		t.Fatal(err)
	}
	for j := range federation.PageSize + 1 {
		if _, err := fed.Publish(ctx, "icssi", &content.Draft{Title: fmt.Sprintf("S %d", j), Language: "en", Body: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	head, err := fed.OutboxDocument(ctx, a, false, "")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		TotalItems int    `json:"totalItems"`
		First      struct {
			ID           string `json:"id"`
			Type         string `json:"type"`
			PartOf       string `json:"partOf"`
			Next         string `json:"next"`
			OrderedItems []struct {
				Type   string `json:"type"`
				Object struct {
					ID      string `json:"id"`
					Content string `json:"content"`
				} `json:"object"`
			} `json:"orderedItems"`
		} `json:"first"`
	}
	if err := json.Unmarshal(head, &doc); err != nil {
		t.Fatalf("%v: %s", err, head)
	}
	f := doc.First
	if doc.Type != "OrderedCollection" || doc.TotalItems != federation.PageSize+1 || f.Type != "OrderedCollectionPage" ||
		f.ID != fed.IRI().OutboxPage("icssi", "") || f.PartOf != doc.ID || f.Next == "" || len(f.OrderedItems) != federation.PageSize {
		t.Fatalf("outbox head: %s", head)
	}
	for _, it := range f.OrderedItems {
		if it.Type != "Create" || it.Object.ID == "" || it.Object.Content == "" {
			t.Fatalf("item without its object: %+v", it)
		}
	}
	// The embedded page's id serves the same page.
	page, err := fed.OutboxDocument(ctx, a, true, "")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		ID           string            `json:"id"`
		OrderedItems []json.RawMessage `json:"orderedItems"`
	}
	if err := json.Unmarshal(page, &p); err != nil || p.ID != f.ID || len(p.OrderedItems) != len(f.OrderedItems) {
		t.Fatalf("page at the embedded id: %v %s", err, page)
	}
}

// TestBackfillOtherShapes: items listed in the collection itself (honk and
// other small servers), "first" as an object naming the page by id only,
// and an empty outbox.
func TestBackfillOtherShapes(t *testing.T) {
	ctx := context.Background()
	site := startPartnerSite(t, "127.0.0.45")
	n := newBackfillNode(t, storagetest.SQLiteURL(t), true)
	for i, shape := range []func(actor string) map[string]any{
		func(actor string) map[string]any {
			return map[string]any{"id": actor + "/outbox", "type": "OrderedCollection",
				"orderedItems": []any{create(actor, note(actor, actor+"/h/1", "Listed in the collection", nil))}}
		},
		func(actor string) map[string]any {
			return map[string]any{"id": actor + "/outbox", "type": "OrderedCollection",
				"first": map[string]any{"id": actor + "/outbox?page=1", "type": "OrderedCollectionPage"}}
		},
		func(actor string) map[string]any {
			return map[string]any{"id": actor + "/outbox", "type": "OrderedCollection", "totalItems": 0}
		},
	} {
		path := fmt.Sprintf("/users/s%d", i)
		actor := site.addActor(t, path)
		site.serveJSON(t, path+"/outbox", shape(actor))
		site.serveJSON(t, path+"/outbox?page=1", map[string]any{"id": actor + "/outbox?page=1", "type": "OrderedCollectionPage",
			"items": create(actor, note(actor, actor+"/h/1", "On a page named by id", nil))})
		want := 1
		if i == 2 {
			want = 0
		}
		if got, err := n.fed.Backfill(ctx, n.resolve(t, actor)); err != nil || got != want {
			t.Errorf("shape %d: stored %d, want %d: %v", i, got, want, err)
		}
	}
}
