package admin

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/i18n"
)

// TestTemplatesHaveNoBareWords fails when an admin template holds interface
// words that do not go through the translation function.
func TestTemplatesHaveNoBareWords(t *testing.T) {
	words, err := i18n.Untranslated(files, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range words {
		t.Errorf("not translated: %s", w)
	}
	cat, err := i18n.Catalogues()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := parsePages(i18n.New(cat, "en"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"login", "dashboard", "account", "actor", "error"} {
		if pages[want] == nil {
			t.Errorf("no page %q", want)
		}
	}
}

// TestRequireAdmin: an admin passes, an editor gets 403, nobody gets 401.
func TestRequireAdmin(t *testing.T) {
	h := &Handler{}
	ok := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	for _, tc := range []struct {
		user *storage.User
		want int
	}{
		{&storage.User{Role: storage.RoleAdmin}, http.StatusNoContent},
		{&storage.User{Role: storage.RoleEditor}, http.StatusForbidden},
		{nil, http.StatusUnauthorized},
	} {
		e := echo.New()
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/admin/users", nil), rec)
		if tc.user != nil {
			c.Set(ctxUser, tc.user)
		}
		err := h.requireAdmin(ok)(c)
		code := rec.Code
		if he, isHE := err.(*echo.HTTPError); isHE {
			code = he.Code
		}
		if code != tc.want {
			t.Errorf("user %+v: %d, want %d", tc.user, code, tc.want)
		}
	}
}
