package web_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
)

// hubNode is a node that is its own WebSub hub and pings an external one,
// with its WebSub worker running.
type hubNode struct {
	*node
	url string // database
}

func newHubNode(t *testing.T, dbURL string, ws web.WebSubConfig) *hubNode {
	t.Helper()
	st := storagetest.Open(t, dbURL)
	clock := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	n := &node{store: st, clock: &clock}
	now := func() time.Time { return *n.clock }
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n.fed = federation.New(federation.Config{Scheme: "http", Host: "node.test", Now: now, Logger: quiet, MediaDir: t.TempDir()}, st)
	s, err := web.New(web.Config{Version: "test", Now: now, Logger: quiet, Metrics: prometheus.NewRegistry(), WebSub: ws}, st, n.fed)
	if err != nil {
		t.Fatal(err)
	}
	n.srv = httptest.NewServer(s.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.RunWebSub(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		n.srv.Close()
	})
	return &hubNode{node: n, url: dbURL}
}

// subscribeForm posts a subscription request and returns the answer.
func (n *hubNode) subscribeForm(t *testing.T, form url.Values) (int, string) {
	t.Helper()
	res, err := http.PostForm(n.srv.URL+web.WebSubPath, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// push is a content distribution as a subscriber received it.
type push struct {
	at        time.Time
	body      []byte
	ctype     string
	link      string
	signature string
}

// subscriber is a loopback WebSub subscriber. It answers verifications by
// echoing the challenge (or not, when lying) and records pushes.
type subscriber struct {
	srv    *httptest.Server
	lying  bool
	mu     sync.Mutex
	checks []url.Values
	pushes []push
	got    chan struct{} // a push arrived
	asked  chan struct{} // a verification arrived
}

func newSubscriber(t *testing.T, lying bool) *subscriber {
	sub := &subscriber{lying: lying, got: make(chan struct{}, 64), asked: make(chan struct{}, 64)}
	sub.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			q := r.URL.Query()
			sub.mu.Lock()
			sub.checks = append(sub.checks, q)
			sub.mu.Unlock()
			if sub.lying {
				io.WriteString(w, "not-the-challenge")
			} else {
				io.WriteString(w, q.Get("hub.challenge"))
			}
			sub.asked <- struct{}{}
		case http.MethodPost:
			b, _ := io.ReadAll(r.Body)
			sub.mu.Lock()
			sub.pushes = append(sub.pushes, push{at: time.Now(), body: b, ctype: r.Header.Get("Content-Type"),
				link: r.Header.Get("Link"), signature: r.Header.Get("X-Hub-Signature")})
			sub.mu.Unlock()
			sub.got <- struct{}{}
		}
	}))
	t.Cleanup(sub.srv.Close)
	return sub
}

func (sub *subscriber) count() (checks, pushes int) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return len(sub.checks), len(sub.pushes)
}

// fakeHub is an external hub that records publish pings.
type fakeHub struct {
	srv   *httptest.Server
	mu    sync.Mutex
	pings map[string]int // hub.url -> pings
}

func newFakeHub(t *testing.T) *fakeHub {
	h := &fakeHub{pings: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("hub.mode") != "publish" ||
			r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad ping", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.pings[r.PostForm.Get("hub.url")]++
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeHub) pinged(topic string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pings[topic]
}

// waitLimit is how long the tests wait for something the hub does at
// once; generous, for a loaded CI machine (the latency is logged).
const waitLimit = 10 * time.Second

// eventually waits for cond, polling, and fails after a few seconds: a
// deadline for correctness, not a speed assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// awaitPush waits for the next push to sub, failing after a few seconds.
func awaitPush(t *testing.T, sub *subscriber, what string) push {
	t.Helper()
	select {
	case <-sub.got:
	case <-time.After(waitLimit):
		t.Fatalf("no push for %s", what)
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.pushes[len(sub.pushes)-1]
}

const hubSecret = "s3cret-of-the-subscriber"

// TestWebSubHub: a loopback subscriber subscribes through the hub
// endpoint, answers the challenge, and receives the signed feed when a
// statement is published, edited and deleted; a subscriber that echoes the
// wrong challenge and one whose lease expired get nothing; the external
// hub is pinged for every feed of the statement; on both databases.
func TestWebSubHub(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testWebSubHub(t, b.URL) })
	}
}

func testWebSubHub(t *testing.T, dbURL string) {
	ctx := context.Background()
	ext := newFakeHub(t)
	n := newHubNode(t, dbURL, web.WebSubConfig{SelfHub: true, Hubs: []string{ext.srv.URL + "/"},
		Client: transport.New(transport.Config{AllowPrivate: true})})
	for _, a := range []string{"icssi", "other"} {
		if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: a}); err != nil {
			t.Fatal(err)
		}
	}
	n.publish(t, "other", "---\ntitle: Elsewhere\nlanguage: ar\n---\nنص.\n")
	// The first look of a new hub records the feeds as they are; changes
	// after it are pushed.
	eventually(t, "the first look at the feeds", func() bool {
		return storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM websub_topics WHERE selection IN ('actor:other', 'lang:ar')`) == 2
	})
	unchanged := []string{"http://node.test/ar/feed.atom", "http://node.test/@other/feed.atom"}
	before := map[string]int{}
	for _, f := range unchanged {
		eventually(t, "the queue to empty", func() bool {
			return storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM websub_jobs`) == 0
		})
		before[f] = ext.pinged(f)
	}

	topic := "http://node.test/@icssi/feed.atom"
	good, liar, late := newSubscriber(t, false), newSubscriber(t, true), newSubscriber(t, false)
	for _, s := range []*subscriber{good, liar, late} {
		code, msg := n.subscribeForm(t, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic},
			"hub.callback": {s.srv.URL + "/cb?feed=icssi"}, "hub.secret": {hubSecret}, "hub.lease_seconds": {"5"}})
		if code != http.StatusAccepted {
			t.Fatalf("subscribe: %d %s", code, msg)
		}
	}
	for _, s := range []*subscriber{good, liar, late} {
		select {
		case <-s.asked:
		case <-time.After(waitLimit):
			t.Fatal("no verification of intent")
		}
	}
	q := good.checks[0]
	if q.Get("hub.mode") != "subscribe" || q.Get("hub.topic") != topic || q.Get("hub.lease_seconds") != "3600" ||
		len(q.Get("hub.challenge")) < 16 || q.Get("feed") != "icssi" {
		t.Errorf("verification query %v: want mode, topic, a challenge, the lease raised to an hour, the callback's own query", q)
	}
	active := func(s *subscriber) error {
		_, err := n.store.ActiveWebSubscription(ctx, topic, s.srv.URL+"/cb?feed=icssi")
		return err
	}
	eventually(t, "the verified subscriptions", func() bool { return active(good) == nil && active(late) == nil })
	eventually(t, "the refused verification to be settled", func() bool {
		return storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM websub_jobs`) == 0
	})
	if err := active(liar); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a subscriber that did not echo the challenge is subscribed: %v", err)
	}
	// late's lease has run out.
	storagetest.Exec(t, dbURL, `UPDATE websub_subscriptions SET expires_at = $1 WHERE callback = $2`,
		time.Now().Add(-time.Minute), late.srv.URL+"/cb?feed=icssi")

	start := time.Now()
	st := n.publish(t, "icssi", "---\ntitle: Water for Mosul\nlanguage: en\ntags: [Iraq]\n---\nThe campaign goes on.\n")
	p := awaitPush(t, good, "the publish")
	t.Logf("push received %v after the publish", p.at.Sub(start))
	checkPush(t, p, topic, "Water for Mosul")

	// The external hub hears of every feed the statement is in.
	for _, f := range []string{"http://node.test/feed.atom", "http://node.test/@icssi/feed.rss",
		"http://node.test/tags/iraq/feed.json", "http://node.test/en/feed.atom", topic} {
		eventually(t, "a ping for "+f, func() bool { return ext.pinged(f) > 0 })
	}

	d, err := content.ParseStatementFile([]byte("---\ntitle: Water for Mosul, updated\nlanguage: en\ntags: [Iraq]\n---\nThe campaign goes on.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.fed.Edit(ctx, st.ID, d); err != nil {
		t.Fatal(err)
	}
	checkPush(t, awaitPush(t, good, "the edit"), topic, "Water for Mosul, updated")
	if _, err := n.fed.DeleteStatement(ctx, st.ID); err != nil {
		t.Fatal(err)
	}
	p = awaitPush(t, good, "the deletion")
	checkPush(t, p, topic, "")
	if strings.Contains(string(p.body), "Water for Mosul") {
		t.Error("the push after the deletion still carries the statement")
	}

	// Every push of those changes was queued with the good one and in
	// the same transaction; once the queue is empty, none is left for
	// the others.
	eventually(t, "the queue to empty", func() bool {
		return storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM websub_jobs`) == 0
	})
	// Feeds the statement was never in did not change.
	for _, f := range unchanged {
		if n := ext.pinged(f) - before[f]; n != 0 {
			t.Errorf("%s, which did not change, was pinged %d times", f, n)
		}
	}
	if _, pushes := liar.count(); pushes != 0 {
		t.Errorf("the unverified subscriber got %d pushes", pushes)
	}
	if _, pushes := late.count(); pushes != 0 {
		t.Errorf("the expired subscriber got %d pushes", pushes)
	}
	if n, err := n.store.PruneWebSub(ctx, 7*24*time.Hour); err != nil || n != 1 {
		t.Errorf("PruneWebSub = %d, %v; want the expired subscription removed", n, err)
	}

	// Unsubscribing is verified too, and ends the pushes.
	if code, msg := n.subscribeForm(t, url.Values{"hub.mode": {"unsubscribe"}, "hub.topic": {topic},
		"hub.callback": {good.srv.URL + "/cb?feed=icssi"}}); code != http.StatusAccepted {
		t.Fatalf("unsubscribe: %d %s", code, msg)
	}
	eventually(t, "the unsubscription", func() bool { return errors.Is(active(good), storage.ErrNotFound) })
	if q := good.checks[len(good.checks)-1]; q.Get("hub.mode") != "unsubscribe" {
		t.Errorf("unsubscription verified with %v", q)
	}
}

// checkPush checks a content distribution: the feed's type and Link
// headers, the signature (HMAC-SHA256 of the body under the secret), and
// a body that parses as the feed, whose first item is title ("" for none).
func checkPush(t *testing.T, p push, topic, title string) {
	t.Helper()
	m := hmac.New(sha256.New, []byte(hubSecret))
	m.Write(p.body)
	if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); p.signature != want {
		t.Errorf("X-Hub-Signature %q, want %q", p.signature, want)
	}
	if !strings.HasPrefix(p.ctype, "application/atom+xml") {
		t.Errorf("Content-Type %q", p.ctype)
	}
	if !strings.Contains(p.link, `<http://node.test/websub>; rel="hub"`) || !strings.Contains(p.link, "<"+topic+`>; rel="self"`) {
		t.Errorf("Link %q", p.link)
	}
	f, err := gofeed.NewParser().ParseString(string(p.body))
	if err != nil {
		t.Fatalf("pushed feed: %v", err)
	}
	switch {
	case title == "" && len(f.Items) != 0:
		t.Errorf("pushed feed has %d items, want none", len(f.Items))
	case title != "" && (len(f.Items) == 0 || f.Items[0].Title != title):
		t.Errorf("pushed feed's items %v, want %q first", f.Items, title)
	}
}

// TestWebSubRefusals: requests the hub answers 4xx, with a message that
// says what to send, and a callback on a private address refused by a
// node that does not allow them.
func TestWebSubRefusals(t *testing.T) {
	n := newHubNode(t, storagetest.SQLiteURL(t), web.WebSubConfig{SelfHub: true, Limits: storage.WebSubLimits{MaxPerHost: 3}})
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	ok := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {"http://node.test/@icssi/feed.rss"},
		"hub.callback": {"https://reader.example/cb"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range ok {
			f[key] = vs
		}
		f.Set(k, v)
		return f
	}
	for _, tc := range []struct {
		name string
		form url.Values
		code int
		says string
	}{
		{"another site's feed", with("hub.topic", "https://elsewhere.example/feed.atom"), 400, "one of this node's feeds"},
		{"not a feed", with("hub.topic", "http://node.test/@icssi"), 400, "one of this node's feeds"},
		{"no such account", with("hub.topic", "http://node.test/@nobody/feed.rss"), 400, "not a feed of this node"},
		{"not the canonical address", with("hub.topic", "http://node.test/tags/IRAQ/feed.rss"), 400, "http://node.test/tags/iraq/feed.rss"},
		{"publish", with("hub.mode", "publish"), 400, "subscribe or unsubscribe"},
		{"no callback", with("hub.callback", ""), 400, "hub.callback"},
		{"not http", with("hub.callback", "ftp://reader.example/cb"), 400, "hub.callback"},
		{"private address", with("hub.callback", "http://127.0.0.1:9/cb"), 400, "public"},
		{"fragment", with("hub.callback", "https://reader.example/cb#x"), 400, "fragment"},
		{"long callback", with("hub.callback", "https://reader.example/"+strings.Repeat("a", 2100)), 400, "longer than"},
		{"long secret", with("hub.secret", strings.Repeat("s", 200)), 400, "200 bytes"},
		{"bad lease", with("hub.lease_seconds", "soon"), 400, "lease_seconds"},
		{"accepted", ok, 202, "verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := n.subscribeForm(t, tc.form)
			if code != tc.code || !strings.Contains(msg, tc.says) {
				t.Errorf("%d %q, want %d saying %q", code, msg, tc.code, tc.says)
			}
		})
	}
	// The bounds: one more callback host past its limit is refused.
	for i := 0; i < 2; i++ { // the "accepted" case above was the first
		if code, msg := n.subscribeForm(t, with("hub.topic", "http://node.test/tags/t"+strings.Repeat("x", i)+"/feed.rss")); code != 202 {
			t.Fatalf("subscription %d: %d %s", i, code, msg)
		}
	}
	if code, msg := n.subscribeForm(t, with("hub.topic", "http://node.test/tags/onetoomany/feed.rss")); code != http.StatusTooManyRequests ||
		!strings.Contains(msg, "reader.example") {
		t.Errorf("past the per-host bound: %d %q", code, msg)
	}
}

// TestWebSubRate: one address sending subscription requests in a burst
// is told to slow down.
func TestWebSubRate(t *testing.T) {
	n := newHubNode(t, storagetest.SQLiteURL(t), web.WebSubConfig{SelfHub: true})
	slowed := 0
	for i := 0; i < 30; i++ {
		code, msg := n.subscribeForm(t, url.Values{"hub.mode": {"subscribe"}})
		if code == http.StatusTooManyRequests && strings.Contains(msg, "slow down") {
			slowed++
		}
	}
	if slowed == 0 {
		t.Error("30 requests at once were all answered")
	}
}

// TestWebSubFeedsAdvertiseHubs: every feed (the partners' too) names the
// hubs and itself, in its body (read by gofeed) and in Link headers.
func TestWebSubFeedsAdvertiseHubs(t *testing.T) {
	n := newHubNode(t, storagetest.SQLiteURL(t), web.WebSubConfig{SelfHub: true, Hubs: []string{"https://hub.example/"}})
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	n.publish(t, "icssi", "---\ntitle: One\nlanguage: ar\ntags: [حقوق]\n---\nنص.\n")
	for _, p := range []string{"/feed.rss", "/feed.atom", "/feed.json", "/@icssi/feed.rss", "/ar/feed.atom", "/tags/حقوق/feed.json",
		"/partners/feed.rss", "/partners/feed.atom", "/partners/feed.json"} {
		t.Run(p, func(t *testing.T) {
			res, body := n.get(t, p)
			if res.StatusCode != 200 {
				t.Fatalf("%d", res.StatusCode)
			}
			f, err := gofeed.NewParser().ParseString(body)
			if err != nil {
				t.Fatal(err)
			}
			link := res.Header.Get("Link")
			for _, want := range []string{`<http://node.test/websub>; rel="hub"`, `<https://hub.example/>; rel="hub"`,
				"<" + f.FeedLink + `>; rel="self"`} {
				if !strings.Contains(link, want) {
					t.Errorf("Link %q lacks %s", link, want)
				}
			}
			if !strings.HasPrefix(f.FeedLink, "http://node.test/") {
				t.Errorf("self %q", f.FeedLink)
			}
			for _, h := range []string{"http://node.test/websub", "https://hub.example/"} {
				if !strings.Contains(body, h) {
					t.Errorf("the body does not name the hub %s", h)
				}
			}
		})
	}
}

// TestWebSubTwoProcesses: two nodes share one database, as two serve
// processes do; a subscriber subscribes through one, a statement is
// published through the other (as tadamun publish in another process
// would), and the subscriber receives one push, from whichever process
// moved the feed's recorded version.
func TestWebSubTwoProcesses(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			ws := web.WebSubConfig{SelfHub: true, Client: transport.New(transport.Config{AllowPrivate: true})}
			a := newHubNode(t, b.URL, ws)
			other := newHubNode(t, b.URL, ws)
			if _, err := a.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the first look at the feeds", func() bool {
				return storagetest.Count(t, b.URL, `SELECT COUNT(*) FROM websub_topics WHERE selection = 'actor:icssi'`) == 1
			})
			sub := newSubscriber(t, false)
			topic, callback := "http://node.test/@icssi/feed.json", sub.srv.URL+"/cb"
			if code, msg := a.subscribeForm(t, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic},
				"hub.callback": {callback}}); code != http.StatusAccepted {
				t.Fatalf("subscribe: %d %s", code, msg)
			}
			eventually(t, "the verified subscription", func() bool {
				_, err := a.store.ActiveWebSubscription(ctx, topic, callback)
				return err == nil
			})
			start := time.Now()
			other.publish(t, "icssi", "---\ntitle: From the other process\nlanguage: en\n---\nText.\n")
			p := awaitPush(t, sub, "a statement published by the other process")
			t.Logf("push received %v after the publish", p.at.Sub(start))
			if !strings.HasPrefix(p.ctype, "application/feed+json") || p.signature != "" ||
				!strings.Contains(string(p.body), "From the other process") {
				t.Errorf("push: %s, signature %q, %s", p.ctype, p.signature, p.body)
			}
			eventually(t, "the queue to empty", func() bool {
				return storagetest.Count(t, b.URL, `SELECT COUNT(*) FROM websub_jobs`) == 0
			})
			// Both processes have looked at the change by the time the
			// queue is empty and another of their polls has passed.
			time.Sleep(600 * time.Millisecond)
			if _, pushes := sub.count(); pushes != 1 {
				t.Errorf("%d pushes of one change, want 1", pushes)
			}
		})
	}
}

// TestWebSubPartnersFeed: the partners' feed is a WebSub topic like the
// node's own feeds. A subscriber of /partners/feed.atom receives the
// signed feed when a partner's post is stored (as the inbox stores a post
// it then relays), by this process and by another one on the same
// database, and the external hub is pinged for the feed in every format;
// on both databases.
func TestWebSubPartnersFeed(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testWebSubPartnersFeed(t, b.URL) })
	}
}

func testWebSubPartnersFeed(t *testing.T, dbURL string) {
	ctx := context.Background()
	ext := newFakeHub(t)
	n := newHubNode(t, dbURL, web.WebSubConfig{SelfHub: true, Hubs: []string{ext.srv.URL + "/"},
		Client: transport.New(transport.Config{AllowPrivate: true})})
	p := partnerNetOn(t, n.node)
	mena := p.partner(t, "mena", "mena.test", "شبكة المنطقة", false)
	p.post(t, mena, "1", "ar", "<p>نص أول</p>", time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), nil)
	eventually(t, "the first look at the feeds", func() bool {
		return storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM websub_topics WHERE selection = 'actor:icssi'`) == 1
	})

	topic := "http://node.test/partners/feed.atom"
	sub := newSubscriber(t, false)
	callback := sub.srv.URL + "/cb"
	if code, msg := n.subscribeForm(t, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic},
		"hub.callback": {callback}, "hub.secret": {hubSecret}}); code != http.StatusAccepted {
		t.Fatalf("subscribe: %d %s", code, msg)
	}
	eventually(t, "the verified subscription", func() bool {
		_, err := n.store.ActiveWebSubscription(ctx, topic, callback)
		return err == nil
	})
	if _, pushes := sub.count(); pushes != 0 {
		t.Fatalf("%d pushes before any change", pushes)
	}

	start := time.Now()
	p.post(t, mena, "2", "en", "<p>Water reaches the camps</p>", time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), nil)
	got := awaitPush(t, sub, "a partner's post stored by this process")
	t.Logf("push received %v after the post was stored", got.at.Sub(start))
	checkPush(t, got, topic, "Water reaches the camps")
	for _, f := range []string{"http://node.test/partners/feed.rss", topic, "http://node.test/partners/feed.json"} {
		eventually(t, "a ping for "+f, func() bool { return ext.pinged(f) > 0 })
	}

	// Another process (the inbox of a second serve, on the same
	// database) stores the next post.
	other := &partnerNet{node: &node{store: storagetest.Open(t, dbURL)}, actor: p.actor}
	start = time.Now()
	other.post(t, mena, "3", "en", "<p>Schools open again</p>", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), nil)
	got = awaitPush(t, sub, "a partner's post stored by another process")
	t.Logf("push received %v after the other process stored the post", got.at.Sub(start))
	checkPush(t, got, topic, "Schools open again")

	eventually(t, "the queue to empty", func() bool {
		return storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM websub_jobs`) == 0
	})
	if _, pushes := sub.count(); pushes != 2 {
		t.Errorf("%d pushes of two changes, want 2", pushes)
	}
	// The node's own feeds did not change.
	if n := ext.pinged("http://node.test/feed.atom"); n != 0 {
		t.Errorf("the node's feed, which did not change, was pinged %d times", n)
	}
}
