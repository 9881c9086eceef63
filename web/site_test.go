package web_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

type nodeInfoMeta struct {
	Metadata struct {
		NodeName        string  `json:"nodeName"`
		NodeDescription *string `json:"nodeDescription"`
	} `json:"metadata"`
}

// TestNodeSettingsShown: the site's name, description and language from the
// database are on the home page (title, header, meta description, html
// lang), in NodeInfo and in the node's feed; an Arabic name is marked so
// it reads right to left.
func TestNodeSettingsShown(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	ctx := t.Context()
	name := "شبكة التضامن"
	if err := n.store.SetNodeSettings(ctx, storage.NodeSettings{Name: name, Description: "Statements of the network & friends", Language: "ar"}); err != nil {
		t.Fatal(err)
	}
	r, body := n.get(t, "/")
	if r.StatusCode != 200 {
		t.Fatalf("home = %d", r.StatusCode)
	}
	for _, want := range []string{
		"<title>" + name + "</title>",
		`<html lang="ar" dir="rtl">`,
		`<a href="/" class="home" dir="auto" lang="ar">` + name + `</a>`,
		`<meta name="description" content="Statements of the network &amp; friends">`,
		`<meta property="og:site_name" content="` + name + `">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %s\n%s", want, body)
		}
	}
	if strings.Contains(body, "<title>node.test</title>") {
		t.Error("home still titled with the domain")
	}
	// Every page carries the name in its header.
	if _, body := n.get(t, "/search"); !strings.Contains(body, `lang="ar">`+name+`</a>`) {
		t.Errorf("search page header lacks the name:\n%s", body)
	}
	for _, v := range []string{"2.0", "2.1"} {
		_, body := n.get(t, "/nodeinfo/"+v)
		var ni nodeInfoMeta
		if err := json.Unmarshal([]byte(body), &ni); err != nil || ni.Metadata.NodeName != name ||
			ni.Metadata.NodeDescription == nil || *ni.Metadata.NodeDescription != "Statements of the network & friends" {
			t.Errorf("nodeinfo %s metadata: %s", v, body)
		}
	}
	if _, body := n.get(t, "/feed.rss"); !strings.Contains(body, "<title>"+name+"</title>") ||
		!strings.Contains(body, "<description>Statements of the network") {
		t.Errorf("feed lacks the name or description:\n%s", body)
	}
}

// TestNodeSettingsDefaults: unset, the name is the domain, there is no
// description, and the page language stays English.
func TestNodeSettingsDefaults(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	_, body := n.get(t, "/")
	for _, want := range []string{"<title>node.test</title>", `<html lang="en" dir="ltr">`, `class="home" dir="auto">node.test</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %s", want)
		}
	}
	if strings.Contains(body, `name="description"`) {
		t.Error("home has a description though none is set")
	}
	_, body = n.get(t, "/nodeinfo/2.1")
	var ni nodeInfoMeta
	if err := json.Unmarshal([]byte(body), &ni); err != nil || ni.Metadata.NodeName != "node.test" || ni.Metadata.NodeDescription != nil {
		t.Errorf("nodeinfo metadata: %s", body)
	}
}

// TestNodeSettingsChangeReachesServer: a change made by another process
// (here, straight in the store) shows on pages and in an already cached
// feed within the settings' cache lifetime, without a restart.
func TestNodeSettingsChangeReachesServer(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	if _, body := n.get(t, "/feed.rss"); !strings.Contains(body, "<title>node.test</title>") {
		t.Fatalf("feed before:\n%s", body)
	}
	if err := n.store.SetNodeSettings(t.Context(), storage.NodeSettings{Name: "Tadamun Network"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, home := n.get(t, "/")
		_, feed := n.get(t, "/feed.rss")
		if strings.Contains(home, "<title>Tadamun Network</title>") && strings.Contains(feed, "<title>Tadamun Network</title>") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new name did not arrive within 10s:\n%s\n%s", home, feed)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
