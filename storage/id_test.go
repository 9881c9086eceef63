package storage

import (
	"testing"
	"time"
)

func TestNewIDShapeAndOrder(t *testing.T) {
	seen := map[string]bool{}
	prev := NewID()
	for i := 0; i < 2000; i++ {
		id := NewID()
		if !ValidID(id) {
			t.Fatalf("NewID() = %q is not ValidID", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		if i%500 == 0 {
			time.Sleep(2 * time.Millisecond)
			next := NewID()
			if next[:10] <= prev[:10] {
				t.Fatalf("ids do not sort by time: %s then %s", prev, next)
			}
			prev = next
		}
	}
	for _, bad := range []string{"", "abc", "01j0000000000000000000000i", "81j00000000000000000000000", "01J00000000000000000000000"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

// TestPasswordLengthInCharacters: the shortest password is counted in
// characters, as the message says: five Arabic letters (ten bytes) are too
// few, ten are enough.
func TestPasswordLengthInCharacters(t *testing.T) {
	if _, err := HashPassword("كلمةس"); err == nil {
		t.Error("a password of 5 Arabic letters (10 bytes) was accepted")
	}
	if _, err := HashPassword("كلمةسرطويل"); err != nil {
		t.Errorf("a password of 10 Arabic letters: %v", err)
	}
}
