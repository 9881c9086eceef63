package admin_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// putRemote stores a remote actor as if it had been fetched.
func putRemote(t testing.TB, n *testNode, iri, host, username string) *storage.RemoteActor {
	t.Helper()
	r := &storage.RemoteActor{IRI: iri, Host: host, Type: "Person", Username: username, URL: iri,
		Inbox: iri + "/inbox", FetchedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := n.store.UpsertRemoteActor(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// actorID is the id of the local actor username.
func actorID(t testing.TB, n *testNode, username string) string {
	t.Helper()
	a, err := n.store.ActorByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// followerState is the state of remote's follow of username, "" for none.
func followerState(t testing.TB, n *testNode, username string, remote *storage.RemoteActor) string {
	t.Helper()
	f, err := n.store.Follower(context.Background(), actorID(t, n, username), remote.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return f.State
}

// TestNetworkFollowers: an actor's editor sees its pending and accepted
// followers, approves, rejects and removes them as "tadamun followers"
// does (the follower's server is told); bad input is a 400 and changes
// nothing; another actor's followers are a 403; on both databases.
func TestNetworkFollowers(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := adminTestNodeDB(t, "http", b.URL)
			ctx := context.Background()
			icssi, other := actorID(t, n, "icssi"), actorID(t, n, "other")
			wait := putRemote(t, n, "https://far.example/users/wait", "far.example", "wait")
			fan := putRemote(t, n, "https://far.example/users/fan", "far.example", "fan")
			spam := putRemote(t, n, "https://spam.example/users/spam", "spam.example", "spam")
			for _, f := range []struct {
				actor  string
				r      *storage.RemoteActor
				state  string
				follow string
			}{
				{icssi, wait, storage.FollowPending, "https://far.example/follows/1"},
				{icssi, fan, storage.FollowAccepted, "https://far.example/follows/2"},
				{icssi, spam, storage.FollowPending, "https://spam.example/follows/3"},
				{other, fan, storage.FollowAccepted, "https://far.example/follows/4"},
			} {
				if err := n.store.PutFollower(ctx, f.actor, f.r.ID, f.follow, f.state); err != nil {
					t.Fatal(err)
				}
			}
			c := n.signedIn(t, editorName, "127.0.0.3")
			res, body := c.get("/admin/actors/icssi/followers")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("followers page = %d %s", res.StatusCode, body)
			}
			for _, want := range []string{"@wait@far.example", "@fan@far.example", "@spam@spam.example", `action="/admin/actors/icssi/followers/approve"`} {
				if !strings.Contains(body, want) {
					t.Errorf("followers page lacks %q", want)
				}
			}
			if res, _ := c.get("/admin/actors/other/followers"); res.StatusCode != http.StatusForbidden {
				t.Errorf("editor on another actor's followers = %d, want 403", res.StatusCode)
			}
			if res, body := n.newClient(t, "127.0.0.4").get("/admin/actors/icssi/followers"); res.StatusCode != http.StatusSeeOther ||
				strings.Contains(body, "far.example") {
				t.Errorf("signed out, the followers page = %d (listing: %v), want a redirect to sign in", res.StatusCode, strings.Contains(body, "far.example"))
			}

			before := fingerprint(t, n)
			for _, tc := range []struct {
				name, path, who string
				want            int
			}{
				{"another actor's follower", "/admin/actors/other/followers/remove", fan.IRI, http.StatusForbidden},
				{"no one named", "/admin/actors/icssi/followers/approve", "", http.StatusBadRequest},
				{"unknown account", "/admin/actors/icssi/followers/approve", "https://nowhere.example/users/x", http.StatusBadRequest},
				{"not a follower", "/admin/actors/icssi/followers/remove", "https://far.example/users/nobody", http.StatusBadRequest},
				{"control characters", "/admin/actors/icssi/followers/remove", "@fan@far.example\x00", http.StatusBadRequest},
				{"unknown actor", "/admin/actors/nobody/followers/remove", fan.IRI, http.StatusNotFound},
			} {
				if res, body := c.postForm(tc.path, url.Values{"who": {tc.who}}); res.StatusCode != tc.want {
					t.Errorf("%s: %d, want %d: %s", tc.name, res.StatusCode, tc.want, body)
				}
			}
			if res, _ := c.post("/admin/actors/icssi/followers/remove", url.Values{"who": {fan.IRI}}); res.StatusCode != http.StatusForbidden {
				t.Errorf("remove without CSRF token = %d, want 403", res.StatusCode)
			}
			if after := fingerprint(t, n); after != before {
				t.Errorf("refused requests changed something:\n%s\n%s", before, after)
			}

			queued := storagetest.Count(t, n.dbURL, "SELECT COUNT(*) FROM deliveries")
			for _, tc := range []struct {
				path  string
				who   string
				r     *storage.RemoteActor
				state string
			}{
				{"/admin/actors/icssi/followers/approve", "@wait@far.example", wait, storage.FollowAccepted},
				{"/admin/actors/icssi/followers/reject", spam.IRI, spam, ""},
				{"/admin/actors/icssi/followers/remove", fan.IRI, fan, ""},
			} {
				res, body := c.postForm(tc.path, url.Values{"who": {tc.who}})
				if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/actors/icssi/followers" {
					t.Fatalf("%s = %d %s", tc.path, res.StatusCode, body)
				}
				if got := followerState(t, n, "icssi", tc.r); got != tc.state {
					t.Errorf("%s: follower state %q, want %q", tc.path, got, tc.state)
				}
			}
			// Each answer is an Accept or a Reject queued for the follower's server.
			if got := storagetest.Count(t, n.dbURL, "SELECT COUNT(*) FROM deliveries"); got != queued+3 {
				t.Errorf("deliveries queued: %d, want %d", got, queued+3)
			}
			if got := followerState(t, n, "other", fan); got != storage.FollowAccepted {
				t.Errorf("removing fan from icssi touched other's follower: %q", got)
			}
			_, body = c.get("/admin/actors/icssi/followers")
			if !strings.Contains(body, "The follower is removed.") {
				t.Errorf("no flash after removing")
			}
		})
	}
}

// publishWithReply publishes a statement of username and stores a pending
// reply to it from author, with html as its (sanitized) content.
func publishWithReply(t testing.TB, n *testNode, username string, author *storage.RemoteActor, iri, html string) (*storage.Statement, *storage.RemoteObject) {
	t.Helper()
	ctx := context.Background()
	st, err := n.fed.Publish(ctx, username, &content.Draft{Title: "Statement of " + username, Language: "en", Body: "Words.", RepliesEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	o := &storage.RemoteObject{IRI: iri, RemoteActorID: author.ID, Type: "Note", InReplyTo: n.fed.IRI().Statement(username, st.ID),
		StatementID: st.ID, URL: iri, ContentHTML: html, Language: "en", Moderation: storage.ModerationPending}
	if err := n.store.UpsertRemoteObject(ctx, o); err != nil {
		t.Fatal(err)
	}
	return st, o
}

// moderation is the moderation state of a remote object.
func moderation(t testing.TB, n *testNode, iri string) string {
	t.Helper()
	o, err := n.store.RemoteObjectByIRI(context.Background(), iri)
	if err != nil {
		t.Fatal(err)
	}
	return o.Moderation
}

// TestNetworkReplies: the replies queue shows a reply's sanitized HTML as
// the public page does; approving it puts it on the public statement page
// (web server and admin on one node), rejecting takes it off; an editor
// cannot touch another actor's replies nor block a domain; an admin blocks
// the author's domain from the row; on both databases.
func TestNetworkReplies(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := adminTestNodeDB(t, "http", b.URL)
			ctx := context.Background()
			author := putRemote(t, n, "https://far.example/users/rima", "far.example", "rima")
			html := `<p>Solidarity from <a href="https://far.example/tags/x" rel="nofollow noopener">far away</a> &amp; hello</p>`
			st, reply := publishWithReply(t, n, "icssi", author, "https://far.example/notes/1", html)
			_, otherReply := publishWithReply(t, n, "other", author, "https://far.example/notes/2", "<p>To the other actor</p>")
			public := strings.TrimPrefix(n.fed.IRI().StatementPage("icssi", st.Slug, ""), n.fed.IRI().Base())
			pub := n.newClient(t, "127.0.0.4")
			if res, body := pub.get(public); res.StatusCode != http.StatusOK || strings.Contains(body, "Solidarity from") {
				t.Fatalf("public page before approval = %d, shows the reply: %v", res.StatusCode, strings.Contains(body, "Solidarity from"))
			}

			ed := n.signedIn(t, editorName, "127.0.0.3")
			res, body := ed.get("/admin/actors/icssi/replies")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("replies page = %d %s", res.StatusCode, body)
			}
			if !strings.Contains(body, html) {
				t.Errorf("replies page does not show the reply's HTML as stored:\n%s", body)
			}
			if strings.Contains(body, "To the other actor") {
				t.Errorf("icssi's queue shows a reply to other")
			}
			if strings.Contains(body, "block-domain") {
				t.Errorf("an editor is offered to block a domain")
			}
			if res, _ := ed.get("/admin/actors/other/replies"); res.StatusCode != http.StatusForbidden {
				t.Errorf("editor on other's replies = %d, want 403", res.StatusCode)
			}
			if res, _ := ed.get("/admin/actors/icssi/replies?state=bogus"); res.StatusCode != http.StatusBadRequest {
				t.Errorf("unknown state filter = %d, want 400", res.StatusCode)
			}
			for _, tc := range []struct {
				name, path string
				want       int
			}{
				{"other's reply under other", "/admin/actors/other/replies/" + otherReply.ID + "/approve", http.StatusForbidden},
				{"other's reply under icssi", "/admin/actors/icssi/replies/" + otherReply.ID + "/approve", http.StatusNotFound},
				{"unknown reply", "/admin/actors/icssi/replies/nope/approve", http.StatusNotFound},
				{"editor blocks a domain", "/admin/actors/icssi/replies/" + reply.ID + "/block-domain", http.StatusForbidden},
				{"editor blocks an author", "/admin/actors/icssi/replies/" + reply.ID + "/block-author", http.StatusForbidden},
			} {
				if res, body := ed.postForm(tc.path, nil); res.StatusCode != tc.want {
					t.Errorf("%s: %d, want %d: %s", tc.name, res.StatusCode, tc.want, body)
				}
			}
			if res, _ := ed.post("/admin/actors/icssi/replies/"+reply.ID+"/approve", url.Values{}); res.StatusCode != http.StatusForbidden {
				t.Errorf("approve without CSRF token = %d, want 403", res.StatusCode)
			}
			for _, o := range []*storage.RemoteObject{reply, otherReply} {
				if got := moderation(t, n, o.IRI); got != storage.ModerationPending {
					t.Errorf("refused requests moderated %s: %s", o.IRI, got)
				}
			}
			if p, err := n.store.DomainPolicy(ctx, "far.example"); err != nil || p != "" {
				t.Errorf("refused requests set a policy: %q %v", p, err)
			}
			if blocked, err := n.store.AccountBlocked(ctx, author.IRI); err != nil || blocked {
				t.Errorf("refused requests blocked the author: %v %v", blocked, err)
			}

			res, _ = ed.postForm("/admin/actors/icssi/replies/"+reply.ID+"/approve", url.Values{"state": {"pending"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/actors/icssi/replies?state=pending" &&
				res.Header.Get("Location") != "/admin/actors/icssi/replies" {
				t.Fatalf("approve = %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			if got := moderation(t, n, reply.IRI); got != storage.ModerationApproved {
				t.Fatalf("after approve: %s", got)
			}
			_, body = pub.get(public)
			if !strings.Contains(body, html) {
				t.Errorf("the approved reply is not on the public page as the queue showed it:\n%s", body)
			}
			_, body = ed.get("/admin/actors/icssi/replies?state=approved")
			if !strings.Contains(body, "Solidarity from") {
				t.Errorf("approved filter lacks the reply")
			}
			if res, _ := ed.postForm("/admin/actors/icssi/replies/"+reply.ID+"/reject", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("reject = %d", res.StatusCode)
			}
			if _, body = pub.get(public); strings.Contains(body, "Solidarity from") {
				t.Errorf("a rejected reply is still on the public page")
			}

			ad := n.signedIn(t, adminName, "127.0.0.5")
			if res, body := ad.postForm("/admin/actors/icssi/replies/"+reply.ID+"/block-author", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("block author = %d %s", res.StatusCode, body)
			}
			if blocked, err := n.store.AccountBlocked(ctx, author.IRI); err != nil || !blocked {
				t.Errorf("after block from the row the author is not blocked: %v %v", blocked, err)
			}
			if got := moderation(t, n, otherReply.IRI); got != storage.ModerationRejected {
				t.Errorf("the blocked author's pending reply to other is %s, want rejected", got)
			}
			if _, body := ad.get("/admin/domains"); !strings.Contains(body, author.IRI) {
				t.Errorf("the domains page does not list the blocked account")
			}
			_, body = ad.get("/admin/actors/other/replies?state=all")
			if !strings.Contains(body, "/replies/"+otherReply.ID+"/block-domain") {
				t.Errorf("an admin is not offered to block the author's domain")
			}
			if res, body := ad.postForm("/admin/actors/other/replies/"+otherReply.ID+"/block-domain", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("block domain = %d %s", res.StatusCode, body)
			}
			if p, err := n.store.DomainPolicy(ctx, "far.example"); err != nil || p != storage.PolicyBlock {
				t.Errorf("after block from the row: policy %q %v", p, err)
			}
			if got := moderation(t, n, otherReply.IRI); got != storage.ModerationRejected {
				t.Errorf("the reply of a blocked domain is %s, want rejected", got)
			}
		})
	}
}

// TestNetworkReports: an admin reads a report (who, what, the comment),
// resolves it, or blocks the reporter's domain; editors get 403.
func TestNetworkReports(t *testing.T) {
	n := adminTestNode(t, "http")
	ctx := context.Background()
	r := putRemote(t, n, "https://mod.example/users/mod", "mod.example", "mod")
	icssi := actorID(t, n, "icssi")
	first := &storage.Report{ActivityIRI: "https://mod.example/flags/1", RemoteActorID: r.ID, ActorID: icssi,
		Content: "Spam <b>here</b>, رسالة", ObjectIRIs: []string{n.fed.IRI().Actor("icssi")}}
	second := &storage.Report{ActivityIRI: "https://mod.example/flags/2", RemoteActorID: r.ID, Content: "again"}
	troll := putRemote(t, n, "https://troll.example/users/t", "troll.example", "t")
	third := &storage.Report{ActivityIRI: "https://troll.example/flags/3", RemoteActorID: troll.ID, Content: "bogus"}
	for _, p := range []*storage.Report{first, second, third} {
		if err := n.store.CreateReport(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	ed := n.signedIn(t, editorName, "127.0.0.3")
	if res, _ := ed.get("/admin/reports"); res.StatusCode != http.StatusForbidden {
		t.Errorf("editor on reports = %d, want 403", res.StatusCode)
	}
	if res, _ := ed.postForm("/admin/reports/"+first.ID+"/resolve", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("editor resolving = %d, want 403", res.StatusCode)
	}
	ad := n.signedIn(t, adminName, "127.0.0.4")
	res, body := ad.get("/admin/reports")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reports = %d %s", res.StatusCode, body)
	}
	for _, want := range []string{"@mod@mod.example", "Spam &lt;b&gt;here&lt;/b&gt;, رسالة", n.fed.IRI().Actor("icssi"), `href="/admin/actors/icssi"`} {
		if !strings.Contains(body, want) {
			t.Errorf("reports page lacks %q", want)
		}
	}
	if res, _ := ad.post("/admin/reports/"+first.ID+"/resolve", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("resolve without CSRF = %d", res.StatusCode)
	}
	if res, _ := ad.postForm("/admin/reports/nope/resolve", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("resolve unknown = %d, want 404", res.StatusCode)
	}
	if res, _ := ed.postForm("/admin/reports/"+third.ID+"/block-author", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("editor blocking a reporter = %d, want 403", res.StatusCode)
	}
	if n, err := n.store.CountReports(ctx); err != nil || n != 3 {
		t.Fatalf("refused requests resolved reports: %d %v", n, err)
	}
	if res, body := ad.postForm("/admin/reports/"+first.ID+"/resolve", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resolve = %d %s", res.StatusCode, body)
	}
	if res, _ := ad.postForm("/admin/reports/"+first.ID+"/resolve", nil); res.StatusCode != http.StatusConflict {
		t.Errorf("resolve twice = %d, want 409", res.StatusCode)
	}
	if res, body := ad.postForm("/admin/reports/"+second.ID+"/block-domain", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("block reporter's domain = %d %s", res.StatusCode, body)
	}
	if p, err := n.store.DomainPolicy(ctx, "mod.example"); err != nil || p != storage.PolicyBlock {
		t.Errorf("policy after block = %q %v", p, err)
	}
	if res, body := ad.postForm("/admin/reports/"+third.ID+"/block-author", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("block reporter = %d %s", res.StatusCode, body)
	}
	if blocked, err := n.store.AccountBlocked(ctx, troll.IRI); err != nil || !blocked {
		t.Errorf("reporter not blocked: %v %v", blocked, err)
	}
	if p, err := n.store.DomainPolicy(ctx, "troll.example"); err != nil || p != "" {
		t.Errorf("blocking the reporter set a domain policy: %q %v", p, err)
	}
	if n, err := n.store.CountReports(ctx); err != nil || n != 0 {
		t.Errorf("open reports after all three = %d %v", n, err)
	}
	_, body = ad.get("/admin/reports?resolved=1")
	if !strings.Contains(body, "again") || !strings.Contains(body, "رسالة") {
		t.Errorf("resolved list lacks the reports")
	}
}

// TestNetworkDomains: admins set, list and remove domain policies with the
// same effect as "tadamun domain" (a block ends follows from there); bad
// input is a 400 and changes nothing; editors get 403; on both databases.
func TestNetworkDomains(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := adminTestNodeDB(t, "http", b.URL)
			ctx := context.Background()
			bad := putRemote(t, n, "https://sub.bad.example/users/x", "sub.bad.example", "x")
			if err := n.store.PutFollower(ctx, actorID(t, n, "icssi"), bad.ID, "https://sub.bad.example/f/1", storage.FollowAccepted); err != nil {
				t.Fatal(err)
			}
			ed := n.signedIn(t, editorName, "127.0.0.3")
			if res, _ := ed.get("/admin/domains"); res.StatusCode != http.StatusForbidden {
				t.Errorf("editor on domains = %d, want 403", res.StatusCode)
			}
			ad := n.signedIn(t, adminName, "127.0.0.4")
			before := fingerprint(t, n)
			for _, tc := range []struct {
				name string
				who  *client
				form url.Values
				want int
			}{
				{"editor", ed, url.Values{"domain": {"bad.example"}, "policy": {"block"}}, http.StatusForbidden},
				{"URL", ad, url.Values{"domain": {"https://bad.example/"}, "policy": {"block"}}, http.StatusBadRequest},
				{"empty", ad, url.Values{"domain": {""}, "policy": {"block"}}, http.StatusBadRequest},
				{"unknown policy", ad, url.Values{"domain": {"bad.example"}, "policy": {"mute"}}, http.StatusBadRequest},
				{"long reason", ad, url.Values{"domain": {"bad.example"}, "policy": {"block"}, "reason": {strings.Repeat("x", 1001)}}, http.StatusBadRequest},
			} {
				if res, body := tc.who.postForm("/admin/domains", tc.form); res.StatusCode != tc.want {
					t.Errorf("%s: %d, want %d: %s", tc.name, res.StatusCode, tc.want, body)
				}
			}
			if res, _ := ad.postForm("/admin/domains/remove", url.Values{"domain": {"never.example"}}); res.StatusCode != http.StatusBadRequest {
				t.Errorf("removing an absent policy = %d, want 400", res.StatusCode)
			}
			if res, _ := ad.post("/admin/domains", url.Values{"domain": {"bad.example"}, "policy": {"block"}}); res.StatusCode != http.StatusForbidden {
				t.Errorf("without CSRF = %d", res.StatusCode)
			}
			if after := fingerprint(t, n); after != before {
				t.Errorf("refused requests changed something:\n%s\n%s", before, after)
			}

			res, body := ad.postForm("/admin/domains", url.Values{"domain": {"Bad.Example."}, "policy": {"block"}, "reason": {"harassment"}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("block = %d %s", res.StatusCode, body)
			}
			if p, err := n.store.DomainPolicy(ctx, "sub.bad.example"); err != nil || p != storage.PolicyBlock {
				t.Errorf("subdomain policy = %q %v", p, err)
			}
			if got := followerState(t, n, "icssi", bad); got != "" {
				t.Errorf("a block left the follower from there: %q", got)
			}
			_, body = ad.get("/admin/domains")
			if !strings.Contains(body, "bad.example") || !strings.Contains(body, "harassment") || !strings.Contains(body, "Follows from there ended: 1.") {
				t.Errorf("domains page after block lacks the rule, reason or flash")
			}
			if res, _ := ad.postForm("/admin/domains", url.Values{"domain": {"quiet.example"}, "policy": {"silence"}}); res.StatusCode != http.StatusSeeOther {
				t.Errorf("silence = %d", res.StatusCode)
			}
			if res, _ := ad.postForm("/admin/domains", url.Values{"domain": {"ok.bad.example"}, "policy": {"allow"}}); res.StatusCode != http.StatusSeeOther {
				t.Errorf("allow = %d", res.StatusCode)
			}
			rules, err := n.store.ListDomainPolicies(ctx)
			if err != nil || len(rules) != 3 {
				t.Fatalf("rules = %+v %v", rules, err)
			}
			if res, _ := ad.postForm("/admin/domains/remove", url.Values{"domain": {"bad.example"}}); res.StatusCode != http.StatusSeeOther {
				t.Errorf("unblock = %d", res.StatusCode)
			}
			if p, err := n.store.DomainPolicy(ctx, "bad.example"); err != nil || p != "" {
				t.Errorf("after unblock: %q %v", p, err)
			}
		})
	}
}

// TestNetworkDeliveries: an admin sees the queue, a failing host with its
// last error and next attempt, and makes its deliveries due now as
// "tadamun deliveries --retry" does; editors get 403.
func TestNetworkDeliveries(t *testing.T) {
	n := adminTestNode(t, "http")
	ctx := context.Background()
	r := putRemote(t, n, "https://down.example/users/d", "down.example", "d")
	if err := n.store.PutFollower(ctx, actorID(t, n, "icssi"), r.ID, "https://down.example/f/1", storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := n.fed.Publish(ctx, "icssi", &content.Draft{Title: "Queued", Language: "en", Body: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := n.store.ClaimDeliveries(ctx, "test", time.Minute, 10, nil)
	if err != nil || len(claimed) == 0 {
		t.Fatalf("claim = %d %v", len(claimed), err)
	}
	if err := n.store.DeliveryFailed(ctx, claimed[0].ID, 503, "service unavailable"); err != nil {
		t.Fatal(err)
	}
	ed := n.signedIn(t, editorName, "127.0.0.3")
	if res, _ := ed.get("/admin/deliveries"); res.StatusCode != http.StatusForbidden {
		t.Errorf("editor on deliveries = %d, want 403", res.StatusCode)
	}
	if res, _ := ed.postForm("/admin/deliveries/retry", url.Values{"host": {"all"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("editor retrying = %d, want 403", res.StatusCode)
	}
	ad := n.signedIn(t, adminName, "127.0.0.4")
	res, body := ad.get("/admin/deliveries")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("deliveries = %d %s", res.StatusCode, body)
	}
	for _, want := range []string{"down.example", "503 service unavailable"} {
		if !strings.Contains(body, want) {
			t.Errorf("deliveries page lacks %q", want)
		}
	}
	failed := "SELECT COUNT(*) FROM deliveries WHERE state = 'failed'"
	for _, host := range []string{"", "two words", strings.Repeat("h", 301)} {
		if res, _ := ad.postForm("/admin/deliveries/retry", url.Values{"host": {host}}); res.StatusCode != http.StatusBadRequest {
			t.Errorf("retry %q = %d, want 400", host, res.StatusCode)
		}
	}
	if got := storagetest.Count(t, n.dbURL, failed); got != 1 {
		t.Fatalf("failed rows = %d, want 1", got)
	}
	res, body = ad.postForm("/admin/deliveries/retry", url.Values{"host": {"down.example"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry = %d %s", res.StatusCode, body)
	}
	if got := storagetest.Count(t, n.dbURL, failed); got != 0 {
		t.Errorf("failed rows after retry = %d, want 0", got)
	}
	if _, body = ad.get("/admin/deliveries"); !strings.Contains(body, "Deliveries due now: 2.") {
		t.Errorf("no flash after retry: %s", body)
	}
}
