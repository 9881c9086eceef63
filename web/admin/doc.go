// Package admin is the admin interface under /admin: sign-in and sessions,
// CSRF protection, sign-in throttling, roles, the layout and its pages.
// It is server-rendered and needs no JavaScript. The web package mounts it
// with one line of its route table (Handler.Register on the /admin group);
// everything below is this package's.
//
// # Adding a page
//
// Routes: Register is the admin route table. Put a group's routes in a
// function of your own file and call it with one line from Register:
//
//	func (h *Handler) followerRoutes(u *echo.Group) {
//		u.GET(iri.AdminActors+":username/followers", h.followers)
//		u.POST(iri.AdminActors+":username/followers/remove", h.removeFollower)
//	}
//
// u is the signed-in group: its handlers only run for a signed-in user
// (others are sent to the sign-in page, or get 401 on POST). Path pieces
// that become addresses go in federation/iri next to AdminPrefix.
//
// Store is the small interface of what this package reads and writes
// (admin.go); add the methods your pages call to it, one line each.
// web.Store embeds it, so the node's *storage.Store must have them.
// Changes that federate (publishing, follows, moderation) go through
// h.fed, the federation.Service, as the CLI's do, never around it.
//
// Handlers have echo's shape, func(c echo.Context) error. Return errors;
// do not write error pages yourself: an *echo.HTTPError with a 4xx code is
// shown as the admin error page with its message (an English sentence,
// translated when shown), storage.ErrNotFound as a 404, anything else goes
// to the node's error handler, which logs it and answers 500.
//
// Roles: an admin may do everything; an editor works on the actors given
// to them (Store.UserActors). For an actor's page call
//
//	a, err := h.actorFor(c, c.Param("username"))
//	if err != nil {
//		return err // 404 unknown actor, 403 another's actor
//	}
//
// and h.actorsFor(c) for the actors to list. For admin-only pages (users,
// domains, node settings) put requireAdmin on the route or group:
// u.GET("/users", h.users, h.requireAdmin).
//
// Rendering: h.render(c, http.StatusOK, "name", h.ui(c).T("Title"), data)
// executes templates/name.html inside templates/layout.html. The template
// defines "content"; its dot is a Page: .Data is your data, .User the user,
// .Prefix "/admin" for links ({{.Prefix}}/actors/...), .CSRF the token.
// Inside {{range}} use $ for the page ($.Prefix, $.Data).
//
// Words: every interface word goes through {{t "English text"}} (or
// h.ui(c).T in Go); TestTemplatesHaveNoBareWords fails on a bare word. Plural
// messages are registered in web/i18n. Every text input and textarea gets
// dir="auto"; every control a <label for>; an account's handle
// (@username) is marked dir="ltr", so it reads @icssi in Arabic too.
//
// Language: each request gets the editor's language (language.go): their
// choice from the picker at the foot of every page, kept with the user,
// else the browser's, else the node's. h.ui(c) is it; templates are parsed
// once per language, so {{t}}, {{date}} and {{num}} already speak it. A
// refusal whose sentence carries a number is httpErrorf(code, "English
// with %d.", n): the page translates it with the number's plural form and
// numerals; a fixed sentence stays echo.NewHTTPError(code, "English.").
//
// Forms: every POST needs the CSRF token, or it is refused with 403 before
// the handler runs. In a form write {{template "csrf" $}} (or "csrf" .
// outside a range). Tokens are an HMAC of the session token, so they need
// no storage and end with the session; the sign-in form uses a pre-session
// double-submit cookie. Requests that browsers mark as cross-site
// (Sec-Fetch-Site, Origin) are refused whatever their token.
//
// Flash messages (POST-redirect-GET): after a change, h.flash(c, "English
// sentence.") and redirect with 303; the next page shows it, translated.
//
// Every admin response is Cache-Control: no-store, with a
// Content-Security-Policy allowing only the node's own styles, scripts and
// pictures (the frame middleware): put scripts and CSS in static/, never
// inline. Request bodies are capped by the node's BodyLimit (1 MiB by
// default); an upload route needs a larger cap of its own.
//
// # Tests
//
// In package admin_test (node_test.go, browser_test.go):
//
//	n := adminTestNode(t, "http")                 // SQLite file, server on 127.0.0.2, actors icssi and other,
//	                                               // admin amal and editor basel (given icssi), password testPassword
//	c := n.signedIn(t, adminName, "127.0.0.3")    // cookie jar, own source address, redirects not followed
//	res, body := c.get("/admin/actors/icssi")     // keeps the page's CSRF token in c.csrf
//	res, body = c.postForm("/admin/...", url.Values{...}) // adds the token
//	res, body = c.post("/admin/...", form)        // without it: expect 403
//
// TestPOSTNeedsCSRF posts to every POST route of Register without a token,
// with wrong ones and cross-site, and compares fingerprint(t, n) before and
// after: add the tables your pages write to fingerprint's list. Route
// parameters are filled from its values map (username=icssi, id=a session).
//
// In Chromium: b := startBrowser(t); tab := b.tab(t); signInBrowser(t, tab,
// n, adminName) signs in with the keyboard; navigate(...) returns the
// status of the page a step leads to; b.shot(t, tab, "name") saves a
// screenshot to $TADAMUN_ARTIFACTS.
package admin
