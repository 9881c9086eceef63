package web

import (
	"context"
	"sync"
)

// versionGate shares version reads between concurrent requests without
// ever answering a request with a read that began before it arrived.
//
// When a statement is boosted widely, hundreds of requests for it arrive
// at once, and each would read the same version from the database. A plain
// single-flight would let a request join a read already under way, which
// may have started before a change the request's client has already seen
// (an editor saves, then reloads): that request could get the old page. The
// gate lets a request join only a read that has not started yet. While one
// read runs, the requests that arrive wait for the next one, which starts
// when the running one ends and serves all of them. Under load the
// database sees one read per key at a time instead of one per request,
// and every answer still reflects every change committed before its
// request arrived.
type versionGate struct {
	mu    sync.Mutex
	flows map[string]*gateFlow
}

type gateFlow struct {
	running *gateRead // started; nil when none
	next    *gateRead // not started yet: arrivals may join it
}

type gateRead struct {
	done chan struct{}
	val  string
	err  error
}

// do returns the value of read for key, from a read that started after
// this call began. The read runs without the caller's cancellation, since
// other requests wait for it too.
func (g *versionGate) do(ctx context.Context, key string, read func(context.Context) (string, error)) (string, error) {
	g.mu.Lock()
	if g.flows == nil {
		g.flows = map[string]*gateFlow{}
	}
	fl := g.flows[key]
	if fl == nil {
		fl = &gateFlow{}
		g.flows[key] = fl
	}
	if r := fl.next; r != nil {
		g.mu.Unlock()
		select {
		case <-r.done:
			return r.val, r.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	r := &gateRead{done: make(chan struct{})}
	prev := fl.running
	if prev == nil {
		fl.running = r
	} else {
		fl.next = r
	}
	g.mu.Unlock()
	if prev != nil {
		<-prev.done
		g.mu.Lock()
		fl.running, fl.next = r, nil
		g.mu.Unlock()
	}
	r.val, r.err = read(context.WithoutCancel(ctx))
	g.mu.Lock()
	if fl.running == r {
		fl.running = nil
		if fl.next == nil {
			delete(g.flows, key)
		}
	}
	g.mu.Unlock()
	close(r.done)
	return r.val, r.err
}
