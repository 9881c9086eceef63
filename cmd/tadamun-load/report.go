package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// summary is what the tool prints: the text form reads it, and -json
// writes it as it is.
type summary struct {
	Connections     int          `json:"connections"`
	DurationSeconds float64      `json:"duration_seconds"` // per side and URL
	Rounds          int          `json:"rounds,omitempty"` // with baseline
	Baseline        bool         `json:"baseline"`
	Headers         []string     `json:"headers"`
	CA              string       `json:"ca,omitempty"` // -ca file
	Insecure        bool         `json:"insecure"`     // certificates not verified
	Interrupted     bool         `json:"interrupted"`
	Errors          uint64       `json:"errors"`
	URLs            []urlSummary `json:"urls"`
}

type urlSummary struct {
	URL    string         `json:"url"`
	Stored *storedSummary `json:"stored,omitempty"`
	Node   sideSummary    `json:"node"`
	Memory *sideSummary   `json:"memory,omitempty"`
	Ratio  float64        `json:"ratio,omitempty"` // node/memory requests per second
}

type storedSummary struct {
	Status   int    `json:"status"`
	Bytes    int    `json:"bytes"`
	Encoding string `json:"encoding"`
	TLS      bool   `json:"tls"` // served from memory over TLS
}

type sideSummary struct {
	Requests          uint64            `json:"requests"`
	Seconds           float64           `json:"seconds"`
	RequestsPerSecond float64           `json:"requests_per_second"`
	BytesPerSecond    float64           `json:"bytes_per_second"`
	BytesPerRequest   float64           `json:"bytes_per_request"`
	LatencyMs         latencySummary    `json:"latency_ms"`
	Status            map[string]uint64 `json:"status"`
	Errors            uint64            `json:"errors"`
	ErrorKinds        map[string]uint64 `json:"error_kinds,omitempty"`
}

type latencySummary struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func summarize(r *results) summary {
	out := summary{
		Connections:     r.cfg.conns,
		DurationSeconds: r.cfg.duration.Seconds(),
		Baseline:        r.cfg.baseline,
		Headers:         []string{},
		CA:              r.cfg.caFile,
		Insecure:        r.cfg.insecure,
		Interrupted:     r.interrupted,
		Errors:          r.errorCount(),
		URLs:            []urlSummary{},
	}
	if r.cfg.baseline {
		out.Rounds = r.cfg.rounds
	}
	for _, h := range r.cfg.headers {
		out.Headers = append(out.Headers, h.name+": "+h.value)
	}
	for _, t := range r.targets {
		u := urlSummary{URL: t.url, Node: sideOf(t.node), Ratio: t.ratio()}
		if t.stored != nil {
			u.Stored = &storedSummary{Status: t.stored.status, Bytes: len(t.stored.body), Encoding: t.stored.encoding(), TLS: t.tls}
		}
		if t.memory != nil {
			m := sideOf(t.memory)
			u.Memory = &m
		}
		out.URLs = append(out.URLs, u)
	}
	return out
}

func sideOf(s *side) sideSummary {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	out := sideSummary{
		Requests:          s.requests,
		Seconds:           s.elapsed.Seconds(),
		RequestsPerSecond: s.rate(),
		BytesPerSecond:    s.byteRate(),
		LatencyMs: latencySummary{
			P50: ms(s.latency.percentile(0.50)),
			P90: ms(s.latency.percentile(0.90)),
			P99: ms(s.latency.percentile(0.99)),
			Max: ms(s.latency.maximum()),
		},
		Status: map[string]uint64{},
		Errors: s.errors,
	}
	if s.requests > 0 {
		out.BytesPerRequest = float64(s.bytes) / float64(s.requests)
	}
	for c, n := range s.status {
		out.Status[strconv.Itoa(c)] = n
	}
	if len(s.kinds) > 0 {
		out.ErrorKinds = s.kinds
	}
	return out
}

func writeJSON(w io.Writer, s summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// writeText prints the summary for a person:
//
//	http://127.0.0.1:8080/feed.atom
//	  stored answer: 200, 9,913 bytes, gzip
//	            req/s   transfer     p50     p90     p99  errors  answers
//	  node      7,100  67.1 MiB/s  4.10ms  8.02ms  15.2ms  0       200×71,012
//	  memory   10,400  98.3 MiB/s  ...
//	  ratio    0.68 (node/memory)
func writeText(w io.Writer, s summary) error {
	var b strings.Builder
	d := time.Duration(s.DurationSeconds * float64(time.Second))
	if s.Baseline {
		fmt.Fprintf(&b, "tadamun-load: %d connections, %s per URL on each side in %d turns, against the same answer from memory", s.Connections, d, s.Rounds)
	} else {
		fmt.Fprintf(&b, "tadamun-load: %d connections, %s per URL", s.Connections, d)
	}
	for _, h := range s.Headers {
		fmt.Fprintf(&b, ", -H %q", h)
	}
	if s.CA != "" {
		fmt.Fprintf(&b, ", -ca %s", s.CA)
	}
	b.WriteString("\n")
	if s.Insecure {
		b.WriteString("-insecure: certificates were NOT verified; the answers may not have come from the server named\n")
	}
	for _, u := range s.URLs {
		fmt.Fprintf(&b, "\n%s\n", u.URL)
		if u.Stored != nil {
			fmt.Fprintf(&b, "  stored answer: %d, %s bytes, %s", u.Stored.Status, group(float64(u.Stored.Bytes)), u.Stored.Encoding)
			if u.Stored.TLS {
				b.WriteString(", served from memory over TLS")
			}
			b.WriteString("\n")
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\t\treq/s\ttransfer\tp50\tp90\tp99\terrors\t  answers")
		row := func(name string, x sideSummary) {
			fmt.Fprintf(tw, "\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t  %s\n", name, group(x.RequestsPerSecond), mib(x.BytesPerSecond),
				millis(x.LatencyMs.P50), millis(x.LatencyMs.P90), millis(x.LatencyMs.P99), x.Errors, answers(x))
		}
		row("node", u.Node)
		if u.Memory != nil && u.Memory.Requests > 0 {
			row("memory", *u.Memory)
		}
		tw.Flush()
		if u.Memory != nil && u.Memory.Requests == 0 {
			b.WriteString("  memory: not measured\n")
		}
		if u.Memory != nil && u.Memory.Requests > 0 && u.Node.Requests > 0 {
			fmt.Fprintf(&b, "  ratio %.2f (node/memory): %s req/s against %s req/s\n", u.Ratio, group(u.Node.RequestsPerSecond), group(u.Memory.RequestsPerSecond))
		}
		errorKinds(&b, "node", u.Node)
		if u.Memory != nil {
			errorKinds(&b, "memory", *u.Memory)
		}
	}
	if s.Interrupted {
		b.WriteString("\ninterrupted: the figures above cover what was measured before the signal\n")
	}
	if s.Errors > 0 {
		fmt.Fprintf(&b, "\n%s errors: answers other than 2xx or 304, or failed requests\n", group(float64(s.Errors)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// errorKinds lists a side's errors by kind, most frequent first.
func errorKinds(b *strings.Builder, name string, x sideSummary) {
	kinds := make([]string, 0, len(x.ErrorKinds))
	for k := range x.ErrorKinds {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if x.ErrorKinds[kinds[i]] != x.ErrorKinds[kinds[j]] {
			return x.ErrorKinds[kinds[i]] > x.ErrorKinds[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	for _, k := range kinds {
		fmt.Fprintf(b, "  %s error, %s times: %s\n", name, group(float64(x.ErrorKinds[k])), k)
	}
}

// answers lists status codes and counts: "200×71,012 429×3".
func answers(x sideSummary) string {
	var codes []int
	for k := range x.Status {
		c, _ := strconv.Atoi(k)
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%s", c, group(float64(x.Status[strconv.Itoa(c)]))))
	}
	return strings.Join(parts, " ")
}

// group writes a number rounded to a whole with thousands separated by
// commas: 71012.4 → "71,012".
func group(f float64) string {
	s := strconv.FormatFloat(f, 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// mib writes bytes per second in MiB/s (KiB/s below one MiB).
func mib(f float64) string {
	if f < 1<<20 {
		return fmt.Sprintf("%.1f KiB/s", f/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB/s", f/(1<<20))
}

// millis writes a latency with three significant figures or so.
func millis(ms float64) string {
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2fms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1fms", ms)
	default:
		return fmt.Sprintf("%.0fms", ms)
	}
}
