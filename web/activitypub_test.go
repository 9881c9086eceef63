package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage/storagetest"
)

func TestActivityPubSurface(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	st := n.publish(t, "icssi", "---\ntitle: نقف معاً\nlanguage: ar\ntags: [تضامن, Iraq]\n---\nنص.\n")
	sched := n.publish(t, "icssi", "---\ntitle: Later\nlanguage: en\npublish: 2026-12-24T09:00:00Z\n---\nNot yet.\n")
	gone := n.publish(t, "icssi", "---\ntitle: Gone\nlanguage: en\n---\nx\n")
	if _, err := n.fed.DeleteStatement(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	as := []string{"Accept", "application/activity+json"}
	ld := []string{"Accept", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`}
	base := "http://node.test"

	t.Run("webfinger", func(t *testing.T) {
		for _, res := range []string{"acct:icssi@node.test", base + "/users/icssi", base + "/@icssi"} {
			res2, body := n.get(t, "/.well-known/webfinger?resource="+res)
			var j struct {
				Subject string
				Aliases []string
				Links   []map[string]string
			}
			if err := json.Unmarshal([]byte(body), &j); err != nil || res2.StatusCode != 200 {
				t.Fatalf("%s: %d %s", res, res2.StatusCode, body)
			}
			if j.Subject != "acct:icssi@node.test" || !strings.HasPrefix(res2.Header.Get("Content-Type"), "application/jrd+json") {
				t.Fatalf("%s: %+v", res, j)
			}
			var self bool
			for _, l := range j.Links {
				self = self || l["rel"] == "self" && l["type"] == "application/activity+json" && l["href"] == base+"/users/icssi"
				// A template advertised on this node must be served: a
				// subscribe template that led to a 404 sent people nowhere.
				if path, ok := strings.CutPrefix(strings.ReplaceAll(l["template"], "{uri}", "acct%3Aamal%40social.test"), base); ok {
					if r, _ := n.get(t, path); r.StatusCode == 404 {
						t.Errorf("%s: link %s advertises %s, which is not served", res, l["rel"], l["template"])
					}
				}
			}
			if !self {
				t.Fatalf("%s: links %v", res, j.Links)
			}
		}
		for _, res := range []string{"acct:nobody@node.test", "acct:icssi@other.test", "acct:node.test@other.test"} {
			if r, _ := n.get(t, "/.well-known/webfinger?resource="+res); r.StatusCode != 404 {
				t.Errorf("%s = %d", res, r.StatusCode)
			}
		}
		if r, _ := n.get(t, "/.well-known/webfinger"); r.StatusCode != 400 {
			t.Errorf("no resource = %d", r.StatusCode)
		}
	})
	t.Run("host-meta and nodeinfo", func(t *testing.T) {
		r, body := n.get(t, "/.well-known/host-meta")
		var x struct {
			Link struct {
				Template string `xml:"template,attr"`
			}
		}
		if err := xml.Unmarshal([]byte(body), &x); err != nil || !strings.Contains(x.Link.Template, "/.well-known/webfinger?resource={uri}") {
			t.Fatalf("host-meta %d %s", r.StatusCode, body)
		}
		_, body = n.get(t, "/.well-known/nodeinfo")
		if !strings.Contains(body, "/nodeinfo/2.1") || !strings.Contains(body, "schema/2.0") {
			t.Fatalf("nodeinfo index %s", body)
		}
		for _, v := range []string{"2.0", "2.1"} {
			r, body := n.get(t, "/nodeinfo/"+v)
			var ni struct {
				Version   string
				Software  struct{ Name string }
				Protocols []string
				Usage     struct {
					Users      struct{ Total int }
					LocalPosts int
				}
				OpenRegistrations bool
			}
			if err := json.Unmarshal([]byte(body), &ni); err != nil || ni.Version != v || ni.Software.Name != "tadamun" ||
				ni.Protocols[0] != "activitypub" || ni.Usage.Users.Total != 1 || ni.Usage.LocalPosts != 1 || ni.OpenRegistrations {
				t.Fatalf("nodeinfo %s: %d %s", v, r.StatusCode, body)
			}
			if !strings.Contains(r.Header.Get("Content-Type"), "nodeinfo.diaspora.software/ns/schema/"+v) {
				t.Errorf("nodeinfo %s content type %s", v, r.Header.Get("Content-Type"))
			}
		}
	})
	t.Run("actor negotiates", func(t *testing.T) {
		for _, path := range []string{"/users/icssi", "/@icssi"} {
			for _, accept := range [][]string{as, ld} {
				r, body := n.get(t, path, accept...)
				var a map[string]any
				if err := json.Unmarshal([]byte(body), &a); err != nil || r.StatusCode != 200 {
					t.Fatalf("%s %v: %d %s", path, accept, r.StatusCode, body)
				}
				if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/activity+json") || !strings.Contains(r.Header.Get("Vary"), "Accept") {
					t.Errorf("%s headers %v", path, r.Header)
				}
				pk, _ := a["publicKey"].(map[string]any)
				ep, _ := a["endpoints"].(map[string]any)
				if a["id"] != base+"/users/icssi" || a["type"] != "Organization" || a["preferredUsername"] != "icssi" ||
					a["inbox"] != base+"/users/icssi/inbox" || ep["sharedInbox"] != base+"/inbox" ||
					pk["id"] != base+"/users/icssi#main-key" || !strings.Contains(pk["publicKeyPem"].(string), "BEGIN PUBLIC KEY") ||
					a["featured"] != base+"/users/icssi/collections/featured" || a["manuallyApprovesFollowers"] != false {
					t.Errorf("%s actor %v", path, a)
				}
			}
		}
		// A browser at the actor id is sent to the profile page, Vary still set.
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Get(n.srv.URL + "/users/icssi")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != base+"/@icssi" || !strings.Contains(res.Header.Get("Vary"), "Accept") {
			t.Fatalf("browser at actor id: %d %v", res.StatusCode, res.Header)
		}
		r, _ := n.get(t, "/@icssi")
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(r.Header.Get("Vary"), "Accept") {
			t.Errorf("profile page headers %v", r.Header)
		}
		r, body := n.get(t, "/actor", as...)
		if r.StatusCode != 200 || !strings.Contains(body, `"type":"Application"`) {
			t.Errorf("instance actor %d %s", r.StatusCode, body)
		}
	})
	t.Run("statement object", func(t *testing.T) {
		r, body := n.get(t, "/users/icssi/statements/"+st.ID, as...)
		var o map[string]any
		if err := json.Unmarshal([]byte(body), &o); err != nil || r.StatusCode != 200 {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
		cm, _ := o["contentMap"].(map[string]any)
		if o["type"] != "Note" || o["attributedTo"] != base+"/users/icssi" || cm["ar"] == nil ||
			!strings.Contains(o["content"].(string), "نقف معاً") || !strings.Contains(body, `"name":"#تضامن"`) ||
			!strings.Contains(body, `"https://www.w3.org/ns/activitystreams#Public"`) {
			t.Fatalf("object %s", body)
		}
		// The page URL negotiates too.
		r, body2 := n.get(t, "/@icssi/"+st.Slug, as...)
		if r.StatusCode != 200 || !strings.Contains(body2, `"id":"`+base+"/users/icssi/statements/"+st.ID+`"`) {
			t.Fatalf("page as JSON: %d %s", r.StatusCode, body2)
		}
		if r, _ := n.get(t, "/users/icssi/statements/"+sched.ID, as...); r.StatusCode != 404 {
			t.Errorf("scheduled statement = %d", r.StatusCode)
		}
		r, body = n.get(t, "/users/icssi/statements/"+gone.ID, as...)
		if r.StatusCode != 410 || !strings.Contains(body, `"type":"Tombstone"`) {
			t.Errorf("deleted statement = %d %s", r.StatusCode, body)
		}
		r, body = n.get(t, "/users/icssi/statements/"+st.ID+"/activity", as...)
		if r.StatusCode != 200 || !strings.Contains(body, `"type":"Create"`) {
			t.Errorf("create = %d %s", r.StatusCode, body)
		}
	})
	t.Run("collections", func(t *testing.T) {
		for path, want := range map[string]string{
			"/users/icssi/outbox":                           `"totalItems":1`,
			"/users/icssi/outbox?page=true":                 `"type":"Create"`,
			"/users/icssi/followers":                        `"totalItems":0`,
			"/users/icssi/following":                        `"totalItems":0`,
			"/users/icssi/collections/featured":             `"type":"OrderedCollection"`,
			"/users/icssi/statements/" + st.ID + "/replies": `"type":"Collection"`,
		} {
			r, body := n.get(t, path, as...)
			if r.StatusCode != 200 || !strings.Contains(body, want) {
				t.Errorf("%s = %d %s", path, r.StatusCode, body)
			}
		}
		if r, _ := n.get(t, "/users/icssi/outbox?page=true&before=garbage", as...); r.StatusCode != 400 {
			t.Errorf("bad cursor = %d", r.StatusCode)
		}
	})
	t.Run("inbox refuses unsigned and oversized", func(t *testing.T) {
		body := `{"id":"https://x.test/1","type":"Follow","actor":"https://x.test/u","object":"http://node.test/users/icssi"}`
		req, _ := http.NewRequest("POST", n.srv.URL+"/inbox", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Errorf("unsigned = %d", res.StatusCode)
		}
		req, _ = http.NewRequest("POST", n.srv.URL+"/users/icssi/inbox", strings.NewReader(strings.Repeat(" ", 4096)+body))
		req.Header.Set("Content-Type", "application/activity+json")
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 413 {
			t.Errorf("oversized = %d", res.StatusCode)
		}
	})
}
