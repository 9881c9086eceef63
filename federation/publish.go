package federation

import (
	"context"
	"errors"
	"fmt"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
)

// Publish stores a statement written by an editor for the actor username.
// With no publish time it is published now; a future time schedules it (it
// stays invisible, and unfederated, until then); Draft keeps it unpublished.
func (s *Service) Publish(ctx context.Context, username string, d *content.Draft) (*storage.Statement, error) {
	actor, err := s.store.ActorByUsername(ctx, username)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, invalid("no actor %q: create it with 'tadamun actor create %s --name ...'", username, username)
	}
	if err != nil {
		return nil, fmt.Errorf("federation: publish: %w", err)
	}
	if d.Title == "" {
		return nil, invalid("a statement needs a title")
	}
	lang, err := content.NormalizeLanguage(d.Language)
	if err != nil {
		return nil, invalid("%v", err)
	}
	body, err := content.RenderMarkdown(d.Body)
	if err != nil {
		return nil, err
	}
	st := &storage.Statement{
		ActorID: actor.ID, Language: lang, Title: d.Title, Summary: d.Summary, BodyMarkdown: d.Body, BodyHTML: body,
		ContentWarning: d.ContentWarning, ObjectType: d.ObjectType, Pinned: d.Pinned, RepliesEnabled: d.RepliesEnabled,
		Slug: d.Slug,
	}
	if st.Slug == "" {
		st.Slug = content.Slugify(d.Title)
	}
	seen := map[string]bool{}
	for _, t := range d.Tags {
		name := content.NormalizeTag(t)
		if name == "" {
			return nil, invalid("tag %q: a hashtag is letters, digits and _ only", t)
		}
		if !seen[name] {
			seen[name] = true
			st.Tags = append(st.Tags, storage.Tag{Name: name, Display: t})
		}
	}
	now := s.now().UTC()
	switch {
	case d.Draft:
		st.State = storage.StateDraft
		st.PublishedAt = d.PublishAt
	case d.PublishAt != nil && d.PublishAt.After(now):
		st.State = storage.StateScheduled
		st.PublishedAt = d.PublishAt
	default:
		st.State = storage.StatePublished
		st.PublishedAt = &now
		if d.PublishAt != nil { // a past time back-dates the statement, e.g. when importing an archive
			st.PublishedAt = d.PublishAt
		}
	}
	if err := s.store.CreateStatement(ctx, st); err != nil {
		return nil, fmt.Errorf("federation: publish: %w", err)
	}
	st.ActorUsername = actor.Username
	s.log.InfoContext(ctx, "statement stored", "actor", username, "id", st.ID, "slug", st.Slug, "state", st.State)
	return st, nil
}

// DeleteStatement deletes a statement: its addresses answer 410 Gone from now on.
func (s *Service) DeleteStatement(ctx context.Context, id string) (*storage.Statement, error) {
	st, err := s.store.DeleteStatement(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, invalid("no statement %s (or it is already deleted)", id)
	}
	if err != nil {
		return nil, fmt.Errorf("federation: delete statement: %w", err)
	}
	s.log.InfoContext(ctx, "statement deleted", "id", id)
	return st, nil
}

// StatementURL is the web address of a statement.
func (s *Service) StatementURL(st *storage.Statement) string {
	return s.iri.StatementPage(st.ActorUsername, st.Slug, "")
}
