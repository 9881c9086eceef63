package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/federation/mediastore"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes scripts can rely on.
const (
	exitOK    = 0
	exitError = 1 // the command failed: see the message
	exitUsage = 2 // the command line or configuration is wrong
)

// env is the process's surroundings, passed in so tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// usageError is a mistake on the command line or in the configuration.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// command is one subcommand ("serve", "actor create", ...).
type command struct {
	name    string // full name, e.g. "actor create"
	args    string // positional arguments, for the usage line
	summary string
	serve   bool // takes the serve-only settings
	// flags registers the command's own flags; run does the work.
	flags func(fs *flag.FlagSet) runFunc
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// app is what a running command has at hand.
type app struct {
	env
	cfg   *config
	log   *slog.Logger
	media mediastore.Store // set by open (media.go)
}

// run executes one command line and returns the exit code. Every error is
// reported as one line on stderr.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(e.stdout)
		return exitOK
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(e.stdout, "tadamun", version)
		return exitOK
	}
	name, rest := args[0], args[1:]
	cmd, ok := commands[name]
	if !ok && len(rest) > 0 {
		cmd, ok = commands[name+" "+rest[0]]
		if ok {
			name, rest = name+" "+rest[0], rest[1:]
		}
	}
	if !ok {
		if groupHas(name) {
			fmt.Fprintf(e.stderr, "tadamun %s: missing or unknown subcommand (run 'tadamun help')\n", name)
		} else {
			fmt.Fprintf(e.stderr, "tadamun: unknown command %q (run 'tadamun help')\n", name)
		}
		return exitUsage
	}
	fs := flag.NewFlagSet("tadamun "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runFn := cmd.flags(fs)
	resolve := settingFlags(fs, cmd.serve, e.getenv)
	positional, err := parseInterleaved(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		printCommandHelp(e.stdout, cmd, fs)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "tadamun %s: %v (run 'tadamun %s --help')\n", name, oneLine(err), name)
		return exitUsage
	}
	cfg, err := resolve()
	if err != nil {
		fmt.Fprintf(e.stderr, "tadamun %s: %v\n", name, oneLine(err))
		return exitUsage
	}
	level := cfg.LogLevel
	if !cmd.serve && !cfg.LogLevelSet {
		level = slog.LevelWarn // administrative commands print their result, not a log
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(e.stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(e.stderr, opts)
	}
	a := &app{env: e, cfg: cfg, log: slog.New(h)}
	if err := runFn(ctx, a, positional); err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(e.stderr, "tadamun %s: %s (run 'tadamun %s --help')\n", name, oneLine(err), name)
			return exitUsage
		}
		fmt.Fprintf(e.stderr, "tadamun %s: %s\n", name, oneLine(cleanError(err)))
		return exitError
	}
	return exitOK
}

// parseInterleaved lets flags come after positional arguments, as in
// "tadamun actor create icssi --name ICSSI". A lone "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// cleanError drops the layer prefixes meant for logs from errors that the
// user caused and can fix, keeping the part that says what to do.
func cleanError(err error) error {
	if errors.Is(err, federation.ErrInvalid) {
		msg := err.Error()
		if i := strings.Index(msg, federation.ErrInvalid.Error()+": "); i >= 0 {
			return errors.New(msg[i+len(federation.ErrInvalid.Error())+2:])
		}
	}
	return err
}

// oneLine is an error as one line of plain text: errors can quote remote
// servers, so control sequences are dropped too.
func oneLine(err error) string {
	return strings.Join(strings.Fields(cell(err.Error())), " ")
}

func groupHas(prefix string) bool {
	for n := range commands {
		if strings.HasPrefix(n, prefix+" ") {
			return true
		}
	}
	return false
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "tadamun: a federated publishing node for solidarity news.")
	fmt.Fprintln(w, "\nUsage: tadamun COMMAND [ARGS] [FLAGS]\n\nCommands:")
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-34s %s\n", strings.TrimSpace(n+" "+c.args), c.summary)
	}
	fmt.Fprintln(w, "  version                            print the version")
	fmt.Fprintln(w, "\nRun 'tadamun COMMAND --help' for a command's flags. Every setting is also read from")
	fmt.Fprintln(w, "TADAMUN_* environment variables and an optional --config file; flags win over both.")
	fmt.Fprintln(w, "Exit codes: 0 done, 1 failed, 2 wrong usage or configuration.")
}

func printCommandHelp(w io.Writer, c command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: tadamun %s [FLAGS]\n\n%s\n\nFlags:\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// open opens and migrates the configured database.
func (a *app) open(ctx context.Context) (*storage.Store, error) {
	st, err := storage.Open(ctx, storage.Config{URL: a.cfg.Database, DataDir: a.cfg.DataDir})
	if err != nil {
		return nil, err
	}
	applied, err := st.Migrate(ctx)
	for _, m := range applied {
		a.log.Info("migration applied", "migration", m, "database", st.Dialect())
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	// The media folder holds unpublished drafts' images: owner only. New
	// folders are made so; this tightens one an older version left open.
	if err := os.Chmod(a.mediaDir(), 0o700); err != nil && !errors.Is(err, fs.ErrNotExist) {
		st.Close()
		return nil, fmt.Errorf("restrict the media folder to its owner: %w", err)
	}
	if a.media, err = a.openMedia(); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// federation returns the federation service for the configured node.
func (a *app) federation(st *storage.Store) *federation.Service {
	return federation.New(federation.Config{Scheme: a.cfg.Scheme(), Host: a.cfg.Domain, Logger: a.log,
		Client: a.client(), MediaDir: a.mediaDir(), Media: a.media, InsecureRemote: a.cfg.AllowPrivate && a.cfg.InsecureHTTP,
		AuthorizedFetch: a.cfg.AuthorizedFetch}, st)
}

// addresses builds the node's public addresses from the configured domain.
func (a *app) addresses() iri.Builder { return iri.New(a.cfg.Scheme(), a.cfg.Domain) }

// mediaDir is where statements' images are kept.
func (a *app) mediaDir() string { return filepath.Join(a.cfg.DataDir, "media") }

// client is the outbound HTTP client for the configured node.
func (a *app) client() *transport.Client {
	return transport.New(transport.Config{
		UserAgent:    "Tadamun/" + version + " (+" + a.addresses().Home() + ")",
		AllowPrivate: a.cfg.AllowPrivate,
	})
}

// withStore opens and migrates the database, runs fn with it, and closes it.
func (a *app) withStore(ctx context.Context, fn func(st *storage.Store) error) error {
	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}
