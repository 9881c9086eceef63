package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unicode/utf8"

	"github.com/go-fed/activity/streams"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/imaging"
	"github.com/tadamun/tadamun/storage"
)

// Limits on what a profile holds, in characters (fields as Mastodon has them).
const (
	MaxDisplayNameLength = 100
	MaxSummaryLength     = 5000
	MaxFields            = 8
	MaxFieldNameLength   = 255
	MaxFieldValueLength  = 2047
)

// ProfileUpdate is a change to an actor's profile; nil fields stay as they are.
type ProfileUpdate struct {
	DisplayName *string
	Summary     *string
	Fields      []storage.Field // replaces the fields when not nil
	// Languages replaces the languages the actor publishes in when not nil.
	Languages *[]string
	// ObjectType is how its statements federate: Note or Article.
	ObjectType *string
	// ManuallyApprovesFollowers holds follow requests for an editor.
	ManuallyApprovesFollowers *bool
	AvatarFile                string // an image file to use as avatar
	HeaderFile                string // an image file to use as header
	// AvatarData and HeaderData are uploaded images (the admin interface),
	// used when the matching file is empty.
	AvatarData []byte
	HeaderData []byte
}

// UpdateProfile changes an actor's profile and stores its images under the
// media directory ("actors/<id>/avatar-<random>.png"). Everything is checked
// before anything is written: a refused image or value stores nothing.
//
// When what other servers see of the actor changes, its followers get an
// Update of the actor, in the same transaction as the change (Mastodon
// otherwise refreshes a remote profile only about once a day). Each new
// image gets a new name, so the Update points at a new address and no
// server keeps showing the old picture from its cache.
func (s *Service) UpdateProfile(ctx context.Context, username string, u ProfileUpdate) (*storage.Actor, error) {
	a, err := s.localActor(ctx, username)
	if err != nil {
		return nil, err
	}
	before, err := s.ActorDocument(a)
	if err != nil {
		return nil, err
	}
	if err := applyProfile(a, u); err != nil {
		return nil, err
	}
	type newImage struct {
		name string
		dst  *string
		img  pendingImage
	}
	var imgs []newImage
	for _, in := range []struct {
		file, name string
		data       []byte
		dst        *string
	}{{u.AvatarFile, "avatar", u.AvatarData, &a.AvatarPath}, {u.HeaderFile, "header", u.HeaderData, &a.HeaderPath}} {
		if in.file == "" && in.data == nil {
			continue
		}
		p, err := profileImage(in.name, in.file, in.data)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, newImage{in.name, in.dst, p})
	}
	if len(imgs) > 0 && s.media == nil {
		return nil, errNoMedia
	}
	var written, replaced []string
	for _, im := range imgs {
		rel := "actors/" + a.ID + "/" + im.name + "-" + strings.ToLower(storage.NewID()[20:]) + imageTypes[im.img.mediaType]
		if err := s.media.Put(ctx, rel, bytes.NewReader(im.img.data), int64(len(im.img.data)), im.img.mediaType); err != nil {
			s.removeAll(written)
			return nil, fmt.Errorf("federation: store %s: %w", im.name, err)
		}
		written = append(written, rel)
		replaced = append(replaced, *im.dst)
		*im.dst = rel
	}
	after, err := s.ActorDocument(a)
	if err != nil {
		s.removeAll(written)
		return nil, err
	}
	sent := false
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.UpdateActor(ctx, a); err != nil {
			return err
		}
		if bytes.Equal(before, after) {
			return nil
		}
		actID := storage.NewID()
		id := s.iri.Activity(a.Username, actID)
		body, err := s.actorUpdateDoc(a, id, after)
		if err != nil {
			return err
		}
		act := &storage.Activity{ID: actID, IRI: id, Direction: storage.Outbound, Type: "Update",
			ActorIRI: s.iri.Actor(a.Username), ObjectIRI: s.iri.Actor(a.Username), LocalActorID: a.ID, Body: body}
		sent = true
		return s.sendToFollowers(ctx, tx, act, a, nil)
	})
	if err != nil {
		s.removeAll(written) // rolled back: the old images stay in use
		return nil, fmt.Errorf("federation: update profile: %w", err)
	}
	for _, p := range replaced {
		s.removeFile(p)
	}
	if sent {
		s.wake()
	}
	s.log.InfoContext(ctx, "profile updated", "actor", a.Username, "update_sent", sent)
	return a, nil
}

// applyProfile checks the changes in u and makes them on a.
func applyProfile(a *storage.Actor, u ProfileUpdate) error {
	if u.DisplayName != nil {
		n := strings.TrimSpace(*u.DisplayName)
		if err := checkText("display name", n, MaxDisplayNameLength, false); err != nil {
			return err
		}
		if n == "" {
			n = a.Username
		}
		a.DisplayName = n
	}
	if u.Summary != nil {
		v := strings.TrimSpace(*u.Summary)
		if err := checkText("summary", v, MaxSummaryLength, true); err != nil {
			return err
		}
		a.Summary = v
	}
	if u.Fields != nil {
		if len(u.Fields) > MaxFields {
			return reject("at most %d profile fields", MaxFields)
		}
		fields := make([]storage.Field, 0, len(u.Fields))
		for _, f := range u.Fields {
			f.Name, f.Value = strings.TrimSpace(f.Name), strings.TrimSpace(f.Value)
			if f.Name == "" {
				return reject("a profile field needs a name")
			}
			if err := checkText("field name", f.Name, MaxFieldNameLength, false); err != nil {
				return err
			}
			if err := checkText("field value", f.Value, MaxFieldValueLength, false); err != nil {
				return err
			}
			fields = append(fields, f)
		}
		a.Fields = fields
	}
	if u.Languages != nil {
		langs := []string{}
		for _, l := range *u.Languages {
			c, err := content.NormalizeLanguage(l)
			if err != nil {
				return languageRefusal(l, err)
			}
			if !containsString(langs, c) {
				langs = append(langs, c)
			}
		}
		a.Languages = langs
	}
	if u.ObjectType != nil {
		switch *u.ObjectType {
		case "Note", "Article":
			a.ObjectType = *u.ObjectType
		default:
			return reject("object type %q: use Note or Article", *u.ObjectType)
		}
	}
	if u.ManuallyApprovesFollowers != nil {
		a.ManuallyApprovesFollowers = *u.ManuallyApprovesFollowers
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkText refuses text that is not UTF-8, too long, or holds control
// characters (newlines only where multiline).
func checkText(what, v string, max int, multiline bool) error {
	if !utf8.ValidString(v) {
		return rejectAbout(what, "the {what} is not valid UTF-8")
	}
	if utf8.RuneCountInString(v) > max {
		return rejectAbout(what, "the {what} has more than %d characters", max)
	}
	for _, r := range v {
		if (r < 0x20 && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) || r == 0x7f {
			return rejectAbout(what, "the {what} holds control characters")
		}
	}
	return nil
}

// profileImage re-encodes an avatar or header, given as a file or as
// uploaded bytes, with the same processing as a statement's images.
func profileImage(name, file string, data []byte) (pendingImage, error) {
	var p *imaging.Image
	var err error
	if file != "" {
		p, err = imaging.ProcessFile(file, MaxImageBytes)
	} else {
		p, err = imaging.Process(bytes.NewReader(data), MaxImageBytes)
	}
	switch {
	case errors.Is(err, imaging.ErrTooLarge):
		return pendingImage{}, rejectAbout(name, "the {what} image is too large (at most %d MB and %d megapixels)",
			MaxImageBytes>>20, imaging.MaxPixels/1_000_000)
	case errors.Is(err, imaging.ErrNotRegular):
		return pendingImage{}, rejectAbout(name, "the {what} image %s is not a regular file", file)
	case errors.Is(err, imaging.ErrFormat):
		return pendingImage{}, rejectAbout(name, "the {what} is not an image: use JPEG, PNG, GIF or WebP")
	case errors.Is(err, fs.ErrNotExist):
		return pendingImage{}, keepText(rejectAbout(name, "the {what} image %s does not exist", file),
			fmt.Sprintf("the %s image: %v", name, err))
	case err != nil:
		return pendingImage{}, keepText(rejectAbout(name, "the {what} image could not be read or converted"),
			fmt.Sprintf("the %s image: %v", name, err))
	}
	return pendingImage{data: p.Data, mediaType: p.MediaType, alt: name, width: p.Width, height: p.Height,
		blurhash: p.Blurhash}, nil
}

// removeAll deletes files written to the media store.
func (s *Service) removeAll(rels []string) {
	for _, r := range rels {
		s.removeFile(r)
	}
}

// actorUpdateDoc is the Update of an actor: actorDoc (its ActivityPub
// document) embedded whole, so receivers need not fetch it again. The
// actor document carries terms go-fed has no type for, so it is embedded
// as JSON rather than through a go-fed value.
func (s *Service) actorUpdateDoc(a *storage.Actor, id string, actorDoc []byte) ([]byte, error) {
	v := streams.NewActivityStreamsUpdate()
	s.publicActivity(v, id, a, s.clock())
	m, err := streams.Serialize(v)
	if err != nil {
		return nil, fmt.Errorf("federation: serialize Update: %w", err)
	}
	var obj map[string]any
	if err := json.Unmarshal(actorDoc, &obj); err != nil {
		return nil, fmt.Errorf("federation: actor document: %w", err)
	}
	delete(obj, "@context")
	m["object"] = obj
	m["@context"] = ldContext
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("federation: encode Update: %w", err)
	}
	return b, nil
}
