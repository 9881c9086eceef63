package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// These tests run the real binary, as a user would: built once, started as
// separate processes, killed with real signals.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tadamun-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tadamun")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build tadamun:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cleanEnv is the environment without any TADAMUN_* setting, plus extra.
func cleanEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TADAMUN_") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

type result struct {
	stdout, stderr string
	code           int
}

// tadamun runs one command to completion in dir.
func tadamun(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func (r result) must(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}

// server is a running "tadamun serve".
type server struct {
	cmd  *exec.Cmd
	base string
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

func (s *server) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe starts the server and waits until /readyz answers 200.
func startServe(t *testing.T, dir string, env []string, args ...string) *server {
	t.Helper()
	s := startServeNoWait(t, dir, env, args...)
	s.waitReady(t)
	return s
}

func startServeNoWait(t *testing.T, dir string, env []string, args ...string) *server {
	t.Helper()
	listen := ""
	for i, a := range args {
		if a == "--listen" && i+1 < len(args) {
			listen = args[i+1]
		}
	}
	switch {
	case listen == "" && len(args) == 1 && args[0] == "defaults":
		// No setting at all: the node must come up on the README's address.
		listen, args = "127.0.0.1:8080", nil
	case listen == "":
		listen = freeAddr(t)
		args = append(args, "--listen", listen)
	}
	s := &server{base: "http://" + listen, done: make(chan struct{})}
	s.cmd = exec.Command(binary, append([]string{"serve"}, args...)...)
	s.cmd.Dir, s.cmd.Env = dir, env
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.log.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	go func() { s.cmd.Wait(); pw.Close(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

func (s *server) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			t.Fatalf("serve exited early:\n%s", s.logText())
		default:
		}
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve not ready after 60s:\n%s", s.logText())
}

func (s *server) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := http.Get(s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (s *server) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(40 * time.Second):
		t.Fatalf("serve did not exit after %v", sig)
	}
}

const seedTitle = "We Stand Together With Iraqi Civil Society Activists!"

func seedFile(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("testdata/icssi-2015.md")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFirstRun is the README's first steps on a fresh directory with no
// configuration at all: SQLite in ./tadamun-data, the default address.
func TestFirstRun(t *testing.T) {
	dir := t.TempDir()
	env := cleanEnv()
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "Iraqi Civil Society Solidarity Initiative").must(t)
	r := tadamun(t, dir, env, "publish", "--actor", "icssi", seedFile(t)).must(t)
	url := strings.TrimSpace(r.stdout)
	if url != "http://localhost:8080/@icssi/we-stand-together-with-iraqi-civil-society-activists" {
		t.Fatalf("publish printed %q", url)
	}
	if _, err := os.Stat(filepath.Join(dir, "tadamun-data", "tadamun.db")); err != nil {
		t.Fatalf("no SQLite file in ./tadamun-data: %v", err)
	}
	var s *server
	if ln, err := net.Listen("tcp", "127.0.0.1:8080"); err == nil {
		ln.Close()
		s = startServe(t, dir, env, "defaults")
	} else {
		t.Logf("127.0.0.1:8080 is taken on this machine; using another port")
		s = startServe(t, dir, env)
	}
	if code, body := s.get(t, "/healthz"); code != 200 {
		t.Fatalf("/healthz = %d %s", code, body)
	}
	code, body := s.get(t, "/")
	if code != 200 || !strings.Contains(body, seedTitle) {
		t.Fatalf("home = %d, lacks the published statement:\n%s", code, body)
	}
	if code, body := s.get(t, "/@icssi/we-stand-together-with-iraqi-civil-society-activists"); code != 200 || !strings.Contains(body, "Iraqi Social Forum") {
		t.Fatalf("statement page = %d", code)
	}
	if !strings.Contains(s.logText(), "tadamun user create NAME --role admin") {
		t.Errorf("first run does not say how to create the first admin:\n%s", s.logText())
	}
	s.signal(t, syscall.SIGTERM)
	if c := s.cmd.ProcessState.ExitCode(); c != 0 {
		t.Errorf("SIGTERM exit code %d:\n%s", c, s.logText())
	}
	if !strings.Contains(s.logText(), "msg=stopped") {
		t.Errorf("no clean shutdown in log:\n%s", s.logText())
	}
}

// TestKillAndRestart: a statement published while the server runs survives
// SIGKILL of the server, on both databases.
func TestKillAndRestart(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			dir := t.TempDir()
			env := cleanEnv("TADAMUN_DATABASE="+b.URL, "TADAMUN_DOMAIN=node.test", "TADAMUN_INSECURE_HTTP=true")
			tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
			s := startServe(t, dir, env)
			tadamun(t, dir, env, "publish", "--actor", "icssi", seedFile(t)).must(t)
			if _, body := s.get(t, "/"); !strings.Contains(body, seedTitle) {
				t.Fatal("published statement not on the home page")
			}
			s.signal(t, syscall.SIGKILL)
			s2 := startServe(t, dir, env)
			if code, body := s2.get(t, "/"); code != 200 || !strings.Contains(body, seedTitle) {
				t.Fatalf("after SIGKILL and restart the statement is gone (%d)", code)
			}
			r := tadamun(t, dir, env, "statement", "list").must(t)
			if strings.Count(r.stdout, "published") != 1 {
				t.Fatalf("statement list:\n%s", r.stdout)
			}
		})
	}
}

// TestConcurrentStartPostgres: two servers started at the same moment on one
// empty PostgreSQL database both come up, and the migrations ran once.
func TestConcurrentStartPostgres(t *testing.T) {
	dbURL := storagetest.PostgresURL(t)
	env := cleanEnv("TADAMUN_DATABASE="+dbURL, "TADAMUN_DOMAIN=node.test")
	a := startServeNoWait(t, t.TempDir(), env)
	b := startServeNoWait(t, t.TempDir(), env)
	a.waitReady(t)
	b.waitReady(t)
	applied := strings.Count(a.logText(), "migration applied") + strings.Count(b.logText(), "migration applied")
	recorded := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM schema_migrations`)
	if applied == 0 || applied != recorded {
		t.Fatalf("%d migrations applied across both processes; %d recorded\nA:\n%s\nB:\n%s", applied, recorded, a.logText(), b.logText())
	}
	if n := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM actors WHERE is_instance`); n != 1 {
		t.Fatalf("%d instance actors", n)
	}
}

// TestBadInput: each mistake gets one line on stderr, a non-zero exit, and
// leaves nothing half-written.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	env := cleanEnv()
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noTitle := write("no-title.md", "---\nlanguage: en\n---\nBody.\n")
	badLang := write("bad-lang.md", "---\ntitle: Hello\nlanguage: xx\n---\nBody.\n")
	// A FIFO as the statement file would block the command forever.
	fifo := filepath.Join(dir, "statement.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := write("huge.md", "---\ntitle: Huge\nlanguage: en\n---\n"+strings.Repeat("x", 5<<20))
	cases := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"unknown flag", env, []string{"publish", "--actr", "icssi", "x.md"}, 2, "flag provided but not defined: -actr"},
		{"unknown command", env, []string{"pubish"}, 2, `unknown command "pubish"`},
		{"bad database", cleanEnv("TADAMUN_DATABASE=mysql://root@localhost/x"), []string{"actor", "list"}, 2, "TADAMUN_DATABASE"},
		{"bad database url", cleanEnv("TADAMUN_DATABASE=postgres://u@h:notaport/db"), []string{"serve"}, 2, "TADAMUN_DATABASE"},
		{"bad domain", cleanEnv("TADAMUN_DOMAIN=https://node.example/"), []string{"serve"}, 2, "TADAMUN_DOMAIN"},
		{"bad listen flag", env, []string{"serve", "--listen", "nowhere"}, 2, "--listen"},
		{"no title", env, []string{"publish", "--actor", "icssi", noTitle}, 1, "no title"},
		{"unknown language", env, []string{"publish", "--actor", "icssi", badLang}, 1, `unknown language code "xx"`},
		{"duplicate username", env, []string{"actor", "create", "icssi", "--name", "Again"}, 1, `"icssi" already exists`},
		{"invalid username", env, []string{"actor", "create", "Not Valid"}, 1, "username"},
		{"unknown actor", env, []string{"publish", "--actor", "nobody", seedFile(t)}, 1, `no actor "nobody"`},
		{"statement file is a device", env, []string{"publish", "--actor", "icssi", "/dev/zero"}, 1, "not a regular file"},
		{"statement file is a FIFO", env, []string{"publish", "--actor", "icssi", fifo}, 1, "not a regular file"},
		{"statement file too large", env, []string{"publish", "--actor", "icssi", huge}, 1, "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := tadamun(t, dir, c.env, c.args...)
			if r.code != c.code {
				t.Errorf("exit code %d, want %d", r.code, c.code)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr is not one line containing %q:\n%s", c.want, r.stderr)
			}
		})
	}
	// Nothing was written by any of them: one actor, no statements, and the
	// bad-database runs did not create a second data directory anywhere.
	r := tadamun(t, dir, env, "actor", "list").must(t)
	if strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stdout, "ICSSI") {
		t.Errorf("actors after the bad input:\n%s", r.stdout)
	}
	if r := tadamun(t, dir, env, "statement", "list").must(t); strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("statements after the bad input:\n%s", r.stdout)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() && e.Name() != "tadamun-data" {
			t.Errorf("unexpected directory %s", e.Name())
		}
	}
}

// TestHelpEverywhere: every command answers --help with exit 0.
func TestHelpEverywhere(t *testing.T) {
	dir := t.TempDir()
	for name := range commands {
		args := append(strings.Fields(name), "--help")
		r := tadamun(t, dir, cleanEnv(), args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage: tadamun "+name) {
			t.Errorf("%s --help: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
		}
	}
	if r := tadamun(t, dir, cleanEnv(), "help"); r.code != 0 || !strings.Contains(r.stdout, "publish FILE.md") {
		t.Errorf("help:\n%s", r.stdout)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("--help wrote files: %v", entries)
	}
}

// TestBackupWhileServing: "tadamun backup" copies the SQLite database while
// the node runs, and a node started on the copy has the statement.
func TestBackupWhileServing(t *testing.T) {
	dir := t.TempDir()
	env := cleanEnv()
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	tadamun(t, dir, env, "publish", "--actor", "icssi", seedFile(t)).must(t)
	s := startServe(t, dir, env)
	copyPath := filepath.Join(dir, "copy.db")
	tadamun(t, dir, env, "backup", copyPath).must(t)
	if r := tadamun(t, dir, env, "backup", copyPath); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("backup over an existing file: %d %s", r.code, r.stderr)
	}
	s.signal(t, syscall.SIGTERM)
	s2 := startServe(t, t.TempDir(), cleanEnv("TADAMUN_DATABASE=sqlite:"+copyPath))
	if _, body := s2.get(t, "/"); !strings.Contains(body, seedTitle) {
		t.Fatal("the backup lacks the statement")
	}
}
