package federation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/imaging"
	"github.com/tadamun/tadamun/federation/mediastore"
	"github.com/tadamun/tadamun/storage"
)

// Partner media.
//
// The images attached to a partner's post are copied here rather than
// hot-linked: each is fetched once, through the node's guarded transport
// (private addresses refused, size capped, timed out), re-encoded by
// imaging.Process (metadata stripped, at most imaging.MaxSide pixels, a
// blurhash made), and kept in the media store (a directory or an S3 bucket,
// mediastore) in PartnerMediaFolder.
// Readers' browsers then never contact the partner's server, so their
// addresses are not exposed to it; the pictures carry nothing but pixels;
// and the partners page works while the partner is offline.
//
// Only images are copied, at most MaxPartnerImages a post and
// MaxPartnerImageBytes each. Video, audio and images that fail to fetch or
// decode are not copied: their address, type and alt text are kept, and the
// site links to the original post for them. The whole folder is bounded in
// bytes (DefaultPartnerMediaBytes; the oldest copies go first, their posts
// keep the link), and SweepPartnerMedia removes copies no post names any
// more and keeps at most PartnerPostsKept posts of each partner.
const (
	// PartnerMediaFolder is the folder of partner media under the media
	// directory. Statement folders are named by id and can never be this.
	PartnerMediaFolder = "partners"
	// MaxPartnerImages is how many images of one post are copied.
	MaxPartnerImages = 4
	// MaxPartnerImageBytes caps one fetched image.
	MaxPartnerImageBytes = 8 << 20
	// DefaultPartnerMediaBytes bounds the whole folder of copies.
	DefaultPartnerMediaBytes = 512 << 20
	// PartnerPostsKept is how many posts of each partner are kept; older
	// ones are deleted by SweepPartnerMedia, with their copies.
	PartnerPostsKept = 1000

	// maxPartnerAttachments is how many attachments of a post are kept
	// (copied or linked). Mastodon allows 4, Misskey 16.
	maxPartnerAttachments = 16
	// maxAltRunes bounds an alt text (Mastodon allows 1,500 characters).
	maxAltRunes = 1500
	// partnerMediaGrace is how old a file no post names must be before the
	// sweep removes it: a copy is written before its post is stored.
	partnerMediaGrace = time.Hour
)

// partnerAttachments reads the attachments of a partner's post object (its
// "attachment") and copies its images locally, reusing the copies an
// earlier version of the same post already has. A failure to copy is logged
// and leaves that attachment linked, never fails the post.
func (s *Service) partnerAttachments(ctx context.Context, obj map[string]any) []storage.RemoteAttachment {
	list := parseAttachments(obj)
	if len(list) == 0 {
		return nil
	}
	old := map[string]storage.RemoteAttachment{}
	if id, _ := obj["id"].(string); id != "" {
		if o, err := s.store.RemoteObjectByIRI(ctx, id); err == nil {
			for _, a := range o.Attachments {
				if a.LocalPath != "" {
					old[a.URL] = a
				}
			}
		}
	}
	copied, fresh := 0, 0
	for i := range list {
		a := &list[i]
		if copied == MaxPartnerImages {
			break
		}
		if !isImage(a.MediaType) {
			continue
		}
		if prev, ok := old[a.URL]; ok && s.partnerFileExists(ctx, prev.LocalPath) {
			a.LocalPath, a.Width, a.Height, a.Blurhash, a.MediaType = prev.LocalPath, prev.Width, prev.Height, prev.Blurhash, prev.MediaType
			copied++
			continue
		}
		path, img, err := s.copyPartnerImage(ctx, a.URL)
		if err != nil {
			s.log.DebugContext(ctx, "partner media: image not copied, linked", "url", a.URL, "err", err)
			continue
		}
		// The type is now our copy's (a WebP is re-encoded as JPEG or PNG).
		a.LocalPath, a.Width, a.Height, a.Blurhash, a.MediaType = path, img.Width, img.Height, img.Blurhash, img.MediaType
		copied++
		fresh++
	}
	for i := range list {
		if list[i].MediaType == "image/*" {
			list[i].MediaType = "" // not copied: its type is still unknown
		}
	}
	if fresh > 0 {
		s.boundPartnerMedia(ctx, DefaultPartnerMediaBytes)
	}
	return list
}

// parseAttachments reads "attachment" in the shapes servers send: one
// object or a list; each a Document/Image/Video/Audio with "url" as a
// string, a Link object or a list of Links (the first image wins, else the
// first link), or a bare Link with "href", or a bare URL. mediaType, name
// (the alt text), width, height and blurhash are kept; focalPoint and the
// rest are ignored. Attachments without a usable http(s) URL are dropped.
func parseAttachments(obj map[string]any) []storage.RemoteAttachment {
	var items []any
	switch v := obj["attachment"].(type) {
	case []any:
		items = v
	case nil:
		return nil
	default:
		items = []any{v}
	}
	var out []storage.RemoteAttachment
	for _, it := range items {
		if len(out) == maxPartnerAttachments {
			break
		}
		var a storage.RemoteAttachment
		switch v := it.(type) {
		case string:
			a.URL = link(v)
		case map[string]any:
			typ := stringOf(v["type"])
			a.MediaType = cleanMediaType(stringOf(v["mediaType"]))
			if typ == "Link" {
				a.URL = link(stringOf(v["href"]))
			} else {
				href, mt := attachmentURL(v["url"])
				a.URL = link(href)
				if a.MediaType == "" {
					a.MediaType = mt
				}
			}
			if a.MediaType == "" && typ == "Image" {
				a.MediaType = "image/*" // an Image without its type: we sniff it
			}
			a.Alt = cleanAlt(stringOf(v["name"]))
			a.Width, a.Height = dimension(v["width"]), dimension(v["height"])
			a.Blurhash = cleanBlurhash(stringOf(v["blurhash"]))
		}
		if a.URL == "" {
			continue
		}
		out = append(out, a)
	}
	return out
}

// attachmentURL picks the address of an attachment's "url": a string, a
// Link ({"href", "mediaType"}) or a list of those, where the first image
// wins over other links (PeerTube and Pleroma list several).
func attachmentURL(v any) (href, mediaType string) {
	switch x := v.(type) {
	case string:
		return x, ""
	case map[string]any:
		h := stringOf(x["href"])
		if h == "" {
			h, _ = x["id"].(string)
		}
		return h, cleanMediaType(stringOf(x["mediaType"]))
	case []any:
		for i, e := range x {
			if i == maxPartnerAttachments {
				break
			}
			if h, mt := attachmentURL(e); validIRI(h) && isImage(mt) {
				return h, mt
			}
		}
		for i, e := range x {
			if i == maxPartnerAttachments {
				break
			}
			if h, mt := attachmentURL(e); validIRI(h) {
				return h, mt
			}
		}
	}
	return "", ""
}

// isImage reports whether an attachment's type says it is a picture we
// may copy.
func isImage(mediaType string) bool { return strings.HasPrefix(mediaType, "image/") }

// cleanMediaType keeps "type/subtype" in lower case, or gives "".
func cleanMediaType(mt string) string {
	mt = strings.ToLower(strings.TrimSpace(mt))
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = strings.TrimSpace(mt[:i])
	}
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || typ == "" || sub == "" || len(mt) > 100 || strings.ContainsAny(mt, " \"<>\\") {
		return ""
	}
	return mt
}

// cleanAlt makes an alt text plain and bounded.
func cleanAlt(s string) string {
	s = strings.TrimSpace(content.PlainText(s))
	if utf8.RuneCountInString(s) > maxAltRunes {
		s = truncateRunes(s, maxAltRunes)
	}
	return s
}

// cleanBlurhash keeps a blurhash only if it is made of its base-83 digits
// and of a plausible length.
func cleanBlurhash(s string) string {
	if len(s) < 6 || len(s) > 100 {
		return ""
	}
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(digits, s[i]) < 0 {
			return ""
		}
	}
	return s
}

// dimension reads a width or height: a positive whole number of sane size.
func dimension(v any) int {
	f, ok := v.(float64)
	if !ok || f <= 0 || f > 100000 || math.IsNaN(f) {
		return 0
	}
	return int(f)
}

// partnerKey is the media key of a local copy, or "" if path is not one.
func partnerKey(path string) string {
	dir, name, ok := strings.Cut(path, "/")
	if !ok || dir != PartnerMediaFolder || name == "" || strings.ContainsAny(name, `/\`) || name[0] == '.' ||
		!mediastore.ValidKey(path) {
		return ""
	}
	return path
}

func (s *Service) partnerFileExists(ctx context.Context, path string) bool {
	key := partnerKey(path)
	if s.media == nil || key == "" {
		return false
	}
	if _, err := s.media.Stat(ctx, key); err != nil {
		return false
	}
	// The copy is wanted again: it is now among the newest, last to be
	// evicted.
	if err := mediastore.Touch(ctx, s.media, key); err != nil {
		s.log.DebugContext(ctx, "partner media: touch", "path", key, "err", err)
	}
	return true
}

// copyPartnerImage fetches an image, re-encodes it and stores the result.
// The file is named after the image's address, so a picture shared by
// several posts (or versions of one) is stored once.
func (s *Service) copyPartnerImage(ctx context.Context, rawURL string) (string, *imaging.Image, error) {
	if s.media == nil {
		return "", nil, errNoMedia
	}
	if s.iri.Local(rawURL) {
		return "", nil, errors.New("one of our own files")
	}
	if shut, err := s.domainRefused(ctx, rawURL); err != nil || shut {
		return "", nil, errors.Join(err, errors.New("its domain is blocked, or not allowed"))
	}
	release, err := s.fetches.acquire(ctx, domainOf(rawURL), fetchSlotWait)
	if err != nil {
		return "", nil, err
	}
	signer, err := s.instanceSigner(ctx)
	if err != nil {
		release()
		return "", nil, err
	}
	m, err := s.client.FetchMedia(ctx, rawURL, "image/*", MaxPartnerImageBytes, signer)
	release()
	if err != nil {
		return "", nil, err
	}
	img, err := imaging.Process(bytes.NewReader(m.Body), MaxPartnerImageBytes)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256([]byte(rawURL))
	name := hex.EncodeToString(sum[:16]) + imageTypes[img.MediaType]
	key := PartnerMediaFolder + "/" + name
	if err := s.media.Put(ctx, key, bytes.NewReader(img.Data), int64(len(img.Data)), img.MediaType); err != nil {
		return "", nil, fmt.Errorf("federation: partner media: %w", err)
	}
	return key, img, nil
}

// SweepPartnerMedia keeps the partners' posts and their copies within
// bounds: it deletes the posts of each partner beyond the newest
// PartnerPostsKept and those of accounts we no longer follow (but not
// those we relay), removes the copies no post
// names any more (after deletes and unfollows), and evicts the oldest
// copies while the folder holds more than DefaultPartnerMediaBytes (their
// posts keep linking to the original).
func (s *Service) SweepPartnerMedia(ctx context.Context) error {
	return s.sweepPartnerMedia(ctx, DefaultPartnerMediaBytes, PartnerPostsKept)
}

type partnerCopy struct {
	path string // relative to the media directory
	size int64
	mod  time.Time
}

func (s *Service) sweepPartnerMedia(ctx context.Context, maxBytes int64, keepPosts int) error {
	ms := s.store
	pruned, err := ms.PrunePartnerPosts(ctx, keepPosts)
	if err != nil {
		return fmt.Errorf("federation: sweep partner media: %w", err)
	}
	if s.media == nil {
		return nil
	}
	wanted, err := ms.PartnerMediaPaths(ctx)
	if err != nil {
		return fmt.Errorf("federation: sweep partner media: %w", err)
	}
	files, err := s.partnerCopies(ctx)
	if err != nil {
		return fmt.Errorf("federation: sweep partner media: %w", err)
	}
	now := s.now()
	var kept []partnerCopy
	removed := 0
	for _, f := range files {
		if wanted[f.path] == 0 && now.Sub(f.mod) >= partnerMediaGrace {
			if err := s.media.Delete(ctx, f.path); err != nil {
				return fmt.Errorf("federation: sweep partner media: %w", err)
			}
			removed++
			continue
		}
		kept = append(kept, f)
	}
	evicted, err := s.evictPartnerMedia(ctx, ms, kept, maxBytes)
	if err != nil {
		return err
	}
	if pruned > 0 || removed > 0 || evicted > 0 {
		s.log.InfoContext(ctx, "partner media swept", "posts_pruned", pruned, "files_removed", removed, "files_evicted", evicted)
	}
	return nil
}

// partnerCopies lists the files of the partner media folder, oldest first.
func (s *Service) partnerCopies(ctx context.Context) ([]partnerCopy, error) {
	var out []partnerCopy
	err := s.media.Walk(ctx, PartnerMediaFolder, func(i mediastore.Info) error {
		out = append(out, partnerCopy{path: i.Key, size: i.Size, mod: i.ModTime})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].mod.Equal(out[j].mod) {
			return out[i].mod.Before(out[j].mod)
		}
		return out[i].path < out[j].path
	})
	return out, nil
}

// evictPartnerMedia removes the oldest of files (oldest first) while they
// hold more than maxBytes, first clearing the posts' references to each so
// that no post names a missing file.
func (s *Service) evictPartnerMedia(ctx context.Context, ms Store, files []partnerCopy, maxBytes int64) (int, error) {
	var total int64
	for _, f := range files {
		total += f.size
	}
	n := 0
	for _, f := range files {
		if total <= maxBytes {
			break
		}
		if _, err := ms.ClearPartnerMediaPath(ctx, f.path); err != nil {
			return n, fmt.Errorf("federation: evict partner media: %w", err)
		}
		if err := s.media.Delete(ctx, f.path); err != nil {
			return n, fmt.Errorf("federation: evict partner media: %w", err)
		}
		total -= f.size
		n++
	}
	return n, nil
}

// boundPartnerMedia evicts the oldest copies if the folder is over its
// bound; called after new copies are written, so the bound holds between
// sweeps.
func (s *Service) boundPartnerMedia(ctx context.Context, maxBytes int64) {
	files, err := s.partnerCopies(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "partner media: list copies", "err", err)
		return
	}
	if _, err := s.evictPartnerMedia(ctx, s.store, files, maxBytes); err != nil {
		s.log.WarnContext(ctx, "partner media: evict", "err", err)
	}
}

// domainRefused reports whether the domain of rawURL is one we do not fetch
// from: blocked, or not allowed in the allow-list mode. A partner's
// pictures may be on another domain than the partner (a CDN).
func (s *Service) domainRefused(ctx context.Context, rawURL string) (bool, error) {
	policy, err := s.store.DomainPolicy(ctx, domainOf(rawURL))
	if err != nil {
		return false, fmt.Errorf("federation: %w", err)
	}
	mode, err := s.FederationMode(ctx)
	if err != nil {
		return false, err
	}
	return refused(policy, mode), nil
}
