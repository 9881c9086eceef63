package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// config is one run of the tool, as the flags give it.
type config struct {
	conns       int
	duration    time.Duration // per side and URL
	rounds      int           // turns per side with baseline
	headers     headerFlag
	baseline    bool
	allowRemote bool
	caFile      string         // -ca, for the report
	roots       *x509.CertPool // the system's roots and -ca's; nil for the system's alone
	insecure    bool           // -insecure: certificates not verified
	urls        []string
}

// refusal is the reason to refuse addresses that are not loopback, nil if
// they are allowed: -insecure limits a run to loopback even with
// -allow-remote.
func (c config) refusal() error {
	switch {
	case c.insecure:
		return errInsecureRemote
	case !c.allowRemote:
		return errRemote
	}
	return nil
}

// side is what was measured of one server (the node, or memory) at one URL.
type side struct {
	requests uint64 // answered and read, good or not
	bytes    uint64 // body bytes as received (compressed when the server compressed)
	elapsed  time.Duration
	status   map[int]uint64
	errors   uint64            // answers not 2xx or 304, and failed requests
	kinds    map[string]uint64 // errors by kind, at most maxErrorKinds kinds
	latency  histogram
}

// maxErrorKinds bounds how many distinct error messages a side keeps;
// further kinds are counted under "other".
const maxErrorKinds = 8

func newSide() *side {
	return &side{status: map[int]uint64{}, kinds: map[string]uint64{}}
}

func (s *side) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.requests) / s.elapsed.Seconds()
}

func (s *side) byteRate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.bytes) / s.elapsed.Seconds()
}

func (s *side) addError(msg string) {
	s.errors++
	if _, ok := s.kinds[msg]; !ok && len(s.kinds) >= maxErrorKinds {
		msg = "other"
	}
	s.kinds[msg]++
}

// merge adds o, measured in the same turn or another, to s.
func (s *side) merge(o *side) {
	s.requests += o.requests
	s.bytes += o.bytes
	s.elapsed += o.elapsed
	s.errors += o.errors
	for k, v := range o.status {
		s.status[k] += v
	}
	for k, v := range o.kinds {
		if _, ok := s.kinds[k]; !ok && len(s.kinds) >= maxErrorKinds {
			k = "other"
		}
		s.kinds[k] += v
	}
	s.latency.merge(&o.latency)
}

// target is one URL's results.
type target struct {
	url    string
	node   *side
	memory *side   // nil without -baseline
	stored *stored // the answer memory served, with -baseline
	tls    bool    // an https URL: memory served over TLS too
}

// ratio is node requests/s over memory requests/s, 0 when unknown.
func (t *target) ratio() float64 {
	if t.memory == nil || t.memory.rate() == 0 {
		return 0
	}
	return t.node.rate() / t.memory.rate()
}

// results is everything a run measured.
type results struct {
	cfg         config
	targets     []*target
	interrupted bool // stopped by a signal before the end
}

// errorCount is the number of errors over every URL and side.
func (r *results) errorCount() uint64 {
	var n uint64
	for _, t := range r.targets {
		n += t.node.errors
		if t.memory != nil {
			n += t.memory.errors
		}
	}
	return n
}

// measure runs the load described by cfg. Cancelling ctx stops it between
// requests; what was measured until then is returned with interrupted set.
// progress, if not nil, gets a line as each URL starts.
func measure(ctx context.Context, cfg config, progress io.Writer) (*results, error) {
	if cfg.conns < 1 || cfg.duration <= 0 || cfg.rounds < 1 || len(cfg.urls) == 0 {
		return nil, errors.New("need at least one URL, one connection, one round and a duration")
	}
	secure := map[string]bool{} // URL → https
	var anyHTTP, anyHTTPS bool
	for _, raw := range cfg.urls {
		u, err := checkTarget(ctx, raw, cfg.refusal())
		if err != nil {
			return nil, err
		}
		secure[raw] = u.Scheme == "https"
		anyHTTP = anyHTTP || !secure[raw]
		anyHTTPS = anyHTTPS || secure[raw]
	}
	tr := newTransport(cfg.conns, cfg.refusal(), nodeTLS(cfg))
	defer tr.CloseIdleConnections()
	client := newClient(tr)
	for _, raw := range cfg.urls {
		if !secure[raw] || ctx.Err() != nil {
			continue
		}
		if err := checkTrust(ctx, client, raw); err != nil {
			return nil, err
		}
	}
	res := &results{cfg: cfg}
	// With -baseline, memory answers http URLs over HTTP and https URLs
	// over TLS, on a certificate made for the run that its client alone
	// trusts.
	var plainMem, tlsMem *memoryServer
	memClient := client
	if cfg.baseline && anyHTTP {
		var err error
		if plainMem, err = startMemory(nil); err != nil {
			return nil, err
		}
		defer plainMem.close()
	}
	if cfg.baseline && anyHTTPS {
		cert, roots, err := memoryCert()
		if err != nil {
			return nil, err
		}
		if tlsMem, err = startMemory(&cert); err != nil {
			return nil, err
		}
		defer tlsMem.close()
		mtr := newTransport(cfg.conns, errRemote, &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12})
		defer mtr.CloseIdleConnections()
		memClient = newClient(mtr)
	}
	for _, raw := range cfg.urls {
		if ctx.Err() != nil {
			break
		}
		t := &target{url: raw, node: newSide(), tls: secure[raw]}
		res.targets = append(res.targets, t)
		if progress != nil {
			fmt.Fprintf(progress, "measuring %s\n", raw)
		}
		if !cfg.baseline {
			warm(ctx, client, raw, cfg)
			t.node.merge(turn(ctx, client, raw, cfg, cfg.duration))
			continue
		}
		st, err := fetchOnce(ctx, client, raw, cfg.headers)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return nil, err
		}
		t.stored, t.memory = st, newSide()
		mem := plainMem
		if t.tls {
			mem = tlsMem
		}
		memURL := mem.add(st)
		warm(ctx, client, raw, cfg)
		warm(ctx, memClient, memURL, cfg)
		each := cfg.duration / time.Duration(cfg.rounds)
		for i := 0; i < cfg.rounds && ctx.Err() == nil; i++ {
			t.node.merge(turn(ctx, client, raw, cfg, each))
			if ctx.Err() != nil {
				break
			}
			t.memory.merge(turn(ctx, memClient, memURL, cfg, each))
		}
	}
	res.interrupted = ctx.Err() != nil
	return res, nil
}

// newClient is a client over tr that does not follow redirects: a
// redirect is measured as the answer it is (an error).
func newClient(tr *http.Transport) *http.Client {
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       time.Minute,
	}
}

// warm opens the connections a turn will use: one request per connection
// at once, not counted.
func warm(ctx context.Context, client *http.Client, addr string, cfg config) {
	var wg sync.WaitGroup
	for i := 0; i < cfg.conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			get(ctx, client, addr, cfg.headers, newSide())
		}()
	}
	wg.Wait()
}

// turn keeps cfg.conns connections busy with GETs of addr for d: each
// starts a request as soon as its previous one is read, until d has
// passed. The turn lasts until the last request is read.
func turn(ctx context.Context, client *http.Client, addr string, cfg config, d time.Duration) *side {
	sides := make([]*side, cfg.conns)
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for i := range sides {
		s := newSide()
		sides[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(end) {
				get(ctx, client, addr, cfg.headers, s)
			}
		}()
	}
	wg.Wait()
	out := newSide()
	for _, s := range sides {
		out.merge(s)
	}
	out.elapsed = time.Since(start)
	return out
}

// get makes one request and reads its body to the end, recording it in s.
// A request cut short because ctx ended is not recorded.
func get(ctx context.Context, client *http.Client, addr string, hdr headerFlag, s *side) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
	if err != nil {
		s.addError(err.Error())
		return
	}
	hdr.apply(req)
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			s.addError(errorKind(err))
		}
		return
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		if ctx.Err() == nil {
			s.addError(errorKind(err))
		}
		return
	}
	s.latency.record(time.Since(start))
	s.requests++
	s.bytes += uint64(n)
	s.status[res.StatusCode]++
	if !goodStatus(res.StatusCode) {
		s.addError(fmt.Sprintf("status %d", res.StatusCode))
	}
}

// goodStatus: 2xx, and 304 for conditional requests; anything else is an
// error.
func goodStatus(code int) bool {
	return code/100 == 2 || code == http.StatusNotModified
}

// errorKind shortens a request error to what it says, without the URL
// (which is the same for every request of a side).
func errorKind(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
