package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/web/cache"
)

// The rendered-response cache.
//
// When a statement is boosted widely, thousands of servers fetch its page,
// its JSON and its actor within a minute, and feed readers poll every feed
// every few minutes. Each such response is rendered once and kept, with its
// gzip and brotli forms made once at the same time (encoding.go), in a
// byte-bounded LRU (web/cache) that counts the bytes of every form.
//
// The key names the normalised selection: the route, the path, the query
// parameters in canonical order and the representation (HTML, or
// ActivityStreams JSON when the Accept header asks for it). The key never
// holds a version: a newer rendering replaces the older one under the same
// key, so superseded versions never pile up.
//
// Each request first computes the selection's version with a few cheap
// queries (versionFunc) and serves the stored bytes only when it matches
// the version they were rendered from. The version is read before the
// handler renders, so a change that lands during a rendering leaves an
// entry labelled older than its content, which the next request replaces:
// a stale answer is never kept. The versions are scoped, not global: a Like
// on one statement changes that statement's counts and nothing else, so a
// popular statement does not flush the cache of every other page.
//
// Only 200 answers are kept, never one that sets a cookie or says no-store
// or private; errors (404, 410 Gone for a deleted statement, 401/403 of
// authorized fetch) always go to their handler. ActivityStreams answers in
// authorized-fetch mode check the signature before a stored document is
// served, exactly as the handler would.

// DefaultResponseCacheBytes is the response cache's bound when none is
// configured.
const DefaultResponseCacheBytes = 64 << 20

// versionFunc gives the version of the selection a request names. aux is
// what the previous call learned and stored with the entry (a statement's
// or actor's id, "" the first time); the function returns it, or what it
// learned now, to be stored. An error means the version cannot be known:
// the request goes to its handler and nothing is stored.
type versionFunc func(c echo.Context, aux string) (version, newAux string, err error)

// cachedRoute says how one route is cached.
type cachedRoute struct {
	name    string // the route's name in keys
	version versionFunc
	// negotiated: the URL serves HTML or ActivityStreams JSON by Accept.
	negotiated bool
	// activity: every 200 of the URL is ActivityStreams JSON, so a stored
	// one is served only after the authorized-fetch check.
	activity bool
	// words: its HTML carries interface words, so the interface language
	// (language.go) is part of its key and of Vary.
	words bool
}

// cached wraps a GET handler with the response cache.
func (s *Server) cached(rt cachedRoute, h echo.HandlerFunc) echo.HandlerFunc {
	// Routes are set up before the first request: the version gate learns
	// here that it may remember versions by the store's data generation.
	s.gate.wire(s.store, s.cfg.Now)
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return h(c)
		}
		asActivity := rt.activity || (rt.negotiated && wantsActivity(r))
		key := responseKey(rt.name, r, asActivity)
		vary := "Accept-Encoding"
		if rt.negotiated || rt.activity {
			vary = "Accept, Accept-Encoding"
		}
		if rt.words && !asActivity {
			// The whole key before the look-up: an entry is found under
			// the key it was stored under.
			key += "\x00" + s.uiLanguage(c)
			vary += ", Accept-Language, Cookie"
		}
		e, ok := s.responses.Get(key)
		version, aux, err := rt.version(c, e.Aux)
		if err != nil {
			// Not found, gone, or the database unwell: the handler answers.
			return h(c)
		}
		if ok && e.Version == version {
			if asActivity {
				if err := s.authorizeStored(c); err != nil {
					return err
				}
			}
			return serveEntry(c, e, vary)
		}
		e, stored, err := s.fill(c, h, key, version, aux)
		if err != nil || !stored {
			return err
		}
		return serveEntry(c, e, vary)
	}
}

// responseKey names a request's selection: route, path, the query
// parameters a cached handler reads (keyParams, first value each, as echo's
// QueryParam gives them), representation. Other parameters change nothing
// in a response, so they are left out: a link shared with ?utm_source=…
// or a client adding ?x=N on every request meets the same entry rather
// than filling the cache with copies.
func responseKey(route string, r *http.Request, asActivity bool) string {
	rep := "html"
	if asActivity {
		rep = "as"
	}
	if r.URL.RawQuery == "" { // most requests: no query to parse
		return route + "\x00" + r.URL.Path + "?\x00" + rep
	}
	q := r.URL.Query()
	var b strings.Builder
	b.WriteString(route)
	b.WriteString("\x00")
	b.WriteString(r.URL.Path)
	b.WriteString("?")
	for _, p := range keyParams {
		if v, ok := q[p]; ok && len(v) > 0 {
			b.WriteString(p)
			b.WriteString("=")
			b.WriteString(url.QueryEscape(v[0]))
			b.WriteString("&")
		}
	}
	b.WriteString("\x00")
	b.WriteString(rep)
	return b.String()
}

// keyParams are the query parameters that the cached handlers read (pages
// and outbox cursors, WebFinger's resource).
var keyParams = [...]string{iri.PageParam, iri.BeforeParam, "resource", "q"}

// recorder takes a handler's response in memory.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header         { return w.header }
func (w *recorder) Write(b []byte) (int, error) { return w.body.Write(b) }
func (w *recorder) WriteHeader(code int)        { w.code = code }

// fill runs the handler into a recorder. A 200 that may be shared is stored
// and returned (stored true) for serveEntry to answer; anything else is
// replayed to the client as the handler wrote it (stored false).
//
// The handler runs without the request's conditional headers, so that it
// renders the whole body even when the client holds a copy; serveEntry
// answers the condition afterwards, per encoding.
func (s *Server) fill(c echo.Context, h echo.HandlerFunc, key, version, aux string) (cache.Entry, bool, error) {
	r, res := c.Request(), c.Response()
	inm, ims := r.Header.Values("If-None-Match"), r.Header.Values("If-Modified-Since")
	r.Header.Del("If-None-Match")
	r.Header.Del("If-Modified-Since")
	orig := res.Writer
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	res.Writer = rec
	err := h(c)
	res.Writer = orig
	committed := res.Committed
	res.Committed, res.Size = false, 0
	restore(r.Header, "If-None-Match", inm)
	restore(r.Header, "If-Modified-Since", ims)
	if !committed {
		// Nothing written: an error for the error handler, or a handler
		// that answered nothing.
		mergeHeader(res.Header(), rec.header)
		return cache.Entry{}, false, err
	}
	if err != nil || rec.code != http.StatusOK || !shareable(rec.header) {
		mergeHeader(res.Header(), rec.header)
		res.WriteHeader(rec.code)
		if _, werr := res.Write(rec.body.Bytes()); werr != nil && err == nil {
			err = werr
		}
		return cache.Entry{}, false, err
	}
	body := bytes.Clone(rec.body.Bytes())
	e := cache.Entry{Body: body, ContentType: rec.header.Get(echo.HeaderContentType), ETag: etagOf(body),
		Version: version, Aux: aux, Gzip: gzipped(body), Brotli: brotlied(body), Header: http.Header{}}
	if lm := rec.header.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			e.Modified = t
		}
	}
	for k, v := range rec.header {
		switch k {
		case "Etag", "Content-Length", "Content-Type", "Content-Encoding", "Vary", "X-Request-Id":
			continue
		}
		e.Header[k] = v
	}
	if r.Method == http.MethodGet || len(body) > 0 {
		s.responses.Put(key, e)
	}
	return e, true, nil
}

func restore(h http.Header, name string, vals []string) {
	for _, v := range vals {
		h.Add(name, v)
	}
}

func mergeHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

// shareable says whether a response may be kept and served to anyone.
func shareable(h http.Header) bool {
	if h.Get("Set-Cookie") != "" {
		return false
	}
	cc := strings.ToLower(h.Get("Cache-Control"))
	return !strings.Contains(cc, "no-store") && !strings.Contains(cc, "private")
}

// serveEntry answers with a stored response: in the coding the client
// reads best (negotiateEncoding, encoding.go), with the ETag of that form,
// Vary, and 304 when the client's copy of that form is current.
// Content-Length is set explicitly, so a HEAD answer carries the length its
// GET would have.
func serveEntry(c echo.Context, e cache.Entry, vary string) error {
	h := c.Response().Header()
	for k, v := range e.Header {
		h[k] = v[:len(v):len(v)] // an Add by anyone later copies rather than writes into the shared slice
	}
	body, etag := e.Body, e.ETag
	switch negotiateEncoding(c.Request(), e.Brotli != nil, e.Gzip != nil) {
	case codingBrotli:
		body, etag = e.Brotli, brotliETag(e.ETag)
		h.Set("Content-Encoding", codingBrotli)
	case codingGzip:
		body, etag = e.Gzip, gzipETag(e.ETag)
		h.Set("Content-Encoding", codingGzip)
	}
	h.Set("Vary", vary)
	h.Set("ETag", etag)
	if notModified(c.Request(), etag, e.Modified) {
		h.Del("Content-Encoding")
		return c.NoContent(http.StatusNotModified)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return c.Blob(http.StatusOK, e.ContentType, body)
}

// versionStamp joins version parts.
func versionStamp(parts ...string) string { return strings.Join(parts, "|") }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// authorizeStored is the authorized-fetch check before a stored
// ActivityStreams document is served. Whether the node requires signed
// fetches is read through the version gate (a mode switched on applies to
// every request that arrives after it); the signature itself is checked
// per request, exactly as the handler checks it.
func (s *Server) authorizeStored(c echo.Context) error {
	required, err := s.gate.do(c.Request().Context(), "signed-fetch", func(ctx context.Context) (string, error) {
		r, err := s.fed.SignedFetchRequired(ctx)
		return strconv.FormatBool(r), err
	})
	if err != nil {
		return err
	}
	if required != "true" {
		return nil
	}
	return s.authorize(c)
}
