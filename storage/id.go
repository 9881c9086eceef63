package storage

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// crockford is Crockford's base32 alphabet in lower case: no i, l, o or u,
// so ids read aloud or copied by hand survive.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns a new 26-character identifier: 48 bits of milliseconds since
// the Unix epoch followed by 80 random bits (the ULID layout). Ids sort by
// creation time, which keeps indexes append-mostly, and are never reused:
// a deleted statement's id stays taken by its tombstone.
func NewID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("storage: crypto/rand failed: " + err.Error())
	}
	// 128 bits -> 26 base32 digits, most significant first (the first digit carries 3 bits).
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ValidID reports whether s has the shape of an id made by NewID. Handlers use
// it to answer 404 on garbage without asking the database.
func ValidID(s string) bool {
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u') {
			return false
		}
	}
	return true
}
