package httpsig

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestVerifyDigest(t *testing.T) {
	body := []byte(`{"hello": "world"}`)
	s256 := sha256.Sum256(body)
	s512 := sha512.Sum512(body)
	b256 := base64.StdEncoding.EncodeToString(s256[:])
	b512 := base64.StdEncoding.EncodeToString(s512[:])
	wrong := base64.StdEncoding.EncodeToString(make([]byte, 32))

	tests := []struct {
		name    string
		header  http.Header
		wantErr bool
	}{
		{"Digest SHA-256", http.Header{"Digest": {"SHA-256=" + b256}}, false},
		{"Digest RFC example", http.Header{"Digest": {"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="}}, false},
		{"Digest lowercase name", http.Header{"Digest": {"sha-256=" + b256}}, false},
		{"Digest SHA-512", http.Header{"Digest": {"SHA-512=" + b512}}, false},
		{"Digest unpadded", http.Header{"Digest": {"SHA-256=" + strings.TrimRight(b256, "=")}}, false},
		{"Digest with an unknown algorithm too", http.Header{"Digest": {"MD5=Sd/dVLAcvNLSq16eXua5uQ==, SHA-256=" + b256}}, false},
		{"Digest two lines", http.Header{"Digest": {"MD5=x", "SHA-256=" + b256}}, false},
		{"Digest mismatch", http.Header{"Digest": {"SHA-256=" + wrong}}, true},
		{"Digest one of two wrong", http.Header{"Digest": {"SHA-256=" + b256 + ",SHA-512=" + wrong}}, true},
		{"Digest unknown algorithm only", http.Header{"Digest": {"MD5=Sd/dVLAcvNLSq16eXua5uQ=="}}, true},
		{"Digest not base64", http.Header{"Digest": {"SHA-256=!!!"}}, true},
		{"Digest no =", http.Header{"Digest": {"SHA-256"}}, true},
		{"Digest hex", http.Header{"Digest": {"SHA-256=5f8f04f6a3a892aaabbddb6cf273894493773960d4a325b105fee46eef4304f1"}}, true},
		{"Content-Digest sha-256", http.Header{"Content-Digest": {"sha-256=:" + b256 + ":"}}, false},
		{"Content-Digest RFC sha-512", http.Header{"Content-Digest": {"sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"}}, false},
		{"Content-Digest both", http.Header{"Content-Digest": {"sha-256=:" + b256 + ":, sha-512=:" + b512 + ":"}}, false},
		{"Content-Digest unknown too", http.Header{"Content-Digest": {"md5=:Sd/dVLAcvNLSq16eXua5uQ==:, sha-256=:" + b256 + ":"}}, false},
		{"Content-Digest mismatch", http.Header{"Content-Digest": {"sha-256=:" + wrong + ":"}}, true},
		{"Content-Digest uppercase key", http.Header{"Content-Digest": {"SHA-256=:" + b256 + ":"}}, true},
		{"Content-Digest not bytes", http.Header{"Content-Digest": {`sha-256="` + b256 + `"`}}, true},
		{"Content-Digest unknown only", http.Header{"Content-Digest": {"md5=:Sd/dVLAcvNLSq16eXua5uQ==:"}}, true},
		{"Content-Digest malformed", http.Header{"Content-Digest": {"sha-256=:" + b256}}, true},
		{"both, both right", http.Header{"Digest": {"SHA-256=" + b256}, "Content-Digest": {"sha-512=:" + b512 + ":"}}, false},
		{"both, Digest wrong", http.Header{"Digest": {"SHA-256=" + wrong}, "Content-Digest": {"sha-256=:" + b256 + ":"}}, true},
		{"both, Content-Digest wrong", http.Header{"Digest": {"SHA-256=" + b256}, "Content-Digest": {"sha-256=:" + wrong + ":"}}, true},
		{"neither", http.Header{"Content-Type": {"application/json"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyDigest(tc.header, body)
			if !tc.wantErr && err != nil {
				t.Fatalf("VerifyDigest: %v", err)
			}
			if tc.wantErr && !errors.Is(err, ErrDigest) {
				t.Fatalf("VerifyDigest = %v, want ErrDigest", err)
			}
		})
	}
}

func TestVerifyDigestEmptyBody(t *testing.T) {
	// snac signs a Digest of the empty body on its GETs.
	h := http.Header{"Digest": {"SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}
	if err := VerifyDigest(h, nil); err != nil {
		t.Fatal(err)
	}
	if err := VerifyDigest(h, []byte("x")); !errors.Is(err, ErrDigest) {
		t.Fatalf("non-empty body: %v", err)
	}
}

// FuzzVerifyDigest must never panic and never accept a digest that is not
// the body's.
func FuzzVerifyDigest(f *testing.F) {
	f.Add("SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "", []byte(nil))
	f.Add("", "sha-256=:6/SwEYnSBIJ3IZP/EevzMxOvRf4d+dKA3PMO7HO2qCM=:", []byte("{}"))
	f.Add("sha-512=x,MD5=y", "sha-512=:YQ==:, md5=?1", []byte("a"))
	f.Fuzz(func(t *testing.T, digest, contentDigest string, body []byte) {
		h := http.Header{}
		if digest != "" {
			h.Set("Digest", digest)
		}
		if contentDigest != "" {
			h.Set("Content-Digest", contentDigest)
		}
		if VerifyDigest(h, body) != nil {
			return
		}
		s256 := sha256.Sum256(body)
		s512 := sha512.Sum512(body)
		if !strings.Contains(digest+contentDigest, base64.RawStdEncoding.EncodeToString(s256[:])[:40]) &&
			!strings.Contains(digest+contentDigest, base64.RawStdEncoding.EncodeToString(s512[:])[:80]) {
			t.Fatalf("accepted Digest %q / Content-Digest %q for a body they do not hash", digest, contentDigest)
		}
	})
}
