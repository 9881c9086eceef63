package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/archive"
	"github.com/tadamun/tadamun/storage"
)

// maxArchiveBytes bounds an archive file or feed read for an import. A
// WordPress export of ten years of posts is tens of megabytes (images are
// not in it).
const maxArchiveBytes = 512 << 20

// maxFeedBytes bounds a feed fetched from the network.
const maxFeedBytes = 32 << 20

// importCmd is "tadamun import --actor USERNAME SOURCE".
func importCmd(fs *flag.FlagSet) runFunc {
	actor := fs.String("actor", "", "username of the actor the statements are by (required)")
	lang := fs.String("language", "", "language of posts whose source does not say (default: the actor's first language, else the node's)")
	drafts := fs.String("drafts", federation.ImportDraft, "what becomes of drafts: skip, or draft (kept as unpublished statements)")
	pages := fs.String("pages", federation.ImportSkip, "what becomes of pages (About, Contact...): skip, draft or publish")
	dry := fs.Bool("dry-run", false, "read the source and report what would be imported, writing and downloading nothing")
	mediaBase := fs.String("media-base", "", "read the old site's images from this address instead (e.g. a copy of wp-content, once the old domain points here)")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one SOURCE: a WordPress export (.xml), an RSS or Atom feed (file or http(s) address), or a folder of Markdown files")
		}
		if *actor == "" {
			return usagef("--actor is required")
		}
		if *drafts != federation.ImportSkip && *drafts != federation.ImportDraft {
			return usagef("--drafts is skip or draft")
		}
		if *pages != federation.ImportSkip && *pages != federation.ImportDraft && *pages != federation.ImportPublish {
			return usagef("--pages is skip, draft or publish")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			fed := a.federation(st)
			arc, dir, err := readArchive(ctx, a, args[0])
			if err != nil {
				return err
			}
			language, err := importLanguage(ctx, st, *actor, *lang)
			if err != nil {
				return err
			}
			bar := newProgress(a.stderr, isTerminal(a.stderr), time.Now)
			opts := federation.ImportOptions{Actor: *actor, Language: language, Drafts: *drafts, Pages: *pages,
				DryRun: *dry, Dir: dir, MediaBase: *mediaBase, Progress: bar.update}
			rep, err := fed.Import(ctx, arc, opts)
			bar.done()
			if rep != nil {
				printImportReport(a.stdout, arc, rep, *dry)
			}
			if errors.Is(err, context.Canceled) {
				return errors.New("interrupted: what was imported is kept; run the same command again to continue")
			}
			return err
		})
	}
}

// readArchive reads SOURCE: a folder (Markdown files), an http(s) address
// (a feed, fetched through the guarded client), or a file, WordPress
// export or feed by its content. dir is the folder, for images.
func readArchive(ctx context.Context, a *app, src string) (*archive.Archive, string, error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		m, err := a.client().FetchMedia(ctx, src, "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1", maxFeedBytes, nil)
		if err != nil {
			return nil, "", fmt.Errorf("fetch %s: %w", src, err)
		}
		arc, err := parseArchive(m.Body)
		return arc, "", err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", src, err)
	}
	if fi.IsDir() {
		arc, err := archive.ReadFolder(os.DirFS(src))
		return arc, src, err
	}
	data, err := readRegularFile(src, maxArchiveBytes)
	if err != nil {
		return nil, "", err
	}
	arc, err := parseArchive(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", src, err)
	}
	return arc, "", nil
}

// parseArchive tells a WordPress export (its wp: namespace) from a feed.
func parseArchive(data []byte) (*archive.Archive, error) {
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	if bytes.Contains(head, []byte("wordpress.org/export/")) {
		return archive.ReadWXR(bytes.NewReader(data))
	}
	return archive.ReadFeed(data)
}

// importLanguage is the language of posts whose source says none: the
// flag, else the actor's first language, else the node's default.
func importLanguage(ctx context.Context, st *storage.Store, username, flagLang string) (string, error) {
	if flagLang != "" {
		return flagLang, nil
	}
	ac, err := st.ActorByUsername(ctx, username)
	if err != nil {
		return "", fmt.Errorf("no actor %q: create it with 'tadamun actor create %s --name ...'", username, username)
	}
	if len(ac.Languages) > 0 && ac.Languages[0] != "" {
		return ac.Languages[0], nil
	}
	ns, err := st.NodeSettings(ctx)
	if err != nil {
		return "", err
	}
	if ns.Language != "" {
		return ns.Language, nil
	}
	return "en", nil
}

// printImportReport writes the counts and every item skipped with its
// reason. Titles come from the old site: each is passed through cell.
func printImportReport(w io.Writer, arc *archive.Archive, rep *federation.ImportReport, dry bool) {
	verb := "imported"
	if dry {
		verb = "would import"
	}
	fmt.Fprintf(w, "%s: %d statements from %d posts (%s)\n", verb, rep.Total, len(arc.Posts), arc.Format)
	fmt.Fprintf(w, "imported %d, updated %d, unchanged %d, skipped %d\n", rep.Imported, rep.Updated, rep.Unchanged, len(rep.Skipped))
	if len(rep.Skipped) > 0 {
		fmt.Fprintln(w, "skipped:")
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "  %s: %s\n", cell(s.Item), cell(s.Reason))
	}
}

// isTerminal reports whether w is a terminal (the progress bar is redrawn
// in place there; elsewhere it is plain lines).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress shows how far an import is: on a terminal one line redrawn in
// place (a bar, count/total, percentage, time left); elsewhere a plain
// line every progressEvery items or progressInterval, whichever is first,
// so a log keeps a record without a line per post.
type progress struct {
	w        io.Writer
	tty      bool
	now      func() time.Time
	start    time.Time
	last     time.Time // of the last plain line
	lastN    int
	drawn    bool // a terminal line is on screen
	finished bool
}

const (
	progressEvery    = 10
	progressInterval = 5 * time.Second
	progressBarWidth = 30
)

func newProgress(w io.Writer, tty bool, now func() time.Time) *progress {
	t := now()
	return &progress{w: w, tty: tty, now: now, start: t, last: t}
}

// update is called after each statement.
func (p *progress) update(done, total int) {
	now := p.now()
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(done, total, now))
		p.drawn = true
		return
	}
	if done == total || done-p.lastN >= progressEvery || now.Sub(p.last) >= progressInterval {
		fmt.Fprintf(p.w, "import: %d/%d (%d%%)%s\n", done, total, percent(done, total), eta(p.start, now, done, total))
		p.last, p.lastN = now, done
	}
}

// line is the terminal's progress line.
func (p *progress) line(done, total int, now time.Time) string {
	filled := 0
	if total > 0 {
		filled = done * progressBarWidth / total
	}
	bar := strings.Repeat("█", filled) + strings.Repeat("░", progressBarWidth-filled)
	return fmt.Sprintf("import %s %d/%d %3d%%%s", bar, done, total, percent(done, total), eta(p.start, now, done, total))
}

// done ends the bar's line on a terminal.
func (p *progress) done() {
	if p.tty && p.drawn && !p.finished {
		fmt.Fprintln(p.w)
	}
	p.finished = true
}

func percent(done, total int) int {
	if total == 0 {
		return 100
	}
	return done * 100 / total
}

// eta estimates the time left from the pace so far.
func eta(start, now time.Time, done, total int) string {
	if done == 0 || done >= total {
		return ""
	}
	left := time.Duration(float64(now.Sub(start)) / float64(done) * float64(total-done)).Round(time.Second)
	return fmt.Sprintf(", about %s left", left)
}
