package proof

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrKeyNotFound: the actor document lists no Multikey of that id in its
// assertionMethod.
var ErrKeyNotFound = errors.New("proof: no such key in the actor's assertionMethod")

// Multikey is a verification method as actors publish it in
// assertionMethod.
type Multikey struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
}

// NewMultikey is the assertionMethod entry for an Ed25519 public key.
func NewMultikey(id, controller string, pub ed25519.PublicKey) Multikey {
	return Multikey{ID: id, Type: "Multikey", Controller: controller, PublicKeyMultibase: EncodePublicKey(pub)}
}

// AssertionKey finds the Ed25519 Multikey whose id is verificationMethod in
// an actor document's assertionMethod (one entry or a list; entries that are
// bare references are passed over), and returns it with its key. Checking
// that its controller is the actor the caller expects is the caller's job.
func AssertionKey(actorDoc []byte, verificationMethod string) (*Multikey, ed25519.PublicKey, error) {
	var doc struct {
		AssertionMethod json.RawMessage `json:"assertionMethod"`
	}
	if err := json.Unmarshal(actorDoc, &doc); err != nil {
		return nil, nil, fmt.Errorf("proof: actor document: %w", err)
	}
	var entries []json.RawMessage
	if json.Unmarshal(doc.AssertionMethod, &entries) != nil {
		entries = []json.RawMessage{doc.AssertionMethod}
	}
	for _, e := range entries {
		var k Multikey
		if json.Unmarshal(e, &k) != nil || k.ID != verificationMethod {
			continue
		}
		if k.Type != "Multikey" {
			return nil, nil, fmt.Errorf("%w: %s is a %.40q, not a Multikey", ErrUnsupportedKey, k.ID, k.Type)
		}
		pub, err := DecodePublicKey(k.PublicKeyMultibase)
		if err != nil {
			return nil, nil, fmt.Errorf("proof: key %s: %w", k.ID, err)
		}
		return &k, pub, nil
	}
	return nil, nil, ErrKeyNotFound
}
