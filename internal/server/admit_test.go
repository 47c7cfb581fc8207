package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// admissionHarness serves readAdmission.admit over real HTTP on loopback.
// Each request names itself in ?n=; its handler notes that it started,
// then waits until the test lets it go on (before and after writing its
// header, when ?write-first is set).
type admissionHarness struct {
	t       *testing.T
	a       *readAdmission
	url     string
	mu      sync.Mutex
	started []string
	proceed map[string]chan struct{}
	entered chan string
	done    bool // releaseAll ran: every request goes on at once
}

func newAdmissionHarness(t *testing.T, n int) *admissionHarness {
	h := &admissionHarness{t: t, a: newReadAdmission(n), proceed: map[string]chan struct{}{}, entered: make(chan string, 100)}
	srv := httptest.NewServer(h.a.admit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("n")
		h.mu.Lock()
		h.started = append(h.started, name)
		ch := h.gate(name)
		h.mu.Unlock()
		h.entered <- name
		if r.URL.Query().Has("write-first") {
			w.WriteHeader(http.StatusOK)
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush: %v", err)
			}
		}
		<-ch
		_, _ = io.WriteString(w, name)
	})))
	t.Cleanup(srv.Close)
	// Runs before srv.Close: a test that failed half way must not leave
	// handlers waiting, or Close would wait for them forever.
	t.Cleanup(h.releaseAll)
	h.url = srv.URL
	return h
}

// releaseAll lets every request go on that has not been let go yet.
func (h *admissionHarness) releaseAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.done = true
	for _, ch := range h.proceed {
		select {
		case <-ch:
		default:
			close(ch)
		}
	}
}

// gate returns the channel that lets request name go on; h.mu is held.
func (h *admissionHarness) gate(name string) chan struct{} {
	ch, ok := h.proceed[name]
	if !ok {
		ch = make(chan struct{})
		h.proceed[name] = ch
		if h.done {
			close(ch)
		}
	}
	return ch
}

func (h *admissionHarness) release(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.gate(name))
}

// send starts a request in the background; its result arrives on the
// returned channel (the body, or the error).
func (h *admissionHarness) send(ctx context.Context, method, query string) <-chan string {
	out := make(chan string, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, method, h.url+"/?"+query, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		out <- string(b)
	}()
	return out
}

// waitEntered waits for the handler of name to start.
func (h *admissionHarness) waitEntered(want string) {
	h.t.Helper()
	select {
	case got := <-h.entered:
		if got != want {
			h.t.Fatalf("the handler of %q started; want %q next", got, want)
		}
	case <-time.After(5 * time.Second):
		h.mu.Lock()
		defer h.mu.Unlock()
		h.t.Fatalf("the handler of %q did not start; started so far: %v, waiting: %d", want, h.started, h.a.Waiting())
	}
}

// waitWaiting waits until n reads wait for their turn.
func (h *admissionHarness) waitWaiting(n int64) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.a.Waiting() != n {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d reads wait; want %d", h.a.Waiting(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// noneEntered checks that no handler starts for a while.
func (h *admissionHarness) noneEntered() {
	h.t.Helper()
	select {
	case got := <-h.entered:
		h.t.Fatalf("the handler of %q started while every place was taken", got)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestReadAdmissionRunsAtMostNInArrivalOrder(t *testing.T) {
	h := newAdmissionHarness(t, 2)
	ctx := context.Background()
	results := map[string]<-chan string{}
	for _, name := range []string{"a", "b"} {
		results[name] = h.send(ctx, "GET", "n="+name)
		h.waitEntered(name)
	}
	// Three more arrive one after another while both places are taken.
	for i, name := range []string{"c", "d", "e"} {
		results[name] = h.send(ctx, "GET", "n="+name)
		h.waitWaiting(int64(i + 1))
	}
	h.noneEntered()
	// Each place given back goes to the read that has waited longest.
	h.release("b")
	h.waitEntered("c")
	h.release("a")
	h.waitEntered("d")
	h.noneEntered()
	h.release("c")
	h.waitEntered("e")
	h.waitWaiting(0)
	for _, name := range []string{"d", "e"} {
		h.release(name)
	}
	for name, res := range results {
		if got := <-res; got != name {
			t.Errorf("request %s answered %q", name, got)
		}
	}
}

func TestReadAdmissionLetsGoOnceTheResponseStarts(t *testing.T) {
	h := newAdmissionHarness(t, 1)
	ctx := context.Background()
	// "slow" has its answer ready and is sending it (its client could be
	// slow to read): the next read does not wait for it.
	slow := h.send(ctx, "GET", "n=slow&write-first")
	h.waitEntered("slow")
	next := h.send(ctx, "GET", "n=next")
	h.waitEntered("next")
	h.release("next")
	if got := <-next; got != "next" {
		t.Errorf("next answered %q", got)
	}
	h.release("slow")
	if got := <-slow; got != "slow" {
		t.Errorf("slow answered %q", got)
	}
}

func TestReadAdmissionDropsAClientThatLeavesWhileWaiting(t *testing.T) {
	h := newAdmissionHarness(t, 1)
	first := h.send(context.Background(), "GET", "n=first")
	h.waitEntered("first")
	ctx, cancel := context.WithCancel(context.Background())
	gone := h.send(ctx, "GET", "n=gone")
	h.waitWaiting(1)
	cancel()
	if got := <-gone; !strings.HasPrefix(got, "error:") {
		t.Fatalf("the canceled request answered %q", got)
	}
	h.waitWaiting(0)
	after := h.send(context.Background(), "GET", "n=after")
	h.waitWaiting(1)
	h.release("first")
	// The place goes to the read after it; the one that left never runs.
	h.waitEntered("after")
	h.release("after")
	for name, res := range map[string]<-chan string{"first": first, "after": after} {
		if got := <-res; got != name {
			t.Errorf("request %s answered %q", name, got)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if strings.Join(h.started, ",") != "first,after" {
		t.Errorf("handlers started: %v; want first, after", h.started)
	}
}

func TestReadAdmissionLeavesWritesAlone(t *testing.T) {
	h := newAdmissionHarness(t, 1)
	read := h.send(context.Background(), "GET", "n=read")
	h.waitEntered("read")
	for _, method := range []string{"POST", "PATCH", "DELETE"} {
		name := strings.ToLower(method)
		res := h.send(context.Background(), method, "n="+name)
		h.waitEntered(name)
		h.release(name)
		if got := <-res; got != name {
			t.Errorf("%s answered %q", method, got)
		}
	}
	h.release("read")
	<-read
}

func TestNoReadAdmissionWithoutALimit(t *testing.T) {
	if a := newReadAdmission(0); a != nil {
		t.Fatalf("newReadAdmission(0) = %v; want nil, no limit", a)
	}
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	var a *readAdmission
	if got := a.admit(next); got == nil {
		t.Fatal("a nil admission lost the handler")
	}
	if a.Waiting() != 0 {
		t.Fatal("a nil admission has reads waiting")
	}
}
