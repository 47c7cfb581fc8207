package web

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Ceremony limits per client address. Starting a ceremony writes a row, so
// an anonymous client may not start them without bound; a person needs a
// handful a minute. The buckets are per server instance: they protect the
// database from one client, they are not an account lockout.
const (
	ceremonyRate  = rate.Limit(1) // per second, refilled
	ceremonyBurst = 30
	// maxTrackedClients bounds the memory of the buckets; past it they
	// start afresh, which only ever lets a client through.
	maxTrackedClients = 10000
)

// ceremonyLimiter hands out one token bucket per client address.
type ceremonyLimiter struct {
	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

func (l *ceremonyLimiter) allow(client string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.clients == nil || len(l.clients) >= maxTrackedClients {
		l.clients = map[string]*rate.Limiter{}
	}
	lim, ok := l.clients[client]
	if !ok {
		lim = rate.NewLimiter(ceremonyRate, ceremonyBurst)
		l.clients[client] = lim
	}
	r := lim.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return d, false
	}
	return 0, true
}

// limited refuses a ceremony request with 429 and Retry-After when the
// client has started too many.
func (h *Handler) limited(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, ip := h.meta(r)
		if wait, ok := h.limit.allow(ip); !ok {
			secs := int(wait/time.Second) + 1
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeJSON(w, http.StatusTooManyRequests, ceremonyResult{
				Error: "Too many passkey attempts from this address. Wait " + strconv.Itoa(secs) + " seconds and try again."})
			return
		}
		next(w, r)
	}
}
