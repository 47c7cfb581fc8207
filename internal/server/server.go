// Package server is Rollcall's HTTP API: a JSON:API handler over a
// store.Store. Handlers read like the HTTP they serve (decode, normalise,
// store, respond); the steps for users and groups are plain functions so
// that other entry points (atomic operations, bulk import) reuse them.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/version"
)

// Server is the API server. Create it with New, serve Handler, and call
// Close when done so that pending token last-use times are written.
type Server struct {
	cfg     config.Config
	store   store.Store
	log     *slog.Logger
	metrics *metrics
	limits  *limiters
	fails   *limiters // failed authentications per client address
	touch   *toucher
	reads   *readAdmission // nil when the store reads elsewhere
	mux     *http.ServeMux
	handler http.Handler
	oidc    interface{ Close() error } // the OpenID Connect provider's background work, if mounted
}

// New builds a server over st. When cfg.BootstrapToken is set it makes sure
// that token exists as an admin service account's token first.
func New(cfg config.Config, st store.Store, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.BootstrapToken != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := EnsureBootstrapToken(ctx, st, cfg.BootstrapToken)
		if errors.Is(err, ErrBootstrapTokenRevoked) {
			// The server runs without it: refusing to start would not
			// undo the revocation, and the other admins still get in.
			log.Error(err.Error(), slog.String("remove", "ROLLCALL_BOOTSTRAP_TOKEN"))
		} else if err != nil {
			return nil, err
		}
	}
	s := &Server{
		cfg:     cfg,
		store:   st,
		log:     log,
		metrics: newMetrics(),
		limits:  newLimiters(cfg.RateLimit, cfg.RateBurst),
		touch:   newToucher(st, log, cfg.TokenTouchInterval),
		mux:     http.NewServeMux(),
		fails:   newLimiters(float64(cfg.AuthFailureLimit)/60, cfg.AuthFailureLimit),
	}
	if rl, ok := st.(store.ReadLimiter); ok {
		s.reads = newReadAdmission(rl.ReadConcurrency())
	}
	s.metrics.watchReadAdmission(s.reads)
	s.routes(s.mux)
	if _, err := s.mountWeb(s.mux); err != nil {
		return nil, err
	}
	s.handler = s.observe(s.limitHead(s.unmatched(s.mux)))
	return s, nil
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Mux returns the route multiplexer so that other parts of Rollcall (web
// pages) can register their routes beside the API's.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// Store returns the store the server works on.
func (s *Server) Store() store.Store { return s.store }

// FlushTokenUse writes the token last-use times noted so far, without
// waiting for the background loop. Tests use it to observe last-used-at.
func (s *Server) FlushTokenUse(ctx context.Context) error { return s.touch.flush(ctx) }

// Close stops background work and writes pending token last-use times. It
// does not close the store, which the caller opened.
func (s *Server) Close() error {
	if s.oidc != nil {
		_ = s.oidc.Close()
	}
	return s.touch.close()
}

// api wraps an API handler with the body checks and authentication every
// /api/v1 route except the public ones needs.
func (s *Server) api(h http.HandlerFunc) http.Handler {
	return s.jsonOnly(s.authenticate(s.reads.admit(h)))
}

// link returns the absolute URL of path on this server.
func (s *Server) link(path string) string { return s.cfg.PublicURL + path }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"status":"ok","version":` + strconv.Quote(version.Version()) + "}\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", slog.Any("error", err))
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unavailable","detail":"the database does not answer"}` + "\n"))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(api.OpenAPI)
}

// isNotFound reports whether err is the store's not-found.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// RequestMeta returns the request id and client address the API records in
// audit events, so that other handlers mounted beside it (web pages) record
// the same values.
func RequestMeta(r *http.Request) (id, ip string) {
	return requestID(r.Context()), clientIP(r)
}
