package delivery

import (
	"crypto/rsa"
	"fmt"
	"sync"

	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
)

// keyCache keeps parsed private keys by actor username: parsing a PEM key
// costs far more than signing with it, and a fan-out signs thousands of
// posts with one key.
type keyCache struct {
	mu   sync.Mutex
	keys map[string]cachedKey
}

type cachedKey struct {
	pem string // what was parsed: a rotated key is parsed again
	key *rsa.PrivateKey
}

// signer is the Signer for a claimed row.
func (c *keyCache) signer(d *storage.ClaimedDelivery, keyID func(string, bool) string) (*transport.Signer, error) {
	c.mu.Lock()
	k, ok := c.keys[d.SignerUsername]
	c.mu.Unlock()
	if !ok || k.pem != d.SignerKeyPEM {
		key, err := httpsig.ParsePrivateKeyPEM(d.SignerKeyPEM)
		if err != nil {
			return nil, fmt.Errorf("delivery: key of actor %s: %w", d.SignerUsername, err)
		}
		k = cachedKey{pem: d.SignerKeyPEM, key: key}
		c.mu.Lock()
		c.keys[d.SignerUsername] = k
		c.mu.Unlock()
	}
	return &transport.Signer{KeyID: keyID(d.SignerUsername, d.SignerIsInstance), Key: k.key}, nil
}
