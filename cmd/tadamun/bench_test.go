package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkServeMemory runs the real binary with 200 statements, serves
// pages and feeds in a loop, and reports the process's resident memory
// (VmRSS, VmHWM from /proc) while it serves.
func BenchmarkServeMemory(b *testing.B) {
	dir := b.TempDir()
	env := cleanEnv("TADAMUN_RATE_LIMIT=0", "TADAMUN_LOG_LEVEL=warn")
	run := func(args ...string) {
		cmd := exec.Command(binary, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	run("actor", "create", "icssi", "--name", "ICSSI")
	seed, _ := os.ReadFile(filepath.Join("testdata", "icssi-2015.md"))
	for i := 0; i < 200; i++ {
		p := filepath.Join(dir, fmt.Sprintf("s%d.md", i))
		src := strings.Replace(string(seed), "title: We Stand Together", fmt.Sprintf("title: %d We Stand Together", i), 1)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			b.Fatal(err)
		}
		run("publish", "--actor", "icssi", p)
	}
	ln := freeAddr(b)
	cmd := exec.Command(binary, "serve", "--listen", ln)
	cmd.Dir, cmd.Env = dir, env
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := "http://" + ln
	for start := time.Now(); ; {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > 30*time.Second {
			b.Fatal("serve did not come up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	paths := []string{"/", "/@icssi", "/feed.rss", "/feed.atom", "/feed.json", "/@icssi/feed.atom", "/sitemap.xml",
		"/@icssi/0-we-stand-together-with-iraqi-civil-society-activists"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := http.Get(base + paths[i%len(paths)])
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	b.StopTimer()
	rss, hwm := procMemory(b, cmd.Process.Pid)
	b.ReportMetric(float64(rss)/1024, "RSS-MiB")
	b.ReportMetric(float64(hwm)/1024, "peak-RSS-MiB")
}

// procMemory reads VmRSS and VmHWM (KiB) of a process.
func procMemory(b *testing.B, pid int) (rss, hwm int) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			n, _ := strconv.Atoi(f[1])
			if f[0] == "VmRSS:" {
				rss = n
			} else {
				hwm = n
			}
		}
	}
	return rss, hwm
}
