package imaging

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// within fails the test if f does not return in time: the point is that
// these paths are refused, not read until memory or patience runs out.
func within(t *testing.T, d time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("still running after %v", d)
		return nil
	}
}

func TestProcessFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.jpg")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.jpg")
	if err := os.WriteFile(big, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "ok.jpg")
	if err := os.WriteFile(good, photoJPEG(t, quadrants(20, 10), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.jpg")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want error
	}{
		{"/dev/zero", ErrNotRegular},
		{fifo, ErrNotRegular},
		{dir, ErrNotRegular},
		{big, ErrTooLarge},
		// A regular file that reports 0 bytes and holds more: the cap is
		// on what is read, not on what the file claims.
		{"/proc/self/status", ErrTooLarge},
		{filepath.Join(dir, "missing.jpg"), os.ErrNotExist},
	} {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			err := within(t, 2*time.Second, func() error {
				_, err := ProcessFile(c.path, 1024)
				return err
			})
			if !errors.Is(err, c.want) {
				t.Fatalf("ProcessFile(%s) = %v, want %v", c.path, err, c.want)
			}
		})
	}
	for _, p := range []string{good, link} {
		if im, err := ProcessFile(p, 1<<20); err != nil || im.Width != 20 {
			t.Fatalf("ProcessFile(%s) = %v, %v", p, im, err)
		}
	}
}
