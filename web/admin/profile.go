package admin

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/i18n"
)

// registerProfile puts the routes of actors' profiles, of creating actors,
// of node settings and of users on the signed-in group u.
func (h *Handler) registerProfile(u *echo.Group) {
	u.GET(iri.AdminActors+":username"+iri.AdminProfile, h.profileForm)
	u.POST(iri.AdminActors+":username"+iri.AdminProfile, h.saveProfile)
	u.GET(iri.AdminNewActor, h.newActorForm, h.requireAdmin)
	u.POST(iri.AdminNewActor, h.createActor, h.requireAdmin)
	u.GET(iri.AdminSettings, h.settingsForm, h.requireAdmin)
	u.POST(iri.AdminSettings, h.saveSettings, h.requireAdmin)
	h.registerUsers(u)
}

// profileData is the profile form's content.
type profileData struct {
	Actor     *storage.Actor
	Fields    []fieldRow // the actor's, then empty rows to add more
	Languages string
	Avatar    string // the avatar's address, or ""
	Header    string
	Profile   string // the public page
	MaxMB     int
	// Error is why the form sent was refused; the form then shows what
	// was sent.
	Error string
}

// fieldRow is one profile field's row of the form, numbered from 1.
type fieldRow struct {
	N           int
	Name, Value string
}

func (h *Handler) profileForm(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "profile", h.ui(c).T("Profile"), h.profileData(a))
}

func (h *Handler) profileData(a *storage.Actor) profileData {
	d := profileData{Actor: a, Languages: strings.Join(a.Languages, ", "), Profile: h.iri.Profile(a.Username),
		MaxMB: federation.MaxImageBytes >> 20}
	for i, f := range a.Fields {
		d.Fields = append(d.Fields, fieldRow{N: i + 1, Name: f.Name, Value: f.Value})
	}
	for len(d.Fields) < federation.MaxFields && len(d.Fields) < len(a.Fields)+2 {
		d.Fields = append(d.Fields, fieldRow{N: len(d.Fields) + 1})
	}
	if a.AvatarPath != "" {
		d.Avatar = iri.MediaPath(a.AvatarPath)
	}
	if a.HeaderPath != "" {
		d.Header = iri.MediaPath(a.HeaderPath)
	}
	return d
}

// saveProfile changes an actor's profile through the federation service,
// as `tadamun actor update` does: followers get an Update of the actor when
// what they see changes. A refused value or image changes nothing, and
// the form comes back as sent, with the reason (4xx).
func (h *Handler) saveProfile(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	names, values := form["field_name"], form["field_value"]
	fields := []storage.Field{}
	for i := range min(len(names), len(values)) {
		if strings.TrimSpace(names[i]) == "" && strings.TrimSpace(values[i]) == "" {
			continue // an empty row: nothing, or a field removed
		}
		fields = append(fields, storage.Field{Name: names[i], Value: values[i]})
	}
	name, summary := form.Get("name"), form.Get("summary")
	langs := profileList(form.Get("languages"))
	objectType := form.Get("object_type")
	approve := form.Get("approve") == "on"
	u := federation.ProfileUpdate{DisplayName: &name, Summary: &summary, Fields: fields, Languages: &langs,
		ObjectType: &objectType, ManuallyApprovesFollowers: &approve}
	err = nil
	if len(names) != len(values) {
		err = echo.NewHTTPError(http.StatusBadRequest, "Each profile field needs a name and a value.")
	}
	if err == nil {
		u.AvatarData, err = profileUpload(c, "avatar")
	}
	if err == nil {
		u.HeaderData, err = profileUpload(c, "header")
	}
	if err == nil {
		_, err = h.fed.UpdateProfile(c.Request().Context(), a.Username, u)
		err = profileRefusal(err)
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code < 500 {
		// The form as sent, on a copy: nothing of it was stored.
		sent := *a
		sent.DisplayName, sent.Summary, sent.Fields, sent.ObjectType = name, summary, fields, objectType
		sent.ManuallyApprovesFollowers = approve
		d := h.profileData(&sent)
		d.Languages = form.Get("languages")
		d.Error = h.errorText(c, he)
		return h.render(c, he.Code, "profile", h.ui(c).T("Profile"), d)
	}
	if err != nil {
		return err
	}
	h.flash(c, "The profile is saved. Followers get the change.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminActors+a.Username+iri.AdminProfile)
}

// profileUpload reads the file sent in the form field name: nil when none was
// chosen; a 413 beyond federation.MaxImageBytes, read no further.
func profileUpload(c echo.Context, name string) ([]byte, error) {
	fh, err := c.FormFile(name)
	if errors.Is(err, http.ErrMissingFile) || (err == nil && fh.Filename == "" && fh.Size == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	if fh.Size > federation.MaxImageBytes {
		if name == "header" {
			return nil, httpErrorf(http.StatusRequestEntityTooLarge, "The header image is too large: at most %d MB.", federation.MaxImageBytes>>20)
		}
		return nil, httpErrorf(http.StatusRequestEntityTooLarge, "The avatar image is too large: at most %d MB.", federation.MaxImageBytes>>20)
	}
	return readProfileUpload(fh)
}

func readProfileUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("admin: open upload: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, federation.MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("admin: read upload: %w", err)
	}
	return b, nil
}

// settingsRefusal says in the editor's language why storage refused the
// node settings n (NodeSettings.Validate, whose reasons are English):
// its rules, checked in its order; a reason it adds later is shown as it
// gives it.
func settingsRefusal(ui *i18n.UI, n storage.NodeSettings, err error) string {
	switch {
	case !utf8.ValidString(n.Name) || !utf8.ValidString(n.Description):
		return ui.T("The name and description must be valid text (UTF-8).")
	case utf8.RuneCountInString(n.Name) > storage.MaxNodeNameLength:
		return ui.T("The name is too long: at most %d characters.", storage.MaxNodeNameLength)
	case utf8.RuneCountInString(n.Description) > storage.MaxNodeDescriptionLength:
		return ui.T("The description is too long: at most %d characters.", storage.MaxNodeDescriptionLength)
	case strings.ContainsFunc(n.Name+n.Description, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }):
		return ui.T("The name and description must not hold control characters.")
	case n.Language != "":
		if _, perr := language.Parse(n.Language); perr != nil || len(n.Language) > 35 {
			return ui.T("The language is not a language tag such as ar, en or ckb.")
		}
	}
	return ui.Message(profileSentence(err.Error()))
}

// profileRefusal turns what the federation service refused (federation.ErrInvalid)
// into a 400 with its reason; other errors stay server errors.
func profileRefusal(err error) error {
	if err == nil || !errors.Is(err, federation.ErrInvalid) {
		return err
	}
	if m, ok := refusalText(err); ok {
		return echo.NewHTTPError(http.StatusBadRequest, m)
	}
	msg := err.Error()
	if i := strings.Index(msg, federation.ErrInvalid.Error()+": "); i >= 0 {
		msg = msg[i+len(federation.ErrInvalid.Error())+2:]
	}
	return echo.NewHTTPError(http.StatusBadRequest, profileSentence(msg))
}

// profileSentence starts msg with a capital and ends it with a full stop.
func profileSentence(msg string) string {
	r := []rune(strings.TrimSpace(msg))
	if len(r) == 0 {
		return msg
	}
	r[0] = unicode.ToUpper(r[0])
	s := string(r)
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// profileList splits a list typed as "ar, en ckb" into its items.
func profileList(s string) []string {
	out := []string{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		out = append(out, f)
	}
	return out
}

// newActorForm is the form that creates an actor (admins only).
func (h *Handler) newActorForm(c echo.Context) error {
	return h.render(c, http.StatusOK, "profile_new", h.ui(c).T("New actor"), storage.ActorOrganization)
}

// createActor creates an actor with its key pair, as `tadamun actor
// create` does, and opens its profile form.
func (h *Handler) createActor(c echo.Context) error {
	na := federation.NewActor{Username: strings.TrimSpace(c.FormValue("username")), DisplayName: c.FormValue("name"),
		Summary: c.FormValue("summary"), Type: c.FormValue("type"), Languages: profileList(c.FormValue("languages")),
		ManuallyApprovesFollowers: c.FormValue("approve") == "on", ObjectType: c.FormValue("object_type")}
	ctx := c.Request().Context()
	a, err := h.fed.CreateActor(ctx, na)
	if err != nil {
		return profileRefusal(err)
	}
	h.log.InfoContext(ctx, "admin created actor", "actor", a.Username, "by", currentUser(c).Username)
	h.flash(c, "The actor is created.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminActors+a.Username+iri.AdminProfile)
}

// settingsForm shows the node settings (admins only).
func (h *Handler) settingsForm(c echo.Context) error {
	n, err := h.store.NodeSettings(c.Request().Context())
	if err != nil {
		return fmt.Errorf("admin: settings: %w", err)
	}
	return h.render(c, http.StatusOK, "settings", h.ui(c).T("Node settings"), settingsData{NodeSettings: n})
}

// settingsData is the settings form's content: the settings, or the ones
// sent with why they were refused.
type settingsData struct {
	storage.NodeSettings
	Error string
}

// saveSettings replaces the node settings, as `tadamun node set` does.
func (h *Handler) saveSettings(c echo.Context) error {
	n := storage.NodeSettings{Name: strings.TrimSpace(c.FormValue("name")),
		Description: strings.TrimSpace(strings.ReplaceAll(c.FormValue("description"), "\r\n", "\n")),
		Language:    strings.TrimSpace(c.FormValue("language"))}
	if err := n.Validate(); err != nil {
		// The form as sent, with the reason; nothing is stored.
		return h.render(c, http.StatusBadRequest, "settings", h.ui(c).T("Node settings"),
			settingsData{NodeSettings: n, Error: settingsRefusal(h.ui(c), n, err)})
	}
	ctx := c.Request().Context()
	if err := h.store.SetNodeSettings(ctx, n); err != nil {
		return fmt.Errorf("admin: settings: %w", err)
	}
	h.log.InfoContext(ctx, "admin changed node settings", "by", currentUser(c).Username)
	h.flash(c, "The node settings are saved.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminSettings)
}
