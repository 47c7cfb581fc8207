package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rollcall/rollcall/internal/store"
)

// Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a
// browser session ends (sign-out, "sign out everywhere", the person
// disabled or deleted, expiry), every client with a backchannel_logout_uri
// that signed the person in from it is sent a signed logout token. The
// queue is the database (store.OIDCStore.ClaimOIDCLogouts), filled in the
// transaction that ends the session (and, for expiry, by a sweep over the
// expired sessions), so a restart or a second instance loses none, and a
// claim makes one instance deliver each.
const (
	logoutPoll    = 2 * time.Second
	logoutSweep   = 10 * time.Second // how often expired sessions are looked for
	logoutLease   = time.Minute      // longer than a delivery's timeout
	logoutTimeout = 10 * time.Second
	logoutBatch   = 20
	// logoutEvent is the events claim's member that makes a JWT a logout token.
	logoutEvent = "http://schemas.openid.net/event/backchannel-logout"
)

// logoutRetry is the wait before the next delivery of a logout token that
// failed n times: ten seconds, doubling, at most an hour.
func logoutRetry(n int) time.Duration {
	d := 10 * time.Second
	for i := 0; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// runBackchannel delivers due logout tokens until ctx ends, and purges
// expired state now and then.
func (p *Provider) runBackchannel(ctx context.Context) {
	t := time.NewTicker(logoutPoll)
	defer t.Stop()
	var lastSweep time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Expiry is the one end of a session without an event: sweep
		// the expired sessions now and then.
		if now := p.now(); now.Sub(lastSweep) >= logoutSweep {
			lastSweep = now
			if err := p.o.QueueExpiredOIDCLogouts(ctx, now); err != nil && ctx.Err() == nil {
				p.log.Warn("queueing back-channel logouts of expired sessions", slog.Any("error", err))
			}
		}
		p.deliverLogouts(ctx)
		// Expired requests and tokens go too, at most every purgeEvery,
		// also when nobody signs in.
		p.purgeExpired()
	}
}

// deliverLogouts claims the due logouts and delivers each once.
func (p *Provider) deliverLogouts(ctx context.Context) {
	ls, err := p.o.ClaimOIDCLogouts(ctx, p.now(), logoutLease, logoutBatch)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("claiming back-channel logouts", slog.Any("error", err))
		}
		return
	}
	for _, l := range ls {
		err := p.sendLogout(ctx, l)
		if ctx.Err() != nil {
			return // the claim lapses, and another run delivers it
		}
		msg := ""
		if err != nil {
			msg = err.Error()
			p.log.Info("back-channel logout not delivered; will retry", slog.String("client_id", l.ClientID),
				slog.Int("attempt", l.Attempts+1), slog.Any("error", err))
		}
		if ferr := p.o.FinishOIDCLogout(ctx, l, err == nil, p.now().Add(logoutRetry(l.Attempts)), msg); ferr != nil {
			p.log.Warn("recording a back-channel logout", slog.Any("error", ferr))
		}
	}
}

// logoutToken signs the logout token of l.
func (p *Provider) logoutToken(ctx context.Context, l store.OIDCLogout) (string, error) {
	k, _, err := p.storage.keys.load(ctx)
	if err != nil {
		return "", err
	}
	now := p.now()
	claims, err := json.Marshal(map[string]any{
		"iss": p.issuer, "sub": l.UserID, "aud": l.ClientID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": uuid.NewString(), "sid": l.SessionID, "events": map[string]any{logoutEvent: map[string]any{}},
	})
	if err != nil {
		return "", err
	}
	return p.sign(k, "logout+jwt", claims)
}

// logoutHTTP posts logout tokens; it follows no redirects (the spec has
// the client answer 200).
var logoutHTTP = &http.Client{Timeout: logoutTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

func (p *Provider) sendLogout(ctx context.Context, l store.OIDCLogout) error {
	tok, err := p.logoutToken(ctx, l)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.URI, strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := logoutHTTP.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", l.URI, res.Status)
	}
	return nil
}
