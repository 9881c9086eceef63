package admin

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// statementsPerPage is the length of a page of the statement list;
// maxStatementPage bounds the page number asked for.
const (
	statementsPerPage = 20
	maxStatementPage  = 10_000
)

// statementStates are the states the list filters by, in the order shown.
var statementStates = []string{storage.StateDraft, storage.StateScheduled, storage.StatePublished, storage.StateDeleted}

// registerWriting puts the writing pages (statements: list, compose, edit,
// translate, preview, delete) on the signed-in group u.
func (h *Handler) registerWriting(u *echo.Group) {
	u.GET(iri.AdminStatements, h.statementList)
	u.GET(iri.AdminCompose, h.composeForm)
	u.POST(iri.AdminStatements, h.createStatement)
	u.POST(iri.AdminPreview, h.preview)
	u.GET(iri.AdminStatements+"/:id", h.editForm)
	u.POST(iri.AdminStatements+"/:id", h.editStatement)
	u.POST(iri.AdminStatements+"/:id/translations", h.translateStatement)
	u.GET(iri.AdminStatements+"/:id/delete", h.deleteForm)
	u.POST(iri.AdminStatements+"/:id/delete", h.deleteStatement)
}

// UploadLimit is the body limit of the admin routes that take uploads
// (routePath as echo names it: c.Path()), 0 for every other route (the
// node's BodyLimit applies): room for the route's images at
// federation.MaxImageBytes each, and the text.
func UploadLimit(routePath string) int64 {
	switch routePath {
	case iri.AdminPrefix + iri.AdminStatements, iri.AdminPrefix + iri.AdminStatements + "/:id":
		return content.MaxImages*federation.MaxImageBytes + 1<<20
	case iri.AdminPrefix + iri.AdminActors + ":username" + iri.AdminProfile: // avatar and header (profile.go)
		return 2*federation.MaxImageBytes + 1<<20
	}
	return 0
}

// statementListData is the statement list page's content.
type statementListData struct {
	Actors     []*storage.Actor
	States     []string
	Actor      string // the filters as asked
	Language   string
	State      string
	Statements []*storage.Statement
	Total      int
	Page       int
	Prev, Next string // links to the neighbouring pages, "" at the ends
}

// statementList lists the statements of the actors the user works on, in
// every state, filtered by actor, language and state, a page at a time.
func (h *Handler) statementList(c echo.Context) error {
	actors, err := h.actorsFor(c)
	if err != nil {
		return err
	}
	d := statementListData{Actors: actors, States: statementStates, Page: 1,
		Actor: c.QueryParam("actor"), Language: c.QueryParam("lang"), State: c.QueryParam("state")}
	q := storage.AdminStatementQuery{Limit: statementsPerPage}
	if d.Actor != "" {
		a, err := h.actorFor(c, d.Actor)
		if err != nil {
			return err
		}
		q.ActorIDs = []string{a.ID}
	} else {
		for _, a := range actors {
			q.ActorIDs = append(q.ActorIDs, a.ID)
		}
	}
	if d.State != "" && !slices.Contains(statementStates, d.State) {
		return echo.NewHTTPError(http.StatusBadRequest, "Unknown state: choose draft, scheduled, published or deleted.")
	}
	q.State = d.State
	if d.Language != "" {
		lang, err := content.NormalizeLanguage(d.Language)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "Unknown language: use a code such as ar or en.")
		}
		d.Language, q.Language = lang, lang
	}
	if p := c.QueryParam("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > maxStatementPage {
			return echo.NewHTTPError(http.StatusBadRequest, "The page number is out of range.")
		}
		d.Page = n
	}
	q.Offset = (d.Page - 1) * statementsPerPage
	d.Statements, d.Total, err = h.store.ListAdminStatements(c.Request().Context(), q)
	if err != nil {
		return fmt.Errorf("admin: statements: %w", err)
	}
	link := func(page int) string {
		v := url.Values{}
		for k, s := range map[string]string{"actor": d.Actor, "lang": d.Language, "state": d.State} {
			if s != "" {
				v.Set(k, s)
			}
		}
		v.Set("page", strconv.Itoa(page))
		return iri.AdminPrefix + iri.AdminStatements + "?" + v.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(d.Page - 1)
	}
	if d.Page*statementsPerPage < d.Total {
		d.Next = link(d.Page + 1)
	}
	return h.render(c, http.StatusOK, "statements", h.ui(c).T("Statements"), d)
}

// statementFor loads the statement named by the route's id if the user may
// work on its actor: 404 unknown, 403 another's.
func (h *Handler) statementFor(c echo.Context) (*storage.Statement, *storage.Actor, error) {
	id := c.Param("id")
	if !storage.ValidID(id) {
		return nil, nil, echo.NewHTTPError(http.StatusNotFound, "No such statement.")
	}
	st, err := h.store.StatementByID(c.Request().Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, echo.NewHTTPError(http.StatusNotFound, "No such statement.")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("admin: statement %s: %w", id, err)
	}
	a, err := h.actorFor(c, st.ActorUsername)
	if err != nil {
		return nil, nil, err
	}
	return st, a, nil
}

// preview renders Markdown as publishing does (content.RenderMarkdown, with
// hashtags linked) and
// answers the HTML fragment, for the compose page's live preview.
func (h *Handler) preview(c echo.Context) error {
	body := c.FormValue("body")
	if len(body) > federation.MaxBodyBytes {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The text is too long.")
	}
	html, err := content.RenderMarkdown(body)
	if err != nil {
		return fmt.Errorf("admin: preview: %w", err)
	}
	// Hashtags in the text are linked on publishing; the preview shows them so.
	html, _ = content.LinkHashtags(html, h.iri.Tag)
	return c.HTML(http.StatusOK, html)
}

// deleteForm asks to confirm a deletion.
func (h *Handler) deleteForm(c echo.Context) error {
	st, _, err := h.statementFor(c)
	if err != nil {
		return err
	}
	if st.State == storage.StateDeleted {
		return echo.NewHTTPError(http.StatusGone, "This statement is deleted.")
	}
	return h.render(c, http.StatusOK, "statement_delete", h.ui(c).T("Delete statement"), st)
}

// deleteStatement deletes a statement as 'tadamun statement delete' does:
// followers get a Delete if it had federated.
func (h *Handler) deleteStatement(c echo.Context) error {
	st, _, err := h.statementFor(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		return echo.NewHTTPError(http.StatusBadRequest, "Confirm the deletion first.")
	}
	if _, err := h.fed.DeleteStatement(c.Request().Context(), st.ID); err != nil {
		if errors.Is(err, federation.ErrInvalid) {
			return echo.NewHTTPError(http.StatusGone, "This statement is deleted.")
		}
		return err
	}
	h.log.InfoContext(c.Request().Context(), "admin statement deleted", "user", currentUser(c).Username, "id", st.ID)
	h.flash(c, "The statement is deleted.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminStatements)
}

// fieldText cleans a one-line text field: trimmed, and at most max
// characters (ok false beyond).
func fieldText(s string, max int) (string, bool) {
	s = strings.TrimSpace(s)
	return s, utf8.RuneCountInString(s) <= max && utf8.ValidString(s)
}

// splitTags reads a hashtag field: words separated by spaces or commas,
// each with or without its #.
func splitTags(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '،' || r == ' ' || r == '\n' || r == '\t' }) {
		if t := strings.TrimPrefix(f, "#"); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// safeHTML marks HTML rendered and sanitized by content.RenderMarkdown.
func safeHTML(s string) template.HTML { return template.HTML(s) } //nolint:gosec // sanitized by RenderMarkdown

// localTime writes t in zone for a datetime-local input.
func localTime(t *time.Time, zone *time.Location) string {
	if t == nil {
		return ""
	}
	return t.In(zone).Format("2006-01-02T15:04")
}
