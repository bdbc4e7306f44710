package canary

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Version is this SDK's version, sent in hello as canary-flags-go/<Version>.
const Version = "0.1.0"

// Protocol is the WebSocket sub-protocol this SDK speaks (SPEC.md §5).
const Protocol = "canary-flags.v1"

// Config configures a Client. URL and ServerKey are required.
type Config struct {
	// URL is the server's base URL, e.g. https://flags.example.com (ws(s):// works too, with or
	// without a path prefix or the stream path itself).
	URL string
	// ServerKey is a server SDK key (cf_server_…): rules are evaluated locally.
	ServerKey string
	// Bootstrap is state to answer from before the server is reached (SPEC.md §10).
	Bootstrap *Snapshot
	// BootstrapFile is a file holding a Snapshot or a cache entry, read at start.
	BootstrapFile string
	// Environment, when set, lets the client fetch the environment's snapshot over HTTP
	// (GET /api/v1/environments/{Environment}/snapshot) while the stream cannot be opened and no
	// state is held, e.g. behind a proxy that refuses WebSocket upgrades (SPEC.md §8).
	Environment string
	// CacheFile, when set, keeps the last known state on disk (written atomically, debounced)
	// and is read at start like a bootstrap.
	CacheFile string
	// FlushInterval is how often guard counts are sent. Default 5 s.
	FlushInterval time.Duration
	// PingInterval is how often the connection is pinged; silence until the next ping means it
	// is dead. Default 15 s.
	PingInterval time.Duration
	// CloseTimeout bounds how long Close waits for the last counts to be acknowledged. Default 2 s.
	CloseTimeout time.Duration
	// MaxPendingBatches bounds unacknowledged metrics batches kept for resending. Default 100.
	MaxPendingBatches int
	// SDKName overrides the name sent in hello (default canary-flags-go/<Version>).
	SDKName string
	// Logger receives diagnostics; default slog.Default().
	Logger *slog.Logger
	// HTTPClient is used for the WebSocket handshake and the metrics fallback.
	HTTPClient *http.Client
	// OnChange, when set, is called (on the connection's goroutine) with the keys of flags whose
	// answers may have changed; nil keys means every flag.
	OnChange func(keys []string)
	// OnStatus, when set, is called when the status changes (e.g. stale after a lost
	// connection, ready once back in sync, fatal when the key is refused).
	OnStatus func(Status)
}

type endpoints struct {
	stream  string
	metrics string
	base    string // http(s)://host[/prefix]
}

// snapshot is the HTTP snapshot endpoint of an environment, naming the bucketing modes this SDK
// evaluates as the hello does (SPEC.md §8).
func (e endpoints) snapshot(environment string) string {
	return e.base + "/api/v1/environments/" + url.PathEscape(environment) + "/snapshot?bucketing=" + strings.Join(BucketingModes, ",")
}

// endpointsOf derives the stream and metrics endpoints from the base URL.
func endpointsOf(raw string) (endpoints, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return endpoints{}, fmt.Errorf("canary: Config.URL: %w", err)
	}
	secure := false
	switch u.Scheme {
	case "https", "wss":
		secure = true
	case "http", "ws":
	default:
		return endpoints{}, fmt.Errorf("canary: Config.URL must be http(s):// or ws(s)://, got %q", raw)
	}
	if u.Host == "" {
		return endpoints{}, fmt.Errorf("canary: Config.URL has no host: %q", raw)
	}
	base := strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/api/v1/stream")
	ws, web := "ws", "http"
	if secure {
		ws, web = "wss", "https"
	}
	return endpoints{
		stream:  ws + "://" + u.Host + base + "/api/v1/stream",
		metrics: web + "://" + u.Host + base + "/api/v1/metrics",
		base:    web + "://" + u.Host + base,
	}, nil
}

func (c *Config) withDefaults() error {
	if c.URL == "" {
		return errors.New("canary: Config.URL is required")
	}
	if c.ServerKey == "" {
		return errors.New("canary: Config.ServerKey is required")
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 5 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 15 * time.Second
	}
	if c.CloseTimeout <= 0 {
		c.CloseTimeout = 2 * time.Second
	}
	if c.MaxPendingBatches <= 0 {
		c.MaxPendingBatches = 100
	}
	if c.SDKName == "" {
		c.SDKName = "canary-flags-go/" + Version
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return nil
}
