package oidc

import (
	"context"
	"log"
	"log/slog"
	"slices"
	"sync"

	"github.com/rollcall/rollcall/internal/store"
)

// The OP library (zitadel/oidc) logs the requests it refuses with slog's
// default logger, passing the request's context; its WithLogger option
// does nothing. So that those lines follow --log-format and carry the
// request id like every other line, each provider puts its logger into the
// context of the requests it serves (withMetaCtx), and New makes
// libraryLogs slog's default handler, once per process: a record whose
// context carries a provider's logger goes to that logger, any other to
// the handler that was the default before.
//
// What the library logs of a refusal is the error (type, description, the
// storage method's error, the RP's state) and of an authorization request
// its client_id, redirect_uri, scopes and response_type: never a code,
// token, client secret or assertion. Rollcall's storage errors name what
// was not found, never the value presented.

// reqInfo is what a request's context carries for the storage methods and
// the library's logs.
type reqInfo struct {
	meta store.Meta
	log  *slog.Logger
}

var libraryLogsOnce sync.Once

// installLibraryLogs makes libraryLogs slog's default handler.
func installLibraryLogs() {
	libraryLogsOnce.Do(func() {
		w, flags := log.Writer(), log.Flags()
		slog.SetDefault(slog.New(&libraryLogs{next: slog.Default().Handler()}))
		// SetDefault also sends the log package's output to the new
		// handler. Keep it where it went: Go's built-in default handler,
		// to which records without a provider pass on, writes through the
		// log package, and would come back here.
		log.SetOutput(w)
		log.SetFlags(flags)
	})
}

// libraryLogs is slog's default handler while providers exist; see above.
type libraryLogs struct {
	next slog.Handler
	// with replays WithAttrs and WithGroup on a provider's handler.
	with []func(slog.Handler) slog.Handler
}

func providerLog(ctx context.Context) (reqInfo, bool) {
	if ctx == nil {
		return reqInfo{}, false
	}
	ri, ok := ctx.Value(metaKey).(reqInfo)
	return ri, ok && ri.log != nil
}

func (h *libraryLogs) Enabled(ctx context.Context, l slog.Level) bool {
	if ri, ok := providerLog(ctx); ok {
		return ri.log.Enabled(ctx, l)
	}
	return h.next.Enabled(ctx, l)
}

func (h *libraryLogs) Handle(ctx context.Context, r slog.Record) error {
	ri, ok := providerLog(ctx)
	if !ok {
		return h.next.Handle(ctx, r)
	}
	ph := ri.log.Handler()
	for _, w := range h.with {
		ph = w(ph)
	}
	r = r.Clone()
	r.AddAttrs(slog.String("request_id", ri.meta.RequestID))
	return ph.Handle(ctx, r)
}

func (h *libraryLogs) WithAttrs(as []slog.Attr) slog.Handler {
	return &libraryLogs{next: h.next.WithAttrs(as),
		with: append(slices.Clip(h.with), func(x slog.Handler) slog.Handler { return x.WithAttrs(as) })}
}

func (h *libraryLogs) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &libraryLogs{next: h.next.WithGroup(name),
		with: append(slices.Clip(h.with), func(x slog.Handler) slog.Handler { return x.WithGroup(name) })}
}
