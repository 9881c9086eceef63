package admin_test

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// remoteServer is another fediverse server on 127.0.0.6: WebFinger, one
// actor (ally) with a key, and an inbox that keeps what it is sent.
type remoteServer struct {
	srv   *httptest.Server
	host  string // 127.0.0.6:PORT
	actor string // ally's IRI
	keyID string
	key   *rsa.PrivateKey
	mu    sync.Mutex
	inbox []string
}

func startRemote(t *testing.T) *remoteServer {
	t.Helper()
	k, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pem, err := httpsig.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	r := &remoteServer{key: k}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/webfinger", func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Query().Get("resource") != "acct:ally@"+r.host {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		fmt.Fprintf(w, `{"subject":"acct:ally@%s","links":[{"rel":"self","type":"application/activity+json","href":%q}]}`, r.host, r.actor)
	})
	mux.HandleFunc("/users/ally", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprintf(w, `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],
			"id":%q,"type":"Person","preferredUsername":"ally","inbox":%q,
			"publicKey":{"id":%q,"owner":%q,"publicKeyPem":%q}}`, r.actor, r.actor+"/inbox", r.keyID, r.actor, pem)
	})
	mux.HandleFunc("/users/ally/inbox", func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.inbox = append(r.inbox, string(b))
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	l, err := net.Listen("tcp", "127.0.0.6:0")
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewUnstartedServer(mux)
	r.srv.Listener.Close()
	r.srv.Listener = l
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	r.host = strings.TrimPrefix(r.srv.URL, "http://")
	r.actor = r.srv.URL + "/users/ally"
	r.keyID = r.actor + "#main-key"
	return r
}

// remoteTestNode is adminTestNode whose federation service may reach
// servers on loopback addresses over plain http, as remoteServer is.
func remoteTestNode(t *testing.T) *testNode {
	t.Helper()
	client := transport.New(transport.Config{AllowPrivate: true})
	t.Cleanup(client.CloseIdleConnections)
	return newTestNode(t, storagetest.SQLiteURL(t), federation.Config{Scheme: "http", Client: client, InsecureRemote: true})
}

// TestNetworkFollowAndUnfollow: an editor follows an account by handle,
// as "tadamun follow" does (the Follow is queued for its inbox), sees the
// state change when the account accepts, and unfollows (an Undo is
// queued); an unknown account or a bad address is refused with nothing
// stored; another actor's follows are a 403.
func TestNetworkFollowAndUnfollow(t *testing.T) {
	n := remoteTestNode(t)
	remote := startRemote(t)
	ctx := context.Background()
	icssi := actorID(t, n, "icssi")
	ed := n.signedIn(t, editorName, "127.0.0.3")
	// The first look-up creates the node's instance actor, which signs
	// WebFinger requests: make it before taking the fingerprint.
	if res, _ := ed.postForm("/admin/actors/icssi/following", url.Values{"who": {"@nobody@" + remote.host}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("follow of an unknown account = %d, want 422", res.StatusCode)
	}
	before := fingerprint(t, n)
	for _, tc := range []struct {
		name, path, who string
		want            int
	}{
		{"another actor", "/admin/actors/other/following", "@ally@" + remote.host, http.StatusForbidden},
		{"empty", "/admin/actors/icssi/following", " ", http.StatusBadRequest},
		{"not a handle", "/admin/actors/icssi/following", "ally", http.StatusBadRequest},
		{"unknown account", "/admin/actors/icssi/following", "@nobody@" + remote.host, http.StatusUnprocessableEntity},
		{"unfollow a stranger", "/admin/actors/icssi/following/remove", "@ally@" + remote.host, http.StatusBadRequest},
	} {
		if res, body := ed.postForm(tc.path, url.Values{"who": {tc.who}}); res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.name, res.StatusCode, tc.want, body)
		}
	}
	if after := fingerprint(t, n); after != before {
		t.Errorf("refused requests changed something:\n%s\n%s", before, after)
	}

	res, body := ed.postForm("/admin/actors/icssi/following", url.Values{"who": {"@ally@" + remote.host}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("follow = %d %s", res.StatusCode, body)
	}
	r, err := n.store.RemoteActorByIRI(ctx, remote.actor)
	if err != nil {
		t.Fatal(err)
	}
	f, err := n.store.Following(ctx, icssi, r.ID)
	if err != nil || f.State != storage.FollowPending {
		t.Fatalf("following after follow = %+v %v", f, err)
	}
	queued := func() int {
		return storagetest.Count(t, n.dbURL, "SELECT COUNT(*) FROM deliveries WHERE inbox = '"+remote.actor+"/inbox'")
	}
	if got := queued(); got != 1 {
		t.Errorf("deliveries to the account's inbox = %d, want 1 (the Follow)", got)
	}
	_, body = ed.get("/admin/actors/icssi/followers")
	if !strings.Contains(body, "@ally@"+remote.host) || !strings.Contains(body, "<td>pending</td>") {
		t.Errorf("followers page does not show the pending follow")
	}
	if err := n.store.SetFollowingState(ctx, f.FollowIRI, icssi, r.ID, storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	if _, body = ed.get("/admin/actors/icssi/followers"); !strings.Contains(body, "<td>accepted</td>") {
		t.Errorf("followers page does not show the accepted follow")
	}
	res, body = ed.postForm("/admin/actors/icssi/following/remove", url.Values{"who": {remote.actor}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unfollow = %d %s", res.StatusCode, body)
	}
	if _, err := n.store.Following(ctx, icssi, r.ID); err == nil {
		t.Errorf("the follow is still there after unfollow")
	}
	if got := queued(); got != 2 {
		t.Errorf("deliveries to the account's inbox = %d, want 2 (Follow, Undo)", got)
	}
}

// signedFollow is a Follow of icssi by the remote's ally, signed by ally's
// key as its server would send it to our inbox.
func signedFollow(t *testing.T, n *testNode, remote *remoteServer, id string) *http.Request {
	t.Helper()
	body := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Follow","actor":%q,"object":%q}`,
		remote.srv.URL+"/follows/"+id, remote.actor, n.fed.IRI().Actor("icssi"))
	req, err := http.NewRequest(http.MethodPost, n.URL+"/users/icssi/inbox", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "node.test"
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, []byte(body), remote.keyID, remote.key, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestNetworkBlockedDomainInbox: a signed inbox POST from a server is
// taken (202); an admin blocks its domain in the interface; its next
// signed POST gets 403.
func TestNetworkBlockedDomainInbox(t *testing.T) {
	n := remoteTestNode(t)
	remote := startRemote(t)
	post := func(id string) int {
		res, err := http.DefaultClient.Do(signedFollow(t, n, remote, id))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		io.Copy(io.Discard, res.Body)
		return res.StatusCode
	}
	if got := post("1"); got != http.StatusAccepted {
		t.Fatalf("inbox POST before the block = %d, want 202", got)
	}
	ad := n.signedIn(t, adminName, "127.0.0.4")
	if _, body := ad.get("/admin/domains"); !strings.Contains(body, `name="domain"`) {
		t.Fatalf("no domain form")
	}
	res, body := ad.postForm("/admin/domains", url.Values{"domain": {"127.0.0.6"}, "policy": {"block"}, "reason": {"test"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("block = %d %s", res.StatusCode, body)
	}
	if got := post("2"); got != http.StatusForbidden {
		t.Errorf("inbox POST after the block = %d, want 403", got)
	}
	if res, _ := ad.postForm("/admin/domains/remove", url.Values{"domain": {"127.0.0.6"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unblock = %d", res.StatusCode)
	}
	if got := post("3"); got != http.StatusAccepted {
		t.Errorf("inbox POST after the unblock = %d, want 202", got)
	}
}

// TestNetworkBlockedAccountInbox: an admin blocks one account with the
// form on the domains page; its next signed inbox POST gets 403; bad
// input is a 400 and blocks nothing; unblocking lets it in again.
func TestNetworkBlockedAccountInbox(t *testing.T) {
	n := remoteTestNode(t)
	remote := startRemote(t)
	post := func(id string) int {
		res, err := http.DefaultClient.Do(signedFollow(t, n, remote, id))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		io.Copy(io.Discard, res.Body)
		return res.StatusCode
	}
	if got := post("1"); got != http.StatusAccepted {
		t.Fatalf("inbox POST before the block = %d, want 202", got)
	}
	ad := n.signedIn(t, adminName, "127.0.0.4")
	ed := n.signedIn(t, editorName, "127.0.0.3")
	if res, _ := ed.postForm("/admin/domains/accounts", url.Values{"who": {remote.actor}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("editor blocking an account = %d, want 403", res.StatusCode)
	}
	for _, who := range []string{"", "@stranger@" + remote.host, "not an address", n.fed.IRI().Actor("icssi")} {
		if res, body := ad.postForm("/admin/domains/accounts", url.Values{"who": {who}}); res.StatusCode != http.StatusBadRequest {
			t.Errorf("block %q = %d, want 400: %s", who, res.StatusCode, body)
		}
	}
	if got := post("2"); got != http.StatusAccepted {
		t.Fatalf("refused blocks blocked the account: %d", got)
	}
	res, body := ad.postForm("/admin/domains/accounts", url.Values{"who": {"@ally@" + remote.host}, "reason": {"abuse"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("block = %d %s", res.StatusCode, body)
	}
	if got := post("3"); got != http.StatusForbidden {
		t.Errorf("inbox POST after the block = %d, want 403", got)
	}
	if _, body := ad.get("/admin/domains"); !strings.Contains(body, remote.actor) || !strings.Contains(body, "abuse") {
		t.Errorf("domains page does not list the blocked account")
	}
	if res, _ := ad.postForm("/admin/domains/accounts/remove", url.Values{"who": {remote.actor}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unblock = %d", res.StatusCode)
	}
	if res, _ := ad.postForm("/admin/domains/accounts/remove", url.Values{"who": {remote.actor}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unblock twice = %d, want 400", res.StatusCode)
	}
	if got := post("4"); got != http.StatusAccepted {
		t.Errorf("inbox POST after the unblock = %d, want 202", got)
	}
}
