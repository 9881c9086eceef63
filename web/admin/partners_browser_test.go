package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tadamun/tadamun/storage"
)

// TestBrowserPartnersAdmin: in Chromium, an editor opens Partners from the
// navigation, sets a partner's policy to relay by hashtag with the form,
// relays one of its posts with its button and stops relaying it; the page
// fits a 360 px phone and is saved as screenshots.
func TestBrowserPartnersAdmin(t *testing.T) {
	b := startBrowser(t)
	n := adminTestNode(t, "http")
	ctx := context.Background()
	icssi := actorID(t, n, "icssi")
	mena := putRemote(t, n, "https://mena.example/users/mena", "mena.example", "mena")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	follow := "http://node.test/users/icssi/activities/f1"
	must(n.store.PutFollowing(ctx, icssi, mena.ID, follow, storage.RelayPolicy{Mode: storage.RelayNone}))
	must(n.store.SetFollowingState(ctx, follow, icssi, mena.ID, storage.FollowAccepted))
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	post := &storage.RemoteObject{IRI: "https://mena.example/notes/1", RemoteActorID: mena.ID, Type: "Note",
		URL: "https://mena.example/@mena/1", ContentHTML: "<p>تضامن مع ناشطي المجتمع المدني</p>", Language: "ar",
		Public: true, PublishedAt: &at, Moderation: storage.ModerationApproved, Tags: []string{"العراق"}}
	must(n.store.UpsertRemoteObject(ctx, post))

	tab := b.tab(t)
	signInBrowser(t, tab, n, editorName)
	if st := navigate(t, tab, "Partners in the navigation", chromedp.Click(chromedp.CSS(`nav a[href="/admin/partners"]`))); st != http.StatusOK {
		t.Fatalf("Partners from the navigation = %d", st)
	}
	if got := run(t, tab, "location", chromedp.Location()); !strings.HasSuffix(got, "/admin/actors/icssi/partners") {
		t.Fatalf("Partners led to %s", got)
	}
	b.shot(t, tab, "partners")
	do(t, tab, "narrow", chromedp.EmulateViewport(360, 640))
	if eval[bool](t, tab, `document.documentElement.scrollWidth > 360`) {
		t.Error("the Partners page is wider than a 360 px phone")
	}
	b.shot(t, tab, "partners-360")
	do(t, tab, "widen", restoreViewport())

	do(t, tab, "choose relay by hashtag", chromedp.SetValue(chromedp.CSS(`#relay-0`), "tags"),
		chromedp.SendKeys(chromedp.CSS(`#tags-0`), "#العراق، #Solidarity"))
	if st := navigate(t, tab, "change the policy", chromedp.Click(chromedp.CSS(`form.policy button`))); st != http.StatusOK {
		t.Fatalf("change the policy = %d", st)
	}
	f, err := n.store.Following(ctx, icssi, mena.ID)
	must(err)
	if f.Relay.Mode != storage.RelayTags || strings.Join(f.Relay.Tags, ",") != "العراق,solidarity" {
		t.Errorf("policy after the form: %+v", f.Relay)
	}
	if got := text(t, tab); !strings.Contains(got, "The relay policy is changed.") || !strings.Contains(got, "20 November 2026 09:00 UTC") {
		t.Errorf("no flash after the policy change: %s", got)
	}
	if st := navigate(t, tab, "relay the post", chromedp.Click(chromedp.CSS(`form[action$="/partners/relay"] button`))); st != http.StatusOK {
		t.Fatalf("relay = %d", st)
	}
	if r, err := n.store.RelayOf(ctx, icssi, post.ID); err != nil || r.UndoneAt != nil {
		t.Fatalf("relay after the button: %+v %v", r, err)
	}
	b.shot(t, tab, "relayed")
	if st := navigate(t, tab, "stop relaying", chromedp.Click(chromedp.CSS(`form[action$="/partners/unrelay"] button`))); st != http.StatusOK {
		t.Fatalf("unrelay = %d", st)
	}
	if r, err := n.store.RelayOf(ctx, icssi, post.ID); err != nil || r.UndoneAt == nil {
		t.Errorf("relay after stop: %+v %v", r, err)
	}
}
