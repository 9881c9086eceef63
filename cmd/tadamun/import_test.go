package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// The WordPress fixture (testdata/import/wordpress.xml, written by
// testdata/import/generate.go) and the pictures it names, served on
// loopback in place of the old site's uploads.
const wxrFixture = "testdata/import/wordpress.xml"

func oldUploads(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir("testdata/import/media")))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestImportCommand runs "tadamun import" on the WordPress fixture as an
// operator would, on both databases: the report counts and reasons,
// plain progress lines (the output is not a terminal), a second run that
// changes nothing; then "tadamun serve" answers the old addresses with 301
// and shows the statements in the outbox and feeds at their old dates.
func TestImportCommand(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			dir := t.TempDir()
			listen := freeAddr(t)
			db := storagetest.SQLiteURL(t)
			if b.Name == "postgres" {
				db = storagetest.PostgresURL(t)
			}
			env := cleanEnv("TADAMUN_DATABASE="+db, "TADAMUN_DOMAIN="+listen, "TADAMUN_INSECURE_HTTP=true",
				"TADAMUN_ALLOW_PRIVATE_ADDRESSES=true")
			fixture, err := filepath.Abs(wxrFixture)
			if err != nil {
				t.Fatal(err)
			}
			tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
			uploads := oldUploads(t)
			r := tadamun(t, dir, env, "import", "--actor", "icssi", "--media-base", uploads, fixture).must(t)
			total := regexp.MustCompile(`imported: (\d+) statements from 433 posts \(wxr\)`).FindStringSubmatch(r.stdout)
			if total == nil || !strings.Contains(r.stdout, "imported "+total[1]+", updated 0, unchanged 0, skipped ") {
				t.Fatalf("first run:\n%s\n%s", r.stdout, r.stderr)
			}
			for _, want := range []string{"a page (--pages skip)", "private on the old site", "comment(s) not imported", "at most 4 images"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("the report does not say %q:\n%s", want, r.stdout)
				}
			}
			if !strings.Contains(r.stderr, "import: 10/"+total[1]+" (") || !strings.Contains(r.stderr, "import: "+total[1]+"/"+total[1]+" (100%)") ||
				strings.Contains(r.stderr, "\r") {
				t.Errorf("progress is not plain lines:\n%s", r.stderr)
			}
			again := tadamun(t, dir, env, "import", "--actor", "icssi", "--media-base", uploads, fixture).must(t)
			if !strings.Contains(again.stdout, "imported 0, updated 0, unchanged "+total[1]+",") {
				t.Fatalf("second run changed something:\n%s", again.stdout)
			}
			if n := storagetest.Count(t, db, `SELECT COUNT(*) FROM deliveries`); n != 0 {
				t.Fatalf("%d deliveries queued by the import", n)
			}

			s := startServe(t, dir, env, "--listen", listen)
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			redirect := func(path string) string {
				t.Helper()
				res, err := noFollow.Get(s.base + path)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusMovedPermanently {
					t.Fatalf("GET %s: %d, want 301", path, res.StatusCode)
				}
				return res.Header.Get("Location")
			}
			first := redirect("/2014/01/we-stand-together-with-iraqi-civil-society-activists-0/")
			if !strings.HasPrefix(first, "http://"+listen+"/@icssi/we-stand-together-with-iraqi-civil-society-activists-0") {
				t.Fatalf("old path → %s", first)
			}
			// The Arabic translation's old address (WordPress's lower-case
			// percent-encoding) leads to the Arabic text of the same statement.
			arPath := "/ar/2014/01/" + strings.ToLower(url.PathEscape("نقف-معاً-مع-نشطاء-المجتمع-المدني-العراقي-0")) + "/"
			if got := redirect(arPath); got != first+"/ar" {
				t.Fatalf("Arabic old path → %s, want %s/ar", got, first)
			}
			if got := redirect("/?p=104"); got != first {
				t.Fatalf("/?p=104 → %s, want %s", got, first)
			}
			code, page := s.get(t, strings.TrimPrefix(first, "http://"+listen))
			if code != 200 || !strings.Contains(page, "/media/") {
				t.Fatalf("statement page: %d (no stored picture?)", code)
			}
			_, feed := s.get(t, "/feed.atom")
			_, outbox := getJSON(t, s.base+"/users/icssi/outbox?page=true")
			for what, body := range map[string]string{"feed": feed, "outbox": outbox} {
				if !strings.Contains(body, "2014-") {
					t.Errorf("the %s does not show the old dates:\n%.600s", what, body)
				}
			}
		})
	}
}

func getJSON(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/activity+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// TestImportProgress: on a terminal one line is redrawn in place (carriage
// return, erase to the end of the line) with the bar, the count, the
// percentage and the time left, and ended with a newline; elsewhere a
// plain line every 10 statements or 5 seconds, and at the end.
func TestImportProgress(t *testing.T) {
	clock := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }

	var tty bytes.Buffer
	p := newProgress(&tty, true, now)
	for i := 1; i <= 4; i++ {
		clock = clock.Add(2 * time.Second)
		p.update(i, 8)
	}
	p.done()
	out := tty.String()
	if strings.Count(out, "\r") != 4 || strings.Count(out, "\x1b[K") != 4 || strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("terminal output is not one line redrawn: %q", out)
	}
	last := out[strings.LastIndex(out, "\r")+1:]
	if !strings.Contains(last, "4/8  50%") || !strings.Contains(last, "about 8s left") || !strings.Contains(last, strings.Repeat("█", 15)) {
		t.Fatalf("last frame: %q", last)
	}

	var plain bytes.Buffer
	p = newProgress(&plain, false, now)
	for i := 1; i <= 25; i++ {
		clock = clock.Add(100 * time.Millisecond)
		if i == 13 {
			clock = clock.Add(6 * time.Second) // a slow statement: a line for the time
		}
		p.update(i, 25)
	}
	p.done()
	lines := strings.Split(strings.TrimSpace(plain.String()), "\n")
	want := []string{"import: 10/25 (40%)", "import: 13/25 (52%)", "import: 23/25 (92%)", "import: 25/25 (100%)"}
	if len(lines) != len(want) || strings.Contains(plain.String(), "\r") {
		t.Fatalf("plain progress: %q", plain.String())
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Fatalf("line %d: %q, want %q...", i, lines[i], want[i])
		}
	}
}

// TestImportMarkdownFolderCommand: a folder of Markdown files is a source
// too; a file whose front matter is wrong is reported with the reason.
func TestImportMarkdownFolderCommand(t *testing.T) {
	dir := t.TempDir()
	env := cleanEnv()
	src := filepath.Join(dir, "archive")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"2015-solidarity.en.md": "---\ntitle: Solidarity\npublish: 2015-05-01T10:00:00Z\n---\nWe stand together. #Iraq\n",
		"2015-solidarity.ar.md": "---\ntitle: تضامن\n---\nنقف معاً.\n",
		"notes.md":              "no front matter here\n",
	} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	r := tadamun(t, dir, env, "import", "--actor", "icssi", "archive").must(t)
	if !strings.Contains(r.stdout, "imported 1, updated 0, unchanged 0, skipped 1") || !strings.Contains(r.stdout, "notes.md") {
		t.Fatalf("folder import:\n%s\n%s", r.stdout, r.stderr)
	}
	list := tadamun(t, dir, env, "statement", "list").must(t).stdout
	if !strings.Contains(list, "2015-05-01 10:00") || !strings.Contains(list, "Solidarity") {
		t.Fatalf("statement list:\n%s", list)
	}
}

// TestImportFeedURL: a feed given by its address is fetched through the
// guarded client: a loopback address is refused unless the node allows
// private addresses (test networks), and then imports.
func TestImportFeedURL(t *testing.T) {
	atom := `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar"><title>ICSSI</title><id>urn:icssi</id>
<updated>2016-01-01T00:00:00Z</updated>
<entry><title>بيان</title><id>urn:icssi:1</id><link href="https://old.icssi.example/bayan"/>
<published>2016-01-01T00:00:00Z</published><updated>2016-01-01T00:00:00Z</updated><content type="html">&lt;p&gt;نص&lt;/p&gt;</content></entry>
</feed>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml")
		io.WriteString(w, atom)
	}))
	defer srv.Close()
	dir := t.TempDir()
	tadamun(t, dir, cleanEnv(), "actor", "create", "icssi", "--name", "ICSSI").must(t)
	r := tadamun(t, dir, cleanEnv(), "import", "--actor", "icssi", srv.URL+"/feed.atom")
	if r.code != exitError || !strings.Contains(r.stderr, "fetch "+srv.URL) {
		t.Fatalf("a loopback feed was fetched by a node that refuses private addresses: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = tadamun(t, dir, cleanEnv("TADAMUN_ALLOW_PRIVATE_ADDRESSES=true"), "import", "--actor", "icssi", srv.URL+"/feed.atom").must(t)
	if !strings.Contains(r.stdout, "imported: 1 statements from 1 posts (atom)") || !strings.Contains(r.stdout, "imported 1,") {
		t.Fatalf("feed import:\n%s", r.stdout)
	}
	if list := tadamun(t, dir, cleanEnv(), "statement", "list").must(t).stdout; !strings.Contains(list, "2016-01-01 00:00") || !strings.Contains(list, "\tar\t") && !strings.Contains(list, " ar ") {
		t.Fatalf("statement list:\n%s", list)
	}
}
