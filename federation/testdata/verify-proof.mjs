// An eddsa-jcs-2022 verifier in JavaScript, independent of the Go code: it
// shares no code with federation/proof, and its canonical JSON leans on the
// language RFC 8785 was defined from (JSON.stringify for strings and
// numbers, Array.prototype.sort for the UTF-16 key order). Node's crypto
// does the SHA-256 and Ed25519.
//
// usage: node verify-proof.mjs signed.json actor.json
// Prints "verified <verificationMethod>" and exits 0, or says why not and
// exits 1.
import { readFileSync } from "node:fs";
import { createHash, createPublicKey, verify } from "node:crypto";

function canonical(v) {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
  return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canonical(v[k])).join(",") + "}";
}

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function base58btc(text) {
  if (!text.startsWith("z")) throw new Error("not multibase base58btc");
  let n = 0n;
  let zeros = 0;
  const s = text.slice(1);
  while (zeros < s.length && s[zeros] === "1") zeros++;
  for (const c of s) {
    const d = ALPHABET.indexOf(c);
    if (d < 0) throw new Error("bad base58 character " + c);
    n = n * 58n + BigInt(d);
  }
  const bytes = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 255n));
    n >>= 8n;
  }
  return Buffer.from([...new Array(zeros).fill(0), ...bytes]);
}

function fail(why) {
  console.log(why);
  process.exit(1);
}

const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
const actor = JSON.parse(readFileSync(process.argv[3], "utf8"));
const proof = doc.proof;
if (!proof || proof.type !== "DataIntegrityProof" || proof.cryptosuite !== "eddsa-jcs-2022") fail("no eddsa-jcs-2022 proof");
if (proof.proofPurpose !== "assertionMethod") fail("proofPurpose " + proof.proofPurpose);
const unsecured = { ...doc };
delete unsecured.proof;
const options = { ...proof };
delete options.proofValue;
if ("@context" in options) {
  const want = [].concat(options["@context"]);
  const have = [].concat(unsecured["@context"] ?? []);
  if (want.some((c, i) => canonical(c) !== canonical(have[i]))) fail("@context does not start with the proof's");
  unsecured["@context"] = options["@context"];
}
const methods = [].concat(actor.assertionMethod ?? []);
const method = methods.find((m) => m && m.id === proof.verificationMethod);
if (!method || method.type !== "Multikey") fail("no Multikey " + proof.verificationMethod + " in the actor");
if (method.controller !== actor.id) fail("key controlled by " + method.controller);
const raw = base58btc(method.publicKeyMultibase);
if (raw[0] !== 0xed || raw[1] !== 0x01 || raw.length !== 34) fail("not an Ed25519 Multikey");
const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.subarray(2).toString("base64url") }, format: "jwk" });
const sha = (s) => createHash("sha256").update(s, "utf8").digest();
const data = Buffer.concat([sha(canonical(options)), sha(canonical(unsecured))]);
if (!verify(null, data, key, base58btc(proof.proofValue))) fail("signature does not verify");
console.log("verified " + proof.verificationMethod);
