package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/version"
	"github.com/rollcall/rollcall/internal/web"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	principalKey
	requestInfoKey
)

// requestInfo carries what inner handlers learn about a request back out to
// the access log, which runs outside them.
type requestInfo struct {
	principal *principal
}

// requestID returns the id the request-id middleware gave the request.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusRecorder remembers what a handler wrote, for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe is the outermost middleware: it gives every request an id
// (X-Request-Id, kept from the client when it is short and plain), turns a
// panic into a 500 error object, and logs and counts the request by its
// route pattern. The log never holds headers or bodies, so no secret
// reaches it.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !plainID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		// The version and nothing more: no Go version, no revision.
		w.Header().Set("Server", serverHeader)
		info := &requestInfo{}
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), requestInfoKey, info)
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.LogAttrs(ctx, slog.LevelError, "panic in handler", slog.String("request_id", id),
					slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
				if rec.status == 0 {
					s.writeError(rec, r, fmt.Errorf("panic: %v", p))
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			s.metrics.observe(route, r.Method, status, elapsed)
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			if !s.log.Enabled(ctx, level) { // --log-level warn: nothing to build
				return
			}
			// Room for all ten, so that adding the caller does not copy.
			attrs := make([]slog.Attr, 0, 10)
			attrs = append(attrs,
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", web.LogPath(r)),
				slog.String("route", route), slog.Int("status", status), slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", elapsed), slog.String("client_ip", clientIP(r)))
			if p := info.principal; p != nil {
				attrs = append(attrs, slog.String("user_id", p.user.ID), slog.String("token_id", p.token.ID))
			}
			s.log.LogAttrs(ctx, level, "request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

func plainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clientIP is the peer address. X-Forwarded-For is not trusted: anyone
// could set it, and the audit log records this value.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// jsonOnly refuses request bodies that are not JSON:API (or plain JSON)
// with 415, and caps bodies at the configured limit (413). JSON:API allows
// only the ext and profile parameters on its media type.
func (s *Server) jsonOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := checkAccept(r.Header.Values("Accept"), ""); e != nil {
			s.writeError(w, r, e)
			return
		}
		// A POST without a body (a new client secret) is not a body of
		// the wrong type: the handler that needs one says it is missing.
		hasBody := r.ContentLength > 0 || r.ContentLength == -1
		if hasBody {
			if e := checkMediaType(r.Header.Get("Content-Type")); e != nil {
				s.writeError(w, r, e)
				return
			}
			if r.ContentLength > s.cfg.BodyLimit {
				w.Header().Set("Connection", "close")
				s.writeError(w, r, errBodyTooLarge(s.cfg.BodyLimit))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.BodyLimit)
		}
		next.ServeHTTP(w, r)
	})
}

// checkAccept applies JSON:API's content negotiation: when Accept names the
// JSON:API media type only with parameters other than ext and profile, or
// only with extensions the route does not support (ext, the one extension
// it supports, or "" for none), no response the server can send is
// acceptable (406). Every route negotiates before it reads the body or
// acts, so a refused request changes nothing.
func checkAccept(values []string, ext string) *api.Error {
	sawJSONAPI, acceptable := false, false
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || mt != api.MediaType {
				continue
			}
			sawJSONAPI = true
			ok := true
			for p, v := range params {
				switch p {
				case "profile", "q":
				case "ext":
					for _, uri := range strings.Fields(v) {
						if uri != ext {
							ok = false
						}
					}
				default:
					ok = false
				}
			}
			acceptable = acceptable || ok
		}
	}
	if sawJSONAPI && !acceptable {
		detail := "Accept names " + api.MediaType + " only with parameters or extensions this route does not support; accept it without parameters"
		if ext != "" {
			detail += ", or with ext=\"" + ext + "\""
		}
		return &api.Error{Status: "406", Code: api.CodeNotAcceptable, Title: "Not acceptable",
			Detail: detail, Source: &api.ErrorSource{Header: "Accept"}}
	}
	return nil
}

func checkMediaType(ct string) *api.Error {
	bad := func(detail string) *api.Error {
		return &api.Error{Status: "415", Code: api.CodeUnsupportedMediaType, Title: "Unsupported media type",
			Detail: detail, Source: &api.ErrorSource{Header: "Content-Type"}}
	}
	if ct == "" {
		return bad("the request has a body but no Content-Type; send Content-Type: " + api.MediaType)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return bad(fmt.Sprintf("Content-Type %q cannot be parsed; send %s", ct, api.MediaType))
	}
	switch mt {
	case api.MediaType:
		for p := range params {
			if p != "ext" && p != "profile" {
				return bad(fmt.Sprintf("Content-Type parameter %q is not allowed on %s (JSON:API allows only ext and profile)", p, api.MediaType))
			}
		}
	case "application/json":
		for p, v := range params {
			if p != "charset" || !strings.EqualFold(v, "utf-8") {
				return bad(fmt.Sprintf("Content-Type parameter %s=%s is not supported; bodies are UTF-8 JSON", p, v))
			}
		}
	default:
		return bad(fmt.Sprintf("Content-Type %q is not supported; send %s (application/json is accepted too)", mt, api.MediaType))
	}
	return nil
}

// jsonBuffers are response buffers that writeJSON reuses: a page of 100
// users is about 100 KB of JSON, which json.Marshal would allocate anew and
// then copy once more to add the newline.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledJSON is the largest buffer kept for reuse; a rare huge answer
// (a page of 1,000 with included groups) is left to the garbage collector.
const maxPooledJSON = 4 << 20

// writeJSON writes v as a JSON:API document with status, followed by a
// newline.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledJSON {
			jsonBuffers.Put(buf)
		}
	}()
	// Encode escapes HTML and ends with a newline, as Marshal plus '\n' did.
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"errors":[{"status":"500","code":"internal_error","title":"Internal server error","detail":"the response could not be encoded"}]}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", api.MediaType)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// bufferedWriter captures the response of ServeMux's built-in 404 and 405
// handlers so they can be answered as JSON:API error documents instead of
// plain text.
type bufferedWriter struct {
	header http.Header
	status int
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return len(p), nil }
func (b *bufferedWriter) WriteHeader(code int)        { b.status = code }

// unmatched answers requests no route pattern matched.
func (s *Server) unmatched(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		bw := &bufferedWriter{header: http.Header{}}
		h.ServeHTTP(bw, r)
		switch bw.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", bw.header.Get("Allow"))
			s.writeError(w, r, &api.Error{Status: "405", Code: api.CodeMethodNotAllowed, Title: "Method not allowed",
				Detail: fmt.Sprintf("%s is not supported on %s; allowed: %s", r.Method, r.URL.Path, bw.header.Get("Allow"))})
		case http.StatusMovedPermanently, http.StatusPermanentRedirect, http.StatusTemporaryRedirect, http.StatusFound:
			mux.ServeHTTP(w, r)
		default:
			s.writeError(w, r, &api.Error{Status: "404", Code: api.CodeNotFound, Title: "Not found",
				Detail: fmt.Sprintf("there is no %s; the API lives under /api/v1 and is described at /api/v1/openapi.json", r.URL.Path)})
		}
	})
}

// serverHeader is the Server header of every answer.
var serverHeader = "rollcall/" + version.Version()
