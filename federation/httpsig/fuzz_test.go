package httpsig

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fixtureHeaderValues collects the values of a header across the captured
// requests, to seed the fuzzers with real traffic. Without the fixtures it
// returns nothing and the hand-written seeds are used alone.
func fixtureHeaderValues(name string) []string {
	files, _ := filepath.Glob(filepath.Join(fixturesDir, "*", "*.http"))
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			continue
		}
		out = append(out, req.Header.Values(name)...)
	}
	return out
}

// FuzzParseCavage feeds arbitrary Signature headers to Parse: it must
// never panic, and anything it accepts must be fully formed and must not
// verify under a key that did not sign it.
func FuzzParseCavage(f *testing.F) {
	for _, v := range fixtureHeaderValues("Signature") {
		if len(v) > 0 && v[0] == 'k' { // draft-cavage, not RFC 9421 dictionaries
			f.Add(v)
		}
	}
	for _, v := range []string{
		`keyId="k",algorithm="hs2019",headers="(request-target) host date digest",signature="c2ln"`,
		`keyId="k",headers="(request-target) host (created) (expires)",created=1795464000,expires=1795464060,signature="c2ln"`,
		`keyId="k" , headers="(request-target) host date accept",signature="c2ln",`,
		`keyId="a\"b",signature="c2ln\\"`,
		`keyId=k,signature=c2ln,headers=date`,
		`,,,=`, `keyId="`, `"`, `a=b=c`, ``,
	} {
		f.Add(v)
	}
	key, _ := testKeys(f)
	opts := testOptions()
	opts.RequireDigest = false
	f.Fuzz(func(t *testing.T, header string) {
		req := cavageRequest(t, "GET", "", map[string]string{"Accept": "application/activity+json"})
		req.Header.Set("Signature", header)
		sig, err := Parse(req, opts)
		if err != nil {
			return
		}
		if sig.KeyID == "" || len(sig.sig) == 0 || len(sig.base) == 0 || !sig.Covers("(request-target)") || sig.Created.IsZero() {
			t.Fatalf("accepted an incomplete signature %+v from %q", sig, header)
		}
		if err := sig.Verify(&key.PublicKey); err == nil {
			t.Fatalf("random signature %q verified", header)
		}
	})
}

// FuzzParseRFC9421 feeds arbitrary Signature-Input and Signature headers to
// Parse: it must never panic, and what it accepts must be fully formed.
func FuzzParseRFC9421(f *testing.F) {
	inputs := fixtureHeaderValues("Signature-Input")
	sigs := fixtureHeaderValues("Signature")
	for _, in := range inputs {
		for _, s := range sigs {
			if len(s) > 0 && s[0] == 's' {
				f.Add(in, s)
				break
			}
		}
	}
	created := "created=1795464000"
	for _, p := range [][2]string{
		{`sig1=("@method" "@target-uri" "content-digest");` + created + `;keyid="k"`, `sig1=:c2ln:`},
		{`sig1=("@method" "@authority" "@path" "@query" "@scheme" "@request-target" "date" "content-digest");` + created + `;keyid="k";alg="ed25519"`, `sig1=:c2ln:`},
		{`a=("@method");keyid="x", sig1=("@method" "@target-uri" "content-digest" "content-digest");` + created + `;keyid="k";expires=1795464060`, `a=:YQ==:, sig1=:c2ln:`},
		{`sig1=("@method" "@target-uri" "content-digest";sf);` + created + `;keyid="k"`, `sig1=:c2ln:`},
		{`sig1=()`, `sig1=:YQ:`},
		{`sig1=`, ``},
	} {
		f.Add(p[0], p[1])
	}
	edPub, _ := mustEd25519(f)
	now := time.Unix(1795464000, 0)
	opts := Options{Now: func() time.Time { return now }, RequireDigest: true}
	f.Fuzz(func(t *testing.T, input, signature string) {
		req := unsignedPost(t, []byte(`{}`))
		req.Header.Set("Signature-Input", input)
		req.Header.Set("Signature", signature)
		sig, err := Parse(req, opts)
		if err != nil {
			return
		}
		if sig.KeyID == "" || len(sig.sig) == 0 || !sig.Covers("@method") || !sig.Covers("content-digest") || sig.Created.IsZero() {
			t.Fatalf("accepted an incomplete signature %+v", sig)
		}
		const paramsLine = `"@signature-params": `
		i := bytes.LastIndex(sig.base, []byte(paramsLine))
		if i < 0 || !bytes.Contains([]byte(input), sig.base[i+len(paramsLine):]) {
			t.Fatalf("@signature-params line not taken from the input:\n%s", sig.base)
		}
		if err := sig.Verify(edPub); err == nil {
			t.Fatal("random signature verified")
		}
	})
}
