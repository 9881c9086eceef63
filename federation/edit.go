package federation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// Size limits. Peers refuse an activity larger than their inbox takes:
// Mastodon reads at most 1,000,000 bytes of a POST body, we take 1 MiB. A
// statement's Create carries its text in every language twice over
// (content and contentMap) and rendered as HTML, so the limit that matters
// is on the Create as sent, checked whenever a statement or translation is
// stored; the limit on each text is there so that an editor hears early,
// and in words, that a text is far too long.
const (
	// MaxBodyBytes is the longest Markdown text of a statement or of one
	// translation, in bytes (about 15,000 words of English, fewer in
	// scripts that take two bytes a letter).
	MaxBodyBytes = 100_000
	// MaxActivityBytes is the largest Create of a statement we send: the
	// smallest inbox limit among the servers we know (Mastodon's).
	MaxActivityBytes = 1_000_000
)

// checkBody refuses a text over MaxBodyBytes; what names it in the error.
func checkBody(what, body string) error {
	if len(body) > MaxBodyBytes {
		return rejectAbout(what, "{what} is %d bytes long; the limit is %d bytes (about 15,000 words)", len(body), MaxBodyBytes)
	}
	return nil
}

// checkFits refuses a statement whose Create, with every translation and
// attachment, would be larger than other servers accept.
func (s *Service) checkFits(st *storage.Statement, a *storage.Actor, now time.Time) error {
	c := *st
	if c.PublishedAt == nil {
		c.PublishedAt = &now // a draft has no time yet; the Create will
	}
	body, err := s.createDoc(&c, a)
	if err != nil {
		return err
	}
	if len(body) > MaxActivityBytes {
		return reject("the statement with its translations would federate as %d bytes; servers accept at most %d: shorten it or leave out a translation",
			len(body), MaxActivityBytes)
	}
	return nil
}

// Edit changes a statement to what the file now says: every front-matter
// key applies (text, title, summary, tags, content warning, type, pinned,
// replies, slug, images, in_reply_to, draft and publish time).
//
// A draft or scheduled statement takes its new state as publishing would
// give it: draft: false with no time (or a past one) publishes it now, and
// its Create goes out in the same transaction, exactly once. A statement
// already published cannot become a draft or scheduled again (it is in
// other servers' timelines: delete it instead); a past publish time
// back-dates it. If it has federated and what followers see has changed, an
// Update goes out with a newer "updated"; an edit that changes nothing
// visible sends nothing.
func (s *Service) Edit(ctx context.Context, id string, d *content.Draft) (*storage.Statement, error) {
	st, err := s.editable(ctx, id)
	if err != nil {
		return nil, err
	}
	oldReply := st.InReplyTo
	if err := s.applyDraft(ctx, st, d); err != nil {
		return nil, err
	}
	if d.Slug != "" && d.Slug != st.Slug {
		// A new address for the page; the ActivityPub id stays, being built
		// from the statement's id.
		st.Slug = d.Slug
		if iri.ReservedSlug(st.Slug) {
			st.Slug += "-statement"
		}
	}
	now := s.clock()
	if err := applySchedule(st, d, now); err != nil {
		return nil, err
	}
	st.InReplyTo = d.InReplyTo
	var extra []string
	if st.InReplyTo != "" && (st.InReplyTo != oldReply || st.FederatedAt == nil) {
		// The author of the post answered gets it too (network I/O, before
		// the transaction).
		inbox, err := s.authorInbox(ctx, st.InReplyTo)
		if err != nil {
			return nil, replyRefusal(st.InReplyTo, err)
		}
		extra = append(extra, inbox)
	}
	imgs, err := readImages(d.Images)
	if err != nil {
		return nil, err
	}
	return st, s.saveEdit(ctx, st, &imgs, extra)
}

// applySchedule sets a statement's state and publish time from the file's
// draft and publish keys, as publishing would, within what its history
// allows.
func applySchedule(st *storage.Statement, d *content.Draft, now time.Time) error {
	if st.FederatedAt != nil || st.State == storage.StatePublished {
		switch {
		case d.Draft:
			return reject("statement %s is published: it cannot become a draft again (delete it instead)", st.ID)
		case d.PublishAt != nil && d.PublishAt.After(now):
			return reject("statement %s is published: it cannot be scheduled for %s", st.ID, d.PublishAt.Format(time.RFC3339))
		case d.PublishAt != nil:
			st.PublishedAt = d.PublishAt // back-dated
		}
		return nil
	}
	switch {
	case d.Draft:
		st.State, st.PublishedAt = storage.StateDraft, d.PublishAt
	case d.PublishAt != nil && d.PublishAt.After(now):
		st.State, st.PublishedAt = storage.StateScheduled, d.PublishAt
	case d.PublishAt != nil:
		st.State, st.PublishedAt = storage.StatePublished, d.PublishAt
	default:
		st.State, st.PublishedAt = storage.StatePublished, &now
	}
	return nil
}

// Translate adds a translation of a statement, or replaces the one in that
// language. If the statement has federated, followers get an Update whose
// contentMap carries the new language.
func (s *Service) Translate(ctx context.Context, id string, d *content.Draft) (*storage.Statement, error) {
	st, err := s.editable(ctx, id)
	if err != nil {
		return nil, err
	}
	lang, err := content.NormalizeLanguage(d.Language)
	if err != nil {
		return nil, languageRefusal(d.Language, err)
	}
	if lang == st.Language {
		return nil, reject("%s is the statement's own language: change it with 'tadamun statement edit'", lang)
	}
	if d.Title == "" {
		return nil, reject("a translation needs a title")
	}
	if err := checkBody("the translation's text", d.Body); err != nil {
		return nil, err
	}
	body, err := content.RenderMarkdown(d.Body)
	if err != nil {
		return nil, err
	}
	tr := storage.Translation{Language: lang, Title: d.Title, Summary: d.Summary, BodyMarkdown: d.Body,
		BodyHTML: s.linkHashtags(st, body), ContentWarning: d.ContentWarning}
	replaced := false
	for i := range st.Translations {
		if st.Translations[i].Language == lang {
			st.Translations[i], replaced = tr, true
		}
	}
	if !replaced {
		st.Translations = append(st.Translations, tr)
	}
	return st, s.saveEdit(ctx, st, nil, nil)
}

// editable loads a statement that may be changed.
func (s *Service) editable(ctx context.Context, id string) (*storage.Statement, error) {
	st, err := s.store.StatementByID(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && st.State == storage.StateDeleted) {
		return nil, invalid("no statement %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("federation: %w", err)
	}
	return st, nil
}

// sameImages reports whether the images read for an edit are the ones the
// statement has: same files, same order, same descriptions.
func (s *Service) sameImages(ctx context.Context, st *storage.Statement, imgs []pendingImage) bool {
	if len(imgs) != len(st.Media) {
		return false
	}
	for i, m := range st.Media {
		if imgs[i].alt != m.AltText || imgs[i].mediaType != m.MediaType {
			return false
		}
		old, err := s.readMedia(ctx, m.Path)
		// The same bytes as stored, given back (a kept image), or
		// re-encoded to the same bytes.
		if err != nil || (sha256.Sum256(old) != imgs[i].source && !bytes.Equal(old, imgs[i].data)) {
			return false
		}
	}
	return true
}

// saveEdit stores a changed statement, with its new images when imgs is not
// nil, and federates it in the same transaction: the Create of a statement
// that has become due (a draft published by this edit), or an Update of a
// federated one if what followers see has changed. extra are inboxes that
// get it besides the followers.
func (s *Service) saveEdit(ctx context.Context, st *storage.Statement, imgs *[]pendingImage, extra []string) error {
	replaceMedia := imgs != nil && !s.sameImages(ctx, st, *imgs)
	var oldPaths []string
	var written []storage.Media
	sent := ""
	err := s.store.Tx(ctx, func(tx *storage.Store) error {
		wasFederated := st.FederatedAt != nil
		if err := tx.UpdateStatement(ctx, st); err != nil {
			return err
		}
		if replaceMedia {
			var err error
			if oldPaths, err = tx.DeleteMediaOf(ctx, st.ID); err != nil {
				return err
			}
			// New names beside the old files, which stay until the
			// edit commits.
			if written, err = s.putImages(ctx, st, *imgs, "e"+strings.ToLower(storage.NewID()[20:])+"-"); err != nil {
				return err
			}
			if err := tx.AddMedia(ctx, written); err != nil {
				return err
			}
			st.Media = written
		}
		a, err := tx.ActorByID(ctx, st.ActorID)
		if err != nil {
			return err
		}
		now := s.clock()
		if err := s.checkFits(st, a, now); err != nil {
			return err
		}
		if !wasFederated {
			// Due now (a draft published by this edit, a scheduled statement
			// whose time has come): its Create, claimed so that it goes out
			// once. A draft, or a time still ahead, sends nothing.
			if err := s.federateCreate(ctx, tx, st, a, now, append(extra, mentionInboxes(st.Mentions)...)...); err != nil {
				return err
			}
			if st.FederatedAt != nil {
				sent = "Create"
			}
			return nil
		}
		hash, err := s.federatedHash(st, a)
		if err != nil || hash == st.FederatedHash {
			return err
		}
		st.EditedAt = &now
		counts, err := tx.InteractionCounts(ctx, st.ID)
		if err != nil {
			return err
		}
		actID := storage.NewID()
		body, err := s.updateDoc(st, a, s.iri.Activity(a.Username, actID), now, counts.Replies)
		if err != nil {
			return err
		}
		act := &storage.Activity{ID: actID, IRI: s.iri.Activity(a.Username, actID), Direction: storage.Outbound,
			Type: "Update", ActorIRI: s.iri.Actor(a.Username), ObjectIRI: s.iri.Statement(a.Username, st.ID),
			LocalActorID: a.ID, StatementID: st.ID, Body: body}
		interactors, err := tx.InteractorInboxes(ctx, st.ID)
		if err != nil {
			return err
		}
		if err := s.sendToFollowers(ctx, tx, act, a, union(append(interactors, extra...), mentionInboxes(st.Mentions))); err != nil {
			return err
		}
		sent = "Update"
		return tx.SetFederatedHash(ctx, st.ID, hash, &now)
	})
	if err != nil {
		s.removeFiles(written) // rolled back: the new files go, the old stay
		return fmt.Errorf("federation: edit: %w", err)
	}
	for _, p := range oldPaths {
		s.removeFile(p)
	}
	if sent != "" {
		s.wake()
	}
	s.log.InfoContext(ctx, "statement edited", "id", st.ID, "state", st.State, "sent", sent)
	return nil
}

// removeFiles deletes the files of media rows that were not kept.
func (s *Service) removeFiles(ms []storage.Media) {
	for _, m := range ms {
		s.removeFile(m.Path)
	}
}

// removeFile deletes one media file, given by its key in the media store.
func (s *Service) removeFile(rel string) {
	if s.media == nil || rel == "" {
		return
	}
	ctx, cancel := mediaCtx()
	defer cancel()
	if err := s.media.Delete(ctx, rel); err != nil {
		s.log.Warn("remove media file", "path", rel, "err", err)
	}
}
