package feeds

import (
	"encoding/json"
	"slices"
	"testing"

	gofeedatom "github.com/mmcdole/gofeed/atom"
	gofeedjson "github.com/mmcdole/gofeed/json"
	gofeedrss "github.com/mmcdole/gofeed/rss"
)

// TestHubLinks renders a feed with two WebSub hubs in each format and
// reads them back with gofeed (JSON Feed hubs with encoding/json): rel="hub" links in RSS (as atom:link) and
// Atom, "hubs" in JSON Feed, beside the unchanged rel="self".
func TestHubLinks(t *testing.T) {
	hubs := []string{"https://node.example/websub", "https://pubsubhubbub.example/"}
	for _, r := range renders {
		t.Run(r.name, func(t *testing.T) {
			f, items := fixture(r.self)
			f.Hubs = hubs
			out, err := r.fn(f, items)
			if err != nil {
				t.Fatal(err)
			}
			got := parse(t, out)
			if got.FeedLink != r.self {
				t.Errorf("self link %q, want %q", got.FeedLink, r.self)
			}
			var seen []string
			switch o := got.OriginalFeed().(type) {
			case *gofeedrss.Feed:
				for _, l := range o.Extensions["atom"]["link"] {
					if l.Attrs["rel"] == "hub" {
						seen = append(seen, l.Attrs["href"])
					}
				}
			case *gofeedatom.Feed:
				for _, l := range o.Links {
					if l.Rel == "hub" {
						seen = append(seen, l.Href)
					}
				}
			case *gofeedjson.Feed:
				// gofeed parses the feed but keeps no hubs (a TODO in
				// its JSON Feed parser): read them as any reader would.
				var doc struct {
					Hubs []struct{ Type, URL string }
				}
				if err := json.Unmarshal(out, &doc); err != nil {
					t.Fatal(err)
				}
				for _, h := range doc.Hubs {
					if h.Type != "WebSub" {
						t.Errorf("hub type %q, want WebSub", h.Type)
					}
					seen = append(seen, h.URL)
				}
			default:
				t.Fatalf("original feed is %T", o)
			}
			if !slices.Equal(seen, hubs) {
				t.Errorf("hubs %q, want %q\n%s", seen, hubs, out)
			}
		})
	}
}
