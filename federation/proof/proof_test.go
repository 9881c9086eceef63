package proof_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/tadamun/tadamun/federation/proof"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keyFor resolves one verification method to one key and refuses any other.
func keyFor(vm string, pub ed25519.PublicKey) proof.Resolver {
	return func(_ context.Context, got string) (ed25519.PublicKey, error) {
		if got != vm {
			return nil, fmt.Errorf("unknown verification method %s", got)
		}
		return pub, nil
	}
}

// fromActor resolves verification methods through an actor document's
// assertionMethod, as the inbox does.
func fromActor(actorDoc []byte) proof.Resolver {
	return func(_ context.Context, vm string) (ed25519.PublicKey, error) {
		_, pub, err := proof.AssertionKey(actorDoc, vm)
		return pub, err
	}
}

type keyPair struct {
	Public  string `json:"publicKeyMultibase"`
	Private string `json:"privateKeyMultibase"`
}

func w3cKeys(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	var kp keyPair
	if err := json.Unmarshal(read(t, "w3c/keyPair.json"), &kp); err != nil {
		t.Fatal(err)
	}
	priv, err := proof.DecodePrivateKey(kp.Private)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := proof.DecodePublicKey(kp.Public)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Fatal("the vectors' public key is not the private key's")
	}
	if got := proof.EncodePublicKey(pub); got != kp.Public {
		t.Errorf("EncodePublicKey = %s, want %s", got, kp.Public)
	}
	if got := proof.EncodePrivateKey(priv); got != kp.Private {
		t.Errorf("EncodePrivateKey = %s, want %s", got, kp.Private)
	}
	return pub, priv
}

// TestW3CVectors checks the verifier, step by step, against the vectors of
// Data Integrity EdDSA Cryptosuites v1.0 (appendix A.2), which were made by
// other implementations.
func TestW3CVectors(t *testing.T) {
	pub, priv := w3cKeys(t)
	signed := read(t, "w3c/signedJCS.json")
	var doc map[string]any
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	p := doc["proof"].(map[string]any)
	vm := p["verificationMethod"].(string)

	res, err := proof.Verify(context.Background(), signed, keyFor(vm, pub))
	if err != nil {
		t.Fatalf("Verify of the W3C signed credential: %v", err)
	}
	if res.VerificationMethod != vm || !res.Created.Equal(time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC)) || res.WithoutSignature {
		t.Errorf("result %+v", res)
	}

	// The intermediate values: canonical document, canonical proof
	// configuration, hash data, signature.
	delete(doc, "proof")
	unsigned, _ := json.Marshal(doc)
	canonDoc, err := jcs.Transform(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(read(t, "w3c/canonDocJCS.txt"))); string(canonDoc) != want {
		t.Errorf("canonical document\n got %s\nwant %s", canonDoc, want)
	}
	canonCfg, err := jcs.Transform(read(t, "w3c/proofConfigJCS.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(read(t, "w3c/proofCanonJCS.txt"))); string(canonCfg) != want {
		t.Errorf("canonical proof configuration\n got %s\nwant %s", canonCfg, want)
	}
	a, b := sha256.Sum256(canonCfg), sha256.Sum256(canonDoc)
	if got, want := hex.EncodeToString(append(a[:], b[:]...)), strings.TrimSpace(string(read(t, "w3c/combinedHashJCS.txt"))); got != want {
		t.Errorf("hash data %s, want %s", got, want)
	}
	sig, _ := hex.DecodeString(strings.TrimSpace(string(read(t, "w3c/sigHexJCS.txt"))))
	if !ed25519.Verify(pub, append(a[:], b[:]...), sig) {
		t.Error("the vectors' signature does not verify over the vectors' hash data")
	}

	// Signing the same credential at the same time reproduces the proof
	// (Ed25519 signatures are deterministic).
	out, err := proof.Sign(unsigned, priv, vm, time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if got := proofOf(t, out)["proofValue"]; got != p["proofValue"] {
		t.Errorf("Sign gave proofValue %v, want %v", got, p["proofValue"])
	}
}

func proofOf(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("%v in %s", err, doc)
	}
	p, _ := m["proof"].(map[string]any)
	return p
}

// TestFEP8b32Vector is the FEP's own test case: signing gives its proof,
// and its signed document verifies against the key in its actor document.
func TestFEP8b32Vector(t *testing.T) {
	_, priv := w3cKeys(t)
	const vm = "https://server.example/users/alice#ed25519-key"
	signed, actor := read(t, "fep-8b32/signed.json"), read(t, "fep-8b32/actor.json")

	res, err := proof.Verify(context.Background(), signed, fromActor(actor))
	if err != nil {
		t.Fatalf("Verify of the FEP's signed document: %v", err)
	}
	if res.VerificationMethod != vm {
		t.Errorf("verification method %s", res.VerificationMethod)
	}
	k, _, err := proof.AssertionKey(actor, vm)
	if err != nil || k.Controller != "https://server.example/users/alice" {
		t.Errorf("AssertionKey = %+v, %v", k, err)
	}

	out, err := proof.Sign(read(t, "fep-8b32/document.json"), priv, vm, time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	got, want := proofOf(t, out), proofOf(t, signed)
	for _, k := range []string{"type", "cryptosuite", "verificationMethod", "proofPurpose", "created", "proofValue"} {
		if got[k] != want[k] {
			t.Errorf("proof %s = %v, want %v", k, got[k], want[k])
		}
	}
	if fmt.Sprint(got["@context"]) != fmt.Sprint(want["@context"]) {
		t.Errorf("proof @context = %v, want %v", got["@context"], want["@context"])
	}
	// Sign keeps the document's own bytes and only appends the proof.
	doc := bytes.TrimSpace(read(t, "fep-8b32/document.json"))
	if !bytes.HasPrefix(out, doc[:len(doc)-1]) {
		t.Errorf("Sign rewrote the document:\n%s", out)
	}
	if _, err := proof.Verify(context.Background(), out, fromActor(actor)); err != nil {
		t.Errorf("Verify of our own signing: %v", err)
	}
}

// TestTampered changes the FEP's signed document in each way that matters:
// every change must make it fail, as invalid (or with its key not found).
func TestTampered(t *testing.T) {
	signed, actor := string(read(t, "fep-8b32/signed.json")), read(t, "fep-8b32/actor.json")
	for _, tc := range []struct{ name, old, new string }{
		{"content", `"Hello world"`, `"Hello world!"`},
		{"one character", `"Hello world"`, `"Hellp world"`},
		{"a number", `-71.184902`, `-71.184903`},
		{"actor", `"actor": "https://server.example/users/alice"`, `"actor": "https://server.example/users/mallory"`},
		{"member added", `"type": "Create",`, `"type": "Create", "cc": "https://server.example/users/mallory",`},
		{"document context", `"@context": [
        "https://www.w3.org/ns/activitystreams",`, `"@context": [
        "https://www.w3.org/ns/activitystreams", "https://evil.example/ctx",`},
		{"proof created", `"created": "2023-02-24T23:36:38Z"`, `"created": "2023-02-24T23:36:39Z"`},
		{"proof purpose", `"proofPurpose": "assertionMethod"`, `"proofPurpose": "authentication"`},
		{"proof value", `z42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC52NUasSSH37UMa9c58tdgVszUcZfytxa4fQ5TYHaJENCxUDe9SdL`,
			`z42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC52NUasSSH37UMa9c58tdgVszUcZfytxa4fQ5TYHaJENCxUDe9SdM`},
		{"proof value not base58btc", `"z42ffGu6`, `"u42ffGu6`},
		{"proof value short", `UMa9c58tdgVszUcZfytxa4fQ5TYHaJENCxUDe9SdL`, ``},
		{"duplicate key", `"type": "Create",`, `"type": "Create", "type": "Create",`},
		{"verification method", `"verificationMethod": "https://server.example/users/alice#ed25519-key"`,
			`"verificationMethod": "https://server.example/users/alice#other-key"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(signed, tc.old, tc.new, 1)
			if doc == signed {
				t.Fatal("the replacement changed nothing")
			}
			_, err := proof.Verify(context.Background(), []byte(doc), fromActor(actor))
			if !errors.Is(err, proof.ErrInvalid) && !errors.Is(err, proof.ErrKeyNotFound) {
				t.Errorf("Verify of a tampered document: %v", err)
			}
		})
	}
}

func TestNoOrOtherProof(t *testing.T) {
	ctx, actor := context.Background(), read(t, "fep-8b32/actor.json")
	if _, err := proof.Verify(ctx, read(t, "fep-8b32/document.json"), fromActor(actor)); !errors.Is(err, proof.ErrNoProof) {
		t.Errorf("no proof: %v", err)
	}
	other := strings.Replace(string(read(t, "fep-8b32/signed.json")), "eddsa-jcs-2022", "eddsa-rdfc-2022", 1)
	if _, err := proof.Verify(ctx, []byte(other), fromActor(actor)); !errors.Is(err, proof.ErrUnsupported) {
		t.Errorf("another cryptosuite: %v", err)
	}
	// An embedded copy that lost its @context takes the proof's.
	var bare map[string]json.RawMessage
	json.Unmarshal(read(t, "fep-8b32/signed.json"), &bare)
	delete(bare, "@context")
	b, _ := json.Marshal(bare)
	if _, err := proof.Verify(ctx, b, fromActor(actor)); err != nil {
		t.Errorf("without @context: %v", err)
	}
	// A proof set: ours verifies, an unknown one beside it is passed over.
	var m map[string]json.RawMessage
	json.Unmarshal(read(t, "fep-8b32/signed.json"), &m)
	m["proof"] = json.RawMessage(`[{"type":"Ed25519Signature2020","proofValue":"zzz"},` + string(m["proof"]) + `]`)
	set, _ := json.Marshal(m)
	if _, err := proof.Verify(ctx, set, fromActor(actor)); err != nil {
		t.Errorf("proof set: %v", err)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	const vm = "https://a.example/users/org#ed25519-key"
	for _, doc := range []string{
		`{}`,
		`{"type":"Create","content":"<p>تضامن &amp; solidarity</p>","n":1e21,"m":0.000001,"l":[1,2.50,-0]}` + "\n",
		`{"@context":"https://www.w3.org/ns/activitystreams","type":"Note"}`,
	} {
		out, err := proof.Sign([]byte(doc), priv, vm, time.Now())
		if err != nil {
			t.Fatalf("Sign(%s): %v", doc, err)
		}
		if !json.Valid(out) {
			t.Fatalf("Sign gave invalid JSON: %s", out)
		}
		if _, err := proof.Verify(context.Background(), out, keyFor(vm, pub)); err != nil {
			t.Errorf("Verify(%s): %v", out, err)
		}
		if _, err := proof.Sign(out, priv, vm, time.Now()); err == nil {
			t.Error("Sign accepted a document that has a proof")
		}
	}
	if _, err := proof.Sign([]byte(`["not an object"]`), priv, vm, time.Now()); err == nil {
		t.Error("Sign accepted a list")
	}
}

// TestJCSNumbers pins the JCS library's number serialization to RFC 8785
// (appendix B and section 3.2.2.3): ECMAScript's Number-to-String.
func TestJCSNumbers(t *testing.T) {
	for in, want := range map[string]string{
		`[0.0, -0, 1.0, 4.50, 2e-3, 1e-6, 1e-7, 1e21, 1e20, 123456789012345680000, 333333333.33333329, -1.5e-9, 9007199254740993]`: `[0,0,1,4.5,0.002,0.000001,1e-7,1e+21,100000000000000000000,123456789012345680000,333333333.3333333,-1.5e-9,9007199254740992]`,
		// Keys sort by UTF-16 code units: U+FB33 after the surrogate pair
		// of U+1F600, though its code point is smaller.
		`{"b":1,"a":2,"\ufb33":6,"\u20ac":3,"\ud83d\ude00":4,"\r":5}`: "{\"\\r\":5,\"a\":2,\"b\":1,\"\u20ac\":3,\"\U0001F600\":4,\"\uFB33\":6}",
	} {
		got, err := jcs.Transform([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("JCS(%s)\n got %s, %v\nwant %s", in, got, err, want)
		}
	}
}
