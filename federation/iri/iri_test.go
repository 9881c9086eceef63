package iri

import (
	"net/url"
	"slices"
	"testing"
)

func TestBuilders(t *testing.T) {
	b := New("https", "node.example:8443")
	const base = "https://node.example:8443"
	for _, tc := range []struct {
		name, got, want string
	}{
		{"Base", b.Base(), base},
		{"Host", b.Host(), "node.example:8443"},
		{"Scheme", b.Scheme(), "https"},
		{"Home", b.Home(), base + "/"},
		{"Actor", b.Actor("icssi"), base + "/users/icssi"},
		{"Key", b.Key("icssi"), base + "/users/icssi#main-key"},
		{"Profile", b.Profile("icssi"), base + "/@icssi"},
		{"RemoteFollow", b.RemoteFollow("icssi"), base + "/@icssi/follow"},
		{"ActorPart inbox", b.ActorPart("icssi", Inbox), base + "/users/icssi/inbox"},
		{"ActorPart outbox", b.ActorPart("icssi", Outbox), base + "/users/icssi/outbox"},
		{"ActorPart followers", b.ActorPart("icssi", Followers), base + "/users/icssi/followers"},
		{"ActorPart following", b.ActorPart("icssi", Following), base + "/users/icssi/following"},
		{"ActorPart featured", b.ActorPart("icssi", Featured), base + "/users/icssi/collections/featured"},
		{"Statement", b.Statement("icssi", "01J0ABC"), base + "/users/icssi/statements/01J0ABC"},
		{"StatementReplies", b.StatementReplies("icssi", "01J0ABC"), base + "/users/icssi/statements/01J0ABC/replies"},
		{"Create", b.Create("icssi", "01J0ABC"), base + "/users/icssi/statements/01J0ABC/activity"},
		{"Activity", b.Activity("icssi", "01J0XYZ"), base + "/users/icssi/activities/01J0XYZ"},
		{"StatementPage", b.StatementPage("icssi", "we-stand", ""), base + "/@icssi/we-stand"},
		{"StatementPage translation", b.StatementPage("icssi", "we-stand", "ar"), base + "/@icssi/we-stand/ar"},
		{"StatementPage Arabic slug", b.StatementPage("icssi", "تضامن", ""), base + "/@icssi/" + url.PathEscape("تضامن")},
		{"Instance", b.Instance(), base + "/actor"},
		{"InstanceKey", b.InstanceKey(), base + "/actor#main-key"},
		{"InstanceInbox", b.InstanceInbox(), base + "/actor/inbox"},
		{"InstanceOutbox", b.InstanceOutbox(), base + "/actor/outbox"},
		{"Shared", b.Shared(), base + "/inbox"},
		{"Tag", b.Tag("solidarity"), base + "/tags/solidarity"},
		{"Tag Arabic", b.Tag("تضامن"), base + "/tags/" + url.PathEscape("تضامن")},
		{"Language", b.Language("ckb"), base + "/ckb"},
		{"LanguagePath", base + LanguagePath("ckb"), base + "/ckb"},
		{"Media", b.Media("01J0ABC/photo.jpg"), base + "/media/01J0ABC/photo.jpg"},
		{"NodeFeed", b.NodeFeed(FeedRSS), base + "/feed.rss"},
		{"ActorFeed", b.ActorFeed("icssi", FeedAtom), base + "/@icssi/feed.atom"},
		{"TagFeed", b.TagFeed("iraq", FeedJSON), base + "/tags/iraq/feed.json"},
		{"LanguageFeed", b.LanguageFeed("ar", FeedRSS), base + "/ar/feed.rss"},
		{"Partners", b.Partners(), base + "/partners"},
		{"PartnersFeed", b.PartnersFeed(FeedJSON), base + "/partners/feed.json"},
		{"WebFingerTemplate", b.WebFingerTemplate(), base + "/.well-known/webfinger?resource={uri}"},
		{"NodeInfo", b.NodeInfo("2.1"), base + "/nodeinfo/2.1"},
		{"Sitemap", b.Sitemap(), base + "/sitemap.xml"},
		{"Page", Page(b.ActorPart("icssi", Following), 2), base + "/users/icssi/following?page=2"},
		{"Page replies", Page(b.StatementReplies("icssi", "01J0ABC"), 1), base + "/users/icssi/statements/01J0ABC/replies?page=1"},
		{"OutboxPage first", b.OutboxPage("icssi", ""), base + "/users/icssi/outbox?page=true"},
		{"OutboxPage cursor", b.OutboxPage("icssi", "1718452800000000_01J0 A&B"),
			base + "/users/icssi/outbox?page=true&before=1718452800000000_01J0+A%26B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
			if tc.name != "Host" && tc.name != "Scheme" && !b.Local(tc.got) {
				t.Errorf("Local(%q) = false for an address we built", tc.got)
			}
		})
	}
}

func TestParseActorRoundTrip(t *testing.T) {
	b := New("https", "node.example")
	for _, u := range []string{"icssi", "a", "org_2"} {
		got, ok := b.ParseActor(b.Actor(u))
		if !ok || got != u {
			t.Errorf("ParseActor(Actor(%q)) = %q, %v", u, got, ok)
		}
	}
	// Every other address below the actor, and other nodes' actors, are not actors.
	for _, addr := range []string{
		b.Key("icssi"), b.ActorPart("icssi", Inbox), b.Statement("icssi", "1"), b.Create("icssi", "1"),
		b.Activity("icssi", "1"), b.Profile("icssi"), b.Instance(), b.Shared(), b.Actor(""),
		New("https", "other.example").Actor("icssi"), New("http", "node.example").Actor("icssi"),
		b.Actor("icssi") + "?x=1",
	} {
		if u, ok := b.ParseActor(addr); ok {
			t.Errorf("ParseActor(%q) = %q, true; want false", addr, u)
		}
	}
}

func TestParseStatementRoundTrip(t *testing.T) {
	b := New("http", "127.0.0.1:8080")
	for _, tc := range []struct{ user, id string }{{"icssi", "01J0ABC"}, {"x", "1"}} {
		u, id, ok := b.ParseStatement(b.Statement(tc.user, tc.id))
		if !ok || u != tc.user || id != tc.id {
			t.Errorf("ParseStatement(Statement(%q, %q)) = %q, %q, %v", tc.user, tc.id, u, id, ok)
		}
	}
	for _, addr := range []string{
		b.StatementReplies("icssi", "1"), b.Create("icssi", "1"), b.Activity("icssi", "1"),
		b.Actor("icssi"), b.StatementPage("icssi", "slug", ""), b.Statement("icssi", ""),
		New("http", "other.example").Statement("icssi", "1"), b.Statement("icssi", "1") + "#frag",
	} {
		if u, id, ok := b.ParseStatement(addr); ok {
			t.Errorf("ParseStatement(%q) = %q, %q, true; want false", addr, u, id)
		}
	}
}

func TestLocal(t *testing.T) {
	b := New("https", "node.example")
	for addr, want := range map[string]bool{
		"https://node.example":              true,
		"https://node.example/":             true,
		"https://node.example#x":            true,
		"https://node.example.evil/users/a": false,
		"https://node.examplex":             false,
		"http://node.example/users/a":       false,
		"https://other.example/users/a":     false,
	} {
		if got := b.Local(addr); got != want {
			t.Errorf("Local(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestReservedSlugs(t *testing.T) {
	pages := ActorPages()
	for _, want := range []string{Follow, FeedRSS, FeedAtom, FeedJSON} {
		if !slices.Contains(pages, want) {
			t.Errorf("ActorPages() lacks %q", want)
		}
		if !ReservedSlug(want) {
			t.Errorf("ReservedSlug(%q) = false", want)
		}
	}
	for _, slug := range []string{"we-stand-together", "feed", "follows", "تضامن", ""} {
		if ReservedSlug(slug) {
			t.Errorf("ReservedSlug(%q) = true", slug)
		}
	}
	// The returned slice is a copy: a caller cannot unreserve a page.
	pages[0] = "changed"
	if !ReservedSlug(Follow) {
		t.Error("changing ActorPages' result changed the reserved set")
	}
}

// TestOutboxPageQuery: the web handlers read the outbox page back with the
// same parameter names.
func TestOutboxPageQuery(t *testing.T) {
	b := New("https", "node.example")
	u, err := url.Parse(b.OutboxPage("icssi", "1718452800000000_01J0 A&B"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get(PageParam) != "true" || q.Get(BeforeParam) != "1718452800000000_01J0 A&B" ||
		u.Scheme+"://"+u.Host+u.Path != b.ActorPart("icssi", Outbox) {
		t.Fatalf("parsed back %v: page %q before %q", u, q.Get(PageParam), q.Get(BeforeParam))
	}
	p, err := url.Parse(Page(b.ActorPart("icssi", Following), 7))
	if err != nil || p.Query().Get(PageParam) != "7" {
		t.Fatalf("Page parsed back %v, %v", p, err)
	}
}

// TestPaths: each page's path is its address without the node's base, so
// links within the site and the addresses given out agree.
func TestPaths(t *testing.T) {
	b := New("https", "node.example")
	for _, tc := range []struct{ path, addr string }{
		{ProfilePath("icssi"), b.Profile("icssi")},
		{RemoteFollowPath("icssi"), b.RemoteFollow("icssi")},
		{StatementPath("icssi", "نقف-معاً", ""), b.StatementPage("icssi", "نقف-معاً", "")},
		{StatementPath("icssi", "we-stand", "ckb"), b.StatementPage("icssi", "we-stand", "ckb")},
		{TagPath("تضامن"), b.Tag("تضامن")},
		{MediaPath("01J0ABC/a.webp"), b.Media("01J0ABC/a.webp")},
		{LanguagePath("ar"), b.Language("ar")},
	} {
		if b.Base()+tc.path != tc.addr {
			t.Errorf("path %q is not address %q without the base", tc.path, tc.addr)
		}
	}
	if got := RemoteFollowPath("icssi"); got != "/@icssi/follow" {
		t.Errorf("RemoteFollowPath = %q", got)
	}
	if got := StatementPath("icssi", "a b?", ""); got != "/@icssi/a%20b%3F" {
		t.Errorf("StatementPath escapes %q", got)
	}
}
