package admin

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// composeFields are the compose form's fields as written, to refill it.
type composeFields struct {
	Title, Summary, Body, Tags, ContentWarning, ObjectType, Language string
	When, Zone                                                       string
	Pinned, Replies                                                  bool
	Alts                                                             []string // of the statement's images
	Keep                                                             []bool
	NewAlts                                                          map[string]string // descriptions of uploads, by field name
}

// translationFields are a translation form's fields.
type translationFields struct {
	Language, Title, Summary, Body, ContentWarning string
}

// composeData is the compose and edit page's content.
type composeData struct {
	Actor     *storage.Actor
	Statement *storage.Statement // nil when composing
	Action    string             // where the form posts
	F         composeFields
	Errors    map[string]string // by field name; "form" for the whole
	Preview   template.HTML
	Slots     []int // upload slots
	T         translationFields
	TErrors   map[string]string
	Original  template.HTML // the statement's text, beside its translations
}

// upload is an image received with a form, written to a temporary file.
type upload struct {
	path, alt string
}

// composeForm is the empty compose page for an actor (?actor=username; the
// user's first actor by default).
func (h *Handler) composeForm(c echo.Context) error {
	name := c.QueryParam("actor")
	if name == "" {
		actors, err := h.actorsFor(c)
		if err != nil {
			return err
		}
		if len(actors) == 0 {
			return echo.NewHTTPError(http.StatusForbidden, "You do not work on any actor.")
		}
		name = actors[0].Username
	}
	a, err := h.actorFor(c, name)
	if err != nil {
		return err
	}
	f := composeFields{Replies: true, Zone: "UTC"}
	if len(a.Languages) > 0 {
		f.Language = a.Languages[0]
	}
	return h.renderCompose(c, http.StatusOK, &composeData{Actor: a, F: f})
}

// editForm is the edit page of a statement, with its translations side by
// side with the original.
func (h *Handler) editForm(c echo.Context) error {
	st, a, err := h.statementFor(c)
	if err != nil {
		return err
	}
	if st.State == storage.StateDeleted {
		return echo.NewHTTPError(http.StatusGone, "This statement is deleted.")
	}
	return h.renderCompose(c, http.StatusOK, &composeData{Actor: a, Statement: st, F: fieldsOf(st), Preview: safeHTML(st.BodyHTML)})
}

// fieldsOf fills the form from a stored statement.
func fieldsOf(st *storage.Statement) composeFields {
	f := composeFields{Title: st.Title, Summary: st.Summary, Body: st.BodyMarkdown, ContentWarning: st.ContentWarning,
		ObjectType: st.ObjectType, Language: st.Language, Pinned: st.Pinned, Replies: st.RepliesEnabled, Zone: "UTC"}
	var tags []string
	for _, t := range st.Tags {
		tags = append(tags, t.Display)
	}
	f.Tags = strings.Join(tags, " ")
	if st.State == storage.StateScheduled {
		f.When = localTime(st.PublishedAt, time.UTC)
	}
	for _, m := range st.Media {
		f.Alts = append(f.Alts, m.AltText)
		f.Keep = append(f.Keep, true)
	}
	return f
}

// renderCompose writes the compose or edit page.
func (h *Handler) renderCompose(c echo.Context, code int, d *composeData) error {
	d.Slots = nil
	free := content.MaxImages
	if d.Statement != nil {
		free -= len(d.Statement.Media)
	}
	for i := 0; i < free; i++ {
		d.Slots = append(d.Slots, i)
	}
	title := h.ui(c).T("New statement")
	d.Action = iri.AdminPrefix + iri.AdminStatements
	if d.Statement != nil {
		title = h.ui(c).T("Edit statement")
		d.Action = iri.AdminPrefix + iri.AdminStatements + "/" + d.Statement.ID
		d.Original = safeHTML(d.Statement.BodyHTML)
	}
	return h.render(c, code, "statement_form", title, d)
}

// createStatement publishes, schedules or saves as a draft what the compose
// form holds, through federation's Publish as 'tadamun publish' does.
func (h *Handler) createStatement(c echo.Context) error {
	a, err := h.actorFor(c, c.FormValue("actor"))
	if err != nil {
		return err
	}
	return h.saveStatement(c, &composeData{Actor: a})
}

// editStatement changes a statement through federation's Edit, as
// 'tadamun statement edit' does: an Update goes out only when what
// followers see has changed.
func (h *Handler) editStatement(c echo.Context) error {
	st, a, err := h.statementFor(c)
	if err != nil {
		return err
	}
	if st.State == storage.StateDeleted {
		return echo.NewHTTPError(http.StatusGone, "This statement is deleted.")
	}
	return h.saveStatement(c, &composeData{Actor: a, Statement: st})
}

// saveStatement reads the compose form and, unless it asks for a preview or
// holds mistakes (shown beside their fields, 400, nothing stored), hands
// the draft to federation.
func (h *Handler) saveStatement(c echo.Context, d *composeData) error {
	r := c.Request()
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The upload is too large: each image may be at most 10 MB.")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	if r.MultipartForm != nil {
		defer func() { _ = r.MultipartForm.RemoveAll() }()
	}
	action := c.FormValue("action")
	d.Errors = map[string]string{}
	draft, when := h.readDraft(c, d)
	dir, err := h.uploadDir()
	if err != nil {
		return err
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			h.log.Warn("admin: remove uploads", "dir", dir, "err", err)
		}
	}()
	imgs, err := h.readImages(c, d, dir)
	if err != nil {
		return err
	}
	draft.Images = imgs
	switch action {
	case "preview":
		html, err := content.RenderMarkdown(draft.Body)
		if err != nil {
			return fmt.Errorf("admin: preview: %w", err)
		}
		d.Preview = safeHTML(html)
		if len(imgs) > len(d.F.Alts) {
			d.Errors["form"] = h.ui(c).T("Choose the new images again when you save: a preview does not keep them.")
		}
		return h.renderCompose(c, http.StatusOK, d)
	case "draft":
		draft.Draft = true
	case "schedule":
		if when == nil {
			d.Errors["when"] = h.ui(c).T("Give the date and time to publish at.")
		} else if !when.After(h.cfg.Now()) {
			d.Errors["when"] = h.ui(c).T("This time has passed: give a time ahead, or publish now.")
		}
		draft.PublishAt = when
	case "publish":
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "Unknown action.")
	}
	if len(d.Errors) > 0 {
		return h.renderCompose(c, http.StatusBadRequest, d)
	}
	ctx := r.Context()
	var st *storage.Statement
	if d.Statement == nil {
		st, err = h.fed.Publish(ctx, d.Actor.Username, draft)
	} else {
		st, err = h.fed.Edit(ctx, d.Statement.ID, draft)
	}
	if errors.Is(err, federation.ErrInvalid) {
		d.Errors["form"] = strings.TrimPrefix(strings.TrimPrefix(err.Error(), "federation: publish: "), "federation: edit: ")
		if m, ok := refusalText(err); ok {
			d.Errors["form"] = h.ui(c).T(m.key, m.args...)
		}
		return h.renderCompose(c, http.StatusBadRequest, d)
	}
	if err != nil {
		return fmt.Errorf("admin: save statement: %w", err)
	}
	h.log.InfoContext(ctx, "admin statement saved", "user", currentUser(c).Username, "id", st.ID, "state", st.State)
	switch st.State {
	case storage.StateDraft:
		h.flash(c, "The draft is saved.")
	case storage.StateScheduled:
		h.flash(c, "The statement is scheduled.")
	default:
		h.flash(c, "The statement is published.")
	}
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminStatements+"/"+st.ID)
}

// readDraft reads the text fields into a draft, noting mistakes in
// d.Errors; it returns the publish time asked for, if any.
func (h *Handler) readDraft(c echo.Context, d *composeData) (*content.Draft, *time.Time) {
	f := &d.F
	f.Title, f.Summary, f.ContentWarning, f.Body = h.readTexts(c, "", h.ui(c).T("A statement needs a title."), d.Errors)
	f.Tags = strings.TrimSpace(c.FormValue("tags"))
	tags := splitTags(f.Tags)
	for _, t := range tags {
		if content.NormalizeTag(t) == "" {
			d.Errors["tags"] = h.ui(c).T("A hashtag is letters, digits and _ only.")
		}
	}
	f.ObjectType = c.FormValue("type")
	if f.ObjectType != "" && f.ObjectType != "Note" && f.ObjectType != "Article" {
		d.Errors["type"] = h.ui(c).T("Choose Note or Article.")
	}
	f.Language = strings.TrimSpace(c.FormValue("language"))
	lang, err := content.NormalizeLanguage(f.Language)
	if err != nil {
		d.Errors["language"] = h.ui(c).T("Unknown language: use a code such as ar or en.")
	}
	f.Pinned, f.Replies = c.FormValue("pinned") == "on", c.FormValue("replies") == "on"
	f.When, f.Zone = strings.TrimSpace(c.FormValue("when")), strings.TrimSpace(c.FormValue("zone"))
	if f.Zone == "" {
		f.Zone = "UTC"
	}
	var when *time.Time
	zone, err := time.LoadLocation(f.Zone)
	if err != nil || strings.Contains(f.Zone, "..") {
		d.Errors["zone"] = h.ui(c).T("Unknown time zone: use a name such as UTC or Asia/Baghdad.")
	} else if f.When != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", f.When, zone)
		if err != nil {
			d.Errors["when"] = h.ui(c).T("Give the time as a date and an hour.")
		} else {
			t = t.UTC()
			when = &t
		}
	}
	slug := ""
	if d.Statement != nil {
		slug = d.Statement.Slug
	}
	return &content.Draft{Title: f.Title, Language: lang, Summary: f.Summary, Slug: slug, Tags: tags,
		ContentWarning: f.ContentWarning, ObjectType: f.ObjectType, Pinned: f.Pinned, RepliesEnabled: f.Replies,
		Body: f.Body, InReplyTo: inReplyTo(d.Statement)}, when
}

// inReplyTo keeps an edited statement's reply target (the form does not
// show it).
func inReplyTo(st *storage.Statement) string {
	if st == nil {
		return ""
	}
	return st.InReplyTo
}

// uploadDir makes a folder for this request's uploads inside the local media
// folder (the node's data, on the same disk), removed when it is done. Its
// name is not a statement id, so the media route never serves it. Only the
// processed images go to the media store; with an S3 store, this folder
// holds nothing else.
func (h *Handler) uploadDir() (string, error) {
	base := filepath.Join(h.fed.MediaDir(), ".uploads")
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", fmt.Errorf("admin: upload folder: %w", err)
	}
	dir, err := os.MkdirTemp(base, "u")
	if err != nil {
		return "", fmt.Errorf("admin: upload folder: %w", err)
	}
	return dir, nil
}

// readImages gathers the statement's images: those it has and keeps (with
// their descriptions as now written, copied from the media store), then the
// uploads, each written to dir for federation to read and re-encode as it
// does the CLI's files.
// Mistakes go to d.Errors; an oversized file is a 413.
func (h *Handler) readImages(c echo.Context, d *composeData, dir string) ([]content.Image, error) {
	var out []content.Image
	if d.Statement != nil {
		d.F.Alts, d.F.Keep = nil, nil
		for i, m := range d.Statement.Media {
			n := strconv.Itoa(i)
			alt := strings.TrimSpace(c.FormValue("malt" + n))
			keep := c.FormValue("keep"+n) == "on"
			d.F.Alts, d.F.Keep = append(d.F.Alts, alt), append(d.F.Keep, keep)
			if !keep {
				continue
			}
			if alt == "" {
				d.Errors["malt"+n] = h.ui(c).T("Describe the image for people who cannot see it.")
			}
			file, err := h.stageStored(c.Request().Context(), m.Path, dir, "keep"+n)
			if err != nil {
				return nil, err
			}
			out = append(out, content.Image{File: file, Alt: alt})
		}
	}
	form := c.Request().MultipartForm
	if form == nil {
		return out, nil
	}
	for i := 0; i < content.MaxImages; i++ {
		n := strconv.Itoa(i)
		fhs := form.File["image"+n]
		if len(fhs) == 0 || fhs[0].Size == 0 {
			continue
		}
		fh := fhs[0]
		if fh.Size > federation.MaxImageBytes {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge,
				"The image is larger than 10 MB: choose a smaller one.")
		}
		alt := strings.TrimSpace(c.FormValue("alt" + n))
		if d.F.NewAlts == nil {
			d.F.NewAlts = map[string]string{}
		}
		d.F.NewAlts["alt"+n] = alt
		if alt == "" {
			d.Errors["alt"+n] = h.ui(c).T("Describe the image for people who cannot see it.")
		}
		path, err := saveUpload(fh, dir, n)
		if errors.Is(err, errNotImage) {
			d.Errors["image"+n] = h.ui(c).T("This file is not an image: use JPEG, PNG, GIF or WebP.")
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, content.Image{File: path, Alt: alt})
	}
	if len(out) > content.MaxImages {
		d.Errors["form"] = h.ui(c).T("A statement may have at most 4 images.")
	}
	return out, nil
}

var errNotImage = errors.New("not an image")

// stageStored copies a stored image of the statement from the media store
// (a directory or an S3 bucket) to dir, where federation reads the images
// of an edit as files.
func (h *Handler) stageStored(ctx context.Context, key, dir, name string) (string, error) {
	st := h.fed.Media()
	if st == nil {
		return "", errors.New("admin: no media store configured")
	}
	src, _, err := st.Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("admin: read stored image: %w", err)
	}
	defer src.Close()
	path := filepath.Join(dir, name)
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("admin: stage stored image: %w", err)
	}
	_, err = io.Copy(dst, io.LimitReader(src, federation.MaxImageBytes+1))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("admin: stage stored image: %w", err)
	}
	return path, nil
}

// saveUpload copies an uploaded file to dir after a look at its first bytes:
// what is not a picture is refused before federation decodes it.
func saveUpload(fh *multipart.FileHeader, dir, name string) (string, error) {
	src, err := fh.Open()
	if err != nil {
		return "", fmt.Errorf("admin: upload: %w", err)
	}
	defer src.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(src, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return "", fmt.Errorf("admin: upload: %w", err)
	}
	if !strings.HasPrefix(http.DetectContentType(head[:n]), "image/") {
		return "", errNotImage
	}
	path := filepath.Join(dir, "image"+name)
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("admin: upload: %w", err)
	}
	if _, err := dst.Write(head[:n]); err != nil {
		dst.Close()
		return "", fmt.Errorf("admin: upload: %w", err)
	}
	if _, err := io.Copy(dst, io.LimitReader(src, federation.MaxImageBytes)); err != nil {
		dst.Close()
		return "", fmt.Errorf("admin: upload: %w", err)
	}
	if err := dst.Close(); err != nil {
		return "", fmt.Errorf("admin: upload: %w", err)
	}
	return path, nil
}

// translateStatement adds or replaces a translation through federation's
// Translate, as 'tadamun statement translate' does.
func (h *Handler) translateStatement(c echo.Context) error {
	st, a, err := h.statementFor(c)
	if err != nil {
		return err
	}
	if st.State == storage.StateDeleted {
		return echo.NewHTTPError(http.StatusGone, "This statement is deleted.")
	}
	d := &composeData{Actor: a, Statement: st, F: fieldsOf(st), TErrors: map[string]string{}}
	t := &d.T
	t.Language = strings.TrimSpace(c.FormValue("tlang"))
	lang, err := content.NormalizeLanguage(t.Language)
	switch {
	case err != nil:
		d.TErrors["tlang"] = h.ui(c).T("Unknown language: use a code such as ar or en.")
	case lang == st.Language:
		d.TErrors["tlang"] = h.ui(c).T("This is the statement's own language: choose another.")
	}
	t.Title, t.Summary, t.ContentWarning, t.Body = h.readTexts(c, "t", h.ui(c).T("A translation needs a title."), d.TErrors)
	if len(d.TErrors) > 0 {
		return h.renderCompose(c, http.StatusBadRequest, d)
	}
	ctx := c.Request().Context()
	_, err = h.fed.Translate(ctx, st.ID, &content.Draft{Language: lang, Title: t.Title, Summary: t.Summary,
		Body: t.Body, ContentWarning: t.ContentWarning})
	if errors.Is(err, federation.ErrInvalid) {
		d.TErrors["form"] = strings.TrimPrefix(err.Error(), "federation: edit: ")
		if m, ok := refusalText(err); ok {
			d.TErrors["form"] = h.ui(c).T(m.key, m.args...)
		}
		return h.renderCompose(c, http.StatusBadRequest, d)
	}
	if err != nil {
		return fmt.Errorf("admin: translate: %w", err)
	}
	h.log.InfoContext(ctx, "admin translation saved", "user", currentUser(c).Username, "id", st.ID, "language", lang)
	h.flash(c, "The translation is saved.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminStatements+"/"+st.ID)
}

// readTexts reads the four texts of a statement or of a translation (form
// fields "title", "summary", "cw" and "body", each after prefix), noting in
// errs, under the field's name, what is wrong; noTitle is the message for a
// missing title.
func (h *Handler) readTexts(c echo.Context, prefix, noTitle string, errs map[string]string) (title, summary, cw, body string) {
	var ok bool
	if title, ok = fieldText(c.FormValue(prefix+"title"), content.MaxTitleLength); !ok {
		errs[prefix+"title"] = h.ui(c).T("The title is too long.")
	} else if title == "" {
		errs[prefix+"title"] = noTitle
	}
	if summary, ok = fieldText(c.FormValue(prefix+"summary"), 1000); !ok {
		errs[prefix+"summary"] = h.ui(c).T("The lead is too long.")
	}
	if cw, ok = fieldText(c.FormValue(prefix+"cw"), 300); !ok {
		errs[prefix+"cw"] = h.ui(c).T("The content warning is too long.")
	}
	body = strings.TrimSpace(strings.ReplaceAll(c.FormValue(prefix+"body"), "\r\n", "\n"))
	if len(body) > federation.MaxBodyBytes {
		errs[prefix+"body"] = h.ui(c).T("The text is too long.")
	}
	return title, summary, cw, body
}
