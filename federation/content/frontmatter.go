package content

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Draft is a statement as an editor wrote it, before it is stored.
type Draft struct {
	Title          string
	Language       string // canonical BCP 47
	Summary        string
	Slug           string // empty: made from the title
	Tags           []string
	ContentWarning string
	ObjectType     string     // "", Note or Article
	PublishAt      *time.Time // nil: now
	Draft          bool       // keep unpublished
	Pinned         bool
	RepliesEnabled bool
	InReplyTo      string // URL of a post this statement answers
	Images         []Image
	Body           string // Markdown
}

// Image is a picture attached to a statement. File is as written in the
// front matter: relative to the statement file's folder, or absolute.
type Image struct {
	File string `yaml:"file"`
	Alt  string `yaml:"alt"`
}

// frontMatter is the YAML header of a statement file. Unknown keys are
// refused, so a typo ("titel") is an error rather than a silent omission.
type frontMatter struct {
	Title          string   `yaml:"title"`
	Language       string   `yaml:"language"`
	Lang           string   `yaml:"lang"`
	Summary        string   `yaml:"summary"`
	Slug           string   `yaml:"slug"`
	Tags           []string `yaml:"tags"`
	ContentWarning string   `yaml:"content_warning"`
	Type           string   `yaml:"type"`
	Publish        string   `yaml:"publish"`
	Draft          bool     `yaml:"draft"`
	Pinned         bool     `yaml:"pinned"`
	Replies        *bool    `yaml:"replies"`
	InReplyTo      string   `yaml:"in_reply_to"`
	Images         []Image  `yaml:"images"`
}

// MaxImages is how many images a statement may carry (Mastodon shows four).
const MaxImages = 4

// MaxTitleLength is the longest title accepted, in characters.
const MaxTitleLength = 300

// ParseStatementFile reads a Markdown file that starts with YAML front matter
// between two "---" lines:
//
//	---
//	title: We Stand Together With Iraqi Civil Society Activists!
//	language: en
//	summary: ICSSI's 2015 statement of solidarity.
//	tags: [Iraq, solidarity, تضامن]
//	publish: 2026-12-01T09:00:00Z   # optional; a future time schedules it
//	---
//	The body, in Markdown.
//
// Every error names the problem and how to fix it.
func ParseStatementFile(src []byte) (*Draft, error) {
	if !utf8.Valid(src) {
		return nil, errors.New("the file is not UTF-8 text")
	}
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	if !strings.HasPrefix(text, "---\n") {
		return nil, errors.New(`no front matter: start the file with a line "---", then "title: ..." and "language: ...", then "---"`)
	}
	head, body, ok := strings.Cut(text[4:], "\n---")
	if !ok {
		return nil, errors.New(`front matter is not closed: add a line "---" after it`)
	}
	// The closing line is "---" alone; what follows it on that line is an error.
	rest, after, _ := strings.Cut(body, "\n")
	if strings.TrimSpace(rest) != "" {
		return nil, errors.New(`front matter must be closed by a line holding only "---"`)
	}
	var fm frontMatter
	dec := yaml.NewDecoder(strings.NewReader(head))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil && !errors.Is(err, io.EOF) /* an empty header */ {
		return nil, fmt.Errorf("front matter: %s", yamlMessage(err))
	}
	d := &Draft{
		Title:          strings.TrimSpace(fm.Title),
		Summary:        strings.TrimSpace(fm.Summary),
		Slug:           strings.TrimSpace(fm.Slug),
		ContentWarning: strings.TrimSpace(fm.ContentWarning),
		ObjectType:     fm.Type,
		Draft:          fm.Draft,
		Pinned:         fm.Pinned,
		RepliesEnabled: fm.Replies == nil || *fm.Replies,
		InReplyTo:      strings.TrimSpace(fm.InReplyTo),
		Body:           strings.TrimSpace(after),
	}
	if d.Title == "" {
		return nil, errors.New(`front matter has no title: add a line "title: ..."`)
	}
	if utf8.RuneCountInString(d.Title) > MaxTitleLength {
		return nil, fmt.Errorf("title is longer than %d characters", MaxTitleLength)
	}
	lang := fm.Language
	if lang == "" {
		lang = fm.Lang
	}
	if lang == "" {
		return nil, errors.New(`front matter has no language: add a line such as "language: en" or "language: ar"`)
	}
	var err error
	if d.Language, err = NormalizeLanguage(lang); err != nil {
		return nil, err
	}
	switch d.ObjectType {
	case "", "Note", "Article":
	default:
		return nil, fmt.Errorf("type %q: use Note or Article", d.ObjectType)
	}
	if d.Slug != "" && Slugify(d.Slug) != d.Slug {
		return nil, fmt.Errorf("slug %q: use lower-case letters, digits and single hyphens, e.g. %q", d.Slug, Slugify(d.Slug))
	}
	for _, t := range fm.Tags {
		if NormalizeTag(t) == "" {
			return nil, fmt.Errorf("tag %q: a hashtag is letters, digits and _ only", t)
		}
		d.Tags = append(d.Tags, strings.TrimPrefix(strings.TrimSpace(t), "#"))
	}
	for _, im := range fm.Images {
		if strings.TrimSpace(im.File) == "" {
			return nil, errors.New(`images: every image needs "file: ..."`)
		}
		if strings.TrimSpace(im.Alt) == "" {
			return nil, fmt.Errorf(`image %s has no alt text: add "alt: ..." describing it for people who cannot see it`, im.File)
		}
		d.Images = append(d.Images, Image{File: strings.TrimSpace(im.File), Alt: strings.TrimSpace(im.Alt)})
	}
	if len(d.Images) > MaxImages {
		return nil, fmt.Errorf("at most %d images per statement", MaxImages)
	}
	if d.InReplyTo != "" && !strings.HasPrefix(d.InReplyTo, "https://") && !strings.HasPrefix(d.InReplyTo, "http://") {
		return nil, fmt.Errorf("in_reply_to %q: give the URL of the post", d.InReplyTo)
	}
	if fm.Publish != "" {
		t, err := ParseTime(fm.Publish)
		if err != nil {
			return nil, fmt.Errorf("publish: %w", err)
		}
		d.PublishAt = &t
	}
	return d, nil
}

// ParseTime accepts RFC 3339 ("2026-12-01T09:00:00Z", "2026-12-01T12:00:00+03:00"),
// or a date and time without zone, read as UTC ("2026-12-01 09:00"), or a date.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use e.g. 2026-12-01T09:00:00Z", s)
}

func yamlMessage(err error) string {
	msg := err.Error()
	return strings.TrimPrefix(strings.ReplaceAll(msg, "\n", "; "), "yaml: ")
}
