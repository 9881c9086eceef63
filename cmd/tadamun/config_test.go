package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	c, err := resolveFor(t, true, map[string]string{"TADAMUN_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1, ::1"})
	if err != nil || len(c.TrustedProxies) != 3 {
		t.Fatalf("trusted proxies: %v %v", c, err)
	}
}
