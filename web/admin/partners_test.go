package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestPartnersAdmin: an editor adds a partner with a relay policy by
// hashtag (the Follow is queued), changes the policy, relays one of the
// partner's posts by hand (an Announce is queued) and stops relaying it
// (an Undo), and removes the partner; bad input and another actor's page
// are refused with nothing changed. On SQLite and PostgreSQL.
func TestPartnersAdmin(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testPartnersAdmin(t, b.URL) })
	}
}

func testPartnersAdmin(t *testing.T, dbURL string) {
	client := transport.New(transport.Config{AllowPrivate: true})
	t.Cleanup(client.CloseIdleConnections)
	n := newTestNode(t, dbURL, federation.Config{Scheme: "http", Client: client, InsecureRemote: true})
	remote := startRemote(t)
	ctx := context.Background()
	icssi := actorID(t, n, "icssi")
	ed := n.signedIn(t, editorName, "127.0.0.3")
	deliveries := func() int {
		return storagetest.Count(t, n.dbURL, "SELECT COUNT(*) FROM deliveries")
	}

	t.Run("entry", func(t *testing.T) {
		res, _ := ed.get("/admin/partners")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/actors/icssi/partners" {
			t.Errorf("an editor of one actor: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		ad := n.signedIn(t, adminName, "127.0.0.4")
		res, body := ad.get("/admin/partners")
		if res.StatusCode != 200 || !strings.Contains(body, `href="/admin/actors/icssi/partners"`) || !strings.Contains(body, `href="/admin/actors/other/partners"`) {
			t.Errorf("the admin's list of actors: %d\n%s", res.StatusCode, body)
		}
		if res, body := ed.get("/admin/actors/icssi/partners"); res.StatusCode != 200 || !strings.Contains(body, "This actor has no partners yet.") {
			t.Errorf("empty partners page = %d\n%s", res.StatusCode, body)
		}
		if res, _ := ed.get("/admin/actors/other/partners"); res.StatusCode != http.StatusForbidden {
			t.Errorf("another actor's partners page = %d, want 403", res.StatusCode)
		}
	})

	// The first look-up creates the instance actor, which signs WebFinger
	// requests: make it before taking the fingerprint.
	if res, _ := ed.postForm("/admin/actors/icssi/partners", url.Values{"who": {"@nobody@" + remote.host}, "relay": {"none"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("adding an unknown account = %d, want 422", res.StatusCode)
	}
	before := fingerprint(t, n)
	ally := "@ally@" + remote.host
	for _, tc := range []struct {
		name, path string
		form       url.Values
		want       int
	}{
		{"another actor", "/admin/actors/other/partners", url.Values{"who": {ally}, "relay": {"all"}}, http.StatusForbidden},
		{"no relay mode", "/admin/actors/icssi/partners", url.Values{"who": {ally}}, http.StatusBadRequest},
		{"unknown relay mode", "/admin/actors/icssi/partners", url.Values{"who": {ally}, "relay": {"some"}}, http.StatusBadRequest},
		{"tags without tags", "/admin/actors/icssi/partners", url.Values{"who": {ally}, "relay": {"tags"}, "tags": {" "}}, http.StatusBadRequest},
		{"a tag that is none", "/admin/actors/icssi/partners", url.Values{"who": {ally}, "relay": {"tags"}, "tags": {"#ok, no-dash!"}}, http.StatusBadRequest},
		{"policy of a stranger", "/admin/actors/icssi/partners/policy", url.Values{"who": {ally}, "relay": {"all"}}, http.StatusBadRequest},
		{"remove a stranger", "/admin/actors/icssi/partners/remove", url.Values{"who": {ally}}, http.StatusBadRequest},
		{"relay nothing", "/admin/actors/icssi/partners/relay", url.Values{"object": {""}}, http.StatusBadRequest},
		{"relay an unknown post", "/admin/actors/icssi/partners/relay", url.Values{"object": {"https://nowhere.test/1"}}, http.StatusNotFound},
	} {
		if res, body := ed.postForm(tc.path, tc.form); res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d\n%.400s", tc.name, res.StatusCode, tc.want, body)
		}
	}
	if after := fingerprint(t, n); after != before {
		t.Errorf("refused requests changed something:\n%s\n%s", before, after)
	}

	// Add, with a policy by hashtag in two scripts.
	queued := deliveries()
	res, body := ed.postForm("/admin/actors/icssi/partners", url.Values{"who": {ally}, "relay": {"tags"}, "tags": {"#Iraq، حقوق_الإنسان"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add partner = %d %s", res.StatusCode, body)
	}
	r, err := n.store.RemoteActorByIRI(ctx, remote.actor)
	if err != nil {
		t.Fatal(err)
	}
	f, err := n.store.Following(ctx, icssi, r.ID)
	if err != nil || f.State != storage.FollowPending || f.Relay.Mode != storage.RelayTags || !slices.Equal(f.Relay.Tags, []string{"iraq", "حقوق_الإنسان"}) {
		t.Fatalf("following after add = %+v %v", f, err)
	}
	if got := deliveries(); got != queued+1 {
		t.Errorf("deliveries after add = %d, want %d (the Follow)", got, queued+1)
	}
	_, body = ed.get("/admin/actors/icssi/partners")
	for _, want := range []string{ally, "<td>pending</td>", `<option value="tags" selected>`, `value="#iraq, #حقوق_الإنسان"`, "The follow is sent."} {
		if !strings.Contains(body, want) {
			t.Errorf("partners page lacks %s", want)
		}
	}

	// Change the policy.
	if res, body := ed.postForm("/admin/actors/icssi/partners/policy", url.Values{"who": {remote.actor}, "relay": {"all"}, "tags": {"#ignored"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set policy = %d %s", res.StatusCode, body)
	}
	if f, err = n.store.Following(ctx, icssi, r.ID); err != nil || f.Relay.Mode != storage.RelayAll || len(f.Relay.Tags) != 0 {
		t.Fatalf("following after policy change = %+v %v", f, err)
	}
	if res, _ := ed.postForm("/admin/actors/other/partners/policy", url.Values{"who": {remote.actor}, "relay": {"none"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("another actor's policy = %d, want 403", res.StatusCode)
	}

	// A post of the partner, once the follow is accepted, can be relayed.
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	post := &storage.RemoteObject{IRI: remote.srv.URL + "/notes/1", RemoteActorID: r.ID, Type: "Note", URL: remote.srv.URL + "/@ally/1",
		ContentHTML: "<p>نص المنشور</p>", Language: "ar", Public: true, PublishedAt: &at, Moderation: storage.ModerationApproved,
		Attachments: []storage.RemoteAttachment{{URL: remote.srv.URL + "/media/1.png", MediaType: "image/png", Alt: "صورة المظاهرة",
			LocalPath: "partners/0123abcd.png"}, {URL: remote.srv.URL + "/media/2.mp4", MediaType: "video/mp4"}}}
	if err := n.store.UpsertRemoteObject(ctx, post); err != nil {
		t.Fatal(err)
	}
	if _, body = ed.get("/admin/actors/icssi/partners"); strings.Contains(body, "نص المنشور") {
		t.Error("a post of a partner whose follow is pending is listed")
	}
	if err := n.store.SetFollowingState(ctx, f.FollowIRI, icssi, r.ID, storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	_, body = ed.get("/admin/actors/icssi/partners")
	if !strings.Contains(body, "نص المنشور") || !strings.Contains(body, `lang="ar" dir="rtl"`) || !strings.Contains(body, "not relayed") ||
		!strings.Contains(body, `/admin/actors/icssi/partners/relay"`) || !strings.Contains(body, "<td>accepted</td>") ||
		!strings.Contains(body, `<img src="/media/partners/0123abcd.png" alt="صورة المظاهرة"`) || !strings.Contains(body, "1 media file at the original only") ||
		strings.Contains(body, remote.srv.URL+"/media/") {
		t.Fatalf("partners page does not offer to relay the post:\n%s", body)
	}
	queued = deliveries()
	if res, body := ed.postForm("/admin/actors/icssi/partners/relay", url.Values{"object": {post.IRI}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("relay = %d %s", res.StatusCode, body)
	}
	rel, err := n.store.RelayOf(ctx, icssi, post.ID)
	if err != nil || !rel.Manual || rel.UndoneAt != nil {
		t.Fatalf("relay after the button = %+v %v", rel, err)
	}
	if got := deliveries(); got <= queued {
		t.Errorf("no Announce queued: deliveries %d, before %d", got, queued)
	}
	_, body = ed.get("/admin/actors/icssi/partners")
	if !strings.Contains(body, "relayed by hand") || !strings.Contains(body, `/admin/actors/icssi/partners/unrelay"`) || !strings.Contains(body, "The post is relayed") {
		t.Errorf("partners page does not show the post relayed")
	}
	if res, _ := ed.postForm("/admin/actors/icssi/partners/relay", url.Values{"object": {post.IRI}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("relay twice = %d", res.StatusCode)
	}
	if _, body = ed.get("/admin/actors/icssi/partners"); !strings.Contains(body, "This post is relayed already.") {
		t.Error("relaying twice is not said")
	}
	if res, _ := ed.postForm("/admin/actors/other/partners/unrelay", url.Values{"object": {post.IRI}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("another actor's unrelay = %d, want 403", res.StatusCode)
	}
	queued = deliveries()
	if res, body := ed.postForm("/admin/actors/icssi/partners/unrelay", url.Values{"object": {post.IRI}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unrelay = %d %s", res.StatusCode, body)
	}
	if rel, err = n.store.RelayOf(ctx, icssi, post.ID); err != nil || rel.UndoneAt == nil {
		t.Fatalf("relay after stop = %+v %v", rel, err)
	}
	if got := deliveries(); got <= queued {
		t.Errorf("no Undo queued: deliveries %d, before %d", got, queued)
	}
	if res, _ := ed.postForm("/admin/actors/icssi/partners/unrelay", url.Values{"object": {post.IRI}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unrelay twice = %d, want 400", res.StatusCode)
	}

	// The admin, working on "other", which does not follow ally, cannot
	// relay ally's post from other's page.
	ad := n.signedIn(t, adminName, "127.0.0.4")
	if res, _ := ad.postForm("/admin/actors/other/partners/relay", url.Values{"object": {post.IRI}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("relay of a post by a non-partner = %d, want 400", res.StatusCode)
	}

	// Remove.
	if res, body := ed.postForm("/admin/actors/icssi/partners/remove", url.Values{"who": {remote.actor}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove = %d %s", res.StatusCode, body)
	}
	if _, err := n.store.Following(ctx, icssi, r.ID); err == nil {
		t.Error("the follow is still there after remove")
	}
	if _, body = ed.get("/admin/actors/icssi/partners"); !strings.Contains(body, "This actor has no partners yet.") || strings.Contains(body, "نص المنشور") {
		t.Error("the removed partner or its posts are still listed")
	}
}
