package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitExit waits for a serve process that is expected to stop by itself.
func (s *server) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not exit:\n%s", s.logText())
	}
	return s.cmd.ProcessState.ExitCode()
}

// TestServeFailureStopsWorkersFirst: when the HTTP server cannot run, serve
// stops its workers and waits for them before it closes the database and
// exits; when its address is taken, it starts no workers at all.
func TestServeFailureStopsWorkersFirst(t *testing.T) {
	dir := t.TempDir()
	env := cleanEnv()
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)

	t.Run("address taken", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		s := startServeNoWait(t, dir, env, "--listen", ln.Addr().String())
		if code := s.waitExit(t); code != 1 {
			t.Fatalf("exit %d on a taken address:\n%s", code, s.logText())
		}
		log := s.logText()
		if !strings.Contains(log, "cannot listen on "+ln.Addr().String()) {
			t.Fatalf("no clear error:\n%s", log)
		}
		if strings.Contains(log, "worker started") {
			t.Fatalf("workers were started although the address was taken:\n%s", log)
		}
	})

	t.Run("server fails", func(t *testing.T) {
		// A certificate that does not parse makes the HTTPS server fail as
		// it starts, with the workers already running.
		bad := filepath.Join(dir, "bad.pem")
		if err := os.WriteFile(bad, []byte("not a certificate\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		s := startServeNoWait(t, dir, env, "--tls-cert", bad, "--tls-key", bad)
		if code := s.waitExit(t); code != 1 {
			t.Fatalf("exit %d when the server failed:\n%s", code, s.logText())
		}
		log := s.logText()
		stopped := strings.Index(log, "delivery worker stopped")
		failed := strings.Index(log, "server stopped")
		if stopped < 0 || failed < 0 || stopped > failed {
			t.Fatalf("the workers were not waited for before the database was closed and the error reported:\n%s", log)
		}
		if strings.Contains(log, "database is closed") {
			t.Fatalf("a worker used the database after it was closed:\n%s", log)
		}
	})
}
