package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// relayNode is our node (capture.test, actors cap and arab) with partners
// and a follower served by real HTTP servers on loopback addresses: the
// partners' activities arrive signed with their own keys, which the node
// fetches over the network.
type relayNode struct {
	fed     *federation.Service
	store   *storage.Store
	clock   time.Time
	cap     *storage.Actor
	arab    *storage.Actor
	partner *peer // on 127.0.0.21
	quiet   *peer // on 127.0.0.22, a domain we silence in one test
	fan     *peer // follows cap and arab
}

func newRelayNode(t *testing.T, dbURL string) *relayNode {
	t.Helper()
	ctx := context.Background()
	n := &relayNode{clock: time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)}
	now := func() time.Time { return n.clock }
	n.store = openStore(t, dbURL, now)
	logs := slog.New(slog.NewTextHandler(io.Discard, nil))
	client := transport.New(transport.Config{AllowPrivate: true, Now: now})
	t.Cleanup(client.CloseIdleConnections)
	n.fed = federation.New(federation.Config{Scheme: "https", Host: "capture.test", Logger: logs, Now: now, Client: client}, n.store)
	var err error
	if n.cap, err = n.fed.CreateActor(ctx, federation.NewActor{Username: "cap"}); err != nil {
		t.Fatal(err)
	}
	if n.arab, err = n.fed.CreateActor(ctx, federation.NewActor{Username: "arab"}); err != nil {
		t.Fatal(err)
	}
	ks := startKeyServer(t, "127.0.0.21", nil)
	n.partner = ks.addActor(t, "/users/partner", "")
	n.fan = ks.addActor(t, "/users/fan", "")
	n.quiet = startKeyServer(t, "127.0.0.22", nil).addActor(t, "/users/quiet", "")
	for _, u := range []string{"cap", "arab"} {
		n.deliver(t, n.fan, fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Follow","actor":%q,"object":"https://capture.test/users/%s"}`,
			n.fan.id+"/follows/"+u, n.fan.id, u))
	}
	return n
}

// deliver posts a signed activity to the shared inbox and lets the inbox
// worker act on it.
func (n *relayNode) deliver(t *testing.T, p *peer, body string) {
	t.Helper()
	ctx := context.Background()
	n.clock = n.clock.Add(time.Second)
	if err := n.fed.Receive(ctx, signedAs(t, body, p.keyID, p.key, n.clock), []byte(body), ""); err != nil {
		t.Fatalf("inbox refused %s: %v", body, err)
	}
	if _, err := n.fed.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
}

// follows makes our actor follow p (accepted) with a relay policy.
func (n *relayNode) follows(t *testing.T, local *storage.Actor, p *peer, policy storage.RelayPolicy) {
	t.Helper()
	ctx := context.Background()
	r, err := n.fed.ResolveActor(ctx, p.id, false)
	if err != nil {
		t.Fatal(err)
	}
	followIRI := "https://capture.test/users/" + local.Username + "/activities/follow-" + r.ID
	if err := n.store.PutFollowing(ctx, local.ID, r.ID, followIRI, policy); err != nil {
		t.Fatal(err)
	}
	if err := n.store.SetFollowingState(ctx, followIRI, local.ID, r.ID, storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
}

// post is a Note by p; tags are the tag entries' names, to its addressing.
type post struct {
	id, inReplyTo, content string
	tags, to               []string
}

func (p post) object(author string) map[string]any {
	to := p.to
	if to == nil {
		to = []string{federation.PublicAddress}
	}
	var tags []any
	for _, name := range p.tags {
		tags = append(tags, map[string]any{"type": "Hashtag", "name": name, "href": author + "/tags/x"})
	}
	o := map[string]any{"id": p.id, "type": "Note", "attributedTo": author, "content": p.content,
		"to": to, "cc": []string{author + "/followers"}, "published": "2026-11-30T20:00:00Z"}
	if tags != nil {
		o["tag"] = tags
	}
	if p.inReplyTo != "" {
		o["inReplyTo"] = p.inReplyTo
	}
	if o["content"] == "" {
		o["content"] = "<p>post " + p.id + "</p>"
	}
	return o
}

// activity is an activity of author's wrapping obj.
func activity(typ, id, author string, obj any) string {
	b, err := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": typ,
		"actor": author, "object": obj, "to": []string{federation.PublicAddress}})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// create delivers p's Create of the post.
func (n *relayNode) create(t *testing.T, p *peer, ps post) {
	t.Helper()
	n.deliver(t, p, activity("Create", ps.id+"/activity", p.id, ps.object(p.id)))
}

// announced lists our outbound Announces as "username object", sorted.
func (n *relayNode) announced(t *testing.T) []string {
	t.Helper()
	return n.outbound(t, "Announce")
}

func (n *relayNode) outbound(t *testing.T, typ string) []string {
	t.Helper()
	rows, err := n.store.DB().QueryContext(context.Background(),
		`SELECT actor_iri, object_iri FROM activities WHERE direction = 'out' AND activity_type = $1`, typ)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var actor, object string
		if err := rows.Scan(&actor, &object); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimPrefix(actor, "https://capture.test/users/")+" "+object)
	}
	sort.Strings(out)
	return out
}

// bodies returns the bodies of our outbound activities of a type, oldest
// first.
func (n *relayNode) bodies(t *testing.T, typ string) []map[string]any {
	t.Helper()
	rows, err := n.store.DB().QueryContext(context.Background(),
		`SELECT body FROM activities WHERE direction = 'out' AND activity_type = $1 ORDER BY created_at, iri`, typ)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// queuedTo counts the deliveries of our outbound activities of a type to
// an inbox.
func (n *relayNode) queuedTo(t *testing.T, typ, inbox string) int {
	t.Helper()
	var c int
	if err := n.store.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM deliveries d JOIN activities a ON a.id = d.activity_id
		WHERE a.direction = 'out' AND a.activity_type = $1 AND d.inbox = $2`, typ, inbox).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func same(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// TestRelayByPolicy: a partner's own public posts are announced by each
// of our actors whose policy asks for them — everything, or a hashtag in
// any script and case — once, to their followers and the post's author.
// Replies, posts not addressed to the public, boosts of others' posts and
// redeliveries are not announced.
func TestRelayByPolicy(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			n := newRelayNode(t, b.URL)
			n.follows(t, n.cap, n.partner, storage.RelayPolicy{Mode: storage.RelayAll})
			tags, err := federation.ParseRelayTags("#تضامن، Iraq")
			if err != nil {
				t.Fatal(err)
			}
			n.follows(t, n.arab, n.partner, storage.RelayPolicy{Mode: storage.RelayTags, Tags: tags})
			base := n.partner.id + "/notes/"
			n.create(t, n.partner, post{id: base + "plain"})
			n.create(t, n.partner, post{id: base + "arabic", tags: []string{"#تضامن"}})            // Mastodon, GoToSocial, Fedify: "#" first
			n.create(t, n.partner, post{id: base + "latin", tags: []string{"IRAQ", "#elsewhere"}}) // others: no "#"; another case
			n.create(t, n.partner, post{id: base + "other-tag", tags: []string{"#Iraqi"}})
			n.create(t, n.partner, post{id: base + "followers-only", tags: []string{"#Iraq"}, to: []string{n.partner.id + "/followers"}})
			n.create(t, n.partner, post{id: base + "as-public", to: []string{"as:Public"}})
			n.create(t, n.partner, post{id: base + "reply", tags: []string{"#Iraq"}, inReplyTo: "https://elsewhere.test/notes/1"})
			n.create(t, n.partner, post{id: base + "self-reply", inReplyTo: base + "plain"})
			// A boost by the partner of someone else's post.
			n.deliver(t, n.partner, activity("Announce", n.partner.id+"/boosts/1", n.partner.id, "https://elsewhere.test/notes/2"))
			// The same post again: the Create redelivered under another id
			// (a retry after a lost answer), and the same activity again.
			n.deliver(t, n.partner, activity("Create", base+"plain/again", n.partner.id, post{id: base + "plain"}.object(n.partner.id)))
			n.create(t, n.partner, post{id: base + "arabic", tags: []string{"#تضامن"}})

			want := []string{
				"arab " + base + "arabic",
				"arab " + base + "latin",
				"cap " + base + "arabic",
				"cap " + base + "as-public",
				"cap " + base + "latin",
				"cap " + base + "other-tag",
				"cap " + base + "plain",
			}
			if got := n.announced(t); !same(got, want) {
				t.Fatalf("announced:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// Every post is stored, with its tags and visibility.
			o, err := n.store.RemoteObjectByIRI(ctx, base+"latin")
			if err != nil || !o.Public || !same(o.Tags, []string{"iraq", "elsewhere"}) {
				t.Fatalf("stored latin post: %+v %v", o, err)
			}
			if o, err := n.store.RemoteObjectByIRI(ctx, base+"followers-only"); err != nil || o.Public {
				t.Fatalf("stored followers-only post: %+v %v", o, err)
			}
			// Each Announce went to the actor's follower and to the author.
			if got := n.queuedTo(t, "Announce", n.fan.id+"/inbox"); got != len(want) {
				t.Errorf("%d Announces queued to the follower, want %d", got, len(want))
			}
			if got := n.queuedTo(t, "Announce", n.partner.id+"/inbox"); got != len(want) {
				t.Errorf("%d Announces queued to the author, want %d", got, len(want))
			}
			// What an Announce says.
			ann := n.bodies(t, "Announce")[0]
			if ann["actor"] != "https://capture.test/users/cap" || ann["object"] != base+"plain" ||
				fmt.Sprint(ann["to"]) != federation.PublicAddress ||
				!strings.Contains(fmt.Sprint(ann["cc"]), "https://capture.test/users/cap/followers") ||
				!strings.Contains(fmt.Sprint(ann["cc"]), n.partner.id) ||
				!strings.HasPrefix(fmt.Sprint(ann["id"]), "https://capture.test/users/cap/") || ann["published"] == nil {
				t.Errorf("Announce: %v", ann)
			}
			r, err := n.store.RelayOf(ctx, n.cap.ID, o.ID)
			if err != nil || r.Manual || r.UndoneAt != nil {
				t.Errorf("relay record: %+v %v", r, err)
			}
		})
	}
}

// TestRelaySilencedPartner: the posts of a partner on a silenced domain are
// kept but never relayed.
func TestRelaySilencedPartner(t *testing.T) {
	ctx := context.Background()
	n := newRelayNode(t, storagetest.SQLiteURL(t))
	n.follows(t, n.cap, n.quiet, storage.RelayPolicy{Mode: storage.RelayAll})
	if _, err := n.fed.SetDomainPolicy(ctx, "127.0.0.22", storage.PolicySilence, "test"); err != nil {
		t.Fatal(err)
	}
	n.create(t, n.quiet, post{id: n.quiet.id + "/notes/1"})
	if _, err := n.store.RemoteObjectByIRI(ctx, n.quiet.id+"/notes/1"); err != nil {
		t.Fatalf("the silenced partner's post is not kept: %v", err)
	}
	if got := n.announced(t); len(got) != 0 {
		t.Fatalf("a silenced partner's post was relayed: %v", got)
	}
}

// TestRelayUndoneOnDelete: when the partner deletes a post we relay, each
// actor relaying it sends Undo{Announce} naming its Announce, to its
// followers and the author, and the relay is marked undone; a post we do
// not relay sends nothing.
func TestRelayUndoneOnDelete(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			n := newRelayNode(t, b.URL)
			n.follows(t, n.cap, n.partner, storage.RelayPolicy{Mode: storage.RelayAll})
			n.follows(t, n.arab, n.partner, storage.RelayPolicy{Mode: storage.RelayTags, Tags: []string{"iraq"}})
			base := n.partner.id + "/notes/"
			n.create(t, n.partner, post{id: base + "1", tags: []string{"#Iraq"}})
			n.create(t, n.partner, post{id: base + "2", to: []string{n.partner.id + "/followers"}})
			if got := len(n.announced(t)); got != 2 {
				t.Fatalf("%d Announces, want 2", got)
			}
			anns := map[string]string{}
			for _, a := range n.bodies(t, "Announce") {
				anns[a["actor"].(string)] = a["id"].(string)
			}
			n.deliver(t, n.partner, activity("Delete", base+"1/delete", n.partner.id, map[string]any{"id": base + "1", "type": "Tombstone"}))
			n.deliver(t, n.partner, activity("Delete", base+"2/delete", n.partner.id, base+"2"))
			undos := n.bodies(t, "Undo")
			if len(undos) != 2 {
				t.Fatalf("%d Undos after the delete, want 2: %v", len(undos), undos)
			}
			for _, u := range undos {
				inner, _ := u["object"].(map[string]any)
				actor, _ := u["actor"].(string)
				if inner["type"] != "Announce" || inner["id"] != anns[actor] || inner["actor"] != actor || inner["object"] != base+"1" {
					t.Errorf("Undo by %s embeds %v, want its Announce %s", actor, inner, anns[actor])
				}
			}
			if got := n.queuedTo(t, "Undo", n.fan.id+"/inbox"); got != 2 {
				t.Errorf("%d Undos queued to the follower, want 2", got)
			}
			o, err := n.store.RemoteObjectByIRI(ctx, base+"1")
			if err != nil || o.DeletedAt == nil {
				t.Fatalf("deleted post: %+v %v", o, err)
			}
			if l, err := n.store.StandingRelays(ctx, o.ID); err != nil || len(l) != 0 {
				t.Fatalf("standing relays after the delete: %v %v", l, err)
			}
			// A redelivered Delete sends nothing more.
			n.deliver(t, n.partner, activity("Delete", base+"1/delete-again", n.partner.id, base+"1"))
			if got := len(n.bodies(t, "Undo")); got != 2 {
				t.Fatalf("%d Undos after a second Delete", got)
			}
		})
	}
}

// TestManualRelay: an editor relays a post the policy did not (even a
// backfilled one), cannot relay it twice, undoes the relay, and can relay
// it again; posts not public, unknown or not relayed are refused with a
// clear error.
func TestManualRelay(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			n := newRelayNode(t, b.URL)
			n.follows(t, n.cap, n.partner, storage.RelayPolicy{Mode: storage.RelayNone})
			base := n.partner.id + "/notes/"
			n.create(t, n.partner, post{id: base + "1"})
			n.create(t, n.partner, post{id: base + "private", to: []string{n.partner.id + "/followers"}})
			r, err := n.fed.ResolveActor(ctx, n.partner.id, false)
			if err != nil {
				t.Fatal(err)
			}
			old := &storage.RemoteObject{IRI: base + "old", RemoteActorID: r.ID, Type: "Note", URL: base + "old",
				ContentHTML: "<p>old</p>", Public: true, Backfilled: true}
			if err := n.store.UpsertRemoteObject(ctx, old); err != nil {
				t.Fatal(err)
			}
			if got := n.announced(t); len(got) != 0 {
				t.Fatalf("relay none announced %v", got)
			}
			for _, iri := range []string{base + "1", base + "old"} {
				if err := n.fed.RelayPost(ctx, "cap", iri); err != nil {
					t.Fatalf("relay %s: %v", iri, err)
				}
			}
			if err := n.fed.RelayPost(ctx, "cap", base+"1"); !errors.Is(err, storage.ErrConflict) || !errors.Is(err, federation.ErrInvalid) {
				t.Fatalf("relaying twice: %v", err)
			}
			for _, iri := range []string{base + "private", base + "unknown"} {
				if err := n.fed.RelayPost(ctx, "cap", iri); !errors.Is(err, federation.ErrInvalid) {
					t.Fatalf("relay %s: %v, want refused", iri, err)
				}
			}
			want := []string{"cap " + base + "1", "cap " + base + "old"}
			if got := n.announced(t); !same(got, want) {
				t.Fatalf("announced %v, want %v", got, want)
			}
			o, _ := n.store.RemoteObjectByIRI(ctx, base+"1")
			if rel, err := n.store.RelayOf(ctx, n.cap.ID, o.ID); err != nil || !rel.Manual {
				t.Fatalf("manual relay record: %+v %v", rel, err)
			}
			if err := n.fed.UnrelayPost(ctx, "cap", base+"1"); err != nil {
				t.Fatal(err)
			}
			if err := n.fed.UnrelayPost(ctx, "cap", base+"1"); !errors.Is(err, federation.ErrInvalid) {
				t.Fatalf("unrelaying twice: %v", err)
			}
			if err := n.fed.UnrelayPost(ctx, "arab", base+"old"); !errors.Is(err, federation.ErrInvalid) {
				t.Fatalf("unrelaying what the actor does not relay: %v", err)
			}
			undos := n.bodies(t, "Undo")
			if len(undos) != 1 || undos[0]["object"].(map[string]any)["object"] != base+"1" {
				t.Fatalf("Undos: %v", undos)
			}
			if err := n.fed.RelayPost(ctx, "cap", base+"1"); err != nil {
				t.Fatalf("relaying again after an undo: %v", err)
			}
			if got := len(n.announced(t)); got != 3 {
				t.Fatalf("%d Announces after relaying again, want 3", got)
			}
		})
	}
}

// TestPartnerUpdate: an edit refreshes our copy (text and tags) and is not
// announced again; an edit that makes the post not public undoes our relay.
func TestPartnerUpdate(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			n := newRelayNode(t, b.URL)
			n.follows(t, n.cap, n.partner, storage.RelayPolicy{Mode: storage.RelayAll})
			id := n.partner.id + "/notes/1"
			n.create(t, n.partner, post{id: id, content: "<p>first</p>", tags: []string{"#one"}})
			if o, err := n.store.RemoteObjectByIRI(ctx, id); err != nil || len(o.Attachments) != 0 {
				t.Fatalf("before the Update: %+v %v", o, err)
			}
			edited := post{id: id, content: "<p>second <script>x</script></p>", tags: []string{"#two", "#تضامن"}}.object(n.partner.id)
			edited["updated"] = "2026-11-30T22:00:00Z"
			// An image the node cannot copy (the server has no such file) is
			// kept linked, with its alt text.
			edited["attachment"] = []any{map[string]any{"type": "Document", "mediaType": "image/png",
				"url": n.partner.id + "/media/1.png", "name": "متظاهرون في بغداد"}}
			n.deliver(t, n.partner, activity("Update", id+"/update/1", n.partner.id, edited))
			o, err := n.store.RemoteObjectByIRI(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(o.ContentHTML, "second") || strings.Contains(o.ContentHTML, "script") ||
				!same(o.Tags, []string{"two", "تضامن"}) || o.EditedAt == nil || !o.Public {
				t.Fatalf("after the Update: %q %v %v %v", o.ContentHTML, o.Tags, o.EditedAt, o.Public)
			}
			if len(o.Attachments) != 1 || o.Attachments[0].Alt != "متظاهرون في بغداد" || o.Attachments[0].URL != n.partner.id+"/media/1.png" {
				t.Fatalf("attachments after the Update: %+v", o.Attachments)
			}
			if got := len(n.announced(t)); got != 1 {
				t.Fatalf("%d Announces after an edit, want 1", got)
			}
			private := post{id: id, content: "<p>third</p>", to: []string{n.partner.id + "/followers"}}.object(n.partner.id)
			private["attachment"] = edited["attachment"]
			n.deliver(t, n.partner, activity("Update", id+"/update/2", n.partner.id, private))
			if got := len(n.bodies(t, "Undo")); got != 1 {
				t.Fatalf("%d Undos after the post stopped being public, want 1", got)
			}
			// Nothing of a post that is not public is kept for the site.
			if o, err := n.store.RemoteObjectByIRI(ctx, id); err != nil || o.Public || len(o.Attachments) != 0 {
				t.Fatalf("after the Update to followers only: public %v, attachments %+v, %v", o.Public, o.Attachments, err)
			}
		})
	}
}

// TestPartnerPolicyAndRemove: a policy change applies to posts that arrive
// afterwards; removing a partner unfollows it and undoes the relays of its
// posts, and only of its posts.
func TestPartnerPolicyAndRemove(t *testing.T) {
	ctx := context.Background()
	n := newRelayNode(t, storagetest.SQLiteURL(t))
	n.follows(t, n.cap, n.partner, storage.RelayPolicy{Mode: storage.RelayAll})
	n.follows(t, n.cap, n.quiet, storage.RelayPolicy{Mode: storage.RelayAll})
	n.create(t, n.partner, post{id: n.partner.id + "/notes/1"})
	n.create(t, n.quiet, post{id: n.quiet.id + "/notes/1"})
	if _, err := n.fed.SetPartnerPolicy(ctx, "cap", n.partner.id, storage.RelayPolicy{Mode: storage.RelayTags, Tags: []string{"#Iraq"}}); err != nil {
		t.Fatal(err)
	}
	f, err := n.store.ListFollowing(ctx, n.cap.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range f {
		if x.Remote.IRI == n.partner.id && (x.Relay.Mode != storage.RelayTags || !same(x.Relay.Tags, []string{"iraq"})) {
			t.Fatalf("policy after the change: %+v", x.Relay)
		}
	}
	for _, bad := range []storage.RelayPolicy{{Mode: "some"}, {Mode: storage.RelayTags}, {Mode: storage.RelayTags, Tags: []string{"no spaces"}}} {
		if _, err := n.fed.SetPartnerPolicy(ctx, "cap", n.partner.id, bad); !errors.Is(err, federation.ErrInvalid) {
			t.Errorf("policy %+v: %v, want refused", bad, err)
		}
	}
	if _, err := n.fed.SetPartnerPolicy(ctx, "arab", n.partner.id, storage.RelayPolicy{Mode: storage.RelayAll}); !errors.Is(err, federation.ErrInvalid) {
		t.Errorf("policy of a partner the actor does not follow: %v", err)
	}
	n.create(t, n.partner, post{id: n.partner.id + "/notes/2"})
	n.create(t, n.partner, post{id: n.partner.id + "/notes/3", tags: []string{"#iraq"}})
	want := []string{"cap " + n.partner.id + "/notes/1", "cap " + n.partner.id + "/notes/3", "cap " + n.quiet.id + "/notes/1"}
	if got := n.announced(t); !same(got, want) {
		t.Fatalf("announced %v, want %v", got, want)
	}
	if _, err := n.fed.RemovePartner(ctx, "cap", n.partner.id); err != nil {
		t.Fatal(err)
	}
	undone := n.outbound(t, "Undo")
	wantUndo := []string{}
	for _, u := range n.bodies(t, "Undo") {
		if inner, ok := u["object"].(map[string]any); ok {
			wantUndo = append(wantUndo, fmt.Sprint(inner["type"], " ", inner["object"]))
		}
	}
	sort.Strings(wantUndo)
	if len(undone) != 3 || !same(wantUndo, []string{"Announce " + n.partner.id + "/notes/1", "Announce " + n.partner.id + "/notes/3", "Follow " + n.partner.id}) {
		t.Fatalf("Undos after removing the partner: %v", wantUndo)
	}
	if _, err := n.store.Following(ctx, n.cap.ID, mustRemote(t, n, n.partner.id).ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("still following the removed partner: %v", err)
	}
	if _, err := n.fed.RemovePartner(ctx, "cap", n.partner.id); !errors.Is(err, federation.ErrInvalid) {
		t.Fatalf("removing twice: %v", err)
	}
	// The other partner deletes its account: our relay of its post is
	// undone before it is forgotten.
	n.deliver(t, n.quiet, activity("Delete", n.quiet.id+"#delete", n.quiet.id, n.quiet.id))
	last := n.bodies(t, "Undo")
	if len(last) != 4 || fmt.Sprint(last[3]["object"].(map[string]any)["object"]) != n.quiet.id+"/notes/1" {
		t.Fatalf("Undos after the partner deleted itself: %v", last)
	}
	if _, err := n.store.RemoteActorByIRI(ctx, n.quiet.id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the deleted partner is still known: %v", err)
	}
}

func mustRemote(t *testing.T, n *relayNode, iri string) *storage.RemoteActor {
	t.Helper()
	r, err := n.store.RemoteActorByIRI(context.Background(), iri)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseRelayTags(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"#Iraq, حقوق_الإنسان", []string{"iraq", "حقوق_الإنسان"}, true},
		{"#تضامن،#Iraq #IRAQ", []string{"تضامن", "iraq"}, true},
		{"  solidarity  ", []string{"solidarity"}, true},
		{"", nil, false},
		{" , ، ", nil, false},
		{"#", nil, false},
		{"good, not-a-tag", nil, false},
		{"#a.b", nil, false},
	} {
		got, err := federation.ParseRelayTags(c.in)
		if (err == nil) != c.ok || (c.ok && !same(got, c.want)) {
			t.Errorf("ParseRelayTags(%q) = %v, %v; want %v (ok %v)", c.in, got, err, c.want, c.ok)
		}
		if err != nil && !errors.Is(err, federation.ErrInvalid) {
			t.Errorf("ParseRelayTags(%q): error %v is not ErrInvalid", c.in, err)
		}
	}
}

// TestRelayAfterBackfill: the backfill that runs when a partner accepts
// our follow may store a post published just then before the post's
// Create is processed. That Create is a first delivery and is relayed; a
// Create of an older backfilled post is not, nor one we stopped relaying.
func TestRelayAfterBackfill(t *testing.T) {
	ctx := context.Background()
	n := newRelayNode(t, storagetest.SQLiteURL(t))
	n.follows(t, n.cap, n.partner, storage.RelayPolicy{Mode: storage.RelayAll}) // accepted at n.clock
	r := mustRemote(t, n, n.partner.id)
	base := n.partner.id + "/notes/"
	accepted := n.clock
	for name, published := range map[string]time.Time{"fresh": accepted.Add(time.Second), "old": accepted.Add(-24 * time.Hour)} {
		at := published
		o := &storage.RemoteObject{IRI: base + name, RemoteActorID: r.ID, Type: "Note", URL: base + name,
			ContentHTML: "<p>" + name + "</p>", Public: true, Backfilled: true, PublishedAt: &at}
		if err := n.store.UpsertRemoteObject(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"fresh", "old"} {
		ps := post{id: base + name}.object(n.partner.id)
		at := map[string]time.Time{"fresh": accepted.Add(time.Second), "old": accepted.Add(-24 * time.Hour)}[name]
		ps["published"] = at.Format(time.RFC3339)
		n.deliver(t, n.partner, activity("Create", base+name+"/activity", n.partner.id, ps))
	}
	if got, want := n.announced(t), []string{"cap " + base + "fresh"}; !same(got, want) {
		t.Fatalf("announced %v, want %v", got, want)
	}
	if o, err := n.store.RemoteObjectByIRI(ctx, base+"fresh"); err != nil || !o.Backfilled {
		t.Fatalf("the post is no longer marked backfilled: %+v %v", o, err)
	}
	// Unrelayed by hand, then its Create redelivered: it stays unrelayed.
	if err := n.fed.UnrelayPost(ctx, "cap", base+"fresh"); err != nil {
		t.Fatal(err)
	}
	ps := post{id: base + "fresh"}.object(n.partner.id)
	ps["published"] = accepted.Add(time.Second).Format(time.RFC3339)
	n.deliver(t, n.partner, activity("Create", base+"fresh/again", n.partner.id, ps))
	if got := len(n.announced(t)); got != 1 {
		t.Fatalf("%d Announces after the redelivery, want 1", got)
	}
}

// TestDomainBlockUndoesRelays: blocking a partner's domain undoes our
// standing relays of its posts, and only of its posts.
func TestDomainBlockUndoesRelays(t *testing.T) {
	ctx := context.Background()
	n := newRelayNode(t, storagetest.SQLiteURL(t))
	n.follows(t, n.cap, n.partner, storage.RelayPolicy{Mode: storage.RelayAll})
	n.follows(t, n.cap, n.quiet, storage.RelayPolicy{Mode: storage.RelayAll})
	n.create(t, n.partner, post{id: n.partner.id + "/notes/1"})
	n.create(t, n.quiet, post{id: n.quiet.id + "/notes/1"})
	if got := n.announced(t); len(got) != 2 {
		t.Fatalf("announced %v, want both posts", got)
	}
	host := mustRemote(t, n, n.partner.id).Host
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	if _, err := n.fed.SetDomainPolicy(ctx, host, storage.PolicyBlock, "test"); err != nil {
		t.Fatal(err)
	}
	var undone []string
	for _, u := range n.bodies(t, "Undo") {
		if inner, ok := u["object"].(map[string]any); ok {
			undone = append(undone, fmt.Sprint(inner["type"], " ", inner["object"]))
		}
	}
	if !same(undone, []string{"Announce " + n.partner.id + "/notes/1"}) {
		t.Fatalf("Undos after blocking the partner's domain: %v", undone)
	}
}
