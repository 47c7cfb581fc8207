package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/oidc"
	"github.com/rollcall/rollcall/internal/server"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/spf13/cobra"
)

func newAdminCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Work on the database directly, without a running server",
		Long: `Commands that open the database themselves rather than going through the API, for
bootstrapping a fresh installation and for getting back in when no admin can sign in.
Point them at the same database as the server: a --database that does not exist is
refused (it would be a new, empty database no server uses) unless --create is given.`,
	}
	cmd.AddCommand(newAdminCreateTokenCommand(), newAdminSetupLinkCommand(), newAdminRotateSigningKeyCommand())
	return cmd
}

func newAdminRotateSigningKeyCommand() *cobra.Command {
	var db adminDatabase
	var algorithm string
	cmd := &cobra.Command{
		Use:   "rotate-signing-key",
		Short: "Make a new key for signing ID tokens and retire the current one",
		Long: `Make a new key for signing ID tokens (OpenID Connect) and retire the current one. Every
server on the database publishes the new key in JWKS at once and signs with it within ten
seconds; the retired key stays in JWKS for a day, the longest an ID token lives, so tokens it
signed keep verifying. Prints the new key's id (the kid of the tokens it signs).`,
		Example: `  rollcall admin rotate-signing-key --database ./rollcall.db --algorithm ES256`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(oidc.SigningAlgorithms, algorithm) {
				return usagef("--algorithm %q is not offered: use %s", algorithm, strings.Join(oidc.SigningAlgorithms, ", "))
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			st, _, err := db.open(cmd, ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			k, err := oidc.RotateSigningKey(ctx, st, algorithm, store.Meta{ActorName: "rollcall admin rotate-signing-key"})
			if err != nil {
				return fmt.Errorf("rotate the signing key: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), k.ID)
			return nil
		},
	}
	db.register(cmd)
	cmd.Flags().StringVar(&algorithm, "algorithm", "RS256", "RS256 (every relying party supports it), ES256 or EdDSA")
	return cmd
}

// adminDatabase is the --database of an admin command and whether it may
// be created.
type adminDatabase struct {
	dsn    string
	create bool
}

func (d *adminDatabase) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&d.dsn, "database", "./rollcall.db", "the server's database: SQLite file path or postgres:// URL (env ROLLCALL_DATABASE)")
	cmd.Flags().BoolVar(&d.create, "create", false, "make a new SQLite database when --database names no file, instead of refusing")
}

// open opens the database the way serve does. An SQLite file that does not
// exist is refused unless --create was given: a mistyped path would
// otherwise become a new, empty database that no server uses. It returns
// the database as it should be named to the person (PostgreSQL passwords
// hidden, SQLite paths absolute).
func (d *adminDatabase) open(cmd *cobra.Command, ctx context.Context) (*sqlstore.Store, string, error) {
	if !cmd.Flags().Changed("database") {
		if v := os.Getenv("ROLLCALL_DATABASE"); v != "" {
			d.dsn = v
		}
	}
	name := redactDSN(d.dsn)
	if !sqlstore.IsPostgres(d.dsn) {
		path, _, _ := strings.Cut(strings.TrimPrefix(d.dsn, "file:"), "?")
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		name = path
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !d.create {
			return nil, name, usagef("database %s does not exist: give --database (or ROLLCALL_DATABASE) the file the server's --database names, or add --create to make a new database", path)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, name, fmt.Errorf("database %s: %w", path, err)
		}
	}
	st, err := sqlstore.Open(ctx, d.dsn)
	if err != nil {
		return nil, name, fmt.Errorf("open database %s: %w", name, err)
	}
	return st, name, nil
}

func newAdminCreateTokenCommand() *cobra.Command {
	var db adminDatabase
	var name, username string
	cmd := &cobra.Command{
		Use:   "create-token",
		Short: "Create an admin API token and print it once",
		Long: `Create an API token for an admin service account and print the token, and only the token,
on standard output. It is stored hashed and cannot be shown again.

The token belongs to --user (default ` + server.AdminUsername + `); that user is created as an admin service
account when it does not exist. It works on the servers that use this database, which the
command names on standard error. A --database that does not exist is refused unless
--create is given.`,
		Example: `  TOKEN=$(rollcall admin create-token --database ./rollcall.db --name terraform)`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name = strings.TrimSpace(name)
			if name == "" {
				return usagef("--name is required: say what the token is for, such as --name terraform")
			}
			if e := api.ValidateText("name", name, api.MaxTokenNameLen); e != nil {
				return usagef("--name: %s", e.Detail)
			}
			u, e := api.ValidateUsername(username)
			if e != nil {
				return usagef("--user: %s", e.Detail)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			st, where, err := db.open(cmd, ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			tok, err := server.CreateAdminToken(ctx, st, u, name)
			if err != nil {
				return fmt.Errorf("create token: %w", err)
			}
			if owner, err := st.GetUserByUsername(ctx, u); err == nil && (!owner.IsAdmin || owner.Disabled) {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: user %s is not an enabled admin, so this token has only that user's rights\n", u)
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			msg := fmt.Sprintf("Token %q of %s, for the servers that use the database %s", name, u, where)
			if v := os.Getenv("ROLLCALL_URL"); v != "" {
				msg += " (ROLLCALL_URL here is " + v + ")"
			}
			fmt.Fprintln(cmd.ErrOrStderr(), msg+".")
			return nil
		},
	}
	db.register(cmd)
	cmd.Flags().StringVar(&name, "name", "", "what the token is for, such as terraform (required)")
	cmd.Flags().StringVar(&username, "user", server.AdminUsername, "username of the token's owner; created as an admin service account if missing")
	return cmd
}

func newAdminSetupLinkCommand() *cobra.Command {
	var db adminDatabase
	var publicURL string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "setup-link USER",
		Short: "Make a setup link for a user on the database, without a server or token",
		Long: `Make a fresh one-time setup link for USER (a username or id) and print it, with its
expiry on standard error. The user's older links stop working. It opens the database
itself, like create-token, so it is the way in when no admin can sign in: the first admin
whose start-up link expired, or an admin who lost their passkey.

The link starts with the server's public URL: --url, else ROLLCALL_URL, else the default
serve uses for ROLLCALL_ADDR (http://localhost:8080).`,
		Example: `  rollcall admin setup-link admin --database ./rollcall.db`,
		Args:    exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("url") {
				publicURL = os.Getenv("ROLLCALL_URL")
			}
			if publicURL == "" {
				addr := os.Getenv("ROLLCALL_ADDR")
				if addr == "" {
					addr = config.Default().Addr
				}
				publicURL = config.DefaultPublicURL(addr)
			}
			if u, err := url.Parse(publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usagef("--url: %q is not the server's public URL, such as https://id.example.com", publicURL)
			}
			if !cmd.Flags().Changed("ttl") {
				if v := os.Getenv("ROLLCALL_SETUP_LINK_TTL"); v != "" {
					d, err := time.ParseDuration(strings.TrimSpace(v))
					if err != nil {
						return usagef("environment variable ROLLCALL_SETUP_LINK_TTL: %q is not a duration such as 72h", v)
					}
					ttl = d
				}
			}
			if ttl < time.Minute || ttl > 90*24*time.Hour {
				return usagef("--ttl: %v is not between 1m and 2160h (90 days)", ttl)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			st, where, err := db.open(cmd, ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			u, link, err := server.IssueSetupLink(ctx, st, args[0], publicURL, ttl)
			if err != nil {
				return fmt.Errorf("setup link: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), link.URL)
			fmt.Fprintf(cmd.ErrOrStderr(), "Setup link for %s (database %s); it works once and expires %s. Older links of %s no longer work.\n",
				u.Username, where, link.Link.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC"), u.Username)
			if u.Disabled {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: user %s is disabled, so the link is refused until an admin enables the account\n", u.Username)
			}
			return nil
		},
	}
	db.register(cmd)
	cmd.Flags().StringVar(&publicURL, "url", "", "the server's public URL, which the link starts with (env ROLLCALL_URL)")
	cmd.Flags().DurationVar(&ttl, "ttl", 72*time.Hour, "how long the link stays valid (env ROLLCALL_SETUP_LINK_TTL)")
	return cmd
}
