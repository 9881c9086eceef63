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
