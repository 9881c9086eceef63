package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tadamun/tadamun/federation/mediastore"
	"github.com/tadamun/tadamun/storage"
)

// A setting can be given as a flag, a TADAMUN_* environment variable or a key
// in the config file; that is also the order of precedence.
type setting struct {
	key     string // config file key and flag name
	env     string
	def     string
	help    string
	isBool  bool
	forServ bool // only "serve" takes it
}

var settings = []setting{
	{key: "config", env: "TADAMUN_CONFIG", help: "YAML file with settings (keys as the flag names, e.g. `domain: node.example`)"},
	{key: "data-dir", env: "TADAMUN_DATA_DIR", def: "./tadamun-data", help: "directory for the SQLite database and media"},
	{key: "database", env: "TADAMUN_DATABASE", help: "postgres://USER:PASS@HOST/DB, or sqlite:PATH (default: SQLite in the data directory)"},
	{key: "domain", env: "TADAMUN_DOMAIN", def: "localhost:8080", help: "public host name (and port, if not 443) in every address the node gives out"},
	{key: "insecure-http", env: "TADAMUN_INSECURE_HTTP", isBool: true, help: "give out http:// addresses (local testing only; automatic for localhost)"},
	{key: "allow-private-addresses", env: "TADAMUN_ALLOW_PRIVATE_ADDRESSES", isBool: true, help: "let the node fetch from and deliver to loopback and private addresses (test networks only: it disables the SSRF guard)"},
	{key: "media-store", env: "TADAMUN_MEDIA_STORE", def: "dir", help: "where media are kept: dir (the data directory's media/ folder) or s3 (an S3-compatible bucket, e.g. MinIO, shared by processes on several machines)"},
	{key: "s3-endpoint", env: "TADAMUN_S3_ENDPOINT", help: "S3 store's host[:port], without scheme, e.g. minio.internal:9000 (media-store s3)"},
	{key: "s3-bucket", env: "TADAMUN_S3_BUCKET", help: "S3 bucket that holds the media; create it first (media-store s3)"},
	{key: "s3-region", env: "TADAMUN_S3_REGION", help: "S3 region, e.g. us-east-1 (default: asked of the store) (media-store s3)"},
	{key: "s3-access-key", env: "TADAMUN_S3_ACCESS_KEY", help: "S3 access key (media-store s3; better in the environment than on the command line)"},
	{key: "s3-secret-key", env: "TADAMUN_S3_SECRET_KEY", help: "S3 secret key (media-store s3; give it in the environment or the config file, never as a flag: other users of the machine can see flags)"},
	{key: "s3-prefix", env: "TADAMUN_S3_PREFIX", help: "folder in the bucket that holds the media, e.g. tadamun/ (default: the bucket's top) (media-store s3)"},
	{key: "s3-insecure", env: "TADAMUN_S3_INSECURE", isBool: true, help: "talk plain HTTP to the S3 endpoint (a store on this machine or in tests only: keys and media travel unencrypted)"},
	{key: "log-format", env: "TADAMUN_LOG_FORMAT", def: "text", help: "log format: text or json"},
	{key: "log-level", env: "TADAMUN_LOG_LEVEL", def: "info", help: "log level: debug, info, warn or error"},
	{key: "listen", env: "TADAMUN_LISTEN", def: "127.0.0.1:8080", forServ: true, help: "address to listen on"},
	{key: "tls-cert", env: "TADAMUN_TLS_CERT", forServ: true, help: "certificate file (PEM) to serve HTTPS directly"},
	{key: "tls-key", env: "TADAMUN_TLS_KEY", forServ: true, help: "private key file (PEM) for --tls-cert"},
	{key: "authorized-fetch", env: "TADAMUN_AUTHORIZED_FETCH", isBool: true, forServ: true, help: "answer ActivityPub GETs only when they carry a valid signature (Mastodon's secure mode)"},
	{key: "delivery-workers", env: "TADAMUN_DELIVERY_WORKERS", def: "32", forServ: true, help: "how many deliveries run at once (at most 2 per remote host)"},
	{key: "delivery-lease", env: "TADAMUN_DELIVERY_LEASE", def: "30s", forServ: true, help: "how long a claimed delivery stays reserved to its worker; after a crash it is retried when this runs out (keep it above the 10s request timeout)"},
	{key: "rate-limit", env: "TADAMUN_RATE_LIMIT", def: "50", forServ: true, help: "requests per second one client address may make, bursts of twice that (0: no limit)"},
	{key: "trusted-proxies", env: "TADAMUN_TRUSTED_PROXIES", forServ: true, help: "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For/-Proto are believed"},
	{key: "metrics", env: "TADAMUN_METRICS", def: "loopback", forServ: true, help: "who may read /metrics: off, loopback (this machine, never through a proxy) or token"},
	{key: "language", env: "TADAMUN_LANGUAGE", forServ: true, help: "interface language when neither the address, the reader's choice nor the browser names a shipped one (default: the node setting, then en)"},
	{key: "websub-hubs", env: "TADAMUN_WEBSUB_HUBS", forServ: true, help: "comma-separated https:// WebSub hubs the feeds advertise and notify on publish, edit and delete"},
	{key: "websub-self-hub", env: "TADAMUN_WEBSUB_SELF_HUB", def: "true", forServ: true, help: "be the feeds' own WebSub hub: accept subscriptions and push new feed content (true or false)"},
	{key: "response-cache-size", env: "TADAMUN_RESPONSE_CACHE_SIZE", def: "64MiB", forServ: true, help: "memory for rendered pages, ActivityPub documents and WebFinger answers kept for reuse, compressed forms included, e.g. 64MiB, 512KiB, 1GiB (0: keep none, render every request)"},
	{key: "feed-cache-size", env: "TADAMUN_FEED_CACHE_SIZE", def: "32MiB", forServ: true, help: "memory for rendered RSS, Atom and JSON feeds kept for reuse, compressed forms included, e.g. 32MiB (0: keep none, render every request)"},
	{key: "metrics-token", env: "TADAMUN_METRICS_TOKEN", forServ: true, help: "bearer token /metrics asks for with --metrics token (at least 16 characters; better in the environment than on the command line)"},
}

// config is the resolved configuration of one command.
type config struct {
	DataDir         string
	Database        string
	Domain          string
	InsecureHTTP    bool
	LogFormat       string
	LogLevel        slog.Level
	LogLevelSet     bool // given explicitly, not the default
	Listen          string
	TLSCert         string
	TLSKey          string
	TrustedProxies  []*net.IPNet
	AllowPrivate    bool
	AuthorizedFetch bool
	DeliveryWorkers int
	DeliveryLease   time.Duration
	RateLimit       float64
	Metrics         string // who may read /metrics (web.MetricsAccess)
	MetricsToken    string
	Language        string   // default interface language ("" : the node setting)
	WebSubHubs      []string // external WebSub hubs
	WebSubSelfHub   bool     // the node is its own WebSub hub
	MediaStore      string   // "dir" or "s3"
	// ResponseCacheBytes and FeedCacheBytes bound the rendered-response
	// and feed caches; 0 keeps nothing (webCacheBytes).
	ResponseCacheBytes int64
	FeedCacheBytes     int64
	S3                 mediastore.S3Config
}

// Scheme is the scheme of the node's public addresses: https, except for a
// node on localhost or one explicitly configured for plain HTTP.
func (c *config) Scheme() string {
	host := c.Domain
	if h, _, err := net.SplitHostPort(c.Domain); err == nil {
		host = h
	}
	if c.InsecureHTTP || host == "localhost" || host == "127.0.0.1" || host == "::1" {
		return "http"
	}
	return "https"
}

// settingFlags registers the settings on a command's flag set and returns
// a function that resolves them after parsing.
func settingFlags(fs *flag.FlagSet, serve bool, getenv func(string) string) func() (*config, error) {
	vals := map[string]*string{}
	bools := map[string]*bool{}
	for _, s := range settings {
		if s.forServ && !serve {
			continue
		}
		if s.isBool {
			bools[s.key] = fs.Bool(s.key, false, s.help+" (env "+s.env+")")
		} else {
			help := s.help + " (env " + s.env + ")"
			vals[s.key] = fs.String(s.key, "", help)
			if s.def != "" {
				fs.Lookup(s.key).DefValue = s.def
			}
		}
	}
	return func() (*config, error) {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		// source names where a value came from, for error messages.
		source := map[string]string{}
		value := map[string]string{}
		for _, s := range settings {
			if s.forServ && !serve {
				continue
			}
			switch {
			case given[s.key]:
				source[s.key] = "--" + s.key
				if s.isBool {
					value[s.key] = strconv.FormatBool(*bools[s.key])
				} else {
					value[s.key] = *vals[s.key]
				}
			case getenv(s.env) != "":
				source[s.key], value[s.key] = s.env, getenv(s.env)
			}
		}
		if path := value["config"]; path != "" {
			file, err := readConfigFile(path)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", source["config"], err)
			}
			for k, v := range file {
				s, ok := lookupSetting(k)
				if !ok || k == "config" || (s.forServ && !serve) {
					if !ok || k == "config" {
						return nil, fmt.Errorf("config file %s: unknown setting %q", path, k)
					}
					continue
				}
				if _, set := value[k]; !set {
					source[k], value[k] = "config file key "+k, v
				}
			}
		}
		for _, s := range settings {
			if _, set := value[s.key]; !set && !(s.forServ && !serve) {
				source[s.key], value[s.key] = "default "+s.key, s.def
			}
		}
		return buildConfig(value, source, serve)
	}
}

func lookupSetting(key string) (setting, bool) {
	for _, s := range settings {
		if s.key == key {
			return s, true
		}
	}
	return setting{}, false
}

func readConfigFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read config file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("config file %s is not valid YAML: %s", path, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	out := map[string]string{}
	for k, v := range raw {
		out[k] = fmt.Sprint(v)
	}
	return out, nil
}

// buildConfig checks every value and names the setting of the first bad one.
func buildConfig(value, source map[string]string, serve bool) (*config, error) {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("invalid setting %s: "+format, append([]any{source[key]}, args...)...)
	}
	c := &config{DataDir: value["data-dir"], Database: value["database"], Domain: strings.TrimSpace(value["domain"]),
		LogFormat: value["log-format"], Listen: value["listen"], TLSCert: value["tls-cert"], TLSKey: value["tls-key"]}
	if c.DataDir == "" {
		return nil, bad("data-dir", "must not be empty")
	}
	if _, _, err := storage.ParseURL(c.Database, c.DataDir); err != nil {
		return nil, bad("database", "%v", err)
	}
	if err := checkDomain(c.Domain); err != nil {
		return nil, bad("domain", "%v", err)
	}
	for key, dst := range map[string]*bool{"insecure-http": &c.InsecureHTTP, "allow-private-addresses": &c.AllowPrivate,
		"authorized-fetch": &c.AuthorizedFetch, "s3-insecure": &c.S3.Insecure} {
		if v := value[key]; v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, bad(key, "%q is not true or false", v)
			}
			*dst = b
		}
	}
	if err := c.mediaSettings(value, bad); err != nil {
		return nil, err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, bad("log-format", "%q: use text or json", c.LogFormat)
	}
	if err := c.LogLevel.UnmarshalText([]byte(value["log-level"])); err != nil {
		return nil, bad("log-level", "%q: use debug, info, warn or error", value["log-level"])
	}
	c.LogLevelSet = !strings.HasPrefix(source["log-level"], "default")
	if !serve {
		return c, nil
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		return nil, bad("listen", "%q: use HOST:PORT, e.g. 127.0.0.1:8080", c.Listen)
	}
	n, err := strconv.Atoi(value["delivery-workers"])
	if err != nil || n < 1 || n > 1000 {
		return nil, bad("delivery-workers", "%q: use a number from 1 to 1000", value["delivery-workers"])
	}
	c.DeliveryWorkers = n
	if c.DeliveryLease, err = time.ParseDuration(value["delivery-lease"]); err != nil || c.DeliveryLease < time.Second {
		return nil, bad("delivery-lease", "%q: use a duration of at least 1s, e.g. 30s", value["delivery-lease"])
	}
	if c.RateLimit, err = strconv.ParseFloat(value["rate-limit"], 64); err != nil || c.RateLimit < 0 {
		return nil, bad("rate-limit", "%q: use a number of requests per second, or 0", value["rate-limit"])
	}
	c.Metrics, c.MetricsToken = value["metrics"], value["metrics-token"]
	switch c.Metrics {
	case "off", "loopback":
	case "token":
		if len(c.MetricsToken) < 16 {
			return nil, bad("metrics-token", "--metrics token needs a token of at least 16 characters")
		}
	default:
		return nil, bad("metrics", "%q: use off, loopback or token", c.Metrics)
	}
	for key, dst := range map[string]*int64{"response-cache-size": &c.ResponseCacheBytes, "feed-cache-size": &c.FeedCacheBytes} {
		n, err := parseSize(value[key])
		if err != nil {
			return nil, bad(key, "%v", err)
		}
		*dst = n
	}
	c.Language = strings.TrimSpace(value["language"])
	for _, h := range strings.Split(value["websub-hubs"], ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		if u, err := url.Parse(h); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, bad("websub-hubs", "%q is not an http(s) address", h)
		}
		c.WebSubHubs = append(c.WebSubHubs, h)
	}
	if c.WebSubSelfHub, err = strconv.ParseBool(value["websub-self-hub"]); err != nil {
		return nil, bad("websub-self-hub", "%q is not true or false", value["websub-self-hub"])
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, bad("tls-cert", "--tls-cert and --tls-key go together")
	}
	for _, k := range []string{"tls-cert", "tls-key"} {
		if p := value[k]; p != "" {
			if _, err := os.Stat(p); err != nil {
				return nil, bad(k, "%v", errors.Unwrap(err))
			}
		}
	}
	for _, p := range strings.Split(value["trusted-proxies"], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil && ip.To4() != nil {
				p += "/32"
			} else {
				p += "/128"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, bad("trusted-proxies", "%q is not an address or CIDR", p)
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	return c, nil
}

// minCacheSize is the smallest cache size taken other than 0: below it a
// cache holds next to nothing, and a number without a unit ("64", meant as
// 64MiB) would quietly turn the cache off.
const minCacheSize = 64 << 10

// sizeUnits are the units parseSize takes, in lower case: binary (KiB, MiB,
// GiB) and decimal (kB, MB, GB), and B for bytes.
var sizeUnits = map[string]int64{"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	"kb": 1e3, "mb": 1e6, "gb": 1e9}

// parseSize reads a cache size: a whole number of bytes with an optional
// unit, e.g. 64MiB, 512KiB, 1GiB, 100MB (units in any case, a space
// allowed before them), or 0 for no cache at all. Anything else from 1 byte
// to minCacheSize is refused, so that a forgotten unit is not a silent
// choice.
func parseSize(v string) (int64, error) {
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(v[i:]))]
	if i == 0 || !ok {
		return 0, fmt.Errorf("%q: use a size such as 64MiB, 512KiB or 1GiB, or 0 for no cache", v)
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil || n > math.MaxInt64/unit {
		return 0, fmt.Errorf("%q is too large", v)
	}
	n *= unit
	if n != 0 && n < minCacheSize {
		return 0, fmt.Errorf("%q is below the smallest cache, 64KiB: give a unit (64MiB), or 0 for no cache", v)
	}
	return n, nil
}

// webCacheBytes turns a cache size setting into web.Config's terms, where 0
// means the default and a negative bound keeps nothing.
func webCacheBytes(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

// mediaSettings reads media-store and, for s3, the bucket's settings. Every
// command takes them: publishing from the shell writes images too.
func (c *config) mediaSettings(value map[string]string, bad func(key, format string, args ...any) error) error {
	c.MediaStore = strings.TrimSpace(value["media-store"])
	switch c.MediaStore {
	case "dir":
		return nil
	case "s3":
	default:
		return bad("media-store", "%q: use dir (the default) or s3", c.MediaStore)
	}
	c.S3.Endpoint = strings.TrimSpace(value["s3-endpoint"])
	c.S3.Bucket = strings.TrimSpace(value["s3-bucket"])
	c.S3.Region = strings.TrimSpace(value["s3-region"])
	c.S3.AccessKey = value["s3-access-key"]
	c.S3.SecretKey = value["s3-secret-key"]
	c.S3.Prefix = strings.TrimSpace(value["s3-prefix"])
	switch {
	case c.S3.Endpoint == "":
		return bad("s3-endpoint", "media-store s3 needs the store's host[:port], e.g. minio.internal:9000")
	case strings.Contains(c.S3.Endpoint, "://") || strings.ContainsAny(c.S3.Endpoint, "/?#@ "):
		return bad("s3-endpoint", "%q: give host[:port] only, without scheme or path (s3-insecure selects plain HTTP)", c.S3.Endpoint)
	case c.S3.Bucket == "":
		return bad("s3-bucket", "media-store s3 needs a bucket name")
	case !validBucket(c.S3.Bucket):
		return bad("s3-bucket", "%q: a bucket name is 3 to 63 lower-case letters, digits, dots and hyphens", c.S3.Bucket)
	case c.S3.AccessKey == "" || c.S3.SecretKey == "":
		key := "s3-access-key"
		if c.S3.AccessKey != "" {
			key = "s3-secret-key"
		}
		return bad(key, "media-store s3 needs an access key and a secret key (TADAMUN_S3_ACCESS_KEY, TADAMUN_S3_SECRET_KEY)")
	case c.S3.Prefix != "" && !mediastore.ValidKey(strings.TrimSuffix(c.S3.Prefix, "/")):
		return bad("s3-prefix", "%q: use a relative folder such as tadamun/", c.S3.Prefix)
	}
	return nil
}

// validBucket accepts the S3 bucket names every store takes: 3 to 63
// characters, lower-case letters, digits, dots and hyphens, starting and
// ending with a letter or digit.
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i, r := range b {
		edge := i == 0 || i == len(b)-1
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '.' || r == '-') && !edge:
		default:
			return false
		}
	}
	return true
}

// checkDomain accepts a host name or address with an optional port, the
// authority part of a URL and nothing else.
func checkDomain(d string) error {
	if d == "" {
		return errors.New("must not be empty")
	}
	if strings.Contains(d, "://") || strings.ContainsAny(d, "/?#@ ") {
		return fmt.Errorf("%q: give the host only, e.g. node.example (no scheme or path)", d)
	}
	host := d
	if h, p, err := net.SplitHostPort(d); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: bad port", d)
		}
		host = h
	}
	if host == "" || host != strings.ToLower(host) {
		return fmt.Errorf("%q: use a lower-case host name", d)
	}
	return nil
}
