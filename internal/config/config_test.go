package config

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	f := RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return f.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.Database != "./rollcall.db" || c.PublicURL != "http://localhost:8080" ||
		c.RateLimit != 50 || c.RateBurst != 100 || c.LogFormat != "text" || c.LogLevel != slog.LevelInfo || c.BodyLimit != 1<<20 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestFlagBeatsEnvBeatsDefault(t *testing.T) {
	env := map[string]string{"ROLLCALL_ADDR": "127.0.0.1:9000", "ROLLCALL_DATABASE": "postgres://x/y", "ROLLCALL_URL": "https://id.example.com/", "ROLLCALL_LOG_FORMAT": "json"}
	c, err := load(t, []string{"--addr", "127.0.0.1:7000", "--rate-limit", "0", "--log-level", "debug"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" || c.Database != "postgres://x/y" || c.PublicURL != "https://id.example.com" ||
		c.RateLimit != 0 || c.LogFormat != "json" || c.LogLevel != slog.LevelDebug {
		t.Fatalf("config = %+v", c)
	}
}

func TestBadValuesNameTheirSource(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want []string
	}{
		{[]string{"--addr", "nonsense"}, nil, []string{"flag --addr", "host:port"}},
		{nil, map[string]string{"ROLLCALL_ADDR": "nonsense"}, []string{"ROLLCALL_ADDR", "host:port"}},
		{[]string{"--rate-limit", "fast"}, nil, []string{"flag --rate-limit", "not a number"}},
		{nil, map[string]string{"ROLLCALL_RATE_LIMIT": "-1"}, []string{"ROLLCALL_RATE_LIMIT", "negative"}},
		{[]string{"--rate-burst", "0"}, nil, []string{"--rate-burst", "at least 1"}},
		{[]string{"--log-level", "loud"}, nil, []string{"--log-level", "debug, info, warn or error"}},
		{nil, map[string]string{"ROLLCALL_LOG_FORMAT": "xml"}, []string{"ROLLCALL_LOG_FORMAT", "text or json"}},
		{nil, map[string]string{"ROLLCALL_URL": "id.example.com"}, []string{"ROLLCALL_URL", "absolute http"}},
		{nil, map[string]string{"ROLLCALL_BOOTSTRAP_TOKEN": "secret"}, []string{"ROLLCALL_BOOTSTRAP_TOKEN", "rc_"}},
	} {
		_, err := load(t, tc.args, tc.env)
		if err == nil {
			t.Errorf("args %v env %v: no error", tc.args, tc.env)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("args %v env %v: error %q does not mention %q", tc.args, tc.env, err, w)
			}
		}
	}
}

func TestBootstrapTokenAccepted(t *testing.T) {
	tok := "rc_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"
	c, err := load(t, nil, map[string]string{"ROLLCALL_BOOTSTRAP_TOKEN": tok})
	if err != nil || c.BootstrapToken != tok {
		t.Fatalf("config %+v, err %v", c, err)
	}
}
