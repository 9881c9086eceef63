package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/federation/websub"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/feeds"
)

// WebSubConfig is the feeds' push to feed readers.
type WebSubConfig struct {
	// Hubs are external WebSub hubs the feeds advertise and notify.
	Hubs []string
	// SelfHub makes the node its own hub.
	SelfHub bool
	// Client sends verifications, pushes and pings. Nil means a client
	// that refuses private addresses; a node configured with
	// allow-private-addresses passes its own.
	Client *transport.Client
	// Limits bound what outsiders can make the hub keep; zero fields take
	// the defaults below.
	Limits storage.WebSubLimits
	// Poll is how often the feeds are checked for changes (default
	// 250ms): a statement published by any process, on any database, is
	// pushed within about that.
	Poll time.Duration

	// hub is the running hub, set up with the routes (Server's fields
	// live in server.go; the hub's state lives with its configuration).
	hub *hub
}

// WebSubPath is the node's hub endpoint.
const WebSubPath = "/websub"

// Bounds of the hub. Each is on something an outsider can make us keep or
// do: rows (subscriptions, pending verifications), bytes (callback URL,
// secret), requests (rate), time (the lease).
const (
	defaultLease       = 10 * 24 * time.Hour
	minLease           = time.Hour
	maxLease           = 30 * 24 * time.Hour
	maxCallbackLength  = 2048
	maxSecretBytes     = 199 // WebSub §5.1: "MUST be less than 200 bytes"
	defaultMaxSubs     = 10000
	defaultMaxPerHost  = 100
	defaultMaxPending  = 1000
	subscribeRate      = 1 // requests per second and client address, after the burst
	subscribeBurst     = 20
	defaultWebSubPoll  = 250 * time.Millisecond
	maxChangedPerCheck = 200
)

// websubStore is what the hub needs of storage; *storage.Store has it.
type websubStore interface {
	websub.Store
	QueueWebSubVerification(ctx context.Context, in storage.WebSubIntent, lim storage.WebSubLimits) error
	AdvanceWebSubTopic(ctx context.Context, selection, version string, topics, hubs []string, notify bool) (bool, error)
	CountWebSubTopics(ctx context.Context) (int, error)
	WebSubSelections(ctx context.Context) ([]string, error)
	WebSubscribedTopics(ctx context.Context) ([]string, error)
	WebSubChangedStatements(ctx context.Context, written, due, now time.Time, limit int) ([]storage.ChangedStatement, time.Time, error)
	ReadersVersion(ctx context.Context, at time.Time) (string, error)
}

// hub is the node's WebSub side: the subscription endpoint, the watch on
// the feeds, and the worker that sends.
type hub struct {
	s      *Server
	store  websubStore
	client *transport.Client
	worker *websub.Worker
	limits storage.WebSubLimits
	poll   time.Duration

	// The watch's position, used by one goroutine (watch).
	marker  string
	written time.Time // newest statement write seen
	due     time.Time // readers' time of the last check
	actors  string    // ActorsChanged at the last check
	// partners is the partners' version at the last check ("" before).
	partners string
}

// websubHubs is what the feeds advertise: the node's own endpoint first,
// then the external hubs.
func (s *Server) websubHubs() []string {
	if s.cfg.WebSub.hub == nil {
		return nil
	}
	var out []string
	if s.cfg.WebSub.SelfHub {
		out = append(out, s.iri.Base()+WebSubPath)
	}
	return append(out, s.cfg.WebSub.Hubs...)
}

// websubRoutes sets the hub up and registers its endpoint.
func (s *Server) websubRoutes(e *echo.Echo) {
	cfg := &s.cfg.WebSub
	if !cfg.SelfHub && len(cfg.Hubs) == 0 {
		return
	}
	st, ok := s.store.(websubStore)
	if !ok {
		s.log.Warn("websub: the store keeps no subscriptions; feeds advertise no hub")
		return
	}
	h := &hub{s: s, store: st, client: cfg.Client, limits: cfg.Limits, poll: cfg.Poll}
	if h.client == nil {
		h.client = transport.New(transport.Config{UserAgent: "Tadamun/" + s.cfg.Version + " (+" + s.iri.Home() + ")"})
	}
	if h.limits.MaxSubscriptions == 0 {
		h.limits.MaxSubscriptions = defaultMaxSubs
	}
	if h.limits.MaxPerHost == 0 {
		h.limits.MaxPerHost = defaultMaxPerHost
	}
	if h.limits.MaxPending == 0 {
		h.limits.MaxPending = defaultMaxPending
	}
	if h.poll <= 0 {
		h.poll = defaultWebSubPoll
	}
	cfg.hub = h
	w, err := websub.New(websub.Config{Hubs: s.websubHubs(), Logger: s.log}, st, h.client, h)
	if err != nil {
		// Only a missing store or sender fails, and both are set above.
		panic(err)
	}
	h.worker = w
	if !cfg.SelfHub {
		return
	}
	limit := middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(subscribeRate), Burst: subscribeBurst, ExpiresIn: 3 * time.Minute}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			c.Response().Header().Set("Retry-After", "5")
			return hubAnswer(c, http.StatusTooManyRequests, "Too many subscription requests from your address: slow down.")
		},
	})
	e.POST(WebSubPath, h.subscribe, limit)
}

// RunWebSub notifies hubs and pushes to subscribers until ctx ends.
func (s *Server) RunWebSub(ctx context.Context) error {
	h := s.cfg.WebSub.hub
	if h == nil {
		<-ctx.Done()
		return nil
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := h.worker.Run(ctx); err != nil {
			s.log.Error("websub: worker stopped", "err", err)
		}
	}()
	h.watch(ctx)
	wg.Wait()
	return nil
}

// hubAnswer is the hub's answer to a subscriber: plain text, since its
// readers are subscriber programs and the people debugging them, not the
// site's visitors (WebSub §5.1.2 lets the body describe the error).
func hubAnswer(c echo.Context, code int, msg string) error {
	return c.String(code, msg+"\n")
}

// subscribe is the hub endpoint (WebSub §5.1): it checks the request,
// queues the verification of intent and answers 202 Accepted. Whether
// the subscription comes to be is decided later, when the callback
// echoes the challenge.
func (h *hub) subscribe(c echo.Context) error {
	ctx := c.Request().Context()
	if err := c.Request().ParseForm(); err != nil {
		return hubAnswer(c, http.StatusBadRequest, "Send the request as application/x-www-form-urlencoded.")
	}
	form := c.Request().PostForm
	mode := form.Get("hub.mode")
	if mode != "subscribe" && mode != "unsubscribe" {
		return hubAnswer(c, http.StatusBadRequest, "hub.mode must be subscribe or unsubscribe; this hub only serves this node's own feeds.")
	}
	topic := form.Get("hub.topic")
	if _, _, err := h.topic(ctx, topic); err != nil {
		return hubAnswer(c, http.StatusBadRequest, err.Error())
	}
	callback := form.Get("hub.callback")
	if len(callback) > maxCallbackLength {
		return hubAnswer(c, http.StatusBadRequest, fmt.Sprintf("hub.callback is longer than %d bytes.", maxCallbackLength))
	}
	cu, err := h.client.CheckURL(callback)
	if err != nil {
		return hubAnswer(c, http.StatusBadRequest, "hub.callback must be a public http(s) address: "+err.Error())
	}
	if cu.Fragment != "" {
		return hubAnswer(c, http.StatusBadRequest, "hub.callback must have no #fragment.")
	}
	lease, err := leaseOf(form.Get("hub.lease_seconds"))
	if err != nil {
		return hubAnswer(c, http.StatusBadRequest, err.Error())
	}
	secret := form.Get("hub.secret")
	if len(secret) > maxSecretBytes {
		return hubAnswer(c, http.StatusBadRequest, "hub.secret must be less than 200 bytes.")
	}
	err = h.store.QueueWebSubVerification(ctx, storage.WebSubIntent{Mode: mode, Topic: topic, Callback: callback,
		Host: strings.ToLower(cu.Hostname()), Secret: secret, LeaseSeconds: int(lease / time.Second)}, h.limits)
	var full *storage.WebSubFullError
	if errors.As(err, &full) {
		c.Response().Header().Set("Retry-After", "3600")
		return hubAnswer(c, http.StatusTooManyRequests, "The hub holds as many subscriptions as it takes ("+full.Reason+"); try again later.")
	}
	if err != nil {
		return err
	}
	h.worker.Notify()
	return hubAnswer(c, http.StatusAccepted, "Accepted: the hub will now verify your intent at hub.callback.")
}

// leaseOf reads hub.lease_seconds: absent means the default, and any
// value is brought within the hub's bounds (WebSub §5.1 lets the hub
// choose; §5.3 tells the subscriber which lease it got).
func leaseOf(v string) (time.Duration, error) {
	if v == "" {
		return defaultLease, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("hub.lease_seconds must be a whole number of seconds.")
	}
	if n > int64(maxLease/time.Second) {
		return maxLease, nil
	}
	return min(max(time.Duration(n)*time.Second, minLease), maxLease), nil
}

// topic checks that raw is exactly one of the node's feeds (of statements,
// or the partners' feed) and returns its selection and format. The error
// says what to send instead.
func (h *hub) topic(ctx context.Context, raw string) (selection, string, error) {
	if name, ok := h.s.partnersTopic(raw); ok {
		return selection{kind: selPartners}, name, nil
	}
	base := h.s.iri.Base()
	sel, name, ok := topicPath(base, raw)
	if !ok {
		return selection{}, "", fmt.Errorf("hub.topic must be one of this node's feeds: an address under %s/ ending in %s, %s or %s.",
			base, iri.FeedRSS, iri.FeedAtom, iri.FeedJSON)
	}
	f, _, err := h.s.feedOf(ctx, sel, name)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusNotFound {
			return selection{}, "", fmt.Errorf("hub.topic %s is not a feed of this node.", raw)
		}
		return selection{}, "", err
	}
	if f.Self != raw {
		// The topic is the feed's canonical address, as its rel="self"
		// link gives it: pushes are keyed on it.
		return selection{}, "", fmt.Errorf("hub.topic must be the feed's own address, %s.", f.Self)
	}
	return sel, name, nil
}

// topicPath reads a feed URL's selection and format without checking that
// they exist.
func topicPath(base, raw string) (selection, string, bool) {
	rest, ok := strings.CutPrefix(raw, base+"/")
	if !ok || strings.ContainsAny(rest, "?#") {
		return selection{}, "", false
	}
	dir, name := path.Split("/" + rest)
	if _, ok := feedFormats[name]; !ok {
		return selection{}, "", false
	}
	dir = strings.TrimSuffix(dir, "/")
	var sel selection
	switch {
	case dir == "":
		return selection{kind: selNode}, name, true
	case strings.HasPrefix(dir, iri.ProfilePrefix):
		sel = selection{kind: selActor, arg: dir[len(iri.ProfilePrefix):]}
	case strings.HasPrefix(dir+"/", iri.TagsPrefix):
		sel = selection{kind: selTag, arg: strings.TrimPrefix(dir+"/", iri.TagsPrefix)}
		sel.arg = strings.TrimSuffix(sel.arg, "/")
	default:
		sel = selection{kind: selLang, arg: dir[1:]}
	}
	arg, err := url.PathUnescape(sel.arg)
	if err != nil || arg == "" || strings.Contains(arg, "/") {
		return selection{}, "", false
	}
	sel.arg = arg
	return sel, name, true
}

// Render is the topic's feed as readers get it now: what a push carries.
func (h *hub) Render(ctx context.Context, topic string) ([]byte, string, error) {
	sel, name, err := h.topic(ctx, topic)
	if err != nil {
		return nil, "", err
	}
	if sel.kind == selPartners {
		e, err := h.s.partnersFeedEntry(ctx, name)
		if err != nil {
			return nil, "", err
		}
		return e.Body, e.ContentType, nil
	}
	f, q, err := h.s.feedOf(ctx, sel, name)
	if err != nil {
		return nil, "", err
	}
	e, err := h.s.feedEntry(ctx, f, q, name)
	if err != nil {
		return nil, "", err
	}
	return e.Body, e.ContentType, nil
}

// watch looks for changed feeds every poll until ctx ends. A change is
// noticed from the readers' version and the actors' change time (two
// indexed reads), whichever process or command wrote it; then the
// selections it can have touched are fingerprinted, and each whose content
// moved gets its pushes and pings queued (hub.advance).
func (h *hub) watch(ctx context.Context) {
	tick := time.NewTicker(h.poll)
	defer tick.Stop()
	first := true
	for {
		if err := h.check(ctx, first); err != nil {
			if ctx.Err() != nil {
				return
			}
			h.s.log.Warn("websub: checking the feeds for changes failed; trying again", "err", err)
		} else {
			first = false
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// check compares the feeds with what was last recorded, if anything
// changed since the last check. The first check of a process looks at
// every selection; on a database that has never recorded any, it only
// records (there is no "before" to announce a change from).
func (h *hub) check(ctx context.Context, first bool) error {
	now := h.s.cfg.Now()
	readers, err := h.store.ReadersVersion(ctx, now)
	if err != nil {
		return err
	}
	actorsAt, err := h.s.store.ActorsChanged(ctx)
	if err != nil {
		return err
	}
	actors := actorsAt.UTC().Format(time.RFC3339Nano)
	marker := readers + "|" + actors
	partners, err := h.partnersVersion(ctx)
	if err != nil {
		return err
	}
	if !first && marker == h.marker && partners == h.partners {
		return nil
	}
	notify := true
	if first {
		n, err := h.store.CountWebSubTopics(ctx)
		if err != nil {
			return err
		}
		notify = n > 0
	}
	if first || partners != h.partners {
		if err := h.advancePartners(ctx, notify); err != nil {
			return err
		}
		h.partners = partners
	}
	if !first && marker == h.marker {
		return nil
	}
	return h.checkStatements(ctx, now, marker, actors, first, notify)
}

// checkStatements is check's look at the feeds of statements, after their
// marker (the readers' version and the actors' change time) moved.
func (h *hub) checkStatements(ctx context.Context, now time.Time, marker, actors string, first, notify bool) error {
	changed, newest, err := h.store.WebSubChangedStatements(ctx, h.written, h.due, now, maxChangedPerCheck)
	if err != nil {
		return err
	}
	sels := map[string]selection{selNode: {kind: selNode}}
	add := func(sel selection) { sels[sel.key()] = sel }
	// A rewritten statement (edited, deleted) may have left feeds that
	// its current tags and languages no longer name, and an actor's new
	// name shows in every feed: look at all of them then.
	full := first || actors != h.actors || len(changed) == maxChangedPerCheck
	for _, c := range changed {
		add(selection{kind: selActor, arg: c.ActorUsername})
		for _, l := range c.Languages {
			add(selection{kind: selLang, arg: l})
		}
		for _, t := range c.Tags {
			add(selection{kind: selTag, arg: t})
		}
		// The newest write is listed again by the next check (its time is
		// where that check starts): it widens the look only once.
		full = full || c.Rewritten && c.UpdatedAt.After(h.written)
	}
	topics, err := h.store.WebSubscribedTopics(ctx)
	if err != nil {
		return err
	}
	for _, t := range topics {
		if _, ok := h.s.partnersTopic(t); ok {
			continue // watched by its own version (advancePartners)
		}
		if sel, _, ok := topicPath(h.s.iri.Base(), t); ok {
			add(sel)
		}
	}
	if full {
		if err := h.addAll(ctx, now, add); err != nil {
			return err
		}
	}
	for _, sel := range sels {
		if err := h.advance(ctx, sel, notify); err != nil {
			return err
		}
	}
	h.marker, h.written, h.due, h.actors = marker, newest, now, actors
	return nil
}

// addAll adds every selection: the actors, the languages, and every
// selection recorded before (tags among them).
func (h *hub) addAll(ctx context.Context, now time.Time, add func(selection)) error {
	actors, err := h.s.store.ListActors(ctx)
	if err != nil {
		return err
	}
	for _, a := range actors {
		if !a.IsInstance {
			add(selection{kind: selActor, arg: a.Username})
		}
	}
	langs, err := h.s.store.Languages(ctx, now)
	if err != nil {
		return err
	}
	for _, l := range langs {
		add(selection{kind: selLang, arg: l})
	}
	keys, err := h.store.WebSubSelections(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if sel, ok := parseSelection(k); ok {
			add(sel)
		}
	}
	return nil
}

// advance fingerprints a selection's content and records it; when that
// moved the recorded version, the store has queued the pushes to its
// subscribers and the pings of the external hubs, and the worker is woken.
func (h *hub) advance(ctx context.Context, sel selection, notify bool) error {
	version, topics, err := h.fingerprint(ctx, sel)
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusNotFound {
		return nil // an account gone, a malformed language: no feed to push
	}
	if err != nil {
		return err
	}
	moved, err := h.store.AdvanceWebSubTopic(ctx, sel.key(), version, topics, h.s.cfg.WebSub.Hubs, notify)
	if err != nil {
		return err
	}
	if moved && notify {
		h.worker.Notify()
	}
	return nil
}

// fingerprint is a digest of what a selection's feeds say, and their
// addresses. It is taken from the Atom rendering without the feed's own
// <updated> time, which follows writes anywhere on the node (see
// StatementsVersion): a statement published by one actor must not count
// as a change of every other actor's feed.
func (h *hub) fingerprint(ctx context.Context, sel selection) (string, []string, error) {
	f, q, err := h.s.feedOf(ctx, sel, iri.FeedAtom)
	if err != nil {
		return "", nil, err
	}
	q.VisibleAt, q.Limit = h.s.cfg.Now(), FeedSize
	items, err := h.s.feedItems(ctx, q)
	if err != nil {
		return "", nil, err
	}
	f.Updated = time.Time{}
	body, err := feeds.Atom(f, items)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(body)
	stem := strings.TrimSuffix(f.Self, iri.FeedAtom)
	return hex.EncodeToString(sum[:]), []string{stem + iri.FeedRSS, stem + iri.FeedAtom, stem + iri.FeedJSON}, nil
}

// selPartners is the partners' feed as a WebSub selection: its key in
// websub_topics. It is no selection of statements (feedOf knows nothing
// of it); the hub reads and renders it through partners.go.
const selPartners = "partners"

// partnersVersion is the partners' version (storage.Store.PartnerVersion:
// their posts, profiles and follows), read through the version gate, which
// answers from memory while the data generation stands: an idle watch
// costs no query for it.
func (h *hub) partnersVersion(ctx context.Context) (string, error) {
	return h.s.gate.do(ctx, "websub:"+selPartners, func(ctx context.Context) (string, error) {
		return h.s.store.PartnerVersion(ctx)
	})
}

// advancePartners fingerprints the partners' feed and records it, as
// advance does for a selection of statements: when that moved the
// recorded version, a post stored or relayed by any process (or a
// partner's new name) has changed the feed, and its subscribers' pushes
// and the external hubs' pings are queued.
func (h *hub) advancePartners(ctx context.Context, notify bool) error {
	version, topics, err := h.s.partnersFingerprint(ctx)
	if err != nil {
		return err
	}
	moved, err := h.store.AdvanceWebSubTopic(ctx, selPartners, version, topics, h.s.cfg.WebSub.Hubs, notify)
	if err != nil {
		return err
	}
	if moved && notify {
		h.worker.Notify()
	}
	return nil
}
