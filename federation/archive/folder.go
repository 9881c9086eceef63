package archive

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/tadamun/tadamun/federation/content"
	"golang.org/x/text/language"
)

// MaxFileBytes is the largest Markdown file read from a folder.
const MaxFileBytes = 1 << 20

// ReadFolder reads every *.md file under a folder (sub-folders included,
// hidden ones skipped) as a statement file with front matter, the format
// "tadamun publish" takes. A file that does not parse is returned with
// Skip set to the reason. Files named NAME.LANG.md (report.ar.md,
// report.en.md) in the same folder translate each other; the language in
// the name is used when the front matter gives none. Image paths are
// relative to the folder given.
func ReadFolder(fsys fs.FS) (*Archive, error) {
	a := &Archive{Format: "markdown"}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".md") || !d.Type().IsRegular() {
			return nil
		}
		if len(a.Posts) == MaxPosts {
			a.Truncated = true
			return fs.SkipAll
		}
		a.Posts = append(a.Posts, folderPost(fsys, p))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("archive: read folder: %w", err)
	}
	byDate(a.Posts)
	return a, nil
}

func folderPost(fsys fs.FS, p string) Post {
	post := Post{GUID: "file:" + p, Kind: KindPost, Status: StatusPublish, Title: p}
	base := strings.TrimSuffix(p, ".md")
	if i := strings.LastIndexByte(base, '.'); i > 0 && !strings.Contains(base[i:], "/") {
		if _, err := language.Parse(base[i+1:]); err == nil {
			post.Group, post.Language = "file:"+base[:i], base[i+1:]
		}
	}
	src, err := readCapped(fsys, p)
	if err != nil {
		post.Skip = err.Error()
		return post
	}
	d, err := content.ParseStatementFile(src)
	if err != nil && post.Language != "" && bytes.HasPrefix(src, []byte("---\n")) {
		// The name says the language the front matter does not: try again
		// with it (an explicit language in the file wins, so this parse
		// fails the same way for any other mistake).
		if d2, err2 := content.ParseStatementFile(append([]byte("---\nlanguage: "+post.Language+"\n"), src[4:]...)); err2 == nil {
			d, err = d2, nil
		}
	}
	if err != nil {
		post.Skip = err.Error()
		return post
	}
	post.Title, post.Markdown, post.Summary, post.Slug = d.Title, d.Body, d.Summary, d.Slug
	post.Language = firstNonEmpty(d.Language, post.Language)
	post.Tags = dedupe(d.Tags)
	if d.Draft {
		post.Status = StatusDraft
	}
	if d.PublishAt != nil {
		post.Date = d.PublishAt.UTC()
	}
	dir := path.Dir(p)
	for _, im := range d.Images {
		f := im.File
		if !path.IsAbs(f) && !strings.HasPrefix(f, "/") {
			f = path.Join(dir, f)
		}
		post.Images = append(post.Images, Image{File: f, Alt: im.Alt})
	}
	return post
}

func readCapped(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileBytes {
		return nil, fmt.Errorf("larger than %d bytes", MaxFileBytes)
	}
	return b, nil
}
