package federation

import (
	"crypto"
	"time"

	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/storage"
)

// The key cache: the owners of the keys that signed our recent inbox POSTs,
// with their public keys already parsed, so that a busy inbox neither
// queries remote_actors nor decodes a PEM block for every request. It sits
// in front of the stored copy (RemoteActorByKeyID), which stays the truth:
// an entry is trusted for keyCacheTTL at most, and never past the stored
// actor's own ExpiresAt, so a change made by another process or by the
// inbox worker (an Update or Delete of the actor) is seen within a minute;
// a signature that fails with a cached key takes the same refetch path as
// one that fails with the stored key.

const (
	// keyCacheEntries bounds the cache; the oldest entry goes first.
	keyCacheEntries = 4096
	// keyCacheTTL is how long a cached owner is used before the stored
	// copy is read again.
	keyCacheTTL = time.Minute
)

// cachedKey is an owner as stored, without its raw document (which only a
// proof check needs, and which would make the cache's size depend on what
// others publish), and its parsed public key.
type cachedKey struct {
	owner *storage.RemoteActor
	pub   crypto.PublicKey
}

func (s *Service) keyCache() *boundedCache[*cachedKey] { return s.keys }

// cachedOwner returns keyID's owner from the cache if it is there and
// neither the entry nor the stored actor has expired.
func (s *Service) cachedOwner(keyID string) (*storage.RemoteActor, bool) {
	now := s.clock()
	e, ok := s.keyCache().get(keyID, now)
	if !ok || !now.Before(e.owner.ExpiresAt) {
		return nil, false
	}
	return e.owner, true
}

// cacheOwner remembers owner under its key, with the key parsed. A key that
// does not parse is not cached (verifyWith reports it).
func (s *Service) cacheOwner(owner *storage.RemoteActor) {
	if owner.PublicKeyID == "" {
		return
	}
	pub, err := httpsig.ParsePublicKeyPEM(owner.PublicKeyPEM)
	if err != nil {
		return
	}
	o := *owner
	o.Raw = ""
	s.keyCache().put(owner.PublicKeyID, &cachedKey{owner: &o, pub: pub}, s.clock())
}

// publicKey is owner's parsed key: from the cache when it holds the same
// PEM, else parsed now.
func (s *Service) publicKey(owner *storage.RemoteActor) (crypto.PublicKey, error) {
	if e, ok := s.keyCache().get(owner.PublicKeyID, s.clock()); ok && e.owner.PublicKeyPEM == owner.PublicKeyPEM {
		return e.pub, nil
	}
	return httpsig.ParsePublicKeyPEM(owner.PublicKeyPEM)
}
