package federation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/tadamun/tadamun/federation/archive"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/imaging"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// Importing an archive (tadamun import). Each post of the old site, or
// each group of posts that translate each other, becomes one statement
// with its original date. Nothing is delivered: a published statement is
// marked as federated and its Create is stored (so its address and the
// outbox serve it, at its old date) without a delivery row, because
// followers would otherwise be flooded with years-old posts as if new.
//
// Each statement is written in its own transaction together with the
// records of the source posts it came from (storage.ImportedPost, keyed by
// the source's guid): a second run finds the records and changes nothing,
// and a run cut short resumes where it stopped.

// What Import does with drafts and pages (ImportOptions.Drafts, .Pages).
const (
	ImportSkip    = "skip"
	ImportDraft   = "draft"
	ImportPublish = "publish"
)

// maxImportImageBytes bounds each image downloaded for an imported post.
const maxImportImageBytes = MaxImageBytes

// ImportOptions says how an archive is imported.
type ImportOptions struct {
	Actor string // username of the actor the statements are by
	// Language is the language of posts whose source does not say.
	Language string
	// Drafts is ImportSkip or ImportDraft; Pages also ImportPublish.
	Drafts, Pages string
	// DryRun reports what would happen without writing or downloading.
	DryRun bool
	// Dir is where a Markdown folder's image files are (archive.Image.File
	// is relative to it).
	Dir string
	// MediaBase, when set, replaces the scheme and host of the old site's
	// image addresses (those on the hosts of its posts' links): the old
	// uploads can be read from a copy once the old domain points here.
	MediaBase string
	// Progress, if set, is called after each statement with how many of
	// the total are done.
	Progress func(done, total int)
}

// ImportSkipped is one thing left out, and why.
type ImportSkipped struct {
	Item   string // the post's title and old address or guid
	Reason string
}

// ImportReport counts statements (a group of translations is one).
type ImportReport struct {
	Total, Imported, Updated, Unchanged int
	Skipped                             []ImportSkipped
}

// importUnit is one statement to be: a post, or the posts that translate
// each other, the first being the primary text.
type importUnit struct {
	posts []archive.Post
	langs []string // normalised language of each post
}

// Import brings an archive in as statements of opts.Actor. It returns the
// report so far with ctx's error when ctx ends: what was done is kept, and
// running it again continues.
func (s *Service) Import(ctx context.Context, a *archive.Archive, opts ImportOptions) (*ImportReport, error) {
	actor, err := s.localActor(ctx, opts.Actor)
	if err != nil {
		return nil, err
	}
	if err := movedAway(actor); err != nil {
		return nil, err
	}
	fallback, err := content.NormalizeLanguage(opts.Language)
	if err != nil {
		return nil, invalid("the default language of the import: %v", err)
	}
	if opts.Drafts == "" {
		opts.Drafts = ImportDraft
	}
	if opts.Pages == "" {
		opts.Pages = ImportSkip // pages are the old site's furniture (About, Contact) unless asked for
	}
	rep := &ImportReport{}
	units := s.importUnits(a, opts, fallback, rep)
	rep.Total = len(units)
	hosts := siteHosts(a)
	for i, u := range units {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if err := s.importUnit(ctx, actor, u, opts, hosts, rep); err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			if !errors.Is(err, ErrInvalid) {
				return rep, fmt.Errorf("federation: import %s: %w", describe(&u.posts[0]), err)
			}
			reason := strings.TrimPrefix(err.Error(), "federation: ")
			rep.Skipped = append(rep.Skipped, ImportSkipped{describe(&u.posts[0]), strings.TrimPrefix(reason, ErrInvalid.Error()+": ")})
		}
		if opts.Progress != nil {
			opts.Progress(i+1, len(units))
		}
	}
	return rep, nil
}

// importUnits applies the options and groups translations. Posts left out
// are reported with their reason.
func (s *Service) importUnits(a *archive.Archive, opts ImportOptions, fallback string, rep *ImportReport) []importUnit {
	skip := func(p *archive.Post, reason string) {
		rep.Skipped = append(rep.Skipped, ImportSkipped{describe(p), reason})
	}
	if a.Truncated {
		rep.Skipped = append(rep.Skipped, ImportSkipped{"the rest of the archive", fmt.Sprintf("only the first %d posts of a source are read", archive.MaxPosts)})
	}
	siteLang := fallback
	if l, err := content.NormalizeLanguage(a.Language); err == nil {
		siteLang = l
	}
	groups := map[string]int{}
	var units []importUnit
	for i := range a.Posts {
		p := &a.Posts[i]
		if p.Comments > 0 {
			// Replies here are fediverse posts by their own accounts; the old
			// site's commenters (whose names, e-mail and IP addresses the
			// export carries) never agreed to be republished by the node.
			skip(p, fmt.Sprintf("%d comment(s) not imported: commenters are not fediverse accounts", p.Comments))
		}
		switch {
		case p.Skip != "":
			skip(p, p.Skip)
			continue
		case p.Kind == archive.KindPage && opts.Pages == ImportSkip:
			skip(p, "a page (--pages skip)")
			continue
		case p.Status == archive.StatusDraft && opts.Drafts == ImportSkip:
			skip(p, "a draft (--drafts skip)")
			continue
		}
		if p.Kind == archive.KindPage && opts.Pages == ImportDraft {
			p.Status = archive.StatusDraft
		}
		lang := siteLang
		if p.Language != "" {
			l, err := content.NormalizeLanguage(p.Language)
			if err != nil {
				skip(p, fmt.Sprintf("its language: %v", err))
				continue
			}
			lang = l
		}
		if p.Group == "" {
			units = append(units, importUnit{posts: []archive.Post{*p}, langs: []string{lang}})
			continue
		}
		if j, ok := groups[p.Group]; ok {
			units[j].posts = append(units[j].posts, *p)
			units[j].langs = append(units[j].langs, lang)
			continue
		}
		groups[p.Group] = len(units)
		units = append(units, importUnit{posts: []archive.Post{*p}, langs: []string{lang}})
	}
	for i := range units {
		units[i] = s.settleUnit(units[i], fallback, skip)
	}
	return units
}

// settleUnit decides which posts of a translation group make the statement
// and which is its primary text. If any is published, drafts in the group
// are left out (a published statement cannot carry an unpublished
// translation); one post per language. The primary is the original where
// the source says so (WPML), else the post in the node's default language,
// else the oldest.
func (s *Service) settleUnit(u importUnit, nodeLang string, skip func(*archive.Post, string)) importUnit {
	if len(u.posts) == 1 {
		return u
	}
	published := false
	for _, p := range u.posts {
		published = published || p.Status == archive.StatusPublish
	}
	var out importUnit
	seen := map[string]bool{}
	for i := range u.posts {
		p := &u.posts[i]
		switch {
		case published && p.Status != archive.StatusPublish:
			skip(p, "a draft translation of a published post")
		case seen[u.langs[i]]:
			skip(p, fmt.Sprintf("another post of its translation group is in %s too", u.langs[i]))
		default:
			seen[u.langs[i]] = true
			out.posts, out.langs = append(out.posts, *p), append(out.langs, u.langs[i])
		}
	}
	primary := 0
	for i, p := range out.posts {
		if p.Original {
			primary = i
			break
		}
		if out.langs[i] == nodeLang && !out.posts[primary].Original && out.langs[primary] != nodeLang {
			primary = i
		}
	}
	out.posts[0], out.posts[primary] = out.posts[primary], out.posts[0]
	out.langs[0], out.langs[primary] = out.langs[primary], out.langs[0]
	return out
}

// importUnit imports one statement: new, updated, or found unchanged.
func (s *Service) importUnit(ctx context.Context, actor *storage.Actor, u importUnit, opts ImportOptions, hosts map[string]bool, rep *ImportReport) error {
	var existing *storage.Statement
	var records []*storage.ImportedPost
	changed := false
	err := s.store.Tx(ctx, func(tx *storage.Store) error {
		existing, records, changed = nil, nil, false
		for _, p := range u.posts {
			rec, err := tx.ImportedPost(ctx, actor.ID, p.GUID)
			switch {
			case errors.Is(err, storage.ErrNotFound):
				changed = true
				records = append(records, nil)
				continue
			case err != nil:
				return err
			}
			records = append(records, rec)
			changed = changed || rec.Hash != p.Hash()
			if existing == nil {
				st, err := tx.StatementByID(ctx, rec.StatementID)
				if err != nil {
					return err
				}
				existing = st
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case existing != nil && !changed:
		rep.Unchanged++
		return nil
	case existing != nil && existing.State == storage.StateDeleted:
		return invalid("deleted on this node since it was imported; not brought back")
	case existing != nil && editedSince(existing, records):
		return invalid("edited on this node since it was imported; the old site's text was not written over it")
	}
	st, bodies, images, err := s.importStatement(actor, u, existing)
	if err != nil {
		return err
	}
	if opts.DryRun {
		if existing != nil {
			rep.Updated++
		} else {
			rep.Imported++
		}
		return nil
	}
	var imgs []pendingImage
	if existing == nil {
		imgs, images = s.importImages(ctx, images, opts, hosts, func(reason string) {
			rep.Skipped = append(rep.Skipped, ImportSkipped{describe(&u.posts[0]), reason})
		})
	}
	if err := s.saveImport(ctx, actor, st, existing != nil, u, bodies, images, imgs); err != nil {
		return err
	}
	if existing != nil {
		rep.Updated++
	} else {
		rep.Imported++
	}
	return nil
}

// editedSince reports whether an editor changed the statement after the
// import last wrote it.
func editedSince(st *storage.Statement, records []*storage.ImportedPost) bool {
	var last time.Time
	for _, r := range records {
		if r != nil && r.UpdatedAt.After(last) {
			last = r.UpdatedAt
		}
	}
	return !last.IsZero() && st.UpdatedAt.After(last.Add(time.Second))
}

// importStatement builds the statement of a unit (without storing it):
// bodies are its texts' Markdown with image placeholders in, images the
// pictures they and the posts name, in order.
func (s *Service) importStatement(actor *storage.Actor, u importUnit, existing *storage.Statement) (*storage.Statement, []string, []archive.Image, error) {
	st := &storage.Statement{ActorID: actor.ID}
	if existing != nil {
		c := *existing
		st = &c
	}
	p := &u.posts[0]
	var images []archive.Image
	bodies := make([]string, len(u.posts))
	texts := make([]textOf, len(u.posts))
	for i := range u.posts {
		t, err := importText(&u.posts[i], len(images))
		if err != nil {
			return nil, nil, nil, err
		}
		images = append(images, t.images...)
		texts[i], bodies[i] = t, t.body
	}
	images = append(images, p.Images...)
	primary := 0
	if existing != nil && existing.Language != u.langs[0] {
		primary = -1 // the statement keeps its language; every post becomes a translation of it
		for i := range u.langs {
			if u.langs[i] == existing.Language {
				primary = i
			}
		}
	}
	if primary >= 0 {
		t := texts[primary]
		st.Language, st.Title, st.Summary = u.langs[primary], t.title, t.summary
	}
	if existing == nil {
		st.Slug = importSlug(p)
		st.RepliesEnabled = true
		if p.Status == archive.StatusPublish {
			st.State = storage.StatePublished
		} else {
			st.State = storage.StateDraft
		}
		if !p.Date.IsZero() {
			d := p.Date
			st.PublishedAt = &d
		}
	}
	tags := map[string]bool{}
	st.Tags = nil
	for _, post := range u.posts {
		for _, t := range append(append([]string{}, post.Categories...), post.Tags...) {
			name := hashtag(t)
			if key := content.NormalizeTag(name); key != "" && !tags[key] {
				tags[key] = true
				st.Tags = append(st.Tags, storage.Tag{Name: key, Display: name})
			}
		}
	}
	trs := map[string]storage.Translation{}
	for _, tr := range st.Translations {
		trs[tr.Language] = tr
	}
	for i := range u.posts {
		if i == primary {
			continue
		}
		t := texts[i]
		trs[u.langs[i]] = storage.Translation{Language: u.langs[i], Title: t.title, Summary: t.summary}
	}
	st.Translations = st.Translations[:0:0]
	for _, l := range sortedKeys(trs) {
		if l != st.Language {
			st.Translations = append(st.Translations, trs[l])
		}
	}
	return st, bodies, images, nil
}

// textOf is one post's text as the statement will carry it.
type textOf struct {
	title, summary, body string
	images               []archive.Image
}

// importText converts a post's text; its inline images are numbered from
// first (the placeholders of earlier posts of the unit come before).
func importText(p *archive.Post, first int) (textOf, error) {
	t := textOf{body: p.Markdown}
	if p.Markdown == "" && p.HTML != "" {
		md, imgs, err := archive.Markdown(p.HTML)
		if err != nil {
			return t, invalid("%v", err)
		}
		for i := len(imgs) - 1; i >= 0; i-- { // from the last, so image 1 does not match inside image 10's token
			md = strings.ReplaceAll(md, archive.Placeholder(i), archive.Placeholder(first+i))
		}
		for i := range imgs { // relative to the post's old address, as a browser read them
			imgs[i].URL = resolve(p.Link, imgs[i].URL)
		}
		t.body, t.images = md, imgs
	}
	if err := checkBody("the text", t.body); err != nil {
		return t, err
	}
	t.title = content.PlainText(html.UnescapeString(p.Title))
	if p.Summary != "" {
		t.summary = content.PlainText(content.SanitizeRemote(p.Summary))
	}
	if t.title == "" {
		t.title = untitled(t.body)
	}
	if t.title == "" {
		return t, invalid("it has neither a title nor any text")
	}
	if n := len([]rune(t.title)); n > content.MaxTitleLength {
		t.title = string([]rune(t.title)[:content.MaxTitleLength-1]) + "…"
	}
	return t, nil
}

// untitled makes a title of a post that has none (a feed of short posts):
// the first words of its text.
func untitled(md string) string {
	words := strings.Fields(content.PlainText(md))
	var b strings.Builder
	for _, w := range words {
		if b.Len()+len(w) > 80 {
			b.WriteString("…")
			break
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

// importSlug keeps the old site's slug where there is one (WordPress
// stores non-Latin slugs percent-encoded), else makes one of the title.
func importSlug(p *archive.Post) string {
	slug := p.Slug
	if dec, err := url.PathUnescape(slug); err == nil {
		slug = dec
	}
	if slug == "" {
		slug = p.Title
	}
	slug = content.Slugify(slug)
	if iri.ReservedSlug(slug) {
		slug += "-statement"
	}
	return slug
}

// hashtag makes a hashtag of a category or tag name: words joined by "_"
// ("حقوق الإنسان" → "حقوق_الإنسان", "Civil society" → "Civil_society").
func hashtag(name string) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.TrimPrefix(strings.TrimSpace(html.UnescapeString(name)), "#") {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || r == '_' {
			if gap && b.Len() > 0 {
				b.WriteByte('_')
			}
			gap = false
			b.WriteRune(r)
			continue
		}
		gap = true
	}
	return b.String()
}

// importImages downloads (or, from a folder, reads) and re-encodes up to
// content.MaxImages pictures, as uploads are: metadata stripped, upright,
// scaled. It returns them with the list of images each stands for (an
// image that failed or did not fit has an empty URL and File there, so its
// placeholder is dropped); what was left out is reported.
func (s *Service) importImages(ctx context.Context, images []archive.Image, opts ImportOptions, hosts map[string]bool, report func(string)) ([]pendingImage, []archive.Image) {
	var out []pendingImage
	placed := map[string]int{}
	for i, im := range images {
		key := im.URL + "\x00" + im.File
		if _, ok := placed[key]; ok {
			continue // the same picture twice: stored once
		}
		if len(out) == content.MaxImages {
			report(fmt.Sprintf("image %s: a statement carries at most %d images", imageName(im), content.MaxImages))
			images[i] = archive.Image{}
			continue
		}
		p, err := s.fetchImportImage(ctx, im, opts, hosts)
		if err != nil {
			report(fmt.Sprintf("image %s: %v", imageName(im), err))
			images[i] = archive.Image{}
			continue
		}
		placed[key] = len(out)
		out = append(out, pendingImage{data: p.Data, mediaType: p.MediaType, alt: im.Alt, width: p.Width, height: p.Height, blurhash: p.Blurhash})
	}
	return out, images
}

// fetchImportImage reads one image: from the old site through the guarded
// client (private addresses refused, redirects checked, at most
// maxImportImageBytes), or from a folder's file.
func (s *Service) fetchImportImage(ctx context.Context, im archive.Image, opts ImportOptions, hosts map[string]bool) (*imaging.Image, error) {
	if im.File != "" {
		f := im.File
		if !filepath.IsAbs(f) {
			f = filepath.Join(opts.Dir, filepath.FromSlash(f))
		}
		return imaging.ProcessFile(f, maxImportImageBytes)
	}
	if s.client == nil {
		return nil, errors.New("no HTTP client configured")
	}
	m, err := s.client.FetchMedia(ctx, rebase(im.URL, opts.MediaBase, hosts), "image/*", maxImportImageBytes, nil)
	if err != nil {
		return nil, err
	}
	return imaging.Process(bytes.NewReader(m.Body), maxImportImageBytes)
}

// rebase moves an address on the old site's hosts to base's scheme and
// host (ImportOptions.MediaBase).
func rebase(addr, base string, hosts map[string]bool) string {
	if base == "" {
		return addr
	}
	u, err := url.Parse(addr)
	b, berr := url.Parse(base)
	if err != nil || berr != nil || !hosts[strings.ToLower(u.Host)] {
		return addr
	}
	u.Scheme, u.Host = b.Scheme, b.Host
	u.Path = strings.TrimSuffix(b.Path, "/") + u.Path
	return u.String()
}

// resolve makes ref absolute against base (the post's old address).
func resolve(base, ref string) string {
	b, err := url.Parse(base)
	r, rerr := url.Parse(ref)
	if err != nil || rerr != nil || r.IsAbs() || b.Host == "" {
		return ref
	}
	return b.ResolveReference(r).String()
}

// siteHosts are the hosts of the archive's posts' old addresses.
func siteHosts(a *archive.Archive) map[string]bool {
	hosts := map[string]bool{}
	for _, p := range a.Posts {
		if u, err := url.Parse(p.Link); err == nil && u.Host != "" {
			hosts[strings.ToLower(u.Host)] = true
		}
	}
	return hosts
}

// storeImportImages writes a new statement's images where uploads go and
// returns their rows: the one place import touches the media store.
func (s *Service) storeImportImages(st *storage.Statement, imgs []pendingImage) ([]storage.Media, error) {
	return s.writeImages(st, imgs, "")
}

// saveImport writes a statement, its images, its Create (published ones:
// stored, never delivered) and the records of its source posts in one
// transaction.
func (s *Service) saveImport(ctx context.Context, actor *storage.Actor, st *storage.Statement, update bool, u importUnit,
	bodies []string, images []archive.Image, imgs []pendingImage) error {
	now := s.clock()
	created := false
	err := s.store.Tx(ctx, func(tx *storage.Store) error {
		if update {
			// Images already stored stay; placeholders take them in order.
			images = images[:0]
			for _, m := range st.Media {
				images = append(images, archive.Image{URL: s.iri.Media(m.Path), Alt: m.AltText})
			}
		} else {
			if st.State == storage.StatePublished && (st.PublishedAt == nil || st.PublishedAt.After(now)) {
				st.PublishedAt = &now // no date, or one still to come: published as of the import
			}
			if err := tx.CreateStatement(ctx, st); err != nil {
				return err
			}
			created = true
			st.ActorUsername = actor.Username
			media, err := s.storeImportImages(st, imgs)
			if err != nil {
				return err
			}
			if err := tx.AddMedia(ctx, media); err != nil {
				return err
			}
			st.Media = media
		}
		if err := s.renderImport(st, u, bodies, images); err != nil {
			return err
		}
		if err := s.checkFits(st, actor, now); err != nil {
			return err
		}
		if err := tx.UpdateStatement(ctx, st); err != nil {
			return err
		}
		if !update && st.State == storage.StatePublished {
			if err := s.storeCreate(ctx, tx, st, actor, now); err != nil {
				return err
			}
		} else if update && st.FederatedAt != nil {
			hash, err := s.federatedHash(st, actor)
			if err != nil {
				return err
			}
			if err := tx.SetFederatedHash(ctx, st.ID, hash, nil); err != nil {
				return err
			}
		}
		for i, p := range u.posts {
			rec := &storage.ImportedPost{ActorID: actor.ID, GUID: p.GUID, StatementID: st.ID, Language: u.langs[i],
				Hash: p.Hash(), OldPath: archive.NormalizePath(p.Link), OldPostID: p.PostID}
			if err := tx.PutImportedPost(ctx, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && created && st.ID != "" {
		s.removeMedia(st.ID) // the statement was rolled back; its files go too
	}
	return err
}

// renderImport puts the stored images in the texts' placeholders and
// renders every text; hashtags written in them are linked.
func (s *Service) renderImport(st *storage.Statement, u importUnit, bodies []string, images []archive.Image) error {
	byImage := map[string]string{}
	for _, m := range st.Media {
		byImage[m.Path] = s.iri.Media(m.Path)
	}
	urls := make([]string, len(images))
	k := 0
	seen := map[string]string{}
	for i, im := range images {
		key := im.URL + "\x00" + im.File
		switch {
		case im.URL == "" && im.File == "":
		case seen[key] != "":
			urls[i] = seen[key]
		case strings.HasPrefix(im.URL, s.iri.Media("")): // an update: the stored copy
			urls[i], seen[key] = im.URL, im.URL
		case k < len(st.Media):
			urls[i] = byImage[st.Media[k].Path]
			seen[key] = urls[i]
			k++
		}
	}
	for i := range u.posts {
		md := bodies[i]
		for j := len(images) - 1; j >= 0; j-- {
			ph := archive.Placeholder(j)
			if !strings.Contains(md, ph) {
				continue
			}
			repl := ""
			if urls[j] != "" {
				repl = "\n\n![" + escapeAlt(images[j].Alt) + "](" + urls[j] + ")\n\n"
			}
			md = strings.ReplaceAll(md, ph, repl)
		}
		md = strings.TrimSpace(collapseBlankLines(md))
		rendered, err := content.RenderMarkdown(md)
		if err != nil {
			return err
		}
		if u.langs[i] == st.Language {
			st.BodyMarkdown, st.BodyHTML = md, s.linkHashtags(st, rendered)
			continue
		}
		for k := range st.Translations {
			if st.Translations[k].Language == u.langs[i] {
				st.Translations[k].BodyMarkdown = md
				st.Translations[k].BodyHTML = s.linkHashtags(st, rendered)
			}
		}
	}
	return nil
}

// storeCreate records a published import as federated: its Create is
// stored (signed, as any Create) so its address answers, and no delivery
// is queued.
func (s *Service) storeCreate(ctx context.Context, tx *storage.Store, st *storage.Statement, a *storage.Actor, now time.Time) error {
	won, err := tx.ClaimFederation(ctx, st.ID, now)
	if err != nil || !won {
		return err
	}
	st.FederatedAt = &now
	body, err := s.createDoc(st, a)
	if err != nil {
		return err
	}
	act := &storage.Activity{IRI: s.createIRI(a.Username, st.ID), Direction: storage.Outbound, Type: "Create",
		ActorIRI: s.iri.Actor(a.Username), ObjectIRI: s.iri.Statement(a.Username, st.ID), LocalActorID: a.ID,
		StatementID: st.ID, Body: body}
	if err := s.signActivity(ctx, tx, act, a); err != nil {
		return err
	}
	if _, err := tx.SaveActivity(ctx, act); err != nil {
		return err
	}
	hash, err := s.federatedHash(st, a)
	if err != nil {
		return err
	}
	return tx.SetFederatedHash(ctx, st.ID, hash, nil)
}

func escapeAlt(s string) string {
	return strings.NewReplacer("[", "", "]", "", "\n", " ").Replace(s)
}

func collapseBlankLines(s string) string {
	for strings.Contains(s, "\n\n\n") {
		s = strings.ReplaceAll(s, "\n\n\n", "\n\n")
	}
	return s
}

func imageName(im archive.Image) string {
	if im.File != "" {
		return im.File
	}
	return im.URL
}

// describe names a post in the report: its title and old address.
func describe(p *archive.Post) string {
	where := p.Link
	if where == "" {
		where = p.GUID
	}
	title := strings.TrimSpace(content.PlainText(html.UnescapeString(p.Title)))
	if title == "" {
		return where
	}
	return fmt.Sprintf("%q (%s)", title, where)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
