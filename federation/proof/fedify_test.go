package proof_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation/proof"
)

// Fedify's real traffic (../../../shared/fixtures/peers/fedify, captured
// from Fedify 2.3.6) carries eddsa-jcs-2022 proofs made by another
// implementation, with keys in the actors' assertionMethod.
const fedifyDir = "../../../shared/fixtures/peers/fedify"

func fedifyFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fedifyDir, name))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("peer fixtures missing under CI: %v", err)
		}
		t.Skipf("peer fixtures not found (%v)", err)
	}
	return b
}

func fedifyBody(t *testing.T, name string) []byte {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(fedifyFile(t, name))))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// fedifyActors resolves verification methods through the two Fedify
// actors' documents, by the actor the method's id names.
func fedifyActors(t *testing.T) proof.Resolver {
	docs := map[string][]byte{
		"https://fedify-a.test/users/probe": fedifyFile(t, "actor-probe-a.json"),
		"https://fedify-b.test/users/probe": fedifyFile(t, "actor-probe-b.json"),
	}
	return func(_ context.Context, vm string) (ed25519.PublicKey, error) {
		actor, _, _ := strings.Cut(vm, "#")
		doc, ok := docs[actor]
		if !ok {
			return nil, errors.New("unknown actor " + actor)
		}
		k, pub, err := proof.AssertionKey(doc, vm)
		if err == nil && k.Controller != actor {
			return nil, errors.New("controller " + k.Controller)
		}
		return pub, err
	}
}

// TestFedifyProofs verifies every proof in the Fedify fixtures, and fails
// each of them once its object's content is changed.
func TestFedifyProofs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fedifyDir, "*.http"))
	resolve := fedifyActors(t)
	n := 0
	for _, f := range files {
		body := fedifyBody(t, filepath.Base(f))
		if len(body) == 0 {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, ok := m["proof"]; !ok {
			t.Errorf("%s has no proof", filepath.Base(f))
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			res, err := proof.Verify(context.Background(), body, resolve)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !strings.HasSuffix(res.VerificationMethod, "#multikey-2") {
				t.Errorf("verification method %s", res.VerificationMethod)
			}
			// Fedify signs the proof before it adds its LD signature: the
			// proof covers the document without "signature" (see Result).
			_, hasSig := m["signature"]
			if res.WithoutSignature != hasSig {
				t.Errorf("WithoutSignature = %v, document has a signature: %v", res.WithoutSignature, hasSig)
			}
			tampered := bytes.Replace(body, []byte(`"actor":"https://fedify-`), []byte(`"actor":"https://fedify-x`), 1)
			if bytes.Equal(tampered, body) {
				t.Fatal("nothing to tamper with")
			}
			if _, err := proof.Verify(context.Background(), tampered, resolve); !errors.Is(err, proof.ErrInvalid) {
				t.Errorf("Verify of a tampered copy: %v", err)
			}
		})
	}
	if n == 0 {
		t.Fatal("no Fedify activity found")
	}
}

// TestFedifyTamperedNote changes one character of a Fedify Note's content.
func TestFedifyTamperedNote(t *testing.T) {
	body := fedifyBody(t, "08-create-note-public.http")
	resolve := fedifyActors(t)
	if _, err := proof.Verify(context.Background(), body, resolve); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	tampered := bytes.Replace(body, []byte("Hello fediverse"), []byte("Hello fediversE"), 1)
	if _, err := proof.Verify(context.Background(), tampered, resolve); !errors.Is(err, proof.ErrInvalid) {
		t.Errorf("Verify of the tampered Note: %v", err)
	}
	// Without its LD signature the document is what Fedify proved, and
	// still verifies.
	var m map[string]json.RawMessage
	json.Unmarshal(body, &m)
	delete(m, "signature")
	stripped, _ := json.Marshal(m)
	if res, err := proof.Verify(context.Background(), stripped, resolve); err != nil || res.WithoutSignature {
		t.Errorf("Verify without the LD signature: %+v, %v", res, err)
	}
}

// TestFedifyRSAMultikey reads the RSA Multikey Fedify publishes beside its
// Ed25519 one: it is the key of the actor's publicKeyPem.
func TestFedifyRSAMultikey(t *testing.T) {
	doc := fedifyFile(t, "actor-probe-a.json")
	var a struct {
		AssertionMethod []proof.Multikey `json:"assertionMethod"`
		PublicKey       struct {
			PublicKeyPem string `json:"publicKeyPem"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(doc, &a); err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode([]byte(a.PublicKey.PublicKeyPem))
	want, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	k, err := proof.DecodeMultikey(a.AssertionMethod[0].PublicKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok || !rk.Equal(want) {
		t.Errorf("RSA Multikey %T is not the actor's publicKeyPem", k)
	}
	if _, _, err := proof.AssertionKey(doc, a.AssertionMethod[0].ID); !errors.Is(err, proof.ErrUnsupportedKey) {
		t.Errorf("AssertionKey of the RSA Multikey: %v", err)
	}
	if _, _, err := proof.AssertionKey(doc, "https://fedify-a.test/users/probe#multikey-3"); !errors.Is(err, proof.ErrKeyNotFound) {
		t.Errorf("AssertionKey of a missing key: %v", err)
	}
}
