package delivery_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/delivery"
)

// Targets of BenchmarkFanOutRatio.
const (
	fanOutTarget  = 0.8 // fan-out POSTs/s over RSA-2048 signatures/s
	peakRSSTarget = 150 // MB resident during the fan-out
)

// BenchmarkFanOutRatio measures, in one run, the fan-out of one statement to
// 10,000 followers on 1,000 servers (1,000 signed POSTs, end to end: the
// publishing transaction, then the worker claiming, signing, posting and
// settling every row) against the signing limit: RSA-2048 signatures per
// second of one signing string on every core at once. Every signed POST
// costs one signature, so the limit bounds any fan-out; the ratio says how
// much of it the queue, the database and HTTP leave.
//
// The publishing is timed with the fan-out, as federation runs it: the
// transaction queues the first inboxes, the worker is woken, and the rest
// are queued in short transactions while it posts (storage/fanout.go).
//
// One op is one POST of the fan-out: b.N rounds up to whole fan-outs of
// 1,000 POSTs. Each round measures the signing limit and the bare signed
// POSTs (the same 1,000 POSTs from memory, no queue) next to its fan-out,
// so that a noisy machine slows all three alike. It reports the ratio and
// its target (0.8), the raw rates, and the peak resident memory sampled
// during the fan-outs ("peak-rss-MB", target 150). Every server must get
// exactly one POST per fan-out. With TADAMUN_BENCH_STRICT=1 it fails below
// a target.
func BenchmarkFanOutRatio(b *testing.B) {
	f := getFleet(b)
	w, err := delivery.New(delivery.Config{WorkerID: "ratio", KeyID: keyID}, f.store, f.client)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		pprof.Do(ctx, pprof.Labels("part", "worker"), func(ctx context.Context) { _ = w.Run(ctx) })
	}()
	defer func() { cancel(); <-stopped }()

	rounds := max(1, (b.N+fleetHosts-1)/fleetHosts)
	var signing, bare, fanout, enqueue time.Duration
	var ramp, tail time.Duration // from the start to the first POST; from the last POST to every row settled
	var signingCPU, bareCPU, fanoutCPU time.Duration
	var peak atomic.Int64
	var gcCPU, idleCPU float64 // seconds, from runtime/metrics
	b.ResetTimer()
	b.StopTimer()
	for r := 0; r < rounds; r++ {
		c0 := processCPU()
		pprof.Do(context.Background(), pprof.Labels("part", "limit"), func(context.Context) { signing += signingLimit(b, f, fleetHosts) })
		c1 := processCPU()
		pprof.Do(context.Background(), pprof.Labels("part", "bare"), func(context.Context) { bare += f.barePosts(b, delivery.DefaultWorkers) })
		c2 := processCPU()
		signingCPU += c1 - c0
		bareCPU += c2 - c1

		before := f.serverHits()
		stop := sampleRSS(&peak)
		b.StartTimer()
		f.firstHit.Store(0)
		f.lastHit.Store(0)
		c3 := processCPU()
		g0, i0 := runtimeCPU()
		start := time.Now()
		f.goal.Store(f.hits.Load() + fleetHosts)
		act := f.publish(b, w.Notify)
		enqueue += time.Since(start)
		f.awaitHits(b, f.goal.Load())
		for pending(b, f.store, act) > 0 {
			time.Sleep(2 * time.Millisecond)
		}
		fanout += time.Since(start)
		fanoutCPU += processCPU() - c3
		g1, i1 := runtimeCPU()
		gcCPU += g1 - g0
		idleCPU += i1 - i0
		ramp += time.Duration(f.firstHit.Load() - start.UnixNano())
		tail += time.Since(time.Unix(0, f.lastHit.Load()))
		b.StopTimer()
		stop()
		f.checkOneEach(b, before)
	}
	posts := float64(rounds * fleetHosts)
	limit := posts / signing.Seconds()
	node := posts / fanout.Seconds()
	ratio := node / limit
	rss := float64(peak.Load()) / (1 << 20)
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(fanOutTarget, "target")
	b.ReportMetric(node, "node-posts/s")
	b.ReportMetric(limit, "signing-limit-sigs/s")
	b.ReportMetric(posts/bare.Seconds(), "bare-posts/s")
	b.ReportMetric(rss, "peak-rss-MB")
	perPost := func(d time.Duration) float64 { return float64(d.Microseconds()) / posts }
	b.ReportMetric(perPost(fanoutCPU), "node-cpu-us/post")
	b.ReportMetric(perPost(bareCPU), "bare-cpu-us/post")
	b.ReportMetric(perPost(signingCPU), "cpu-us/sig")
	// The ratio is the product of two shares: of the CPU the fan-out used,
	// how much went into signatures (cpu-ratio), and how busy the fan-out
	// kept the cores compared with the signing limit (busy-ratio). The first
	// is the node's; the second falls when the pipeline stalls, and also
	// when other processes take the cores during one phase and not the
	// other, which is what makes the ratio noisy on a shared machine.
	cores := float64(runtime.GOMAXPROCS(0))
	busy := func(cpu, wall time.Duration) float64 { return cpu.Seconds() / (wall.Seconds() * cores) }
	b.ReportMetric(gcCPU*1e6/posts, "gc-cpu-us/post")
	b.ReportMetric(idleCPU*1e6/posts, "idle-us/post")
	b.ReportMetric(perPost(signingCPU)/perPost(fanoutCPU), "cpu-ratio")
	b.ReportMetric(busy(fanoutCPU, fanout)/busy(signingCPU, signing), "busy-ratio")
	b.ReportMetric(float64(enqueue.Microseconds())/1000/float64(rounds), "enqueue-ms")
	b.ReportMetric(float64(ramp.Microseconds())/1000/float64(rounds), "first-post-ms")
	b.ReportMetric(float64(tail.Microseconds())/1000/float64(rounds), "settle-ms")
	b.ReportMetric(peakRSSTarget, "rss-target-MB")
	// How busy the machine was: on a shared machine the ratio is only as
	// good as the cores the run got (cores busy, in the log line).
	load := loadAverage()
	b.ReportMetric(load, "load-1m")
	b.Logf("load average %.1f on %d cores", load, runtime.NumCPU())
	b.Logf("%d fan-outs of %d POSTs: %.0f POSTs/s, signing limit %.0f/s on %d cores (ratio %.2f, target %.1f), bare %.0f POSTs/s, peak RSS %.0f MB, publishing %.1f ms; CPU per POST %.0f µs (bare %.0f, one signature %.0f: cpu-ratio %.2f); cores busy %.0f%% in the fan-out, %.0f%% at the limit",
		rounds, fleetHosts, node, limit, runtime.GOMAXPROCS(0), ratio, fanOutTarget, posts/bare.Seconds(), rss, float64(enqueue.Microseconds())/1000/float64(rounds),
		perPost(fanoutCPU), perPost(bareCPU), perPost(signingCPU), perPost(signingCPU)/perPost(fanoutCPU),
		100*busy(fanoutCPU, fanout), 100*busy(signingCPU, signing))
	if os.Getenv("TADAMUN_BENCH_STRICT") == "1" {
		if ratio < fanOutTarget {
			b.Errorf("fan-out at %.2f of the signing limit, want at least %.1f", ratio, fanOutTarget)
		}
		if rss > peakRSSTarget {
			b.Errorf("peak RSS %.0f MB during the fan-out, want at most %d", rss, peakRSSTarget)
		}
	}
}

// signingLimit times n RSA-2048 signatures of one signing string, the shape
// of a delivery's, spread over one goroutine per core.
func signingLimit(b *testing.B, f *benchFleet, n int) time.Duration {
	b.Helper()
	sum := sha256.Sum256([]byte("(request-target): post /inbox\nhost: 127.0.1.1:40000\n" +
		"date: Mon, 30 Nov 2026 23:00:00 GMT\ndigest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="))
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < runtime.GOMAXPROCS(0); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if _, err := rsa.SignPKCS1v15(nil, f.key.Key, crypto.SHA256, sum[:]); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// barePosts sends one signed POST to every server from memory, with
// workers at once, and returns how long that took.
func (f *benchFleet) barePosts(b *testing.B, workers int) time.Duration {
	b.Helper()
	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"bare"}`)
	jobs := make(chan *benchServer)
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				if _, err := f.client.Post(context.Background(), s.url+"/inbox", body, f.key); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for _, s := range f.servers {
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	return time.Since(start)
}

// serverHits is every server's count of POSTs so far.
func (f *benchFleet) serverHits() []int64 {
	out := make([]int64, len(f.servers))
	for i, s := range f.servers {
		out[i] = s.hits.Load()
	}
	return out
}

// checkOneEach asserts that every server got exactly one POST since before
// and that nothing else arrived.
func (f *benchFleet) checkOneEach(b *testing.B, before []int64) {
	b.Helper()
	for i, s := range f.servers {
		if n := s.hits.Load() - before[i]; n != 1 {
			b.Fatalf("%s got %d POSTs in one fan-out, want exactly 1", s.url, n)
		}
	}
	if n := f.stray.Load(); n != 0 {
		b.Fatalf("%d unexpected requests", n)
	}
}

// sampleRSS records the process's resident memory into peak every 10ms
// until the returned function is called, which takes a last sample.
func sampleRSS(peak *atomic.Int64) (stop func()) {
	sample := func() {
		if n := residentBytes(); n > peak.Load() {
			peak.Store(n)
		}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		sample()
	}
}

// loadAverage is the one-minute load average of the machine, 0 where
// /proc/loadavg is missing.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// residentBytes is the process's resident memory from /proc/self/statm
// (one short line: reading it every 10 ms during a fan-out must not cost
// the fan-out itself much CPU), 0 where there is none.
func residentBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

// runtimeCPU is the Go runtime's own estimate of the CPU seconds spent in
// garbage collection and of those its processors sat idle.
func runtimeCPU() (gc, idle float64) {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64(), s[1].Value.Float64()
}

// processCPU is the CPU time, user and system, the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// awaitHits waits until the fleet has counted target POSTs; goal must have
// been set to target before they could arrive.
func (f *benchFleet) awaitHits(b *testing.B, target int64) {
	b.Helper()
	timeout := time.After(2 * time.Minute)
	for f.hits.Load() < target {
		select {
		case <-f.reached:
		case <-timeout:
			b.Fatalf("%d of %d POSTs arrived", f.hits.Load(), target)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
