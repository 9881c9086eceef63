package proof

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"testing"
)

// Vectors of draft-msporny-base58 (The Base58 Encoding Scheme) and of the
// Bitcoin reference implementation's base58_encode_decode.json.
func TestBase58Vectors(t *testing.T) {
	for _, tc := range []struct{ hex, b58 string }{
		{"", ""},
		{"61", "2g"},
		{"626262", "a3gV"},
		{"636363", "aPEr"},
		{hex.EncodeToString([]byte("Hello World!")), "2NEpo7TZRRrLZSi2U"},
		{hex.EncodeToString([]byte("The quick brown fox jumps over the lazy dog.")), "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"},
		{"0000287fb4cd", "11233QC4"},
		{"00000000000000000000", "1111111111"},
		{"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
		{"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
		{"10c8511e", "Rt5zm"},
	} {
		b, _ := hex.DecodeString(tc.hex)
		if got := encodeBase58(b); got != tc.b58 {
			t.Errorf("encode %s = %q, want %q", tc.hex, got, tc.b58)
		}
		got, err := decodeBase58(tc.b58)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("decode %q = %x, %v; want %s", tc.b58, got, err, tc.hex)
		}
	}
}

func TestBase58RoundTrip(t *testing.T) {
	for n := 0; n < 80; n++ {
		b := make([]byte, n)
		rand.Read(b)
		if n > 3 {
			b[0], b[1] = 0, 0 // leading zeros are '1's
		}
		got, err := decodeBase58(encodeBase58(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip of %x gave %x, %v", b, got, err)
		}
	}
}

func TestBase58Refuses(t *testing.T) {
	for _, s := range []string{"0", "O", "I", "l", "abc+", "2g\n", string(make([]byte, maxBase58+1))} {
		if _, err := decodeBase58(s); err == nil {
			t.Errorf("decodeBase58(%.10q) accepted", s)
		}
	}
}
