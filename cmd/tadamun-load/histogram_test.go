package main

import (
	"testing"
	"time"
)

func TestHistogramPercentiles(t *testing.T) {
	t.Run("1 to 1000 ms", func(t *testing.T) {
		var h histogram
		// Recorded out of order: 1000, 999, ..., 1.
		for i := 1000; i >= 1; i-- {
			h.record(time.Duration(i) * time.Millisecond)
		}
		if h.count() != 1000 {
			t.Fatalf("count %d", h.count())
		}
		for _, c := range []struct {
			q    float64
			want time.Duration
		}{{0.50, 500 * time.Millisecond}, {0.90, 900 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, 1000 * time.Millisecond}} {
			got := h.percentile(c.q)
			// The bucket's top: never below the sample, at most 1/64 above.
			if got < c.want || float64(got-c.want) > float64(c.want)/subBuckets {
				t.Errorf("p%g = %v, want %v to %v", c.q*100, got, c.want, c.want+c.want/subBuckets)
			}
		}
		if h.minimum() != time.Millisecond || h.maximum() != time.Second {
			t.Errorf("min %v max %v", h.minimum(), h.maximum())
		}
	})
	t.Run("a slow tail", func(t *testing.T) {
		var h histogram
		for i := 0; i < 990; i++ {
			h.record(2 * time.Millisecond)
		}
		for i := 0; i < 10; i++ {
			h.record(3 * time.Second)
		}
		near2ms := func(d time.Duration) bool {
			return d >= 2*time.Millisecond && d <= 2*time.Millisecond+2*time.Millisecond/subBuckets
		}
		if got := h.percentile(0.50); !near2ms(got) {
			t.Errorf("p50 = %v, want 2ms", got)
		}
		if got := h.percentile(0.99); !near2ms(got) {
			t.Errorf("p99 = %v, want 2ms: 990 of 1000 samples are 2ms", got)
		}
		if got := h.percentile(0.995); got != 3*time.Second {
			t.Errorf("p99.5 = %v, want 3s", got)
		}
	})
	t.Run("small values are exact", func(t *testing.T) {
		var h histogram
		for _, v := range []time.Duration{5, 7, 9, 11} {
			h.record(v)
		}
		if got := h.percentile(0.5); got != 7 {
			t.Errorf("p50 = %v, want 7ns", got)
		}
		if got := h.percentile(0.75); got != 9 {
			t.Errorf("p75 = %v, want 9ns", got)
		}
	})
	t.Run("merged", func(t *testing.T) {
		var a, b histogram
		for i := 1; i <= 500; i++ {
			a.record(time.Duration(i) * time.Microsecond)
			b.record(time.Duration(i+500) * time.Microsecond)
		}
		a.merge(&b)
		if a.count() != 1000 || a.minimum() != time.Microsecond || a.maximum() != 1000*time.Microsecond {
			t.Fatalf("count %d min %v max %v", a.count(), a.minimum(), a.maximum())
		}
		if got := a.percentile(0.9); got < 900*time.Microsecond || got > 900*time.Microsecond+900*time.Microsecond/subBuckets {
			t.Errorf("p90 = %v, want about 900µs", got)
		}
	})
	t.Run("empty", func(t *testing.T) {
		var h histogram
		if h.percentile(0.99) != 0 {
			t.Error("an empty histogram has no percentile")
		}
	})
}

// Every value lands in a bucket whose bounds hold it, and buckets are
// narrow: at most 1/64 of their lower bound.
func TestHistogramBuckets(t *testing.T) {
	values := []uint64{0, 1, 63, 64, 65, 127, 128, 129, 1000, 1 << 20, 1<<20 + 12345, 1e9, 1e12, 1<<63 + 5, ^uint64(0)}
	for _, v := range values {
		i := bucketOf(v)
		if i < 0 || i >= bucketCount {
			t.Fatalf("%d: bucket %d out of range", v, i)
		}
		lo, hi := bucketBounds(i)
		if v < lo || v > hi {
			t.Errorf("%d in bucket %d [%d, %d]", v, i, lo, hi)
		}
		if lo >= subBuckets && hi-lo > lo/subBuckets {
			t.Errorf("bucket %d [%d, %d] is wider than 1/%d", i, lo, hi, subBuckets)
		}
	}
	// Buckets follow one another with no gap.
	for i := 1; i < bucketCount; i++ {
		_, prev := bucketBounds(i - 1)
		lo, _ := bucketBounds(i)
		if lo != prev+1 {
			t.Fatalf("bucket %d starts at %d, the one before ends at %d", i, lo, prev)
		}
	}
}
