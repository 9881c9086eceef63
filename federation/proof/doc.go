// Package proof owns object integrity proofs as the fediverse uses them
// (FEP-8b32): a DataIntegrityProof of the cryptosuite eddsa-jcs-2022, from
// the W3C "Data Integrity EdDSA Cryptosuites v1.0" recommendation, embedded
// in an activity or object as its "proof" member. A proof travels with the
// document, so a copy relayed by a third server (an Announce embedding the
// original Create) can still be checked against its author's key without
// fetching the original.
//
// eddsa-jcs-2022 in short: the proof configuration is the proof without
// its proofValue, carrying the document's @context; the data signed is
// SHA-256(JCS(proof configuration)) followed by SHA-256(JCS(document
// without its proof)), JCS being the JSON Canonicalization Scheme of RFC
// 8785; the signature is pure Ed25519 over those 64 bytes, and proofValue is
// its multibase base58btc text ('z' prefix).
//
// Keys are published as Multikeys: multibase base58btc of a multicodec
// varint prefix followed by the raw key (0xed01 for an Ed25519 public key,
// 0x8026 for an Ed25519 private key's seed, 0x8524 for an RSA public key in
// PKCS#1 DER, which Fedify publishes beside its Ed25519 key and which this
// package can read but never uses for proofs).
//
// Fedify (2.3, in ../../../shared/fixtures/peers/fedify) sends every
// activity with both a proof and a Linked Data "signature"
// (RsaSignature2017). It makes the proof first and the LD signature last,
// so its proof covers the document without "signature": removing only
// "proof", as the specification says, gives a document Fedify never
// signed. Verify therefore tries the document as the specification has it
// and then, if that fails and there is a "signature", without it too
// (Result.WithoutSignature tells which held). Leaving the LD signature out
// changes nothing that is acted on: it is a second signature over the same
// content, not content.
//
// JCS comes from github.com/gowebpki/jcs: RFC 8785's number serialization
// (ECMAScript's Number.prototype.toString) and its UTF-16 key order are
// easy to get subtly wrong, and that library is kept and tested against the
// RFC's vectors. Base58btc and the multicodec prefixes are a few lines each
// and are written here.
package proof
