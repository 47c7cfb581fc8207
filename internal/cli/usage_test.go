package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// walkCommands calls fn for every command of the tree, the root included,
// with the default help and completion commands added as Execute adds them.
func walkCommands(t *testing.T, fn func(c *cobra.Command, path []string)) {
	t.Helper()
	root := newRootCommand()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		fn(c, path)
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	walk(root, nil)
}

// TestUsageErrorsExit2 walks the whole command tree and checks that every
// kind of usage error (an unknown command, an unknown flag, a wrong number
// of arguments, a bad flag value) exits 2 and says what was wrong and what
// is valid.
func TestUsageErrorsExit2(t *testing.T) {
	isolate(t)
	if r := rc(t, "help", "frobnicate"); r.code != ExitUsage || !strings.Contains(r.stderr, `no help topic "frobnicate"`) {
		t.Errorf("help frobnicate: exit %d, stderr %q", r.code, r.stderr)
	}
	walkCommands(t, func(c *cobra.Command, path []string) {
		name := strings.Join(append([]string{"rollcall"}, path...), " ")
		if c.Hidden {
			return
		}
		// An unknown flag names itself and where to find the valid ones.
		r := rc(t, append(append([]string(nil), path...), "--no-such-flag")...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "unknown flag: --no-such-flag") || !strings.Contains(r.stderr, "--help") {
			t.Errorf("%s --no-such-flag: exit %d, want 2 naming the flag and --help; stderr %q", name, r.code, r.stderr)
		}
		// A command that also runs itself (users setup-link USER) takes
		// an unknown word as its argument, not as a command.
		if isGroupCommand(c) {
			// An unknown subcommand names the valid ones.
			r := rc(t, append(append([]string(nil), path...), "frobnicate")...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
				t.Errorf("%s frobnicate: exit %d, want 2 saying unknown command; stderr %q", name, r.code, r.stderr)
			}
			for _, sub := range c.Commands() {
				if sub.IsAvailableCommand() && !strings.Contains(r.stderr, sub.Name()) {
					t.Errorf("%s frobnicate: stderr does not list the valid command %s: %q", name, sub.Name(), r.stderr)
				}
			}
			if c.HasParent() {
				// A missing subcommand is a usage error too.
				r = rc(t, path...)
				if r.code != ExitUsage || !strings.Contains(r.stderr, "needs a command") {
					t.Errorf("%s with no command: exit %d, want 2; stderr %q", name, r.code, r.stderr)
				}
			}
			return
		}
		// Too many arguments, when the command limits them.
		extra := []string{"a1", "a2", "a3", "a4", "a5", "a6"}
		if c.Args != nil && c.Args(c, extra) != nil {
			r := rc(t, append(append([]string(nil), path...), extra...)...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, "argument") {
				t.Errorf("%s %s: exit %d, want 2 saying how many arguments it takes; stderr %q", name, strings.Join(extra, " "), r.code, r.stderr)
			}
		}
		// A bad value of a typed flag.
		var typed string
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if typed == "" && (f.Value.Type() == "duration" || f.Value.Type() == "int" || f.Value.Type() == "bool") && f.Name != "help" {
				typed = f.Name
			}
		})
		if typed != "" {
			r := rc(t, append(append([]string(nil), path...), "--"+typed+"=not-a-value")...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, "--"+typed) {
				t.Errorf("%s --%s=not-a-value: exit %d, want 2 naming the flag; stderr %q", name, typed, r.code, r.stderr)
			}
		}
	})
}
