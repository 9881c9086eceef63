package proof

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/gowebpki/jcs"
)

// The values of a proof's type, cryptosuite and proofPurpose that this
// package makes and checks. FEP-8b32 asks for assertionMethod: the key is
// one its controller asserts statements with.
const (
	Type        = "DataIntegrityProof"
	Cryptosuite = "eddsa-jcs-2022"
	Purpose     = "assertionMethod"
)

var (
	// ErrNoProof: the document carries no proof member.
	ErrNoProof = errors.New("proof: the document has no proof")
	// ErrUnsupported: the document's proofs are all of kinds this package
	// cannot check (another type or cryptosuite, or a proof chain). Such a
	// document is neither proven nor disproven.
	ErrUnsupported = errors.New("proof: no proof of a supported kind")
	// ErrInvalid: a proof of our kind is malformed or does not verify. The
	// document must not be trusted.
	ErrInvalid = errors.New("proof: invalid proof")
)

// Resolver finds the Ed25519 public key a verification method names,
// typically by reading the assertionMethod of its controller's actor
// document (see AssertionKey). Its error is returned by Verify, wrapped.
type Resolver func(ctx context.Context, verificationMethod string) (ed25519.PublicKey, error)

// Result describes a proof that verified.
type Result struct {
	VerificationMethod string
	Created            time.Time // zero when the proof gives no time
	// WithoutSignature: the proof covers the document without its Linked
	// Data "signature" member. Fedify signs the proof first and adds its
	// RsaSignature2017 afterwards, over the document with the proof, so its
	// proofs only verify once that signature is set aside too.
	WithoutSignature bool
}

// Sign adds an eddsa-jcs-2022 DataIntegrityProof to doc, a JSON object
// without a proof, and returns the signed document: doc's own bytes with a
// "proof" member appended, so everything else stays exactly as it was.
// verificationMethod is the id of the Multikey the key belongs to; created
// is written to the second, in UTC.
func Sign(doc []byte, key ed25519.PrivateKey, verificationMethod string, created time.Time) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("proof: sign: not an Ed25519 private key")
	}
	top, err := members(doc)
	if err != nil {
		return nil, fmt.Errorf("proof: sign: %w", err)
	}
	if _, ok := top["proof"]; ok {
		return nil, errors.New("proof: sign: the document already has a proof")
	}
	opts := map[string]any{
		"type":               Type,
		"cryptosuite":        Cryptosuite,
		"verificationMethod": verificationMethod,
		"proofPurpose":       Purpose,
		"created":            created.UTC().Truncate(time.Second).Format(time.RFC3339),
	}
	// The proof carries the document's @context, so that it stays valid
	// inside a proof set or when lifted out with its document.
	if c, ok := top["@context"]; ok {
		opts["@context"] = c
	}
	cfg, err := canonical(opts)
	if err != nil {
		return nil, fmt.Errorf("proof: sign: %w", err)
	}
	data, err := jcs.Transform(doc)
	if err != nil {
		return nil, fmt.Errorf("proof: sign: canonicalize: %w", err)
	}
	opts["proofValue"] = "z" + encodeBase58(ed25519.Sign(key, hashData(cfg, data)))
	p, err := marshal(opts)
	if err != nil {
		return nil, fmt.Errorf("proof: sign: %w", err)
	}
	body := bytes.TrimRight(doc, " \t\r\n")
	var out bytes.Buffer
	out.Grow(len(body) + len(p) + 10)
	out.Write(body[:len(body)-1]) // members() checked it ends with '}'
	if len(top) > 0 {
		out.WriteByte(',')
	}
	out.WriteString(`"proof":`)
	out.Write(p)
	out.WriteByte('}')
	return out.Bytes(), nil
}

// Verify checks the eddsa-jcs-2022 proof of doc, following the Verify
// Proof algorithm of Data Integrity EdDSA Cryptosuites v1.0 (section 3.3.2).
// A proof set (a list of proofs) verifies when every proof of our kind in
// it does; proofs of other kinds are passed over. The errors wrap
// ErrNoProof, ErrUnsupported, ErrInvalid, or the resolver's error.
func Verify(ctx context.Context, doc []byte, resolve Resolver) (*Result, error) {
	// Canonicalizing the document as received refuses what JCS refuses
	// (duplicate keys, lone surrogates, numbers out of range) before the
	// document is decoded, where a duplicate key would silently collapse.
	if _, err := jcs.Transform(doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	top, err := members(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	raw, ok := top["proof"]
	if !ok {
		return nil, ErrNoProof
	}
	var proofs []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &proofs); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("%w: proof is neither an object nor a list of objects", ErrInvalid)
		}
		proofs = append(proofs, one)
	}
	unsecured := make(map[string]json.RawMessage, len(top))
	for k, v := range top {
		if k != "proof" {
			unsecured[k] = v
		}
	}
	var res *Result
	for _, p := range proofs {
		if str(p["type"]) != Type || str(p["cryptosuite"]) != Cryptosuite {
			continue
		}
		if _, chained := p["previousProof"]; chained {
			continue // proof chains are not used in the fediverse
		}
		r, err := verifyOne(ctx, unsecured, p, resolve)
		if err != nil {
			return nil, err
		}
		if res == nil {
			res = r
		}
	}
	if res == nil {
		return nil, ErrUnsupported
	}
	return res, nil
}

func verifyOne(ctx context.Context, doc, p map[string]json.RawMessage, resolve Resolver) (*Result, error) {
	value := str(p["proofValue"])
	sig, err := decodeMultibase(value)
	if err != nil {
		return nil, fmt.Errorf("%w: proofValue: %v", ErrInvalid, err)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: proofValue holds %d bytes, not an Ed25519 signature", ErrInvalid, len(sig))
	}
	opts := make(map[string]json.RawMessage, len(p))
	for k, v := range p {
		if k != "proofValue" {
			opts[k] = v
		}
	}
	res := &Result{VerificationMethod: str(opts["verificationMethod"])}
	if res.VerificationMethod == "" {
		return nil, fmt.Errorf("%w: no verificationMethod", ErrInvalid)
	}
	if purpose := str(opts["proofPurpose"]); purpose != Purpose {
		return nil, fmt.Errorf("%w: proofPurpose %.50q, want %s", ErrInvalid, purpose, Purpose)
	}
	if c, ok := opts["created"]; ok {
		// An XML Schema dateTime; in practice always with a zone, as
		// RFC 3339 has it.
		t, err := time.Parse(time.RFC3339Nano, str(c))
		if err != nil {
			return nil, fmt.Errorf("%w: created %.40s is not a date-time", ErrInvalid, c)
		}
		res.Created = t
	}
	// The proof's @context must open the document's, and replaces it in
	// what is hashed: the proof vouches for exactly those contexts. One
	// leniency: a document with no @context at all takes the proof's. An
	// object embedded in another (a Create inside a relay's Announce) often
	// loses its own @context to its parent's; the signer copied that
	// context into the proof, so putting it back rebuilds exactly what was
	// signed, and nothing unsigned gets in.
	if pc, ok := opts["@context"]; ok {
		if _, has := doc["@context"]; has && !contextStartsWith(doc["@context"], pc) {
			return nil, fmt.Errorf("%w: the document's @context does not start with the proof's", ErrInvalid)
		}
		doc = withMember(doc, "@context", pc)
	}
	cfg, err := canonical(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: proof options: %v", ErrInvalid, err)
	}
	pub, err := resolve(ctx, res.VerificationMethod)
	if err != nil {
		return nil, fmt.Errorf("proof: verification method %s: %w", res.VerificationMethod, err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: verification method %s is not an Ed25519 key", ErrInvalid, res.VerificationMethod)
	}
	data, err := canonical(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if ed25519.Verify(pub, hashData(cfg, data), sig) {
		return res, nil
	}
	// Fedify adds its Linked Data signature after the proof (see Result).
	if _, ok := doc["signature"]; ok {
		data, err := canonical(withMember(doc, "signature", nil))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if ed25519.Verify(pub, hashData(cfg, data), sig) {
			res.WithoutSignature = true
			return res, nil
		}
	}
	return nil, fmt.Errorf("%w: the signature does not match the document", ErrInvalid)
}

// hashData is what eddsa-jcs-2022 signs: the hash of the canonical proof
// configuration, then the hash of the canonical document.
func hashData(cfg, doc []byte) []byte {
	a, b := sha256.Sum256(cfg), sha256.Sum256(doc)
	return append(a[:], b[:]...)
}

// members splits a JSON object into its members, as raw JSON.
func members(doc []byte) (map[string]json.RawMessage, error) {
	body := bytes.TrimSpace(doc)
	if len(body) == 0 || body[0] != '{' || body[len(body)-1] != '}' {
		return nil, errors.New("not a JSON object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// withMember is a copy of m with k set to v, or removed when v is nil.
func withMember(m map[string]json.RawMessage, k string, v json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m)+1)
	for key, val := range m {
		out[key] = val
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// contextStartsWith reports whether the document's @context begins with
// every entry of the proof's, in order. Either may be one value or a list.
func contextStartsWith(docCtx, proofCtx json.RawMessage) bool {
	d, p := contextList(docCtx), contextList(proofCtx)
	if p == nil || d == nil || len(p) > len(d) {
		return false
	}
	for i := range p {
		if !reflect.DeepEqual(p[i], d[i]) {
			return false
		}
	}
	return true
}

func contextList(raw json.RawMessage) []any {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// canonical is the RFC 8785 form of v.
func canonical(v any) ([]byte, error) {
	b, err := marshal(v)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(b)
}

// marshal is JSON without HTML escaping, as the rest of our documents.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// str is a raw JSON string's value, or "" for anything else.
func str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
