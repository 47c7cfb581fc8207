package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

func newAuditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log of every change",
	}
	o := addConnFlags(cmd)
	cmd.AddCommand(newAuditListCommand(o))
	return cmd
}

func newAuditListCommand(o *connOptions) *cobra.Command {
	var actor, target, action, since, until string
	var limit int
	var all bool
	cmd := &cobra.Command{
		Use:     "list [flags]",
		Short:   "List audit events",
		Example: "  rollcall audit list --since 24h --action user.\n  rollcall audit list --target jane --since 2026-11-01T00:00:00Z",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				now := time.Now()
				opts := client.ListAuditOptions{Action: action, Limit: limit}
				var err error
				if opts.Since, err = parseWhen("--since", since, now); err != nil {
					return err
				}
				if opts.Until, err = parseWhen("--until", until, now); err != nil {
					return err
				}
				if limit < 0 {
					return usagef("--limit must be 0 (all) or more")
				}
				if all {
					if cmd.Flags().Changed("limit") {
						return usagef("give --all or --limit, not both")
					}
					limit = 0
				}
				// One event more than shown tells whether any were left out.
				if limit > 0 {
					opts.Limit = limit + 1
				}
				if actor != "" {
					u, err := resolveUser(ctx, c, actor)
					if err != nil {
						return err
					}
					opts.Actor = u.ID
				}
				if target != "" {
					if opts.Target, err = resolveTarget(ctx, c, target); err != nil {
						return err
					}
				}
				events, err := c.Audit.List(ctx, opts)
				if err != nil {
					return err
				}
				if limit > 0 && len(events) > limit {
					events = events[:limit]
					defer fmt.Fprintf(cmd.ErrOrStderr(), "Showing the newest %d events; there are more: use --limit N for more, or --all\n", limit)
				}
				v := view{doc: api.Document[[]api.AuditEvent]{Data: events},
					headers: []string{"TIME", "ACTION", "ACTOR", "TARGET", "CHANGES", "REQUEST"}}
				for _, e := range events {
					a := e.Attributes
					v.rows = append(v.rows, []string{a.CreatedAt.UTC().Format(time.RFC3339), a.Action, a.ActorName,
						strings.TrimSuffix(a.TargetType+" "+a.TargetName, " "), changedFields(a), a.RequestID})
				}
				return v.write(cmd.OutOrStdout(), format)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&actor, "actor", "", "only changes made by this user (id or username)")
	f.StringVar(&target, "target", "", "only changes to this resource (id, username or group name)")
	f.StringVar(&action, "action", "", `only this action ("user.create") or family ("user.")`)
	f.StringVar(&since, "since", "", "only events at or after this time: a duration back from now (24h, 30m) or RFC 3339")
	f.StringVar(&until, "until", "", "only events before this time: a duration back from now or RFC 3339")
	f.IntVar(&limit, "limit", 100, "at most this many events, the newest (0 for all); says so when there are more")
	f.BoolVar(&all, "all", false, "every event that matches, however many (the same as --limit 0)")
	return cmd
}

// parseWhen reads a point in time given as RFC 3339 or as a duration back
// from now ("24h").
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usagef("%s %q is neither a duration back from now (such as 24h or 90m) nor an RFC 3339 time (such as 2026-11-01T00:00:00Z)", flag, s)
}

// resolveTarget finds an audit target given as an id, a username or a
// group name.
func resolveTarget(ctx context.Context, c *client.Client, s string) (string, error) {
	if looksLikeID(s) {
		return s, nil
	}
	if u, err := c.Users.GetByUsername(ctx, s); err == nil {
		return u.ID, nil
	} else if !client.IsNotFound(err) {
		return "", err
	}
	if g, err := c.Groups.GetByName(ctx, s); err == nil {
		return g.ID, nil
	} else if !client.IsNotFound(err) {
		return "", err
	}
	return "", notFoundf("no user or group is named %q; give an id for deleted resources", s)
}

// changedFields names the fields an event changed, from its before/after
// objects.
func changedFields(a api.AuditEventAttributes) string {
	keys := map[string]bool{}
	for _, raw := range [][]byte{a.Before, a.After} {
		for _, k := range jsonKeys(raw) {
			keys[k] = true
		}
	}
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	sortStrings(out)
	return strings.Join(out, ",")
}
