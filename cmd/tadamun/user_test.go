package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestUserCommands runs the real binary through the account commands:
// create with actors, list, role, passwd (signs out everywhere), delete,
// and the refusals that change nothing.
func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	env := cleanEnv()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("a long password here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	tadamun(t, dir, env, "actor", "create", "other", "--name", "Other").must(t)
	tadamun(t, dir, env, "user", "create", "amal", "--role", "admin", "--password-file", pw).must(t)
	r := tadamun(t, dir, env, "user", "create", "bilal", "--role", "editor", "--actors", "icssi,other", "--password-file", pw).must(t)
	if !strings.Contains(r.stdout, "created editor bilal (actors: icssi, other)") {
		t.Errorf("create editor: %s", r.stdout)
	}
	list := func() string { return tadamun(t, dir, env, "user", "list").must(t).stdout }
	out := list()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "USERNAME") ||
		!strings.Contains(lines[1], "amal") || !strings.Contains(lines[1], "(all)") ||
		!strings.Contains(lines[2], "bilal") || !strings.Contains(lines[2], "icssi,other") {
		t.Fatalf("user list:\n%s", out)
	}

	// Piped password on stdin, like user create.
	cmd := tadamunStdin(t, dir, env, "another long password\n", "user", "passwd", "bilal")
	if cmd.code != 0 || !strings.Contains(cmd.stdout, "signed out") {
		t.Fatalf("passwd: %+v", cmd)
	}
	tadamun(t, dir, env, "user", "role", "bilal", "editor", "--actors", "other").must(t)
	if out := list(); !strings.Contains(out, "other") || strings.Contains(out, "icssi,") {
		t.Errorf("after role --actors other:\n%s", out)
	}

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"demote last admin", []string{"user", "role", "amal", "editor"}, 1, "amal is the last admin"},
		{"delete last admin", []string{"user", "delete", "amal"}, 1, "amal is the last admin"},
		{"unknown role", []string{"user", "role", "bilal", "root"}, 2, `role must be admin or editor, not "root"`},
		{"unknown user", []string{"user", "delete", "nobody"}, 1, `no user "nobody"`},
		{"unknown actor", []string{"user", "role", "bilal", "editor", "--actors", "ghost"}, 1, `no actor "ghost"`},
		{"actors for an admin", []string{"user", "role", "bilal", "admin", "--actors", "icssi"}, 2, "--actors is for editors"},
		{"create with unknown actor", []string{"user", "create", "carol", "--role", "editor", "--actors", "ghost", "--password-file", pw}, 1, `no actor "ghost"`},
		{"short password", []string{"user", "passwd", "bilal", "--password-file", os.DevNull}, 1, "at least 10"},
		{"passwd unknown user", []string{"user", "passwd", "nobody", "--password-file", pw}, 1, `no user "nobody"`},
		{"list takes no arguments", []string{"user", "list", "x"}, 2, "no arguments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := tadamun(t, dir, env, c.args...)
			if r.code != c.code {
				t.Errorf("exit code %d, want %d", r.code, c.code)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr is not one line containing %q:\n%s", c.want, r.stderr)
			}
		})
	}
	if got := list(); got != list() || strings.Contains(got, "carol") || strings.Count(got, "\n") != 3 ||
		!strings.Contains(got, "amal      admin") {
		t.Errorf("refusals changed the accounts:\n%s", got)
	}

	tadamun(t, dir, env, "user", "role", "bilal", "admin").must(t)
	tadamun(t, dir, env, "user", "delete", "amal").must(t)
	if out := list(); strings.Contains(out, "amal") || !strings.Contains(out, "admin") {
		t.Errorf("after delete:\n%s", out)
	}
}

// TestUserPasswdEndsSessions: on both databases, a CLI password change
// removes every session of the user and only theirs.
func TestUserPasswdEndsSessions(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			dir := t.TempDir()
			url := storagetest.SQLiteURL(t)
			if b.Name != "sqlite" {
				url = storagetest.PostgresURL(t)
			}
			env := cleanEnv("TADAMUN_DATABASE=" + url)
			pw := filepath.Join(dir, "pw")
			if err := os.WriteFile(pw, []byte("a long password here\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			tadamun(t, dir, env, "user", "create", "amal", "--role", "admin", "--password-file", pw).must(t)
			tadamun(t, dir, env, "user", "create", "bilal", "--role", "admin", "--password-file", pw).must(t)
			for i, name := range []string{"amal", "amal", "bilal"} {
				storagetest.Exec(t, url, `INSERT INTO sessions (token_hash, user_id, user_agent, created_at, last_seen_at, expires_at)
					SELECT $1, id, 'ua', created_at, created_at, created_at FROM users WHERE username = $2`, fmt.Sprint("h", i), name)
			}
			tadamun(t, dir, env, "user", "passwd", "amal", "--password-file", pw).must(t)
			if n := storagetest.Count(t, url, `SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'amal'`); n != 0 {
				t.Errorf("amal's sessions after passwd: %d", n)
			}
			if n := storagetest.Count(t, url, `SELECT COUNT(*) FROM sessions`); n != 1 {
				t.Errorf("sessions left: %d, want bilal's one", n)
			}
		})
	}
}

// TestNodeCommands: node set changes only the settings given, validates,
// and node show prints them; an unset name shows the domain.
func TestNodeCommands(t *testing.T) {
	dir := t.TempDir()
	env := cleanEnv("TADAMUN_DOMAIN=node.example")
	if r := tadamun(t, dir, env, "node", "show").must(t); !strings.Contains(r.stdout, "node.example") {
		t.Errorf("unset name:\n%s", r.stdout)
	}
	tadamun(t, dir, env, "node", "set", "--name", "شبكة التضامن", "--language", "AR").must(t)
	tadamun(t, dir, env, "node", "set", "--description", "Statements from the network").must(t)
	r := tadamun(t, dir, env, "node", "show").must(t)
	for _, want := range []string{"name:        شبكة التضامن", "language:    ar"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("node show lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b") {
		t.Errorf("node show prints control sequences:\n%q", r.stdout)
	}
	before := r.stdout
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"node", "set"}, "at least one of"},
		{[]string{"node", "set", "--language", "not a tag"}, "not a language tag"},
		{[]string{"node", "set", "--name", strings.Repeat("x", 101)}, "at most 100"},
		{[]string{"node", "set", "--description", "a \x1b]52;c;AAAA\x07 clipboard write"}, "control characters"},
	} {
		r := tadamun(t, dir, env, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d\n%s", c.args, r.code, r.stderr)
		}
	}
	if r := tadamun(t, dir, env, "node", "show").must(t); r.stdout != before {
		t.Errorf("refused settings changed something:\n%s", r.stdout)
	}
	tadamun(t, dir, env, "node", "set", "--name", "").must(t)
	if r := tadamun(t, dir, env, "node", "show").must(t); !strings.Contains(r.stdout, "(unset: the domain, node.example)") {
		t.Errorf("after unsetting the name:\n%s", r.stdout)
	}
}

// tadamunStdin is tadamun with input on stdin (a pipe, not a terminal).
func tadamunStdin(t *testing.T, dir string, env []string, input string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, env, strings.NewReader(input)
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
