package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram counts latencies in log-linear buckets, as HdrHistogram does:
// values below subBuckets nanoseconds have a bucket each, and every
// power-of-two range above is cut into subBuckets equal buckets. A value
// is thus known to within 1/subBuckets of itself (under 1.6%) whatever the
// range, in a fixed 30 KB, however many samples arrive. Minimum and maximum
// are kept exactly.
type histogram struct {
	counts   [bucketCount]uint64
	n        uint64
	min, max uint64
}

// subBucketBits sets the precision: 2^6 = 64 buckets per power of two.
const subBucketBits = 6

const (
	subBuckets  = 1 << subBucketBits
	bucketCount = subBuckets + (64-subBucketBits)*subBuckets
)

// bucketOf gives the bucket of a value in nanoseconds.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	// shift brings v into [subBuckets, 2*subBuckets).
	shift := bits.Len64(v) - subBucketBits - 1
	return subBuckets + shift*subBuckets + int(v>>uint(shift)) - subBuckets
}

// bucketBounds gives the smallest and largest value a bucket holds.
func bucketBounds(i int) (lo, hi uint64) {
	if i < subBuckets {
		return uint64(i), uint64(i)
	}
	shift := uint((i - subBuckets) / subBuckets)
	sub := uint64((i-subBuckets)%subBuckets) + subBuckets
	lo = sub << shift
	return lo, lo + (1 << shift) - 1
}

// record adds one latency; negative durations count as zero.
func (h *histogram) record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
}

// merge adds every sample of o to h.
func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
}

// count is how many samples were recorded.
func (h *histogram) count() uint64 { return h.n }

// percentile gives the latency at or below which q (0 < q <= 1) of the
// samples fall: the largest value of the bucket holding that sample, never
// above the largest sample nor below the smallest. Zero when empty.
func (h *histogram) percentile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	if rank > h.n {
		rank = h.n
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketBounds(i)
			hi = min(hi, h.max)
			hi = max(hi, h.min)
			return time.Duration(hi)
		}
	}
	return time.Duration(h.max)
}

// minimum and maximum are the exact extremes (zero when empty).
func (h *histogram) minimum() time.Duration { return time.Duration(h.min) }
func (h *histogram) maximum() time.Duration { return time.Duration(h.max) }
