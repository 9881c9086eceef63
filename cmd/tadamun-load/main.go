// Command tadamun-load loads a running server with keep-alive GETs and
// reports, per URL, requests per second, transfer, latency percentiles and
// errors; with -baseline it also serves each URL's own answer from memory
// and gives the ratio node/memory, the figure the Ratio benchmarks report.
// https URLs are measured over TLS, trusting the system's roots, those of a
// -ca file, or with -insecure (loopback only) nothing at all.
// It uses nothing beyond the standard library, so it builds anywhere the
// node does. See usage below and README "Speed".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(cli(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `Usage: tadamun-load [flags] URL...

Loads a running server with GETs over keep-alive HTTP/1.1 connections and
reports, for each URL: requests/s, transfer (body bytes/s as received,
still compressed when the server compressed), latency p50/p90/p99, and
errors (any answer other than 2xx or 304, and failed requests).

With -baseline, each URL is first fetched once with the same headers; that
answer (status, headers, bytes) is then served from memory on a loopback
port, node and memory are measured in alternating turns, and the ratio
node/memory is printed, as the Go benchmarks of the node do
(go test -run '^$' -bench 'Ratio$' ./...).

Only loopback addresses (127.0.0.0/8, ::1, or a name that resolves only to
them) are loaded unless -allow-remote is given: a load tool aimed at
someone else's server by mistake is a denial of service. Load only servers
you run. A node's --rate-limit counts this tool as one client: start the
node with --rate-limit 0 to measure it, or the 429s are reported as errors.

An https:// URL is measured over TLS, still HTTP/1.1 (connections are
opened while warming up, so the figures are of requests on open
connections). Its certificate must be trusted: for a node behind a local
CA or a self-signed certificate, give -ca FILE, a PEM file with that CA's
certificate (or the self-signed one), trusted besides the system's roots.
A -H Host header is also the name sent in TLS and checked against the
certificate, so https://127.0.0.1:8443 with -H 'Host: node.example'
reaches the site a proxy serves for node.example.
-insecure skips verification altogether; it is allowed only for loopback
addresses, even with -allow-remote, and the report says it was used. With
-baseline, memory serves an https URL's answer over TLS too (a certificate
made for the run), so that both sides pay for encryption.

Ctrl-C stops and prints what was measured so far. The exit status is 0, 1
if there were errors, 2 for bad flags or a refused address, 130 when
interrupted.

Examples:
  tadamun-load -baseline -H 'Accept-Encoding: gzip' http://127.0.0.1:8080/feed.atom
  tadamun-load -ca /etc/caddy/root.crt https://127.0.0.1:8443/feed.atom

Flags:
`

// cli runs the tool with args and gives its exit status.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tadamun-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var cfg config
	fs.IntVar(&cfg.conns, "c", 32, "connections kept busy at once")
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "how long each URL is measured (each side, with -baseline)")
	fs.Var(&cfg.headers, "H", `a request header, "Name: value" (repeatable), e.g. -H 'Accept-Encoding: gzip'`)
	fs.BoolVar(&cfg.baseline, "baseline", false, "also serve each URL's answer from memory and give the ratio node/memory")
	fs.IntVar(&cfg.rounds, "rounds", 4, "with -baseline, turns per side, of d/rounds each, alternating node and memory")
	fs.BoolVar(&cfg.allowRemote, "allow-remote", false, "allow addresses that are not loopback (only servers you run)")
	fs.StringVar(&cfg.caFile, "ca", "", "PEM `file` of root certificates to trust besides the system's (a local CA, or a self-signed certificate)")
	fs.BoolVar(&cfg.insecure, "insecure", false, "do not verify certificates (loopback addresses only, even with -allow-remote)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg.urls = fs.Args()
	switch {
	case len(cfg.urls) == 0:
		fmt.Fprintln(stderr, "tadamun-load: give at least one URL")
		fs.Usage()
		return 2
	case cfg.conns < 1:
		fmt.Fprintln(stderr, "tadamun-load: -c must be at least 1")
		return 2
	case cfg.duration <= 0:
		fmt.Fprintln(stderr, "tadamun-load: -d must be positive")
		return 2
	case cfg.rounds < 1:
		fmt.Fprintln(stderr, "tadamun-load: -rounds must be at least 1")
		return 2
	case cfg.insecure && cfg.caFile != "":
		fmt.Fprintln(stderr, "tadamun-load: give -ca or -insecure, not both: -insecure would make -ca pointless")
		return 2
	}
	if cfg.caFile != "" {
		roots, err := loadCA(cfg.caFile)
		if err != nil {
			fmt.Fprintln(stderr, "tadamun-load:", err)
			return 2
		}
		cfg.roots = roots
	}

	for _, u := range cfg.urls {
		if _, err := checkTarget(ctx, u, cfg.refusal()); err != nil {
			fmt.Fprintln(stderr, "tadamun-load:", err)
			return 2
		}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills as usual.
	go func() { <-ctx.Done(); stop() }()

	res, err := measure(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "tadamun-load:", err)
		return 1
	}
	s := summarize(res)
	if *asJSON {
		err = writeJSON(stdout, s)
	} else {
		err = writeText(stdout, s)
	}
	if err != nil {
		fmt.Fprintln(stderr, "tadamun-load:", err)
		return 1
	}
	switch {
	case res.interrupted:
		return 130
	case s.Errors > 0:
		return 1
	}
	return 0
}
