package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/web"
)

func resolveFor(t *testing.T, serve bool, env map[string]string, args ...string) (*config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	resolve := settingFlags(fs, serve, func(k string) string { return env[k] })
	if _, err := parseInterleaved(fs, args); err != nil {
		return nil, err
	}
	return resolve()
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tadamun.yaml")
	if err := os.WriteFile(file, []byte("domain: file.example\nlisten: 127.0.0.1:9000\nlog-format: json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := resolveFor(t, true, map[string]string{"TADAMUN_CONFIG": file, "TADAMUN_DOMAIN": "env.example"}, "--listen", "127.0.0.1:9100")
	if err != nil {
		t.Fatal(err)
	}
	if c.Domain != "env.example" || c.Listen != "127.0.0.1:9100" || c.LogFormat != "json" || c.DataDir != "./tadamun-data" {
		t.Fatalf("resolved %+v", c)
	}
	c, err = resolveFor(t, true, map[string]string{"TADAMUN_DOMAIN": "env.example"}, "--domain", "flag.example")
	if err != nil || c.Domain != "flag.example" {
		t.Fatalf("flag did not win over env: %+v %v", c, err)
	}
}

func TestConfigDefaultsAndScheme(t *testing.T) {
	c, err := resolveFor(t, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Domain != "localhost:8080" || c.Scheme() != "http" || c.Metrics != "loopback" {
		t.Fatalf("defaults %+v scheme %s", c, c.Scheme())
	}
	for domain, want := range map[string]string{"node.example": "https", "node.example:8443": "https", "127.0.0.1:8080": "http"} {
		c, err := resolveFor(t, false, map[string]string{"TADAMUN_DOMAIN": domain})
		if err != nil || c.Scheme() != want {
			t.Errorf("domain %s: scheme %v, %v; want %s", domain, c, err, want)
		}
	}
	c, err = resolveFor(t, false, map[string]string{"TADAMUN_DOMAIN": "node.test", "TADAMUN_INSECURE_HTTP": "true"})
	if err != nil || c.Scheme() != "http" {
		t.Fatalf("insecure-http: %v %v", c, err)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	dir := t.TempDir()
	bogus := filepath.Join(dir, "bogus.yaml")
	os.WriteFile(bogus, []byte("domian: x\n"), 0o600)
	cases := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"TADAMUN_DATABASE": "mysql://x"}, nil, "TADAMUN_DATABASE"},
		{nil, []string{"--database", "sqlite:"}, "--database"},
		{map[string]string{"TADAMUN_DOMAIN": "Node.Example"}, nil, "TADAMUN_DOMAIN"},
		{map[string]string{"TADAMUN_LOG_LEVEL": "loud"}, nil, "TADAMUN_LOG_LEVEL"},
		{map[string]string{"TADAMUN_LOG_FORMAT": "xml"}, nil, "TADAMUN_LOG_FORMAT"},
		{nil, []string{"--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"}, "--tls-cert"},
		{nil, []string{"--tls-cert", "/etc/hostname"}, "--tls-cert"},
		{map[string]string{"TADAMUN_TRUSTED_PROXIES": "10.0.0.0/8, not-an-ip"}, nil, "TADAMUN_TRUSTED_PROXIES"},
		{map[string]string{"TADAMUN_CONFIG": bogus}, nil, `unknown setting "domian"`},
		{map[string]string{"TADAMUN_CONFIG": filepath.Join(dir, "missing.yaml")}, nil, "TADAMUN_CONFIG"},
		{map[string]string{"TADAMUN_INSECURE_HTTP": "maybe"}, nil, "TADAMUN_INSECURE_HTTP"},
		{map[string]string{"TADAMUN_METRICS": "public"}, nil, "TADAMUN_METRICS"},
		{nil, []string{"--metrics", "token"}, "metrics-token"},
		{map[string]string{"TADAMUN_METRICS": "token", "TADAMUN_METRICS_TOKEN": "short"}, nil, "TADAMUN_METRICS_TOKEN"},
	}
	for _, c := range cases {
		_, err := resolveFor(t, true, c.env, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: got %v, want an error naming %s", c.env, c.args, err, c.want)
		}
	}
	for _, c := range mediaSettingCases() {
		for _, serve := range []bool{true, false} { // every command writes media, not only serve
			_, err := resolveFor(t, serve, c.env, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("serve=%v %v %v: got %v, want an error naming %s", serve, c.env, c.args, err, c.want)
			}
		}
	}
	c, err := resolveFor(t, true, map[string]string{"TADAMUN_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1, ::1"})
	if err != nil || len(c.TrustedProxies) != 3 {
		t.Fatalf("trusted proxies: %v %v", c, err)
	}
}

// s3Env is a complete, valid S3 media configuration, with changes.
func s3Env(changes ...string) map[string]string {
	env := map[string]string{"TADAMUN_MEDIA_STORE": "s3", "TADAMUN_S3_ENDPOINT": "minio.internal:9000",
		"TADAMUN_S3_BUCKET": "tadamun-media", "TADAMUN_S3_ACCESS_KEY": "tadamun", "TADAMUN_S3_SECRET_KEY": "a-long-secret-key"}
	for i := 0; i+1 < len(changes); i += 2 {
		env[changes[i]] = changes[i+1]
	}
	return env
}

type configCase struct {
	env  map[string]string
	args []string
	want string
}

func mediaSettingCases() []configCase {
	return []configCase{
		{map[string]string{"TADAMUN_MEDIA_STORE": "nfs"}, nil, "TADAMUN_MEDIA_STORE"},
		{nil, []string{"--media-store", "minio"}, "--media-store"},
		{s3Env("TADAMUN_S3_ENDPOINT", ""), nil, "s3-endpoint"},
		{s3Env("TADAMUN_S3_ENDPOINT", "https://minio.internal:9000"), nil, "TADAMUN_S3_ENDPOINT"},
		{s3Env("TADAMUN_S3_ENDPOINT", "minio.internal/media"), nil, "TADAMUN_S3_ENDPOINT"},
		{s3Env("TADAMUN_S3_BUCKET", ""), nil, "s3-bucket"},
		{s3Env("TADAMUN_S3_BUCKET", "Media_Bucket"), nil, "TADAMUN_S3_BUCKET"},
		{s3Env("TADAMUN_S3_BUCKET", "-media"), nil, "TADAMUN_S3_BUCKET"},
		{s3Env("TADAMUN_S3_ACCESS_KEY", ""), nil, "TADAMUN_S3_ACCESS_KEY"},
		{s3Env("TADAMUN_S3_SECRET_KEY", ""), nil, "TADAMUN_S3_SECRET_KEY"},
		{s3Env("TADAMUN_S3_PREFIX", "../other"), nil, "TADAMUN_S3_PREFIX"},
		{s3Env("TADAMUN_S3_PREFIX", "/abs/"), nil, "TADAMUN_S3_PREFIX"},
		{s3Env("TADAMUN_S3_INSECURE", "perhaps"), nil, "TADAMUN_S3_INSECURE"},
	}
}

// TestConfigMediaStore: the directory is the default; an S3 store is read
// from the environment, a flag or the config file, for every command.
func TestConfigMediaStore(t *testing.T) {
	c, err := resolveFor(t, false, nil)
	if err != nil || c.MediaStore != "dir" {
		t.Fatalf("default media store: %+v %v", c, err)
	}
	c, err = resolveFor(t, false, s3Env("TADAMUN_S3_PREFIX", "tadamun/", "TADAMUN_S3_INSECURE", "true", "TADAMUN_S3_REGION", "eu-1"))
	if err != nil {
		t.Fatal(err)
	}
	want := "minio.internal:9000 tadamun-media tadamun a-long-secret-key tadamun/ eu-1 true"
	if got := strings.Join([]string{c.S3.Endpoint, c.S3.Bucket, c.S3.AccessKey, c.S3.SecretKey, c.S3.Prefix, c.S3.Region,
		strconv.FormatBool(c.S3.Insecure)}, " "); c.MediaStore != "s3" || got != want {
		t.Fatalf("s3 settings: %s %q, want %q", c.MediaStore, got, want)
	}
	file := filepath.Join(t.TempDir(), "tadamun.yaml")
	yaml := "media-store: s3\ns3-endpoint: s3.example:443\ns3-bucket: media.example\ns3-access-key: ak\ns3-secret-key: sk\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = resolveFor(t, true, map[string]string{"TADAMUN_CONFIG": file}, "--s3-bucket", "flag-bucket")
	if err != nil || c.MediaStore != "s3" || c.S3.Endpoint != "s3.example:443" || c.S3.Bucket != "flag-bucket" ||
		c.S3.SecretKey != "sk" || c.S3.Insecure {
		t.Fatalf("from the config file and a flag: %+v %v", c, err)
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"0MiB", 0},
		{"64MiB", 64 << 20},
		{"64mib", 64 << 20},
		{"64 MiB", 64 << 20},
		{" 512KiB ", 512 << 10},
		{"1GiB", 1 << 30},
		{"100MB", 100e6},
		{"65536", 65536},
		{"65536B", 65536},
		{"70kB", 70e3},
	} {
		if got, err := parseSize(tc.in); err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "-64MiB", "1.5GiB", "64 M", "64MiBs", "64 Mi B", "sixty", "0x40",
		"64", "1KiB", "65535", // not 0, and below the smallest cache: a forgotten unit
		"9999999999GiB", "99999999999999999999"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

// TestConfigCacheSizes: the defaults are web's; a size is read from a flag,
// the environment or the config file; a bad one names its setting; 0 keeps
// nothing and reaches web.Config as a negative bound.
func TestConfigCacheSizes(t *testing.T) {
	c, err := resolveFor(t, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.ResponseCacheBytes != web.DefaultResponseCacheBytes || c.FeedCacheBytes != web.DefaultFeedCacheBytes {
		t.Errorf("defaults %d, %d; want web's %d, %d", c.ResponseCacheBytes, c.FeedCacheBytes,
			web.DefaultResponseCacheBytes, web.DefaultFeedCacheBytes)
	}
	file := filepath.Join(t.TempDir(), "tadamun.yaml")
	if err := os.WriteFile(file, []byte("response-cache-size: 1GiB\nfeed-cache-size: 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = resolveFor(t, true, map[string]string{"TADAMUN_CONFIG": file})
	if err != nil || c.ResponseCacheBytes != 1<<30 || c.FeedCacheBytes != 0 {
		t.Fatalf("from the config file: %+v %v", c, err)
	}
	c, err = resolveFor(t, true, map[string]string{"TADAMUN_CONFIG": file, "TADAMUN_RESPONSE_CACHE_SIZE": "128MiB"},
		"--feed-cache-size", "512KiB")
	if err != nil || c.ResponseCacheBytes != 128<<20 || c.FeedCacheBytes != 512<<10 {
		t.Fatalf("environment and flag over the file: %+v %v", c, err)
	}
	for _, tc := range []configCase{
		{map[string]string{"TADAMUN_RESPONSE_CACHE_SIZE": "64"}, nil, "TADAMUN_RESPONSE_CACHE_SIZE"},
		{nil, []string{"--response-cache-size", "-1"}, "--response-cache-size"},
		{nil, []string{"--feed-cache-size", "32 megabytes"}, "--feed-cache-size"},
		{map[string]string{"TADAMUN_FEED_CACHE_SIZE": "1.5GiB"}, nil, "TADAMUN_FEED_CACHE_SIZE"},
	} {
		_, err := resolveFor(t, true, tc.env, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: got %v, want an error naming %s", tc.env, tc.args, err, tc.want)
		}
	}
	if webCacheBytes(0) >= 0 || webCacheBytes(64<<20) != 64<<20 {
		t.Error("0 must reach web.Config as a negative bound (keep nothing), a size as itself")
	}
}

var cacheBound = regexp.MustCompile(`(?m)^tadamun_cache_max_bytes\{cache="(\w+)"\} (\S+)$`)

// TestServeCacheSizes: the sizes given to serve are the bounds its caches
// report in /metrics, and a bad size stops serve at start, naming it.
func TestServeCacheSizes(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, dir, cleanEnv("TADAMUN_FEED_CACHE_SIZE=0"), "--response-cache-size", "512KiB")
	code, body := s.get(t, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	got := map[string]string{}
	for _, m := range cacheBound.FindAllStringSubmatch(body, -1) {
		got[m[1]] = m[2]
	}
	if got["responses"] != "524288" || got["feeds"] != "-1" {
		t.Errorf("cache bounds in /metrics %v, want responses 524288 and feeds -1 (none)", got)
	}
	r := tadamun(t, t.TempDir(), cleanEnv(), "serve", "--listen", freeAddr(t), "--response-cache-size", "64")
	if r.code == 0 || !strings.Contains(r.stderr, "--response-cache-size") {
		t.Errorf("serve with a size of 64 bytes: exit %d, %s", r.code, r.stderr)
	}
}
