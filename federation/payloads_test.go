package federation_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// Payloads shaped like what Mastodon, Misskey and WordPress's ActivityPub
// plugin send (from their source and documentation), signed as they sign:
// Mastodon and Misskey with draft-cavage, WordPress with RFC 9421 first.

// post9421 builds an inbox POST signed with an RFC 9421 HTTP Message
// Signature (rsa-v1_5-sha256 over @method, @target-uri and content-digest),
// with Content-Digest and no Digest header, as WordPress and Fedify send.
func (p *peer) post9421(t testing.TB, path, body string, at time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "https://capture.test"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	sum := sha256.Sum256([]byte(body))
	cd := "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
	req.Header.Set("Content-Digest", cd)
	params := `("@method" "@target-uri" "content-digest");created=` + strconv.FormatInt(at.Unix(), 10) +
		`;keyid="` + p.keyID + `";alg="rsa-v1_5-sha256"`
	base := `"@method": POST` + "\n" + `"@target-uri": https://capture.test` + path + "\n" +
		`"content-digest": ` + cd + "\n" + `"@signature-params": ` + params
	h := sha256.Sum256([]byte(base))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Signature-Input", "sig1="+params)
	req.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(sig)+":")
	return req
}

func TestPayloadsFromOtherServers(t *testing.T) {
	n := newCapNode(t, storagetest.SQLiteURL(t))
	n.clock = time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	ctx := context.Background()
	d, err := content.ParseStatementFile([]byte("---\ntitle: We Stand Together\nlanguage: en\n---\nBody.\n"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := n.fed.Publish(ctx, "cap", d)
	if err != nil {
		t.Fatal(err)
	}
	stIRI := "https://capture.test/users/cap/statements/" + st.ID
	mastodon := newPeer(t, n.web, "https://mastodon.test/users/amal")
	misskey := newPeer(t, n.web, "https://misskey.test/users/9abcdef")
	wordpress := newPeer(t, n.web, "https://blog.test/author/editor")

	deliver := func(t *testing.T, req *http.Request, body string) {
		t.Helper()
		username := ""
		if strings.HasPrefix(req.URL.Path, "/users/") {
			username = strings.TrimSuffix(strings.TrimPrefix(req.URL.Path, "/users/"), "/inbox")
		}
		if err := n.fed.Receive(ctx, req, []byte(body), username); err != nil {
			t.Fatalf("refused: %v", err)
		}
		if _, err := n.fed.ProcessInbox(ctx); err != nil {
			t.Fatal(err)
		}
	}
	counts := func() storage.Counts {
		c, err := n.store.InteractionCounts(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("mastodon", func(t *testing.T) {
		follow := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.test/0c3e8a1f-5b1e-4a3e-9c6f-1d2e3f4a5b6c","type":"Follow","actor":%q,"object":"https://capture.test/users/cap"}`, mastodon.id)
		deliver(t, mastodon.post(t, "/users/cap/inbox", follow, n.clock), follow)
		// Mastodon's reply: atomUri, conversation, a Mention, a mention link in
		// the content, an LD signature, and markup that must not survive.
		reply := fmt.Sprintf(`{"@context":["https://www.w3.org/ns/activitystreams",{"ostatus":"http://ostatus.org#","atomUri":"ostatus:atomUri","inReplyToAtomUri":"ostatus:inReplyToAtomUri","conversation":"ostatus:conversation","sensitive":"as:sensitive","toot":"http://joinmastodon.org/ns#"}],
"id":"https://mastodon.test/users/amal/statuses/111/activity","type":"Create","actor":%[1]q,"published":"2026-11-23T20:59:00Z",
"to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://mastodon.test/users/amal/followers","https://capture.test/users/cap"],
"object":{"id":"https://mastodon.test/users/amal/statuses/111","type":"Note","summary":null,"inReplyTo":%[2]q,"published":"2026-11-23T20:59:00Z",
"url":"https://mastodon.test/@amal/111","attributedTo":%[1]q,"to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://capture.test/users/cap"],
"sensitive":false,"atomUri":"https://mastodon.test/users/amal/statuses/111","inReplyToAtomUri":%[2]q,"conversation":"tag:mastodon.test,2026-11-23:objectId=1:objectType=Conversation",
"content":"<p><span class=\"h-card\"><a href=\"https://capture.test/@cap\" class=\"u-url mention\">@<span>cap</span></a></span> In solidarity!<script>alert(1)</script><a href=\"javascript:alert(2)\">x</a></p>",
"contentMap":{"en":"<p>In solidarity!</p>"},"attachment":[],"tag":[{"type":"Mention","href":"https://capture.test/users/cap","name":"@cap@capture.test"}],
"replies":{"id":"https://mastodon.test/users/amal/statuses/111/replies","type":"Collection","first":{"type":"CollectionPage","next":"https://mastodon.test/users/amal/statuses/111/replies?only_other_accounts=true&page=true","partOf":"https://mastodon.test/users/amal/statuses/111/replies","items":[]}}},
"signature":{"type":"RsaSignature2017","creator":"https://mastodon.test/users/amal#main-key","created":"2026-11-23T20:59:00Z","signatureValue":"c2lnbmF0dXJl"}}`, mastodon.id, stIRI)
		deliver(t, mastodon.post(t, "/inbox", reply, n.clock), reply)
		like := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.test/users/amal#likes/42","type":"Like","actor":%q,"object":%q}`, mastodon.id, stIRI)
		deliver(t, mastodon.post(t, "/users/cap/inbox", like, n.clock), like)
		boost := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.test/users/amal/statuses/112/activity","type":"Announce","actor":%[1]q,"published":"2026-11-23T21:00:00Z","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://capture.test/users/cap","https://mastodon.test/users/amal/followers"],"object":%[2]q}`, mastodon.id, stIRI)
		deliver(t, mastodon.post(t, "/inbox", boost, n.clock), boost)
		c := counts()
		if c.Likes != 1 || c.Announces != 1 {
			t.Fatalf("counts after like and boost: %+v", c)
		}
		replies, err := n.store.ListReplies(ctx, st.ID, storage.ModerationPending, 10)
		if err != nil || len(replies) != 1 {
			t.Fatalf("pending replies: %v %v", replies, err)
		}
		h := replies[0].ContentHTML
		if !strings.Contains(h, "In solidarity!") || strings.Contains(h, "script") || strings.Contains(h, "javascript") {
			t.Fatalf("reply stored as %q", h)
		}
		undo := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.test/users/amal#likes/42/undo","type":"Undo","actor":%[1]q,"object":{"id":"https://mastodon.test/users/amal#likes/42","type":"Like","actor":%[1]q,"object":%[2]q}}`, mastodon.id, stIRI)
		deliver(t, mastodon.post(t, "/users/cap/inbox", undo, n.clock), undo)
		if c := counts(); c.Likes != 0 || c.Announces != 1 {
			t.Fatalf("counts after Undo Like: %+v", c)
		}
	})
	t.Run("misskey", func(t *testing.T) {
		// Misskey reacts with a Like carrying _misskey_reaction and content.
		react := fmt.Sprintf(`{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1",{"misskey":"https://misskey-hub.net/ns#","_misskey_reaction":"misskey:_misskey_reaction"}],"id":"https://misskey.test/likes/9xyz","type":"Like","actor":%q,"object":%q,"content":"👍","_misskey_reaction":"👍"}`, misskey.id, stIRI)
		deliver(t, misskey.post(t, "/inbox", react, n.clock), react)
		note := fmt.Sprintf(`{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1",{"Hashtag":"as:Hashtag","quoteUrl":"as:quoteUrl","_misskey_content":"misskey:_misskey_content","_misskey_quote":"misskey:_misskey_quote","misskey":"https://misskey-hub.net/ns#"}],
"id":"https://misskey.test/notes/9abc/activity","actor":%[1]q,"type":"Create","published":"2026-11-23T21:00:00.000Z",
"object":{"id":"https://misskey.test/notes/9abc","type":"Note","attributedTo":%[1]q,"content":"<p>Quote: <span>نحن معكم</span></p>","_misskey_content":"نحن معكم","source":{"content":"نحن معكم","mediaType":"text/x.misskeymarkdown"},"quoteUrl":%[2]q,"_misskey_quote":%[2]q,"inReplyTo":%[2]q,"published":"2026-11-23T21:00:00.000Z","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://misskey.test/users/9abcdef/followers"],"sensitive":false,"tag":[]},
"to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://misskey.test/users/9abcdef/followers"]}`, misskey.id, stIRI)
		deliver(t, misskey.post(t, "/inbox", note, n.clock), note)
		if c := counts(); c.Likes != 1 {
			t.Fatalf("Misskey reaction not counted: %+v", c)
		}
		if o, err := n.store.RemoteObjectByIRI(ctx, "https://misskey.test/notes/9abc"); err != nil || !strings.Contains(o.ContentHTML, "نحن معكم") {
			t.Fatalf("Misskey reply: %v %v", o, err)
		}
	})
	t.Run("wordpress rfc9421", func(t *testing.T) {
		follow := fmt.Sprintf(`{"@context":["https://www.w3.org/ns/activitystreams"],"id":"https://blog.test/?c=follow-1","type":"Follow","actor":%q,"object":"https://capture.test/users/cap"}`, wordpress.id)
		deliver(t, wordpress.post9421(t, "/users/cap/inbox", follow, n.clock), follow)
		r, err := n.store.RemoteActorByIRI(ctx, wordpress.id)
		if err != nil {
			t.Fatal(err)
		}
		if f, err := n.store.Follower(ctx, n.cap.ID, r.ID); err != nil || f.State != storage.FollowAccepted {
			t.Fatalf("WordPress follow: %v %v", f, err)
		}
		comment := fmt.Sprintf(`{"@context":["https://www.w3.org/ns/activitystreams",{"Hashtag":"as:Hashtag","sensitive":"as:sensitive"}],"id":"https://blog.test/?c=12#create","type":"Create","actor":%[1]q,"object":{"id":"https://blog.test/?c=12","type":"Note","attributedTo":%[1]q,"inReplyTo":%[2]q,"content":"<p>A comment from the blog.</p>","contentMap":{"fr":"<p>A comment from the blog.</p>"},"published":"2026-11-23T21:00:00Z","to":["https://www.w3.org/ns/activitystreams#Public"],"url":"https://blog.test/2026/solidarity/#comment-12"}}`, wordpress.id, stIRI)
		deliver(t, wordpress.post9421(t, "/inbox", comment, n.clock), comment)
		o, err := n.store.RemoteObjectByIRI(ctx, "https://blog.test/?c=12")
		if err != nil || o.StatementID != st.ID || o.Moderation != storage.ModerationPending || o.Language != "fr" {
			t.Fatalf("WordPress comment: %+v %v", o, err)
		}
		// A tampered body under a valid RFC 9421 signature is refused.
		req := wordpress.post9421(t, "/inbox", comment, n.clock)
		if err := n.fed.Receive(ctx, req, []byte(strings.Replace(comment, "comment", "c0mment", 1)), ""); err == nil {
			t.Fatal("tampered RFC 9421 request accepted")
		}
	})
	t.Run("deleted actor whose key is gone", func(t *testing.T) {
		ghost := newPeer(t, n.web, "https://gone.test/users/ghost")
		body := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s#delete","type":"Delete","actor":%[1]q,"object":%[1]q,"to":["https://www.w3.org/ns/activitystreams#Public"]}`, ghost.id)
		delete(n.web.docs, ghost.id) // the key now answers 404, as for a deleted account
		if err := n.fed.Receive(ctx, ghost.post(t, "/inbox", body, n.clock), []byte(body), ""); err != nil {
			t.Fatalf("Delete of an unknown gone actor: %v (want accepted and dropped)", err)
		}
		if got, _ := n.store.CountActivities(ctx, storage.Inbound, "Delete"); got != 0 {
			t.Fatalf("stored %d Deletes of an unverifiable actor", got)
		}
	})
}
