package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rollcall/rollcall/api"
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
bootstrapping a fresh installation. Point them at the same database as the server.`,
	}
	cmd.AddCommand(newAdminCreateTokenCommand(), newAdminRotateSigningKeyCommand())
	return cmd
}

func newAdminRotateSigningKeyCommand() *cobra.Command {
	var database, algorithm string
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
			if !cmd.Flags().Changed("database") {
				if v := os.Getenv("ROLLCALL_DATABASE"); v != "" {
					database = v
				}
			}
			if !slices.Contains(oidc.SigningAlgorithms, algorithm) {
				return usagef("--algorithm %q is not offered: use %s", algorithm, strings.Join(oidc.SigningAlgorithms, ", "))
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			st, err := sqlstore.Open(ctx, database)
			if err != nil {
				return fmt.Errorf("open database %s: %w", redactDSN(database), err)
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
	cmd.Flags().StringVar(&database, "database", "./rollcall.db", "SQLite file path or postgres:// URL (env ROLLCALL_DATABASE)")
	cmd.Flags().StringVar(&algorithm, "algorithm", "RS256", "RS256 (every relying party supports it), ES256 or EdDSA")
	return cmd
}

func newAdminCreateTokenCommand() *cobra.Command {
	var database, name, username string
	cmd := &cobra.Command{
		Use:   "create-token",
		Short: "Create an admin API token and print it once",
		Long: `Create an API token for an admin service account and print the token, and only the token,
on standard output. It is stored hashed and cannot be shown again.

The token belongs to --user (default ` + server.AdminUsername + `); that user is created as an admin service
account when it does not exist.`,
		Example: `  TOKEN=$(rollcall admin create-token --database ./rollcall.db --name terraform)`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("database") {
				if v := os.Getenv("ROLLCALL_DATABASE"); v != "" {
					database = v
				}
			}
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
			st, err := sqlstore.Open(ctx, database)
			if err != nil {
				return fmt.Errorf("open database %s: %w", redactDSN(database), err)
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
			return nil
		},
	}
	cmd.Flags().StringVar(&database, "database", "./rollcall.db", "SQLite file path or postgres:// URL (env ROLLCALL_DATABASE)")
	cmd.Flags().StringVar(&name, "name", "", "what the token is for, such as terraform (required)")
	cmd.Flags().StringVar(&username, "user", server.AdminUsername, "username of the token's owner; created as an admin service account if missing")
	return cmd
}
