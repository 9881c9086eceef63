package proof

import (
	"errors"
	"fmt"
)

// The Bitcoin base58 alphabet, which multibase names base58btc ('z').
const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var base58Index = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base58Alphabet); i++ {
		t[base58Alphabet[i]] = int8(i)
	}
	return t
}()

// maxBase58 bounds what decodeBase58 accepts: the conversion is quadratic,
// and nothing we read (keys, signatures, Fedify's 4096-bit RSA Multikey at
// about 740 characters) comes near it.
const maxBase58 = 2048

// encodeBase58 writes b in base58btc: each leading zero byte becomes a '1',
// the rest is the big-endian number b in base 58.
func encodeBase58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	// log(256)/log(58) < 1.37: digits needed for the number part.
	digits := make([]byte, 0, (len(b)-zeros)*137/100+1)
	for _, c := range b[zeros:] {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	out := make([]byte, zeros+len(digits))
	for i := 0; i < zeros; i++ {
		out[i] = '1'
	}
	for i, d := range digits { // digits are least significant first
		out[len(out)-1-i] = base58Alphabet[d]
	}
	return string(out)
}

// decodeBase58 reads base58btc text.
func decodeBase58(s string) ([]byte, error) {
	if len(s) > maxBase58 {
		return nil, errors.New("base58 text too long")
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// log(58)/log(256) < 0.74: bytes needed for the number part.
	num := make([]byte, 0, (len(s)-zeros)*74/100+1)
	for i := zeros; i < len(s); i++ {
		v := base58Index[s[i]]
		if v < 0 {
			return nil, fmt.Errorf("invalid base58 character %q", s[i])
		}
		carry := int(v)
		for j := range num {
			carry += int(num[j]) * 58
			num[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			num = append(num, byte(carry))
			carry >>= 8
		}
	}
	out := make([]byte, zeros+len(num))
	for i, c := range num { // num is least significant first
		out[len(out)-1-i] = c
	}
	return out, nil
}
