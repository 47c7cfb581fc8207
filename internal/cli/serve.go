package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/server"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/spf13/cobra"
)

func newServeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Rollcall server",
		Long: `Run the Rollcall server: the JSON:API REST API under /api/v1, /healthz, /readyz and
/metrics. Data lives in an SQLite file (default ./rollcall.db) or PostgreSQL (a postgres://
URL); the schema is migrated at start. Every flag can also be set through the environment
variable named in its help. ROLLCALL_BOOTSTRAP_TOKEN (rc_ and 43 letters and digits) makes a
fresh server accept that token as an admin's, for CI and Terraform bootstrap.

SIGINT or SIGTERM stops the server after in-flight requests finish.`,
		Args: cobra.NoArgs,
	}
	flags := config.RegisterFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := flags.Load(os.LookupEnv)
		if err != nil {
			return usageError{err}
		}
		return serve(cmd.Context(), cfg, cmd.ErrOrStderr())
	}
	return cmd
}

// serve runs the server until ctx ends (SIGINT/SIGTERM), then shuts down
// gracefully: the listener closes at once and in-flight requests get
// cfg.ShutdownTimeout to finish.
func serve(ctx context.Context, cfg config.Config, out io.Writer) error {
	lessGC()
	logOut := newBufferedLog(out)
	defer logOut.Close()
	log := cfg.Logger(logOut)
	openCtx, cancel := context.WithTimeout(ctx, time.Minute)
	st, err := sqlstore.Open(openCtx, cfg.Database)
	cancel()
	if err != nil {
		return fmt.Errorf("open database %s: %w", redactDSN(cfg.Database), err)
	}
	defer st.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server using the port? choose another with --addr)", cfg.Addr, err)
	}
	if strings.HasSuffix(cfg.PublicURL, ":0") {
		// Port 0 asks the system for a free port; the public URL follows it.
		cfg.PublicURL = config.DefaultPublicURL(ln.Addr().String())
	}
	srv, err := server.New(cfg, st, log)
	if err != nil {
		ln.Close()
		return err
	}
	if link, err := srv.FirstAdminLink(ctx); err != nil {
		log.Warn("could not make the first admin's setup link", slog.Any("error", err))
	} else if link.URL != "" {
		printFirstAdminLink(logOut, link)
	}
	hs := server.NewHTTPServer(srv.Handler(), slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	log.Info("rollcall listening", slog.String("addr", ln.Addr().String()), slog.String("url", cfg.PublicURL),
		slog.String("database", redactDSN(cfg.Database)), slog.Float64("rate_limit", cfg.RateLimit))

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(server.Listener(ln)) }()
	logOut.Flush() // the start-up lines, without waiting for the interval
	select {
	case err := <-errc:
		srv.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", slog.Duration("timeout", cfg.ShutdownTimeout))
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	shutErr := hs.Shutdown(shutCtx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		shutErr = errors.Join(shutErr, err)
	}
	if err := srv.Close(); err != nil {
		log.Warn("writing token last-use times failed", slog.Any("error", err))
	}
	if shutErr != nil {
		return fmt.Errorf("shutdown: %w", shutErr)
	}
	log.Info("rollcall stopped")
	return nil
}

// redactDSN hides every secret of a DSN (see sqlstore.RedactDSN) so that
// it can be logged.
func redactDSN(dsn string) string { return sqlstore.RedactDSN(dsn) }

// lessGC lets the Go heap grow to five times the live data between
// collections (GOGC=400) but never past 128 MiB (GOMEMLIMIT), unless the
// environment sets either. A request allocates a few kilobytes that die
// with it and the live heap of a busy server is a few tens of megabytes, so
// the default (GOGC=100) spent a twentieth of the CPU of a GET by id on
// marking; the limit keeps the peak RSS well under the 200 MB budget.
func lessGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}
