package federation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/federation/mediastore"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
)

// Config is what the federation layer needs to know about the node.
type Config struct {
	Scheme string // "https", or "http" for a local node
	Host   string // public host, with port if not the default
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
	// MediaDir is the local media directory: the media store when Media
	// is nil, and where the admin interface's uploads wait to be processed.
	MediaDir string
	// Media is where every media file is read, written and deleted
	// (mediastore: a directory, or an S3 bucket several machines share);
	// nil means a directory store on MediaDir.
	Media mediastore.Store
	// Client is the outbound HTTP client (signed fetches).
	Client *transport.Client
	// InsecureRemote makes WebFinger look-ups use http:// (local test
	// networks only).
	InsecureRemote bool
	// AuthorizedFetch makes our ActivityPub documents answer only signed
	// requests (Mastodon's "secure mode").
	AuthorizedFetch bool
	// Wake is called after deliveries are queued, to start the delivery
	// workers at once rather than at their next poll. Nil: nothing.
	Wake func()
}

// Service carries out the node's protocol work over a store.
type Service struct {
	store Store
	iri   iri.Builder
	log   *slog.Logger
	now   func() time.Time
	wakeF func()
	keys  *boundedCache[*cachedKey] // signing keys' owners, parsed (keycache.go)

	client          *transport.Client
	mediaDir        string
	media           mediastore.Store
	insecureRemote  bool
	authorizedFetch bool
	signerMu        sync.Mutex
	signer          *transport.Signer
	inboxWake       chan struct{}
	mode            modeCache // the federation mode as last read (domains.go)

	// Guards on fetches other servers can make us do (fetchguard.go).
	keyFailures *boundedCache[error]
	keyFlight   flightGroup[*storage.RemoteActor]
	fetches     *fetchLimiter
	subscribes  *boundedCache[string]
	lastPrune   time.Time // when the inbox worker last pruned old activities
	lastFanOuts time.Time // when it last looked for fan-outs left unfinished

}

// New returns a Service for the node described by cfg.
func New(cfg Config, store Store) *Service {
	s := &Service{store: store, iri: iri.New(cfg.Scheme, cfg.Host), log: cfg.Logger, now: cfg.Now, wakeF: cfg.Wake,
		keys:   newBoundedCache[*cachedKey](keyCacheEntries, keyCacheTTL),
		client: cfg.Client, mediaDir: cfg.MediaDir, insecureRemote: cfg.InsecureRemote, authorizedFetch: cfg.AuthorizedFetch,
		inboxWake: make(chan struct{}, 1), keyFailures: newBoundedCache[error](keyFailureEntries, keyFailureTTL),
		fetches: newFetchLimiter(fetchesMax, fetchesPerHost), subscribes: newBoundedCache[string](subscribeEntries, subscribeTTL)}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.media = cfg.Media; s.media == nil && cfg.MediaDir != "" {
		s.media = mediastore.NewDir(cfg.MediaDir)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// clock is now in UTC at the databases' precision.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// wake is called after deliveries were queued and committed: it starts this
// process's delivery workers (Config.Wake) and tells the other processes on
// the same database, whose workers would otherwise find the rows only at
// their next poll.
//
// When a fan-out was started, the rest of its rows are queued here, after
// the workers have been woken to post the first ones (finishFanOuts).
func (s *Service) wake() {
	if s.wakeF != nil {
		s.wakeF()
	}
	s.notifyOthers(storage.WakeDelivery)
	if s.finishFanOuts(context.Background(), time.Now().Add(time.Hour)) > 0 {
		// The rows queued since the first wake: workers that found the
		// first ones gone look again.
		if s.wakeF != nil {
			s.wakeF()
		}
		s.notifyOthers(storage.WakeDelivery)
	}
}

// notifier is a store that can wake the workers of every process on its
// database: *storage.Store, where PostgreSQL's NOTIFY carries it (on SQLite
// there is one process, and Notify does nothing).
type notifier interface {
	Notify(ctx context.Context, topic string) error
}

// notifyTimeout bounds one notification: it runs after the work was
// committed, so a slow database only delays the others until their poll.
const notifyTimeout = 5 * time.Second

func (s *Service) notifyOthers(topic string) {
	n, ok := s.store.(notifier)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	if err := n.Notify(ctx, topic); err != nil {
		s.log.Warn("could not wake the other processes; they find the work at their next poll", "topic", topic, "err", err)
	}
}

// SetWake sets the function called after deliveries are queued (the delivery
// worker is built after the service, so it is wired in afterwards).
func (s *Service) SetWake(f func()) { s.wakeF = f }

// Media returns the media store: Config.Media, or a directory store on
// Config.MediaDir (nil if neither is set).
func (s *Service) Media() mediastore.Store { return s.media }

// IRI returns the node's address builder.
func (s *Service) IRI() iri.Builder { return s.iri }

// ErrInvalid marks errors caused by what the caller asked for (a bad
// username, a missing title), as opposed to failures of the node. The CLI
// and web show their text as it is.
var ErrInvalid = errors.New("invalid")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// NewActor describes an actor to create.
type NewActor struct {
	Username    string
	DisplayName string
	Summary     string
	Type        string // Organization (default), Person, Group or Service
	Languages   []string
	// ManuallyApprovesFollowers holds follow requests for an editor.
	ManuallyApprovesFollowers bool
	// ObjectType is how its statements federate: Note (default) or Article.
	ObjectType string
}

// CreateActor creates a local actor with a fresh RSA 2048 key pair.
func (s *Service) CreateActor(ctx context.Context, na NewActor) (*storage.Actor, error) {
	if !storage.ValidUsername(na.Username) {
		return nil, reject("username %q: use 1 to 30 lower-case letters, digits or _", na.Username)
	}
	if na.Type == "" {
		na.Type = storage.ActorOrganization
	}
	if !storage.ValidActorType(na.Type) {
		return nil, reject("actor type %q: use Organization, Person, Group or Service", na.Type)
	}
	switch na.ObjectType {
	case "":
		na.ObjectType = "Note"
	case "Note", "Article":
	default:
		return nil, reject("object type %q: use Note or Article", na.ObjectType)
	}
	var langs []string
	for _, l := range na.Languages {
		c, err := content.NormalizeLanguage(l)
		if err != nil {
			return nil, languageRefusal(l, err)
		}
		langs = append(langs, c)
	}
	priv, pub, err := newKeyPair()
	if err != nil {
		return nil, err
	}
	proofPEM, err := newProofKeyPEM()
	if err != nil {
		return nil, err
	}
	a := &storage.Actor{Username: na.Username, Type: na.Type, DisplayName: strings.TrimSpace(na.DisplayName),
		Summary: strings.TrimSpace(na.Summary), Languages: langs, PrivateKeyPEM: priv, PublicKeyPEM: pub, Discoverable: true,
		ManuallyApprovesFollowers: na.ManuallyApprovesFollowers, ObjectType: na.ObjectType, ProofKeyPEM: proofPEM}
	if a.DisplayName == "" {
		a.DisplayName = a.Username
	}
	if err := s.store.CreateActor(ctx, a); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, reject("actor %q already exists", na.Username)
		}
		return nil, fmt.Errorf("federation: create actor: %w", err)
	}
	return a, nil
}

// EnsureInstanceActor returns the node's Application actor, creating it (and
// its key) on first use. It signs the node's own fetches.
func (s *Service) EnsureInstanceActor(ctx context.Context) (*storage.Actor, error) {
	a, err := s.store.InstanceActor(ctx)
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("federation: instance actor: %w", err)
	}
	priv, pub, err := newKeyPair()
	if err != nil {
		return nil, err
	}
	proofPEM, err := newProofKeyPEM()
	if err != nil {
		return nil, err
	}
	a = &storage.Actor{Username: s.iri.Host(), Type: storage.ActorApplication, DisplayName: s.iri.Host(),
		IsInstance: true, PrivateKeyPEM: priv, PublicKeyPEM: pub, ProofKeyPEM: proofPEM}
	if err := s.store.CreateActor(ctx, a); err != nil {
		if errors.Is(err, storage.ErrConflict) { // another process made it first
			return s.store.InstanceActor(ctx)
		}
		return nil, fmt.Errorf("federation: create instance actor: %w", err)
	}
	return a, nil
}

// newKeyPair makes an RSA 2048 key pair as PEM: PKCS#8 private, PKIX public,
// the forms Mastodon and every peer we know read.
func newKeyPair() (privPEM, pubPEM string, err error) {
	k, err := httpsig.GenerateKey()
	if err != nil {
		return "", "", fmt.Errorf("federation: generate key: %w", err)
	}
	if privPEM, err = httpsig.MarshalPrivateKeyPEM(k); err != nil {
		return "", "", fmt.Errorf("federation: encode private key: %w", err)
	}
	if pubPEM, err = httpsig.MarshalPublicKeyPEM(&k.PublicKey); err != nil {
		return "", "", fmt.Errorf("federation: encode public key: %w", err)
	}
	return privPEM, pubPEM, nil
}

// AuthorizedFetch reports whether ActivityPub GETs must be signed.
func (s *Service) AuthorizedFetch() bool { return s.authorizedFetch }
