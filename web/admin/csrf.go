package admin

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/iri"
)

// CSRFField is the name of the hidden form field that carries the token.
const CSRFField = "csrf"

// csrfToken is the token forms of this request must carry: derived from the
// session when signed in, else the pre-session token of the sign-in form
// (set as a cookie here when the browser has none).
func (h *Handler) csrfToken(c echo.Context) (string, error) {
	if t := sessionToken(c); t != "" {
		return sessionCSRF(t), nil
	}
	if ck, err := c.Cookie(LoginCSRFCookie); err == nil && len(ck.Value) == 43 {
		return ck.Value, nil
	}
	if v, ok := c.Get("admin.logincsrf").(string); ok {
		return v, nil
	}
	v, err := randomToken()
	if err != nil {
		return "", err
	}
	c.SetCookie(h.cookie(LoginCSRFCookie, v, 0))
	c.Set("admin.logincsrf", v)
	return v, nil
}

// csrf refuses every request that changes state (anything but GET and
// HEAD) unless its form carries this session's token, and refuses
// cross-site ones outright when the browser says so (Origin,
// Sec-Fetch-Site).
func (h *Handler) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return next(c)
		}
		forbidden := echo.NewHTTPError(http.StatusForbidden, "This form has expired or did not come from this site. Go back, reload the page and try again.")
		if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
			return forbidden
		}
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || u.Host != r.Host {
				return forbidden
			}
		}
		var want string
		if t := sessionToken(c); t != "" {
			want = sessionCSRF(t)
		} else if c.Path() != iri.AdminPrefix+iri.AdminLogin {
			// Signed out, only the sign-in form may be posted; refusing
			// before the body is read keeps anyone from making the node
			// parse an upload-sized form on the strength of a cookie they
			// set themselves.
			return forbidden
		} else if ck, err := c.Cookie(LoginCSRFCookie); err == nil && len(ck.Value) == 43 {
			want = ck.Value
		}
		// Multipart forms (uploads) keep at most 1 MiB in memory; the rest
		// goes to temporary files that net/http removes after the request.
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The upload is too large.")
				}
				return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
			}
		}
		got := r.FormValue(CSRFField)
		if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return forbidden
		}
		return next(c)
	}
}
