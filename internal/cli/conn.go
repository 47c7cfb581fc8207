package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/version"
)

// Environment variables that stand in for the connection flags.
const (
	envURL    = "ROLLCALL_URL"
	envToken  = "ROLLCALL_TOKEN"
	envConfig = "ROLLCALL_CONFIG"
)

// connOptions are the flags every command that talks to a server takes:
// where the server is, the token, the config file and the output format.
// A flag wins over its environment variable, which wins over the config
// file written by rollcall login.
type connOptions struct {
	url     string
	token   string
	config  string
	output  string
	timeout time.Duration
}

// addConnFlags adds the connection and output flags to cmd and its
// subcommands.
func addConnFlags(cmd *cobra.Command) *connOptions {
	o := &connOptions{}
	f := cmd.PersistentFlags()
	f.StringVar(&o.url, "url", "", "server URL, such as https://rollcall.example.com (env "+envURL+")")
	f.StringVar(&o.token, "token", "", "API token (env "+envToken+"); prefer the environment or rollcall login, since flags show in ps")
	f.StringVar(&o.config, "config", "", "config file written by rollcall login (env "+envConfig+", default "+defaultConfigHint()+")")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table, json (the JSON:API document) or csv; commands that print only messages take only table")
	f.DurationVar(&o.timeout, "timeout", 60*time.Second, "time limit of each HTTP request")
	return o
}

// fileConfig is what rollcall login stores.
type fileConfig struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

func defaultConfigHint() string {
	if dir, err := os.UserConfigDir(); err == nil {
		return filepath.Join(dir, "rollcall", "config.json")
	}
	return "$XDG_CONFIG_HOME/rollcall/config.json"
}

// configPath is the config file to read or write.
func (o *connOptions) configPath() (string, error) {
	if o.config != "" {
		return o.config, nil
	}
	if p := os.Getenv(envConfig); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a config directory (%v); pass --config FILE or set %s", err, envConfig)
	}
	return filepath.Join(dir, "rollcall", "config.json"), nil
}

func readConfig(path string) (fileConfig, error) {
	var c fileConfig
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("reading config file: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("config file %s is not valid JSON (%v); run rollcall login again", path, err)
	}
	return c, nil
}

// writeConfig stores c readable by the owner only, since it holds a token.
func writeConfig(path string, c fileConfig) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating config directory: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return fmt.Errorf("writing config file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing config file: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing config file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing config file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing config file: %w", err)
	}
	return nil
}

// resolve returns the server URL and token from flags, environment and
// config file, in that order of precedence.
func (o *connOptions) resolve() (url, token string, err error) {
	url, token = o.url, o.token
	if url == "" {
		url = os.Getenv(envURL)
	}
	if token == "" {
		token = os.Getenv(envToken)
	}
	if url == "" || token == "" {
		path, err := o.configPath()
		if err != nil {
			return "", "", err
		}
		c, err := readConfig(path)
		if err != nil {
			return "", "", err
		}
		if url == "" {
			url = c.URL
		}
		if token == "" {
			token = c.Token
		}
	}
	if url == "" {
		return "", "", usagef("no server URL: pass --url, set %s, or run rollcall login --url URL --token TOKEN", envURL)
	}
	if token == "" {
		return "", "", usagef("no API token: pass --token, set %s, or run rollcall login --url URL --token TOKEN", envToken)
	}
	return url, token, nil
}

// run is the preamble every API command that shows resources shares: it
// checks the -o flag, builds the client from the connection flags, and
// then calls do with the command's context, so that a command body is
// only its own work. A bad -o or a missing URL or token fails before do
// runs, as a usage error.
func (o *connOptions) run(cmd *cobra.Command, do func(ctx context.Context, c *client.Client, format string) error) error {
	format, err := o.format(cmd)
	if err != nil {
		return err
	}
	c, err := o.client(cmd)
	if err != nil {
		return err
	}
	return do(cmd.Context(), c, format)
}

// runMessages is run for the commands that print only messages (delete,
// disable, add-member, import): they refuse -o json and -o csv rather
// than ignore them.
func (o *connOptions) runMessages(cmd *cobra.Command, do func(ctx context.Context, c *client.Client) error) error {
	if err := o.messagesOnly(cmd); err != nil {
		return err
	}
	c, err := o.client(cmd)
	if err != nil {
		return err
	}
	return do(cmd.Context(), c)
}

// client builds the API client for a command.
func (o *connOptions) client(cmd *cobra.Command) (*client.Client, error) {
	url, token, err := o.resolve()
	if err != nil {
		return nil, err
	}
	return o.clientFor(cmd, url, token)
}

// clientFor builds the client for url and token. The client drops a
// trailing /api/v1 from the URL, the common mistake of giving the API's
// address rather than the server's; a note on stderr says so.
func (o *connOptions) clientFor(cmd *cobra.Command, url, token string) (*client.Client, error) {
	c, err := client.New(url, client.WithToken(token), client.WithTimeout(o.timeout), client.WithUserAgent("rollcall-cli/"+version.Version()))
	if err != nil {
		return nil, usageError{err}
	}
	if strings.HasSuffix(strings.TrimSuffix(strings.TrimSpace(url), "/"), client.APIPrefix) {
		fmt.Fprintf(cmd.ErrOrStderr(), "Note: the URL is the server's address without %s; using %s\n", client.APIPrefix, c.BaseURL())
	}
	return c, nil
}

// outputFormats are the values of -o, the same for every command.
var outputFormats = []string{"table", "json", "csv"}

// format checks the -o flag of a command that shows resources.
func (o *connOptions) format(cmd *cobra.Command) (string, error) {
	if slices.Contains(outputFormats, o.output) {
		return o.output, nil
	}
	return "", usagef("--output %q is not a format of %s; use table, json or csv", o.output, cmd.CommandPath())
}

// messagesOnly checks the -o flag of a command that prints only messages.
func (o *connOptions) messagesOnly(cmd *cobra.Command) error {
	if o.output == "table" || o.output == "" {
		return nil
	}
	if slices.Contains(outputFormats, o.output) {
		return usagef("-o %s is not available for %s, which prints messages, not resources; it takes only -o table (the default)", o.output, cmd.CommandPath())
	}
	return usagef("--output %q is not a format; %s takes only -o table (the default), since it prints messages, not resources", o.output, cmd.CommandPath())
}
