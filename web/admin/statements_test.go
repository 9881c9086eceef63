package admin_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// postMultipart posts fields and files (field name → contents) as
// multipart/form-data with this client's CSRF token.
func (c *client) postMultipart(path string, fields url.Values, files map[string][]byte) (*http.Response, string) {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("csrf", c.csrf); err != nil {
		c.t.Fatal(err)
	}
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				c.t.Fatal(err)
			}
		}
	}
	for k, b := range files {
		fw, err := w.CreateFormFile(k, k+".bin")
		if err != nil {
			c.t.Fatal(err)
		}
		if _, err := fw.Write(b); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.n.URL+path, &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

// statementPNG is a small PNG picture.
func statementPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := 0; x < 40; x++ {
		for y := 0; y < 30; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 6), uint8(y * 8), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// statementForm is a compose form with the given action.
func statementForm(action string) url.Values {
	return url.Values{"actor": {"icssi"}, "title": {"نقف معاً"}, "summary": {"بيان تضامن"},
		"body": {"نص **البيان**"}, "tags": {"#تضامن Iraq"}, "language": {"ar"}, "type": {"Article"},
		"replies": {"on"}, "zone": {"UTC"}, "action": {action}}
}

var editLinkRE = regexp.MustCompile(`^/admin/statements/([0-9a-z]+)$`)

// created returns the id of the statement a save redirected to.
func created(t *testing.T, res *http.Response, body string) string {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save = %d %s", res.StatusCode, body)
	}
	m := editLinkRE.FindStringSubmatch(res.Header.Get("Location"))
	if m == nil {
		t.Fatalf("save redirected to %q", res.Header.Get("Location"))
	}
	return m[1]
}

func countStatements(t *testing.T, n *testNode) int {
	return storagetest.Count(t, n.dbURL, "SELECT COUNT(*) FROM statements")
}

// TestStatementWriting: compose (preview, publish, draft, schedule), edit,
// translate, list with its filters, and delete with confirmation, over
// HTTP on both databases, each through the federation service.
func TestStatementWriting(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testStatementWriting(t, b.URL) })
	}
}

func testStatementWriting(t *testing.T, dbURL string) {
	ctx := context.Background()
	n := adminTestNodeDB(t, "http", dbURL)
	c := n.signedIn(t, adminName, "127.0.0.3")
	if res, body := c.get("/admin/statements/new?actor=icssi"); res.StatusCode != 200 || !strings.Contains(body, `name="title"`) {
		t.Fatalf("compose = %d %s", res.StatusCode, body)
	}

	// The Preview button renders the Markdown as publishing does; nothing is stored.
	res, body := c.postMultipart("/admin/statements", statementForm("preview"), nil)
	if res.StatusCode != 200 || !strings.Contains(body, "<strong>البيان</strong>") || !strings.Contains(body, `value="نقف معاً"`) {
		t.Fatalf("preview = %d %s", res.StatusCode, body)
	}
	if got := countStatements(t, n); got != 0 {
		t.Fatalf("preview stored %d statements", got)
	}
	// The live preview's endpoint answers the fragment.
	res, body = c.postForm("/admin/preview", url.Values{"body": {"*hi* <script>x</script> #تضامن"}})
	if res.StatusCode != 200 || !strings.Contains(body, "<em>hi</em>") || strings.Contains(body, "<script>") ||
		!strings.Contains(body, `class="mention hashtag" rel="tag">#<span>تضامن</span></a>`) {
		t.Fatalf("live preview = %d %q", res.StatusCode, body)
	}

	// Mistakes: shown beside their fields, the form refilled, 400, nothing stored.
	bad := statementForm("publish")
	bad.Set("title", "")
	bad.Set("language", "not a language")
	bad.Set("tags", "ok no-hyphens")
	res, body = c.postMultipart("/admin/statements", bad, nil)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="title-err"`) ||
		!strings.Contains(body, `id="language-err"`) || !strings.Contains(body, `id="tags-err"`) ||
		!strings.Contains(body, "نص **البيان**") {
		t.Fatalf("bad form = %d %s", res.StatusCode, body)
	}
	past := statementForm("schedule")
	past.Set("when", "2001-01-01T10:00")
	if res, body = c.postMultipart("/admin/statements", past, nil); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="when-err"`) {
		t.Fatalf("schedule in the past = %d %s", res.StatusCode, body)
	}
	if got := countStatements(t, n); got != 0 {
		t.Fatalf("refused forms stored %d statements", got)
	}

	// Publish now.
	res, body = c.postMultipart("/admin/statements", statementForm("publish"), nil)
	pub := created(t, res, body)
	st, err := n.store.StatementByID(ctx, pub)
	if err != nil || st.State != storage.StatePublished || st.FederatedAt == nil || st.ObjectType != "Article" ||
		len(st.Tags) != 2 || st.Summary != "بيان تضامن" || !st.RepliesEnabled || st.Pinned {
		t.Fatalf("published statement = %+v %v", st, err)
	}

	// Save a draft; schedule one in Baghdad time (UTC+3).
	res, body = c.postMultipart("/admin/statements", statementForm("draft"), nil)
	draft := created(t, res, body)
	sched := statementForm("schedule")
	sched.Set("when", "2030-05-01T12:00")
	sched.Set("zone", "Asia/Baghdad")
	res, body = c.postMultipart("/admin/statements", sched, nil)
	scheduled := created(t, res, body)
	st, err = n.store.StatementByID(ctx, scheduled)
	if err != nil || st.State != storage.StateScheduled || st.PublishedAt == nil ||
		!st.PublishedAt.Equal(time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("scheduled statement = %+v %v", st, err)
	}
	if st, _ = n.store.StatementByID(ctx, draft); st.State != storage.StateDraft {
		t.Fatalf("draft is %s", st.State)
	}

	// The list: every state, filtered.
	res, body = c.get("/admin/statements")
	if res.StatusCode != 200 || strings.Count(body, `href="/admin/statements/`) < 4 {
		t.Fatalf("list = %d %s", res.StatusCode, body)
	}
	res, body = c.get("/admin/statements?state=scheduled&lang=ar&actor=icssi")
	if res.StatusCode != 200 || !strings.Contains(body, "/admin/statements/"+scheduled) || strings.Contains(body, "/admin/statements/"+draft) {
		t.Fatalf("scheduled list = %d %s", res.StatusCode, body)
	}
	for _, q := range []string{"state=gone", "page=0", "page=99999999", "lang=%21%21", "page=x"} {
		if res, _ := c.get("/admin/statements?" + q); res.StatusCode != http.StatusBadRequest {
			t.Errorf("list ?%s = %d, want 400", q, res.StatusCode)
		}
	}

	// Edit the published statement: an Update goes out when the text changes, not otherwise.
	updates := func() int {
		return storagetest.Count(t, n.dbURL, "SELECT COUNT(*) FROM activities WHERE activity_type = 'Update' AND statement_id = $1", pub)
	}
	if res, body := c.get("/admin/statements/" + pub); res.StatusCode != 200 || !strings.Contains(body, "نص **البيان**") {
		t.Fatalf("edit form = %d %s", res.StatusCode, body)
	}
	same := statementForm("publish")
	res, body = c.postMultipart("/admin/statements/"+pub, same, nil)
	created(t, res, body)
	if got := updates(); got != 0 {
		t.Fatalf("an edit changing nothing sent %d Updates", got)
	}
	changed := statementForm("publish")
	changed.Set("body", "نص معدل")
	changed.Set("pinned", "on")
	res, body = c.postMultipart("/admin/statements/"+pub, changed, nil)
	created(t, res, body)
	if st, _ = n.store.StatementByID(ctx, pub); st.BodyMarkdown != "نص معدل" || !st.Pinned || updates() != 1 {
		t.Fatalf("edited statement = %+v, %d Updates", st, updates())
	}

	// Translate: refused in the statement's own language, stored in English.
	res, body = c.postForm("/admin/statements/"+pub+"/translations", url.Values{"tlang": {"ar"}, "ttitle": {"x"}, "tbody": {"x"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "own language") {
		t.Fatalf("translation into ar = %d %s", res.StatusCode, body)
	}
	res, body = c.postForm("/admin/statements/"+pub+"/translations", url.Values{"tlang": {"en"}, "ttitle": {"We stand together"},
		"tsummary": {"A statement"}, "tbody": {"The *text*"}})
	created(t, res, body)
	st, _ = n.store.StatementByID(ctx, pub)
	if len(st.Translations) != 1 || st.Translations[0].Language != "en" || !strings.Contains(st.Translations[0].BodyHTML, "<em>text</em>") {
		t.Fatalf("translations = %+v", st.Translations)
	}
	if res, body := c.get("/admin/statements/" + pub); !strings.Contains(body, `value="We stand together"`) || res.StatusCode != 200 {
		t.Fatalf("edit page lacks the translation: %s", body)
	}

	// Publish the draft now from its edit page.
	res, body = c.postMultipart("/admin/statements/"+draft, statementForm("publish"), nil)
	created(t, res, body)
	if st, _ = n.store.StatementByID(ctx, draft); st.State != storage.StatePublished || st.FederatedAt == nil {
		t.Fatalf("draft published: %+v", st)
	}

	// Delete: a confirmation page, then the deletion; a POST without the confirmation does nothing.
	if res, body := c.get("/admin/statements/" + pub + "/delete"); res.StatusCode != 200 || !strings.Contains(body, `name="confirm"`) {
		t.Fatalf("delete page = %d %s", res.StatusCode, body)
	}
	if res, _ := c.postForm("/admin/statements/"+pub+"/delete", nil); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("unconfirmed delete = %d", res.StatusCode)
	}
	if res, body := c.postForm("/admin/statements/"+pub+"/delete", url.Values{"confirm": {"yes"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete = %d %s", res.StatusCode, body)
	}
	if st, _ = n.store.StatementByID(ctx, pub); st.State != storage.StateDeleted {
		t.Fatalf("deleted statement is %s", st.State)
	}
	if res, body := c.get("/admin/statements?state=deleted"); !strings.Contains(body, pub) || res.StatusCode != 200 {
		t.Fatalf("deleted list: %s", body)
	}
	if res, _ := c.get("/admin/statements/" + pub); res.StatusCode != http.StatusGone {
		t.Fatalf("edit a deleted statement = %d", res.StatusCode)
	}
}

// TestStatementsOfAnotherActor: an editor neither sees nor changes the
// statements of an actor they were not given (403), on list, edit,
// translate and delete; nothing changes.
func TestStatementsOfAnotherActor(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testStatementsOfAnotherActor(t, b.URL) })
	}
}

func testStatementsOfAnotherActor(t *testing.T, dbURL string) {
	n := adminTestNodeDB(t, "http", dbURL)
	ctx := context.Background()
	st, err := n.fed.Publish(ctx, "other", &content.Draft{Title: "Other's", Language: "en", Body: "x", RepliesEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	e := n.signedIn(t, editorName, "127.0.0.4")
	before := fingerprint(t, n)
	res, body := e.get("/admin/statements")
	if res.StatusCode != 200 || strings.Contains(body, st.ID) || strings.Contains(body, `value="other"`) {
		t.Fatalf("editor's list = %d %s", res.StatusCode, body)
	}
	for _, path := range []string{"/admin/statements?actor=other", "/admin/statements/" + st.ID,
		"/admin/statements/" + st.ID + "/delete", "/admin/statements/new?actor=other"} {
		if res, _ := e.get(path); res.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s = %d, want 403", path, res.StatusCode)
		}
	}
	form := statementForm("publish")
	form.Set("actor", "other")
	if res, _ := e.postMultipart("/admin/statements", form, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("compose for other = %d, want 403", res.StatusCode)
	}
	if res, _ := e.postMultipart("/admin/statements/"+st.ID, statementForm("publish"), nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("edit other's = %d, want 403", res.StatusCode)
	}
	if res, _ := e.postForm("/admin/statements/"+st.ID+"/translations", url.Values{"tlang": {"ar"}, "ttitle": {"x"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("translate other's = %d, want 403", res.StatusCode)
	}
	if res, _ := e.postForm("/admin/statements/"+st.ID+"/delete", url.Values{"confirm": {"yes"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("delete other's = %d, want 403", res.StatusCode)
	}
	if after := fingerprint(t, n); after != before {
		t.Errorf("refused requests changed the node:\n%s\n%s", before, after)
	}
	// Their own actor works.
	res, body = e.postMultipart("/admin/statements", statementForm("draft"), nil)
	created(t, res, body)
}

// TestStatementImages: an image with alt text is stored re-encoded; a file
// that is not an image, an image without alt text and a file over 10 MB are
// refused with a clear message and nothing is stored.
func TestStatementImages(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testStatementImages(t, b.URL) })
	}
}

func testStatementImages(t *testing.T, dbURL string) {
	n := adminTestNodeDB(t, "http", dbURL)
	c := n.signedIn(t, adminName, "127.0.0.3")
	before := fingerprint(t, n)
	form := statementForm("publish")
	form.Set("alt0", "A test pattern")
	res, body := c.postMultipart("/admin/statements", form, map[string][]byte{"image0": []byte("%PDF-1.4 not a picture at all")})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `<p class="field-error" id="image0-err">This file is not an image`) ||
		!strings.Contains(body, `value="A test pattern"`) {
		t.Fatalf("non-image = %d %s", res.StatusCode, body)
	}
	form.Del("alt0")
	res, body = c.postMultipart("/admin/statements", form, map[string][]byte{"image0": statementPNG(t)})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `aria-describedby="alt0-err"`) || !strings.Contains(body, "Describe the image") {
		t.Fatalf("image without alt = %d %s", res.StatusCode, body)
	}
	big := append(statementPNG(t), make([]byte, 10<<20)...)
	form.Set("alt0", "Big")
	res, body = c.postMultipart("/admin/statements", form, map[string][]byte{"image0": big})
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than 10 MB") {
		t.Fatalf("oversized image = %d %.300s", res.StatusCode, body)
	}
	if after := fingerprint(t, n); after != before {
		t.Fatalf("refused uploads changed the node:\n%s\n%s", before, after)
	}
	if files := mediaFiles(t, n); len(files) != 0 {
		t.Fatalf("refused uploads left files: %v", files)
	}
	form.Set("alt0", "A test pattern")
	res, body = c.postMultipart("/admin/statements", form, map[string][]byte{"image0": statementPNG(t)})
	id := created(t, res, body)
	st, err := n.store.StatementByID(context.Background(), id)
	if err != nil || len(st.Media) != 1 || st.Media[0].AltText != "A test pattern" || st.Media[0].Width != 40 {
		t.Fatalf("statement with image = %+v %v", st, err)
	}
	// An edit keeps the image and changes its description.
	form.Set("keep0", "on")
	form.Set("malt0", "A coloured test pattern")
	res, body = c.postMultipart("/admin/statements/"+id, form, nil)
	created(t, res, body)
	st, _ = n.store.StatementByID(context.Background(), id)
	if len(st.Media) != 1 || st.Media[0].AltText != "A coloured test pattern" {
		t.Fatalf("edited image = %+v", st.Media)
	}
	if files := mediaFiles(t, n); len(files) != 1 {
		t.Fatalf("media files after edit: %v", files)
	}
	// Saved again unchanged: the same file, and no Update to followers.
	path := st.Media[0].Path
	updates := storagetest.Count(t, n.dbURL, "SELECT COUNT(*) FROM activities WHERE activity_type = 'Update'")
	res, body = c.postMultipart("/admin/statements/"+id, form, nil)
	created(t, res, body)
	st, _ = n.store.StatementByID(context.Background(), id)
	if len(st.Media) != 1 || st.Media[0].Path != path {
		t.Errorf("an unchanged edit replaced the image: %+v, was %s", st.Media, path)
	}
	if got := storagetest.Count(t, n.dbURL, "SELECT COUNT(*) FROM activities WHERE activity_type = 'Update'"); got != updates {
		t.Errorf("an unchanged edit sent %d Updates", got-updates)
	}
}

// mediaFiles lists the files under the media folder, temporary uploads
// included.
func mediaFiles(t *testing.T, n *testNode) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(n.fed.MediaDir(), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// TestStatementListPages: 20 to a page, with links to the neighbours that
// keep the filters.
func TestStatementListPages(t *testing.T) {
	n := adminTestNode(t, "http")
	ctx := context.Background()
	for i := 0; i < 23; i++ {
		if _, err := n.fed.Publish(ctx, "icssi", &content.Draft{Title: "Draft " + string(rune('a'+i)), Language: "en", Body: "x", Draft: true}); err != nil {
			t.Fatal(err)
		}
	}
	c := n.signedIn(t, editorName, "127.0.0.4")
	res, body := c.get("/admin/statements?state=draft")
	if res.StatusCode != 200 || strings.Count(body, `<tr class="st-draft">`) != 20 || !strings.Contains(body, "23 statements") ||
		!strings.Contains(body, `href="/admin/statements?page=2&amp;state=draft" rel="next"`) || strings.Contains(body, `rel="prev"`) {
		t.Fatalf("page 1 = %d %s", res.StatusCode, body)
	}
	res, body = c.get("/admin/statements?state=draft&page=2")
	if res.StatusCode != 200 || strings.Count(body, `<tr class="st-draft">`) != 3 || strings.Contains(body, `rel="next"`) ||
		!strings.Contains(body, `rel="prev"`) {
		t.Fatalf("page 2 = %d %s", res.StatusCode, body)
	}
	if res, body = c.get("/admin/statements?page=9"); res.StatusCode != 200 || !strings.Contains(body, "No statements.") {
		t.Fatalf("page past the end = %d %s", res.StatusCode, body)
	}
}
