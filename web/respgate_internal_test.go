package web

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestVersionGate: a call never gets the value of a read that started
// before it, and calls that arrive during a read share the next one.
func TestVersionGate(t *testing.T) {
	var g versionGate
	var reads atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{})
	read := func(context.Context) (string, error) {
		n := reads.Add(1)
		if n == 1 {
			close(started)
			<-release
		}
		return strconv.Itoa(int(n)), nil
	}
	first := make(chan string)
	go func() {
		v, _ := g.do(context.Background(), "k", read)
		first <- v
	}()
	<-started // read 1 runs; everything from here on arrived after it began
	var wg sync.WaitGroup
	got := make([]string, 20)
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got[i], _ = g.do(context.Background(), "k", read)
		}(i)
	}
	time.Sleep(50 * time.Millisecond) // let them queue behind read 1
	close(release)
	wg.Wait()
	if v := <-first; v != "1" {
		t.Errorf("the first call got %q", v)
	}
	for i, v := range got {
		if v == "1" {
			t.Errorf("call %d got the value of a read that began before it", i)
		}
	}
	if n := reads.Load(); n > 3 {
		t.Errorf("%d reads for 21 calls, want the waiting calls to share one", n)
	}
	if len(g.flows) != 0 {
		t.Errorf("%d flows left behind", len(g.flows))
	}
}

// genSource is a data generation moved by hand, with one scheduled
// statement's time: the gate's memory is tested against its contract here,
// and against the real stores in respgen_test.go.
type genSource struct {
	gen atomic.Uint64
	mu  sync.Mutex
	due time.Time
}

func (s *genSource) Generation(context.Context) (uint64, error) { return s.gen.Load(), nil }

func (s *genSource) NextVisible(_ context.Context, at time.Time) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.due, s.due.After(at), nil
}

// TestVersionGateMemory: a remembered version is answered while the
// generation stands and no scheduled statement came due; a write (the
// generation moves), even one landing during the read, or the clock
// passing the due time, makes the next call read again; and the memory
// stays bounded.
func TestVersionGateMemory(t *testing.T) {
	ctx := context.Background()
	src := &genSource{due: time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)}
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC).UnixNano())
	var g versionGate
	g.wire(src, func() time.Time { return time.Unix(0, clock.Load()).UTC() })
	var reads atomic.Int32
	read := func(context.Context) (string, error) { return strconv.Itoa(int(reads.Add(1))), nil }
	get := func(want string) {
		t.Helper()
		if v, err := g.do(ctx, "k", read); err != nil || v != want {
			t.Fatalf("do = %q, %v; want %q (reads so far %d)", v, err, want, reads.Load())
		}
	}
	get("1")
	get("1") // remembered
	src.gen.Add(1)
	get("2") // a write: read again
	get("2")
	clock.Store(src.due.UnixNano()) // the scheduled statement is due
	get("3")
	get("3")
	// A write that commits while the read runs: its value must not be
	// answered after the write.
	writing := func(context.Context) (string, error) {
		v := strconv.Itoa(int(reads.Add(1)))
		src.gen.Add(1)
		return v, nil
	}
	g.memory.mu.Lock()
	clear(g.memory.known)
	g.memory.mu.Unlock()
	if v, _ := g.do(ctx, "k", writing); v != "4" {
		t.Fatalf("do = %q, want 4", v)
	}
	get("5")
	// Bounded: many keys never keep more than gateMemoryMax.
	for i := 0; i < gateMemoryMax+10; i++ {
		if _, err := g.do(ctx, "statement:"+strconv.Itoa(i), read); err != nil {
			t.Fatal(err)
		}
	}
	g.memory.mu.RLock()
	n := len(g.memory.known)
	g.memory.mu.RUnlock()
	if n > gateMemoryMax {
		t.Errorf("%d versions remembered, bound %d", n, gateMemoryMax)
	}
}
