// Package iri builds every public address of the node in one place: the
// ActivityPub ids of actors, statements, activities and collections, and the
// web pages they negotiate with. The web package's route table is written
// with the same path constants, so routes and ids cannot drift apart.
//
// Ids never change once published: remote servers store them forever.
package iri

import (
	"net/url"
	"strconv"
	"strings"
)

// Path pieces shared with the route table (web.Routes). A route is the
// prefix joined with echo's ":param" names.
const (
	UsersPrefix   = "/users/" // + username: the actor id
	ProfilePrefix = "/@"      // + username: the actor's web page
	Statements    = "statements"
	Activities    = "activities"
	Inbox         = "inbox"
	Outbox        = "outbox"
	Followers     = "followers"
	Following     = "following"
	Featured      = "collections/featured"
	Replies       = "replies"
	SharedInbox   = "/inbox"
	InstanceActor = "/actor"
	TagsPrefix    = "/tags/"
	MediaPrefix   = "/media/"
	KeyFragment   = "#main-key"

	// CreateSuffix follows a statement's id to name its Create activity:
	// the Create is derived from the statement, so it needs no row of its
	// own to have a stable id.
	CreateSuffix = "activity"

	// Follow is the actor-level page that sends a reader to their own
	// server's follow dialog (/@user/follow).
	Follow = "follow"

	// The feed files, served below the node, an actor's profile, a tag and
	// a language: /feed.rss, /@user/feed.atom, /tags/x/feed.json, /ar/feed.rss.
	FeedRSS  = "feed.rss"
	FeedAtom = "feed.atom"
	FeedJSON = "feed.json"

	// PartnersPath is the page of the partner network: the accounts our
	// actors follow and their latest posts; its feeds are below it
	// (/partners/feed.rss). "partners" is no language code a statement can
	// carry, so the /:lang route cannot mean it.
	PartnersPath = "/partners"
)

// Discovery documents at fixed paths: WebFinger (RFC 7033), host-meta
// (RFC 6415, XRD and JSON), the NodeInfo index and its documents, and the
// sitemap.
const (
	WebFingerPath    = "/.well-known/webfinger"
	HostMetaPath     = "/.well-known/host-meta"
	HostMetaJSONPath = "/.well-known/host-meta.json"
	NodeInfoPath     = "/.well-known/nodeinfo"
	NodeInfoPrefix   = "/nodeinfo/" // + schema version, "2.0" or "2.1"
	SitemapPath      = "/sitemap.xml"
)

// The admin interface: AdminPrefix is its group; the others are paths
// below it (AdminPrefix + AdminLogin is /admin/login). "admin" is never a
// language code, so the /:lang route cannot mean it.
const (
	AdminPrefix  = "/admin"
	AdminLogin   = "/login"
	AdminLogout  = "/logout"
	AdminAccount = "/account"
	AdminActors  = "/actors/" // + username
	// AdminProfile follows AdminActors + username: an actor's profile form.
	AdminProfile  = "/profile"
	AdminNewActor = "/new-actor"
	AdminSettings = "/settings"
	AdminUsers    = "/users" // + "/" + user name for one user

	// Writing.
	AdminStatements = "/statements"     // + "/" + id for one statement
	AdminCompose    = "/statements/new" // ?actor=username
	AdminPreview    = "/preview"

	// The network: the first three follow AdminActors + username; the
	// others are node-wide pages for admins.
	AdminFollowers  = "/followers"
	AdminFollowing  = "/following"
	AdminReplies    = "/replies"
	AdminReports    = "/reports"
	AdminDomains    = "/domains"
	AdminDeliveries = "/deliveries"

	// AdminPartners is both the node-wide entry of the partners pages and,
	// after AdminActors + username, one actor's partners page.
	AdminPartners = "/partners"
)

// Feeds returns the feed file names, in the order pages list them.
func Feeds() []string { return []string{FeedRSS, FeedAtom, FeedJSON} }

// ActorPages returns the fixed path segments the route table registers
// directly below an actor's profile (ProfilePrefix + username + "/" + page).
// Statement pages share that space (/@user/SLUG), so none of these may be
// used as a slug: the route would shadow the statement, or the reverse.
func ActorPages() []string { return append([]string{Follow}, Feeds()...) }

// ReservedSlug reports whether slug is taken by one of ActorPages.
func ReservedSlug(slug string) bool {
	for _, p := range ActorPages() {
		if p == slug {
			return true
		}
	}
	return false
}

// Builder makes absolute addresses for one public base URL.
type Builder struct {
	base string // scheme://host, no trailing slash
}

// New returns a Builder for the node at scheme://host (host may carry a port).
func New(scheme, host string) Builder {
	return Builder{base: scheme + "://" + host}
}

// Base returns scheme://host.
func (b Builder) Base() string { return b.base }

// Host returns the host (and port) of the node.
func (b Builder) Host() string {
	_, h, _ := strings.Cut(b.base, "://")
	return h
}

// Actor is the ActivityPub id of a local actor.
func (b Builder) Actor(username string) string { return b.base + UsersPrefix + username }

// Key is the id of an actor's public key.
func (b Builder) Key(username string) string { return b.Actor(username) + KeyFragment }

// Home is the node's home page.
func (b Builder) Home() string { return b.base + "/" }

// Language is the page of the statements in one language (a normalised
// BCP 47 tag such as "ar" or "ckb").
func (b Builder) Language(lang string) string { return b.base + LanguagePath(lang) }

// LanguagePath is the path of Language, for links within the site's pages.
func LanguagePath(lang string) string { return "/" + url.PathEscape(lang) }

// Profile is the web page of a local actor.
func (b Builder) Profile(username string) string { return b.base + ProfilePath(username) }

// ProfilePath is the path of Profile, for links within the site's pages.
func ProfilePath(username string) string { return ProfilePrefix + username }

// RemoteFollow is the actor-level page that answers the profile's
// "follow from your server" form.
func (b Builder) RemoteFollow(username string) string { return b.base + RemoteFollowPath(username) }

// RemoteFollowPath is the path of RemoteFollow, the profile form's action.
func RemoteFollowPath(username string) string { return ProfilePath(username) + "/" + Follow }

// NodeFeed is the node's feed in one format (one of Feeds).
func (b Builder) NodeFeed(name string) string { return b.base + "/" + name }

// ActorFeed is an actor's feed in one format (one of Feeds).
func (b Builder) ActorFeed(username, name string) string { return b.Profile(username) + "/" + name }

// TagFeed is a hashtag's feed in one format (one of Feeds).
func (b Builder) TagFeed(tag, name string) string { return b.Tag(tag) + "/" + name }

// LanguageFeed is a language's feed in one format (one of Feeds).
func (b Builder) LanguageFeed(lang, name string) string { return b.Language(lang) + "/" + name }

// Partners is the page of the partner network.
func (b Builder) Partners() string { return b.base + PartnersPath }

// PartnersFeed is the partners' feed in one format (one of Feeds).
func (b Builder) PartnersFeed(name string) string { return b.Partners() + "/" + name }

// ActorPart is an address below an actor, e.g. ActorPart(u, Inbox).
func (b Builder) ActorPart(username, part string) string { return b.Actor(username) + "/" + part }

// Statement is the ActivityPub id of a statement: built from its id, never
// from its slug, so it never changes.
func (b Builder) Statement(username, id string) string {
	return b.Actor(username) + "/" + Statements + "/" + id
}

// StatementReplies is the replies collection of a statement.
func (b Builder) StatementReplies(username, id string) string {
	return b.Statement(username, id) + "/" + Replies
}

// StatementPage is the web page of a statement. lang selects a translation;
// empty means the primary language.
func (b Builder) StatementPage(username, slug, lang string) string {
	return b.base + StatementPath(username, slug, lang)
}

// StatementPath is the path of StatementPage, for links within the site.
func StatementPath(username, slug, lang string) string {
	u := ProfilePath(username) + "/" + url.PathEscape(slug)
	if lang != "" {
		u += "/" + url.PathEscape(lang)
	}
	return u
}

// Create is the id of a statement's Create activity.
func (b Builder) Create(username, statementID string) string {
	return b.Statement(username, statementID) + "/" + CreateSuffix
}

// Activity is the id of an activity we sent.
func (b Builder) Activity(username, id string) string {
	return b.Actor(username) + "/" + Activities + "/" + id
}

// Instance is the id of the node's own Application actor.
func (b Builder) Instance() string { return b.base + InstanceActor }

// InstanceInbox is the instance actor's inbox. Servers deliver to it the
// answers to what the instance actor sent, such as Accepts of relay follows.
func (b Builder) InstanceInbox() string { return b.Instance() + "/" + Inbox }

// InstanceOutbox is the instance actor's outbox (always empty: the node
// announces nothing in its own name).
func (b Builder) InstanceOutbox() string { return b.Instance() + "/" + Outbox }

// InstanceKey is the id of the instance actor's key.
func (b Builder) InstanceKey() string { return b.Instance() + KeyFragment }

// Shared is the shared inbox.
func (b Builder) Shared() string { return b.base + SharedInbox }

// Query parameters of collection pages, read by the web handlers.
const (
	PageParam   = "page"   // a page number, or "true" for the outbox's cursor pages
	BeforeParam = "before" // the outbox cursor: older than this
)

// Page is page n (from 1) of one of our numbered collections (following,
// replies), given the collection's id.
func Page(collection string, n int) string {
	return collection + "?" + PageParam + "=" + strconv.Itoa(n)
}

// OutboxPage is a page of an actor's outbox, newest first: the first when
// before is "", else the statements older than the cursor before. The
// outbox pages by cursor rather than by number, so that a statement
// published while a server walks the pages does not shift them.
func (b Builder) OutboxPage(username, before string) string {
	u := b.ActorPart(username, Outbox) + "?" + PageParam + "=true"
	if before != "" {
		u += "&" + BeforeParam + "=" + url.QueryEscape(before)
	}
	return u
}

// WebFingerTemplate is the lrdd template host-meta gives old clients: the
// WebFinger address with {uri} standing for the account asked about.
func (b Builder) WebFingerTemplate() string { return b.base + WebFingerPath + "?resource={uri}" }

// NodeInfo is the NodeInfo document of one schema version ("2.0", "2.1").
func (b Builder) NodeInfo(version string) string { return b.base + NodeInfoPrefix + version }

// Sitemap is the sitemap of the public pages.
func (b Builder) Sitemap() string { return b.base + SitemapPath }

// Local reports whether an address belongs to this node.
func (b Builder) Local(addr string) bool {
	return addr == b.base || strings.HasPrefix(addr, b.base+"/") || strings.HasPrefix(addr, b.base+"#")
}

// Tag is the web page of a hashtag (name already normalised).
func (b Builder) Tag(name string) string { return b.base + TagPath(name) }

// TagPath is the path of Tag, for links within the site's pages.
func TagPath(name string) string { return TagsPrefix + url.PathEscape(name) }

// Media is the address of a stored media file (path relative to the media directory).
func (b Builder) Media(path string) string { return b.base + MediaPath(path) }

// MediaPath is the path of Media, for images within the site's pages.
func MediaPath(path string) string { return MediaPrefix + path }

// ParseActor returns the username of one of our actor ids (not the instance
// actor); ok is false for anything else.
func (b Builder) ParseActor(addr string) (username string, ok bool) {
	rest, found := strings.CutPrefix(addr, b.base+UsersPrefix)
	if !found || rest == "" || strings.ContainsAny(rest, "/#?") {
		return "", false
	}
	return rest, true
}

// ParseStatement returns the username and statement id of one of our
// statement ids; ok is false for anything else.
func (b Builder) ParseStatement(addr string) (username, id string, ok bool) {
	rest, found := strings.CutPrefix(addr, b.base+UsersPrefix)
	if !found {
		return "", "", false
	}
	username, id, found = strings.Cut(rest, "/"+Statements+"/")
	if !found || username == "" || id == "" || strings.ContainsAny(id, "/#?") || strings.Contains(username, "/") {
		return "", "", false
	}
	return username, id, true
}

// Scheme is "https" or "http".
func (b Builder) Scheme() string {
	sch, _, _ := strings.Cut(b.base, "://")
	return sch
}
