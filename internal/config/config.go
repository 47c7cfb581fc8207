// Package config builds the server's Config from command-line flags and
// environment variables. There are no package-level settings: the serve
// command builds one Config value and hands it down, so tests can run
// several differently configured servers in one process.
package config

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/token"
	"github.com/spf13/pflag"
)

// BodyLimit is the largest request body the API reads (1 MiB); larger
// bodies are answered 413 body_too_large.
const BodyLimit = 1 << 20

// Config is everything `rollcall serve` needs to know.
type Config struct {
	Addr           string // listen address, host:port
	Database       string // SQLite file path or postgres:// URL
	PublicURL      string // base URL clients and browsers use; no trailing slash
	BootstrapToken string // optional fixed admin token (rc_…), stored hashed

	RateLimit float64 // requests per second per token, and per user over all its tokens; 0 turns limiting off
	RateBurst int     // requests a token (a user) may send at once before limiting starts

	MaxTokensPerUser int // live API tokens a non-admin user may hold; 0 is no cap
	AuthFailureLimit int // failed API authentications per minute per client address before 429; 0 is no limit

	LogLevel  slog.Level
	LogFormat string // "text" or "json"

	BodyLimit          int64         // maximum request body in bytes
	TokenTouchInterval time.Duration // how often a token's last use is written, at most
	ShutdownTimeout    time.Duration // how long in-flight requests get on shutdown

	SetupLinkTTL time.Duration // how long a setup link stays valid (ROLLCALL_SETUP_LINK_TTL)
	// FirstAdminLinkTTL is how long the first admin's setup link, printed
	// at start, stays valid (--first-admin-link-ttl).
	FirstAdminLinkTTL time.Duration
	SMTPURL           string // smtp://user:pass@host:port?from=... (ROLLCALL_SMTP_URL); "" sends no email
	AdminEmail        string // email of the first admin that serve creates (ROLLCALL_ADMIN_EMAIL)
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Addr:               "127.0.0.1:8080",
		Database:           "./rollcall.db",
		RateLimit:          50,
		RateBurst:          100,
		MaxTokensPerUser:   50,
		AuthFailureLimit:   30,
		LogLevel:           slog.LevelInfo,
		LogFormat:          "text",
		BodyLimit:          BodyLimit,
		TokenTouchInterval: time.Minute,
		ShutdownTimeout:    15 * time.Second,
		SetupLinkTTL:       72 * time.Hour,
		FirstAdminLinkTTL:  time.Hour,
		AdminEmail:         "admin@localhost",
	}
}

// Flags holds the serve command's flags until Load reads them.
type Flags struct {
	fs        *pflag.FlagSet
	addr      string
	database  string
	publicURL string
	rateLimit string
	rateBurst string
	maxTokens string
	authFails string
	logLevel  string
	logFormat string
	firstTTL  string
}

// setting ties a flag to its environment variable.
type setting struct {
	flag, env, help string
	dest            *string
	def             string
}

func (f *Flags) settings() []setting {
	d := Default()
	return []setting{
		{"addr", "ROLLCALL_ADDR", "address to listen on, host:port", &f.addr, d.Addr},
		{"database", "ROLLCALL_DATABASE", "SQLite file path or postgres:// URL", &f.database, d.Database},
		{"url", "ROLLCALL_URL", "public base URL of the server; passkeys are bound to its host name (default http://localhost:PORT for a loopback or wildcard --addr)", &f.publicURL, ""},
		{"rate-limit", "ROLLCALL_RATE_LIMIT", "API requests per second allowed per token, and per user over all its tokens; 0 turns limiting off", &f.rateLimit, strconv.FormatFloat(d.RateLimit, 'f', -1, 64)},
		{"rate-burst", "ROLLCALL_RATE_BURST", "API requests a token (and a user) may send in a burst before the rate limit applies", &f.rateBurst, strconv.Itoa(d.RateBurst)},
		{"max-tokens-per-user", "ROLLCALL_MAX_TOKENS_PER_USER", "live (unexpired, unrevoked) API tokens a non-admin user may hold; 0 is no cap", &f.maxTokens, strconv.Itoa(d.MaxTokensPerUser)},
		{"auth-failure-limit", "ROLLCALL_AUTH_FAILURE_LIMIT", "failed API authentications (missing, bad or unknown tokens) a client address may make per minute before it gets 429; 0 is no limit", &f.authFails, strconv.Itoa(d.AuthFailureLimit)},
		{"log-level", "ROLLCALL_LOG_LEVEL", "log level: debug, info, warn or error", &f.logLevel, "info"},
		{"log-format", "ROLLCALL_LOG_FORMAT", "log format: text or json", &f.logFormat, d.LogFormat},
		{"first-admin-link-ttl", "ROLLCALL_FIRST_ADMIN_LINK_TTL", "how long the first admin's setup link, printed at start while no admin has a passkey, stays valid", &f.firstTTL, d.FirstAdminLinkTTL.String()},
	}
}

// RegisterFlags adds the server flags to fs. Each flag's help names the
// environment variable that sets it when the flag is not given.
func RegisterFlags(fs *pflag.FlagSet) *Flags {
	f := &Flags{fs: fs}
	for _, s := range f.settings() {
		help := s.help + " (env " + s.env + ")"
		fs.StringVar(s.dest, s.flag, s.def, help)
	}
	return f
}

// Load builds the Config: a flag given on the command line wins over its
// environment variable, which wins over the default. lookupEnv is
// os.LookupEnv in production and a map in tests.
func (f *Flags) Load(lookupEnv func(string) (string, bool)) (Config, error) {
	raw := map[string]string{}
	source := map[string]string{}
	for _, s := range f.settings() {
		v, from := s.def, ""
		if ev, ok := lookupEnv(s.env); ok && ev != "" {
			v, from = ev, "environment variable "+s.env
		}
		if f.fs.Changed(s.flag) {
			v, from = *s.dest, "flag --"+s.flag
		}
		if from == "" {
			from = "default of --" + s.flag
		}
		raw[s.flag] = v
		source[s.flag] = from
	}
	c := Default()
	c.Addr = raw["addr"]
	c.Database = raw["database"]
	c.PublicURL = raw["url"]
	if v, _ := lookupEnv("ROLLCALL_BOOTSTRAP_TOKEN"); v != "" {
		c.BootstrapToken = strings.TrimSpace(v)
	}
	if v, _ := lookupEnv("ROLLCALL_SMTP_URL"); v != "" {
		c.SMTPURL = strings.TrimSpace(v)
	}
	if v, _ := lookupEnv("ROLLCALL_ADMIN_EMAIL"); v != "" {
		c.AdminEmail = strings.TrimSpace(v)
		// Checked as the API checks a user's email, so that the first
		// admin is a user the API and Terraform can read back and update.
		if e := api.ValidateEmail(c.AdminEmail); e != nil {
			return c, fmt.Errorf("environment variable ROLLCALL_ADMIN_EMAIL: %s", e.Detail)
		}
	}
	if v, _ := lookupEnv("ROLLCALL_SETUP_LINK_TTL"); v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < time.Minute || d > 90*24*time.Hour {
			return c, fmt.Errorf("environment variable ROLLCALL_SETUP_LINK_TTL: %q is not a duration between 1m and 2160h (90 days); use Go duration syntax such as 72h or 30m", v)
		}
		c.SetupLinkTTL = d
	}
	var err error
	if c.FirstAdminLinkTTL, err = time.ParseDuration(strings.TrimSpace(raw["first-admin-link-ttl"])); err != nil ||
		c.FirstAdminLinkTTL < time.Minute || c.FirstAdminLinkTTL > 72*time.Hour {
		return c, fmt.Errorf("%s: %q is not a duration between 1m and 72h; use Go duration syntax such as 1h or 15m", source["first-admin-link-ttl"], raw["first-admin-link-ttl"])
	}
	if c.RateLimit, err = strconv.ParseFloat(raw["rate-limit"], 64); err != nil {
		return c, fmt.Errorf("%s: rate limit %q is not a number; give requests per second such as 50, or 0 to turn limiting off", source["rate-limit"], raw["rate-limit"])
	}
	if c.RateBurst, err = strconv.Atoi(raw["rate-burst"]); err != nil {
		return c, fmt.Errorf("%s: rate burst %q is not a whole number; give a count such as 100", source["rate-burst"], raw["rate-burst"])
	}
	if c.MaxTokensPerUser, err = strconv.Atoi(raw["max-tokens-per-user"]); err != nil || c.MaxTokensPerUser < 0 {
		return c, fmt.Errorf("%s: %q is not a count of tokens; give a whole number such as 50, or 0 for no cap", source["max-tokens-per-user"], raw["max-tokens-per-user"])
	}
	if c.AuthFailureLimit, err = strconv.Atoi(raw["auth-failure-limit"]); err != nil || c.AuthFailureLimit < 0 {
		return c, fmt.Errorf("%s: %q is not a count of failures per minute; give a whole number such as 30, or 0 for no limit", source["auth-failure-limit"], raw["auth-failure-limit"])
	}
	if err := c.LogLevel.UnmarshalText([]byte(raw["log-level"])); err != nil {
		return c, fmt.Errorf("%s: log level %q is unknown; use debug, info, warn or error", source["log-level"], raw["log-level"])
	}
	c.LogFormat = strings.ToLower(raw["log-format"])
	if err := c.validate(source); err != nil {
		return c, err
	}
	return c, nil
}

// Validate checks a Config built in code (tests, the admin command) the way
// Load checks one built from flags.
func (c *Config) Validate() error { return c.validate(nil) }

func (c *Config) validate(source map[string]string) error {
	from := func(flag, env string) string {
		if s, ok := source[flag]; ok {
			return s
		}
		return "--" + flag + " / " + env
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return fmt.Errorf("%s: address %q is not host:port, such as 127.0.0.1:8080 or :8080", from("addr", "ROLLCALL_ADDR"), c.Addr)
	}
	if c.Database == "" {
		return fmt.Errorf("%s: database is empty; give an SQLite file path such as ./rollcall.db or a postgres:// URL", from("database", "ROLLCALL_DATABASE"))
	}
	if c.PublicURL == "" {
		c.PublicURL = DefaultPublicURL(c.Addr)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%s: public URL %q must be an absolute http:// or https:// URL such as https://id.example.com", from("url", "ROLLCALL_URL"), c.PublicURL)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.BootstrapToken != "" && !token.WellFormed(c.BootstrapToken) {
		return fmt.Errorf("environment variable ROLLCALL_BOOTSTRAP_TOKEN is not a Rollcall token: it must be %q followed by 43 letters and digits (make one with `rollcall admin create-token` or any random base62 generator)", token.Prefix)
	}
	if c.RateLimit < 0 {
		return fmt.Errorf("%s: rate limit %v is negative; give requests per second such as 50, or 0 to turn limiting off", from("rate-limit", "ROLLCALL_RATE_LIMIT"), c.RateLimit)
	}
	if c.RateLimit > 0 && c.RateBurst < 1 {
		return fmt.Errorf("%s: rate burst %d must be at least 1 while rate limiting is on", from("rate-burst", "ROLLCALL_RATE_BURST"), c.RateBurst)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("%s: log format %q is unknown; use text or json", from("log-format", "ROLLCALL_LOG_FORMAT"), c.LogFormat)
	}
	if c.BodyLimit <= 0 {
		c.BodyLimit = BodyLimit
	}
	if c.TokenTouchInterval <= 0 {
		c.TokenTouchInterval = time.Minute
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if c.SetupLinkTTL <= 0 {
		c.SetupLinkTTL = 72 * time.Hour
	}
	if c.FirstAdminLinkTTL <= 0 {
		c.FirstAdminLinkTTL = time.Hour
	}
	return nil
}

// Logger returns the slog logger the configuration asks for, writing to w.
func (c Config) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// DefaultPublicURL is the public URL used when none is set: http://localhost
// for a wildcard or loopback listen address, since browsers allow passkeys
// only on a host name, never on an IP address such as 127.0.0.1.
func DefaultPublicURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
