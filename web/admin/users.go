package admin

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// registerUsers puts the user management routes (admins only) on u. They
// do what `tadamun user create|role|passwd|delete` do.
func (h *Handler) registerUsers(u *echo.Group) {
	g := u.Group(iri.AdminUsers, h.requireAdmin)
	g.GET("", h.users)
	g.POST("", h.createUser)
	g.GET("/:user", h.userForm)
	g.POST("/:user/role", h.setUserRole)
	g.POST("/:user/password", h.resetPassword)
	g.POST("/:user/delete", h.deleteUser)
}

// listedUser is a user with the names of the actors they work on.
type listedUser struct {
	User   *storage.User
	Actors []string // usernames; empty for admins, who work on every actor
	IDs    []string // the actors' ids
}

// usersData is the users page's content, and the user page's.
type usersData struct {
	Users  []listedUser
	Actors []*storage.Actor // every actor
	// Choices are the actors' check boxes, ticked for One's actors.
	Choices []actorChoice
	One     *listedUser // on a user's page
	Self    bool        // that user is the one signed in
	// A refused new user: why, and what was sent (never the password).
	Error    string
	Username string
	Role     string
}

// actorChoice is an actor's check box on the users' forms.
type actorChoice struct {
	Actor   *storage.Actor
	Checked bool
}

func (h *Handler) users(c echo.Context) error {
	d, err := h.usersData(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "users", h.ui(c).T("Users"), d)
}

// usersData reads every user and every actor.
func (h *Handler) usersData(c echo.Context) (usersData, error) {
	ctx := c.Request().Context()
	var d usersData
	list, err := h.store.ListUsers(ctx)
	if err != nil {
		return d, fmt.Errorf("admin: users: %w", err)
	}
	if d.Actors, err = h.actorsFor(c); err != nil {
		return d, err
	}
	names := make(map[string]string, len(d.Actors))
	for _, a := range d.Actors {
		names[a.ID] = a.Username
		d.Choices = append(d.Choices, actorChoice{Actor: a})
	}
	for _, u := range list {
		lu := listedUser{User: u}
		if u.Role != storage.RoleAdmin {
			if lu.IDs, err = h.store.UserActors(ctx, u.ID); err != nil {
				return d, fmt.Errorf("admin: users: %w", err)
			}
			for _, id := range lu.IDs {
				lu.Actors = append(lu.Actors, names[id])
			}
		}
		d.Users = append(d.Users, lu)
	}
	return d, nil
}

// userForm is one user's page: role and actors, password, delete.
func (h *Handler) userForm(c echo.Context) error {
	d, err := h.usersData(c)
	if err != nil {
		return err
	}
	for i := range d.Users {
		if d.Users[i].User.Username == c.Param("user") {
			d.One = &d.Users[i]
		}
	}
	if d.One == nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such user.")
	}
	d.Self = d.One.User.ID == currentUser(c).ID
	for i := range d.Choices {
		d.Choices[i].Checked = slices.Contains(d.One.IDs, d.Choices[i].Actor.ID)
	}
	return h.render(c, http.StatusOK, "users_edit", d.One.User.Username, d)
}

// userFormActors returns the ids of the actors checked in the form (field
// "actor", by username); an unknown one is a 400.
func (h *Handler) userFormActors(c echo.Context) ([]string, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	ids := []string{}
	for _, name := range form["actor"] {
		a, err := h.store.ActorByUsername(c.Request().Context(), name)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && a.IsInstance) {
			return nil, echo.NewHTTPError(http.StatusBadRequest, "No such actor.")
		}
		if err != nil {
			return nil, fmt.Errorf("admin: actor %q: %w", name, err)
		}
		if !slices.Contains(ids, a.ID) {
			ids = append(ids, a.ID)
		}
	}
	return ids, nil
}

// userFormRole reads the role field: admin or editor, else a 400.
func userFormRole(c echo.Context) (string, error) {
	r := c.FormValue("role")
	if r != storage.RoleAdmin && r != storage.RoleEditor {
		return "", echo.NewHTTPError(http.StatusBadRequest, "Choose a role: admin or editor.")
	}
	return r, nil
}

// createUser makes an account, with the actors it works on for an editor,
// in one transaction (`tadamun user create NAME --role ... --actors ...`).
// A refused one brings the form back as sent (but the password), with why.
func (h *Handler) createUser(c echo.Context) error {
	err := h.addUser(c)
	var he *echo.HTTPError
	if !errors.As(err, &he) || he.Code >= 500 {
		return err
	}
	d, derr := h.usersData(c)
	if derr != nil {
		return derr
	}
	d.Error, d.Username, d.Role = h.errorText(c, he), c.FormValue("username"), c.FormValue("role")
	form, _ := c.FormParams()
	for i := range d.Choices {
		d.Choices[i].Checked = slices.Contains(form["actor"], d.Choices[i].Actor.Username)
	}
	return h.render(c, he.Code, "users", h.ui(c).T("Users"), d)
}

// addUser is createUser's work: nil after a redirect, an *echo.HTTPError
// for a refusal.
func (h *Handler) addUser(c echo.Context) error {
	name := c.FormValue("username")
	if !storage.ValidUsername(name) {
		return echo.NewHTTPError(http.StatusBadRequest, "A user name has 1 to 30 lower-case letters, digits or _.")
	}
	role, err := userFormRole(c)
	if err != nil {
		return err
	}
	ids, err := h.userFormActors(c)
	if err != nil {
		return err
	}
	if role == storage.RoleAdmin && len(ids) > 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "An admin works on every actor: give actors to editors only.")
	}
	hash, err := userNewPassword(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := &storage.User{Username: name, PasswordHash: hash, Role: role}
	err = h.store.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.SetUserActors(ctx, u.ID, ids)
	})
	if errors.Is(err, storage.ErrConflict) {
		return echo.NewHTTPError(http.StatusConflict, "A user with this name exists already.")
	}
	if err != nil {
		return fmt.Errorf("admin: create user: %w", err)
	}
	h.log.InfoContext(ctx, "admin created user", "user", name, "role", role, "by", currentUser(c).Username)
	h.flash(c, "The user is created.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminUsers)
}

// userNewPassword reads the password and its repetition and hashes it.
func userNewPassword(c echo.Context) (string, error) {
	pw, again := c.FormValue("password"), c.FormValue("confirm")
	if pw != again {
		return "", echo.NewHTTPError(http.StatusBadRequest, "The password and its repetition differ.")
	}
	return hashPassword(pw)
}

// maxPasswordBytes is bcrypt's limit, which storage.HashPassword enforces.
const maxPasswordBytes = 72

// hashPassword hashes a new password, or says in the editor's language
// why it is refused (storage.HashPassword's own reasons are English).
func hashPassword(pw string) (string, error) {
	switch {
	case utf8.RuneCountInString(pw) < storage.MinPasswordLength:
		return "", httpErrorf(http.StatusBadRequest, "The password is too short: it needs at least %d characters.", storage.MinPasswordLength)
	case len(pw) > maxPasswordBytes:
		return "", httpErrorf(http.StatusBadRequest, "The password is too long: at most %d bytes (a letter of the Arabic alphabet takes two).", maxPasswordBytes)
	}
	hash, err := storage.HashPassword(pw)
	if err != nil {
		return "", fmt.Errorf("admin: hash password: %w", err)
	}
	return hash, nil
}

// userParam returns the user named in the path, or a 404.
func (h *Handler) userParam(c echo.Context) (*storage.User, error) {
	u, err := h.store.UserByUsername(c.Request().Context(), c.Param("user"))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such user.")
	}
	if err != nil {
		return nil, fmt.Errorf("admin: user: %w", err)
	}
	return u, nil
}

// setUserRole sets a user's role and, for an editor, replaces their actors
// (`tadamun user role NAME editor --actors ...`). Making someone admin
// leaves their actor list as it was, as the CLI does without --actors.
func (h *Handler) setUserRole(c echo.Context) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	role, err := userFormRole(c)
	if err != nil {
		return err
	}
	ids, err := h.userFormActors(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = h.store.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.SetRole(ctx, u.ID, role); err != nil {
			return err
		}
		if role == storage.RoleEditor {
			return tx.SetUserActors(ctx, u.ID, ids)
		}
		return nil
	})
	if errors.Is(err, storage.ErrLastAdmin) {
		return echo.NewHTTPError(http.StatusConflict, "This is the last admin: make another user admin first.")
	}
	if err != nil {
		return fmt.Errorf("admin: set role: %w", err)
	}
	h.log.InfoContext(ctx, "admin changed role", "user", u.Username, "role", role, "by", currentUser(c).Username)
	h.flash(c, "The role and actors are saved.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminUsers+"/"+u.Username)
}

// resetPassword sets another user's password, which signs them out
// everywhere (`tadamun user passwd`). Your own is changed on the account
// page, which asks for the current one.
func (h *Handler) resetPassword(c echo.Context) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	if u.ID == currentUser(c).ID {
		return echo.NewHTTPError(http.StatusBadRequest, "Change your own password on the account page.")
	}
	hash, err := userNewPassword(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.store.SetPassword(ctx, u.ID, hash); err != nil {
		return fmt.Errorf("admin: reset password: %w", err)
	}
	h.log.InfoContext(ctx, "admin reset password", "user", u.Username, "by", currentUser(c).Username)
	h.flash(c, "The password is changed and the user is signed out everywhere.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminUsers+"/"+u.Username)
}

// deleteUser deletes an account and its sessions (`tadamun user delete`);
// never the last admin, and not the user signed in.
func (h *Handler) deleteUser(c echo.Context) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	if u.ID == currentUser(c).ID {
		return echo.NewHTTPError(http.StatusBadRequest, "You cannot delete the account you are signed in with.")
	}
	if c.FormValue("sure") != "on" {
		return echo.NewHTTPError(http.StatusBadRequest, "Tick the box to confirm the deletion.")
	}
	ctx := c.Request().Context()
	err = h.store.DeleteUser(ctx, u.ID)
	if errors.Is(err, storage.ErrLastAdmin) {
		return echo.NewHTTPError(http.StatusConflict, "This is the last admin: make another user admin first.")
	}
	if err != nil {
		return fmt.Errorf("admin: delete user: %w", err)
	}
	h.log.InfoContext(ctx, "admin deleted user", "user", u.Username, "by", currentUser(c).Username)
	h.flash(c, "The user is deleted.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminUsers)
}
