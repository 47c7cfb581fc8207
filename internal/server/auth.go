package server

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/token"
	"golang.org/x/time/rate"
)

// principal is the authenticated caller of an API request. Its user holds
// only what authorization needs (ID, Username, IsAdmin, Disabled), read
// with the token in one statement; a handler that needs more of the
// caller, such as its groups, loads the user from the store.
type principal struct {
	user  store.User
	token store.Token
}

func (p *principal) admin() bool { return p.user.IsAdmin }

// meta is the audit Meta of a change the caller makes.
func (p *principal) meta(r *http.Request) store.Meta {
	return store.Meta{ActorID: p.user.ID, ActorName: p.user.Username, RequestID: requestID(r.Context()), ClientIP: clientIP(r)}
}

// caller returns the principal the auth middleware put in the context.
func caller(r *http.Request) *principal {
	p, _ := r.Context().Value(principalKey).(*principal)
	return p
}

func errUnauthorized(detail string) *api.Error {
	return &api.Error{Status: "401", Code: api.CodeUnauthorized, Title: "Unauthorized", Detail: detail,
		Source: &api.ErrorSource{Header: "Authorization"}}
}

// authenticate resolves the bearer token to a user: the token is looked up
// by its SHA-256, so the secret itself is never compared. Missing,
// malformed, unknown, expired and revoked tokens, and tokens of disabled
// users, are all 401, and each counts against the client address's budget
// of failures (--auth-failure-limit a minute): past it, such a request is
// answered 429 instead. A valid token from the same address still works:
// a token holds 256 random bits, so the budget is not there to stop
// guessing but to make a client that keeps sending bad tokens (a leaked,
// revoked one in a script, a scanner) back off, and blocking the address
// would also lock out the people behind the same NAT. After
// authentication the rate limit applies to the token and to its user
// (all the user's tokens together), so minting more tokens buys no more
// requests. A token without the admin scope (a scim token) is 403 on
// the REST API: it is not what it was made for.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return s.authenticateAs(store.ScopeAdmin, s.writeError, next)
}

// authenticateAs is authenticate for the routes a token with scope
// reaches, writing its refusals with writeErr (JSON:API or SCIM errors).
func (s *Server) authenticateAs(scope string, writeErr func(http.ResponseWriter, *http.Request, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.principalFor(r)
		if err != nil {
			if _, unauthorized := err.(*api.Error); unauthorized {
				if wait, ok := s.fails.allow("ip:" + clientIP(r)); !ok {
					s.metrics.rejected.WithLabelValues("auth_failures").Inc()
					s.writeTooMany(w, r, writeErr, wait, "this address sent more requests with a missing, bad or unknown API token than the server allows (--auth-failure-limit a minute)")
					return
				}
			}
			s.metrics.rejected.WithLabelValues("unauthorized").Inc()
			writeErr(w, r, err)
			return
		}
		if !p.token.HasScope(scope) && !(scope == store.ScopeSCIM && p.token.HasScope(store.ScopeAdmin)) {
			s.metrics.rejected.WithLabelValues("forbidden").Inc()
			writeErr(w, r, errWrongScope(p.token, scope))
			return
		}
		if wait, ok := s.limits.allow("token:"+p.token.ID, "user:"+p.user.ID); !ok {
			s.metrics.rejected.WithLabelValues("rate_limited").Inc()
			s.writeTooMany(w, r, writeErr, wait, "this token, or its user's tokens together, sent more requests than the server's rate limit allows")
			return
		}
		s.touch.used(p.token, time.Now())
		if info, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
			info.principal = p
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
	})
}

// writeTooMany answers 429 rate_limited with Retry-After: wait rounded up
// to whole seconds, at least one, written by writeErr (JSON:API or SCIM).
func (s *Server) writeTooMany(w http.ResponseWriter, r *http.Request, writeErr func(http.ResponseWriter, *http.Request, error), wait time.Duration, why string) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeErr(w, r, &api.Error{Status: "429", Code: api.CodeRateLimited, Title: "Too many requests",
		Detail: why + "; wait " + strconv.Itoa(secs) + " s (Retry-After) and retry"})
}

// errWrongScope says why a token may not use this part of the server and
// what token to use instead.
func errWrongScope(t store.Token, scope string) *api.Error {
	have := strings.Join(store.NormalizeScopes(t.Scopes), ", ")
	if scope == store.ScopeAdmin {
		return errForbidden("this token has scope " + have + ", which reaches only /scim/v2; the REST API at /api/v1 needs a token with scope admin (rollcall tokens create --scope admin)")
	}
	return errForbidden("this token has scope " + have + ", which does not reach /scim/v2; SCIM needs a token with scope scim or admin (rollcall tokens create --scope scim)")
}

func (s *Server) principalFor(r *http.Request) (*principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, errUnauthorized("this request needs an API token: send Authorization: Bearer rc_…")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errUnauthorized("the Authorization header must be Bearer followed by an API token (rc_…)")
	}
	tok = strings.TrimSpace(tok)
	if !token.WellFormed(tok) {
		return nil, errUnauthorized("the bearer token is not a Rollcall API token (rc_ followed by 43 letters and digits)")
	}
	// A token goes when its user is deleted, so "unknown" covers that too.
	t, owner, err := s.store.GetTokenAndOwner(r.Context(), token.Hash(tok))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthorized("the API token is unknown or was revoked")
	}
	if err != nil {
		return nil, err
	}
	if t.ExpiresAt != nil && !time.Now().Before(*t.ExpiresAt) {
		return nil, errUnauthorized("the API token expired at " + t.ExpiresAt.UTC().Format(time.RFC3339) + "; create a new one")
	}
	if owner.Disabled {
		return nil, errUnauthorized("the API token belongs to a disabled user")
	}
	u := store.User{ID: owner.ID, Username: owner.Username, IsAdmin: owner.IsAdmin, Disabled: owner.Disabled}
	return &principal{user: u, token: t}, nil
}

// limiters hold one token bucket per key: an API token ("token:ID"), a
// user ("user:ID") or a client address ("ip:ADDR"). Buckets live in this
// process: with several instances each enforces the limits on its own.
type limiters struct {
	mu      sync.Mutex
	perSec  rate.Limit
	burst   int
	buckets map[string]*bucket
	lastGC  time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters(perSec float64, burst int) *limiters {
	return &limiters{perSec: rate.Limit(perSec), burst: burst, buckets: map[string]*bucket{}, lastGC: time.Now()}
}

// allow takes one request from the bucket of every key, or from none: when
// any of them is empty it returns how long until all have one available.
func (l *limiters) allow(keys ...string) (time.Duration, bool) {
	if l.perSec <= 0 {
		return 0, true
	}
	now := time.Now()
	l.mu.Lock()
	lims := make([]*rate.Limiter, len(keys))
	for i, k := range keys {
		b := l.buckets[k]
		if b == nil {
			b = &bucket{lim: rate.NewLimiter(l.perSec, l.burst)}
			l.buckets[k] = b
		}
		b.seen = now
		lims[i] = b.lim
	}
	if now.Sub(l.lastGC) > 10*time.Minute {
		// A bucket idle this long is full again; forgetting it changes nothing.
		for id, old := range l.buckets {
			if now.Sub(old.seen) > 10*time.Minute {
				delete(l.buckets, id)
			}
		}
		l.lastGC = now
	}
	l.mu.Unlock()
	var wait time.Duration
	reservations := make([]*rate.Reservation, len(lims))
	for i, lim := range lims {
		reservations[i] = lim.ReserveN(now, 1)
		wait = max(wait, reservations[i].DelayFrom(now))
	}
	if wait > 0 {
		for _, res := range reservations {
			res.CancelAt(now)
		}
		return wait, false
	}
	return 0, true
}

// toucher records tokens' last use off the request path: a request only
// notes the time in memory, at most once per interval per token, and a
// background loop writes the notes in one TouchTokens call. Reads therefore
// never queue behind a write on SQLite's single writer.
type toucher struct {
	st       store.Store
	log      *slog.Logger
	interval time.Duration

	mu      sync.Mutex
	last    map[string]time.Time // when each token's use was last noted
	pending map[string]time.Time

	stop chan struct{}
	done chan struct{}
}

func newToucher(st store.Store, log *slog.Logger, interval time.Duration) *toucher {
	t := &toucher{st: st, log: log, interval: interval, last: map[string]time.Time{}, pending: map[string]time.Time{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go t.loop()
	return t
}

func (t *toucher) used(tok store.Token, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	last, ok := t.last[tok.ID]
	if !ok && tok.LastUsedAt != nil {
		last = *tok.LastUsedAt
	}
	if now.Sub(last) < t.interval {
		return
	}
	t.last[tok.ID] = now
	t.pending[tok.ID] = now
}

func (t *toucher) loop() {
	defer close(t.done)
	tick := time.NewTicker(min(t.interval, 5*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			t.flush(context.Background())
		case <-t.stop:
			return
		}
	}
}

// flush writes the pending last-use times.
func (t *toucher) flush(ctx context.Context) error {
	t.mu.Lock()
	batch := t.pending
	t.pending = map[string]time.Time{}
	t.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := t.st.TouchTokens(ctx, batch); err != nil {
		t.log.Warn("recording token last use failed", slog.Int("tokens", len(batch)), slog.Any("error", err))
		return err
	}
	return nil
}

// close stops the loop and writes what is pending.
func (t *toucher) close() error {
	select {
	case <-t.stop:
		return nil
	default:
	}
	close(t.stop)
	<-t.done
	return t.flush(context.Background())
}
