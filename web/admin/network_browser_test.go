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

// TestBrowserNetwork: in Chromium, an admin walks the network pages:
// approves a follow request, approves a reply (then on the public page),
// resolves a report, blocks a domain and an account with the forms, and
// retries a failing host; each page fits a 360 px phone, weighs under
// 60 KB, and is saved as a screenshot.
func TestBrowserNetwork(t *testing.T) {
	b := startBrowser(t)
	n := adminTestNode(t, "http")
	ctx := context.Background()
	icssi := actorID(t, n, "icssi")
	wait := putRemote(t, n, "https://far.example/users/wait", "far.example", "wait")
	fan := putRemote(t, n, "https://far.example/users/fan", "far.example", "fan")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(n.store.PutFollower(ctx, icssi, wait.ID, "https://far.example/f/1", storage.FollowPending))
	must(n.store.PutFollower(ctx, icssi, fan.ID, "https://far.example/f/2", storage.FollowAccepted))
	must(n.store.PutFollowing(ctx, icssi, fan.ID, "http://node.test/activities/x", storage.RelayPolicy{}))
	rima := putRemote(t, n, "https://far.example/users/rima", "far.example", "rima")
	html := `<p>تضامن مع <a href="https://far.example/tags/x" rel="nofollow noopener">#solidarity</a></p>`
	st, reply := publishWithReply(t, n, "icssi", rima, "https://far.example/notes/1", html)
	reply.Language = "ar"
	must(n.store.UpsertRemoteObject(ctx, reply))
	must(n.store.CreateReport(ctx, &storage.Report{ActivityIRI: "https://mod.example/flags/1", RemoteActorID: fan.ID,
		ActorID: icssi, Content: "This looks like spam.", ObjectIRIs: []string{n.fed.IRI().Statement("icssi", st.ID)}}))
	claimed, err := n.store.ClaimDeliveries(ctx, "test", time.Minute, 10, nil)
	must(err)
	for _, d := range claimed {
		must(n.store.DeliveryFailed(ctx, d.ID, 502, "bad gateway"))
	}

	tab := b.tab(t)
	signInBrowser(t, tab, n, adminName)
	check := func(name string) {
		t.Helper()
		if eval[int](t, tab, `document.documentElement.outerHTML.length`) > 60_000 {
			t.Errorf("%s weighs over 60 KB", name)
		}
		b.shot(t, tab, name)
		do(t, tab, "narrow", chromedp.EmulateViewport(360, 640))
		if eval[bool](t, tab, `document.documentElement.scrollWidth > 360`) {
			t.Errorf("%s is wider than a 360 px phone", name)
		}
		b.shot(t, tab, name+"-360")
		do(t, tab, "widen", restoreViewport())
	}
	open := func(what, path string) {
		t.Helper()
		if st := navigate(t, tab, what, chromedp.Navigate(n.URL+path)); st != http.StatusOK {
			t.Fatalf("%s = %d", what, st)
		}
	}
	submit := func(what, selector, wantText string) {
		t.Helper()
		if st := navigate(t, tab, what, chromedp.Click(chromedp.CSS(selector))); st != http.StatusOK {
			t.Fatalf("%s: %d", what, st)
		}
		if got := text(t, tab); !strings.Contains(got, wantText) {
			t.Errorf("%s: page lacks %q: %s", what, wantText, got)
		}
	}

	open("actor page", "/admin/actors/icssi")
	if st := navigate(t, tab, "followers link", chromedp.Click(chromedp.CSS(`a[href="/admin/actors/icssi/followers"]`))); st != http.StatusOK {
		t.Fatalf("followers = %d", st)
	}
	if got := text(t, tab); !strings.Contains(got, "@wait@far.example") || !strings.Contains(got, "@fan@far.example") {
		t.Errorf("followers page: %s", got)
	}
	check("followers")
	submit("approve the request", `form[action$="/followers/approve"] button`, "The follower is approved.")
	check("followers-approved")

	open("replies", "/admin/actors/icssi/replies")
	if got := eval[string](t, tab, `document.querySelector('.reply .remote a').textContent + " " + document.querySelector('.reply .remote').dir`); got != "#solidarity rtl" {
		t.Errorf("the reply's link and direction: %q", got)
	}
	check("replies")
	submit("approve the reply", `form[action$="/approve"] button`, "The reply is approved.")
	check("replies-approved")
	open("public page", strings.TrimPrefix(n.fed.IRI().StatementPage("icssi", st.Slug, ""), n.fed.IRI().Base()))
	if got := run(t, tab, "read the page", chromedp.Text(chromedp.CSS("body"))); !strings.Contains(got, "تضامن مع") {
		t.Errorf("the approved reply is not on the public page")
	}
	b.shot(t, tab, "public-reply")

	open("reports", "/admin/reports")
	if got := text(t, tab); !strings.Contains(got, "This looks like spam.") || !strings.Contains(got, "@fan@far.example") {
		t.Errorf("reports page: %s", got)
	}
	check("reports")
	submit("resolve", `form[action$="/resolve"] button`, "The report is resolved.")

	open("domains", "/admin/domains")
	do(t, tab, "fill the domain form", chromedp.SendKeys(chromedp.CSS("#d-domain"), "spam.example"),
		chromedp.SendKeys(chromedp.CSS("#d-reason"), "مزعج"))
	if st := navigate(t, tab, "set the policy", chromedp.Submit(chromedp.CSS("#d-domain"))); st != http.StatusOK {
		t.Fatalf("set policy: %d", st)
	}
	if got := text(t, tab); !strings.Contains(got, "spam.example") || !strings.Contains(got, "The domain is blocked.") {
		t.Errorf("domains after block: %s", got)
	}
	do(t, tab, "fill the account form", chromedp.SendKeys(chromedp.CSS("#a-who"), "@rima@far.example"))
	if st := navigate(t, tab, "block the account", chromedp.Submit(chromedp.CSS("#a-who"))); st != http.StatusOK {
		t.Fatalf("block account: %d", st)
	}
	if got := text(t, tab); !strings.Contains(got, "The account is blocked.") || !strings.Contains(got, rima.IRI) {
		t.Errorf("domains after the account block: %s", got)
	}
	check("domains")

	open("deliveries", "/admin/deliveries")
	if got := text(t, tab); !strings.Contains(got, "far.example") || !strings.Contains(got, "502 bad gateway") {
		t.Errorf("deliveries page: %s", got)
	}
	check("deliveries")
	submit("retry", `form[action$="/deliveries/retry"] button`, "Deliveries due now:")
}
