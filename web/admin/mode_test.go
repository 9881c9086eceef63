package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage"
)

// TestFederationModeInUI: an admin switches the node to the allow-list
// mode and back on the Domains page, as `tadamun domain mode`; an editor
// and an unknown mode are refused and change nothing.
func TestFederationModeInUI(t *testing.T) {
	n := adminTestNode(t, "http")
	ctx := context.Background()
	mode := func() string {
		t.Helper()
		m, err := n.store.FederationMode(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ed := n.signedIn(t, editorName, "127.0.0.3")
	ed.get("/admin")
	if res, _ := ed.postForm("/admin/domains/mode", url.Values{"mode": {"allowlist"}}); res.StatusCode != http.StatusForbidden || mode() != storage.FederationOpen {
		t.Fatalf("editor: %d, mode %s", res.StatusCode, mode())
	}
	ad := n.signedIn(t, adminName, "127.0.0.4")
	if _, page := ad.get("/admin/domains"); !strings.Contains(page, `value="open" checked`) {
		t.Fatal("the domains page does not show the open mode as chosen")
	}
	if res, _ := ad.postForm("/admin/domains/mode", url.Values{"mode": {"closed"}}); res.StatusCode != http.StatusBadRequest || mode() != storage.FederationOpen {
		t.Fatalf("unknown mode: %d, mode %s", res.StatusCode, mode())
	}
	ad.get("/admin/domains")
	if res, _ := ad.postForm("/admin/domains/mode", url.Values{"mode": {"allowlist"}}); res.StatusCode != http.StatusSeeOther || mode() != storage.FederationAllowList {
		t.Fatalf("allowlist: %d, mode %s", res.StatusCode, mode())
	}
	if _, page := ad.get("/admin/domains"); !strings.Contains(page, `value="allowlist" checked`) || !strings.Contains(page, "Only the allowed domains") {
		t.Fatal("the domains page does not show the allow-list mode and its message")
	}
	if res, _ := ad.postForm("/admin/domains/mode", url.Values{"mode": {"open"}}); res.StatusCode != http.StatusSeeOther || mode() != storage.FederationOpen {
		t.Fatalf("open: %d, mode %s", res.StatusCode, mode())
	}
}
