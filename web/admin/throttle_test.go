package admin

import (
	"fmt"
	"testing"
	"time"
)

// TestThrottleRules: the pair's wait doubles after the free failures and is
// capped; another address is not slowed by them; an address failing on many
// accounts reaches its cap; an account failing from many addresses is only
// slowed, never refused; the tables stay within their bound and forget.
func TestThrottleRules(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	th := newThrottle(ThrottleConfig{Free: 3, Max: 8 * time.Second, PerAddress: 10, Window: time.Hour, AccountSlow: time.Second, Entries: 50},
		func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if w, _ := th.check("amal", "a"); w != 0 {
			t.Fatalf("failure %d already waits %v", i, w)
		}
		th.fail("amal", "a")
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		if w, _ := th.check("amal", "a"); w != want {
			t.Errorf("after %d failures wait %v, want %v", 3+i, w, want)
		}
		now = now.Add(want)
		if w, _ := th.check("amal", "a"); w != 0 {
			t.Errorf("after waiting still %v", w)
		}
		th.fail("amal", "a")
	}
	if w, _ := th.check("amal", "b"); w != 0 {
		t.Errorf("another address waits %v", w)
	}
	// Many addresses failing on one account: slowed, capped, never refused.
	for i := 0; i < 40; i++ {
		th.fail("basel", fmt.Sprintf("x%d", i))
	}
	if w, slow := th.check("basel", "home"); w != 0 || slow != time.Second {
		t.Errorf("account under attack: wait %v slow %v, want 0 and 1s", w, slow)
	}
	// One address failing on many accounts reaches its cap.
	for i := 0; i < 10; i++ {
		th.fail(fmt.Sprintf("u%d", i), "c")
	}
	if w, _ := th.check("newname", "c"); w <= 0 {
		t.Error("address over its cap may go on")
	}
	// Success forgets the pair.
	th.succeed("amal", "a")
	if w, _ := th.check("amal", "a"); w != 0 {
		t.Errorf("after success wait %v", w)
	}
	for _, l := range []*lru{th.pair, th.address, th.account} {
		if l.len() > 50 {
			t.Errorf("table holds %d entries, bound 50", l.len())
		}
	}
	now = now.Add(2 * time.Hour)
	if w, slow := th.check("newname", "c"); w != 0 || slow != 0 {
		t.Errorf("after the window: wait %v slow %v", w, slow)
	}
}
