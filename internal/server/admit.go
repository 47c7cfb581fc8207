package server

import (
	"net/http"
	"sync"
	"sync/atomic"
)

// readAdmission lets a bounded number of API reads (GET and HEAD) work at
// once, and admits the others in the order they arrived, when the store's
// reads are CPU work in this process (store.ReadLimiter: SQLite). Reads
// beyond one per core only take turns on the same cores, and the order in
// which Go's scheduler and database/sql's pool (which hands a freed
// connection to a random waiter) pick them up left some waiting several
// turns: that was the p99 of list and search. Writes are not admitted
// here: they wait on the database's single writer, which batches
// concurrent creates, and holding a place while waiting would stall reads.
type readAdmission struct {
	slots   chan struct{} // a buffered channel: its blocked senders are served first come, first served
	waiting atomic.Int64  // reads waiting for their turn (the rollcall_api_reads_waiting gauge)
}

// newReadAdmission returns an admission for n reads at once, or nil (no
// limit) when n is 0.
func newReadAdmission(n int) *readAdmission {
	if n <= 0 {
		return nil
	}
	return &readAdmission{slots: make(chan struct{}, n)}
}

// admit wraps an API handler. A read keeps its place until its handler
// starts the response, which the handlers do once the whole body is
// built: sending it to a slow client does not hold up other reads. A
// client that goes away while waiting gives up its turn.
func (a *readAdmission) admit(next http.Handler) http.Handler {
	if a == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case a.slots <- struct{}{}:
		default:
			a.waiting.Add(1)
			select {
			case a.slots <- struct{}{}:
				a.waiting.Add(-1)
			case <-r.Context().Done():
				a.waiting.Add(-1)
				return
			}
		}
		aw := &admittedWriter{ResponseWriter: w, slots: a.slots}
		defer aw.leave()
		next.ServeHTTP(aw, r)
	})
}

// Waiting is how many reads wait for their turn now.
func (a *readAdmission) Waiting() int64 {
	if a == nil {
		return 0
	}
	return a.waiting.Load()
}

// admittedWriter gives back its read's place at the first byte or header
// written, or when the handler returns.
type admittedWriter struct {
	http.ResponseWriter
	slots chan struct{}
	once  sync.Once
}

func (w *admittedWriter) leave() { w.once.Do(func() { <-w.slots }) }

func (w *admittedWriter) WriteHeader(code int) {
	w.leave()
	w.ResponseWriter.WriteHeader(code)
}

func (w *admittedWriter) Write(b []byte) (int, error) {
	w.leave()
	return w.ResponseWriter.Write(b)
}

func (w *admittedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
