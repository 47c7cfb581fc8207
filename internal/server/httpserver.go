package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/rollcall/rollcall/api"
)

// Limits on the request line and header fields. The API answers a request
// over them with a JSON:API error, like every other refusal: 414 when the
// URI alone is longer than MaxURIBytes, 431 when the request line and
// header fields together are larger than MaxHeaderBytes.
const (
	MaxURIBytes    = 32 << 10
	MaxHeaderBytes = 64 << 10
)

// transportHeaderBytes is how much of a request's head net/http reads
// before it gives up with its own answer (which jsonErrorConn rewrites as
// a JSON:API document). It is larger than MaxHeaderBytes so that requests
// just over the API's limits reach limitHead and get an answer that
// carries a request id and is counted like any other, and small enough
// that a connection's buffered head stays a fraction of a megabyte.
const transportHeaderBytes = 256 << 10

// NewHTTPServer returns the http.Server that serves h: read and write
// timeouts, and the header limit that leaves room for limitHead. Serve it
// on Listener(ln) so that the answers net/http gives on its own are
// JSON:API documents too.
func NewHTTPServer(h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		// net/http reads up to 4 KiB more than this before its 431.
		MaxHeaderBytes: transportHeaderBytes - 4096,
		ErrorLog:       errorLog,
	}
}

// limitHead answers a request whose URI or head is over the API's limits
// with 414 or 431, before any other handler reads it.
func (s *Server) limitHead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := len(r.RequestURI); n > MaxURIBytes {
			w.Header().Set("Connection", "close")
			s.writeError(w, r, &api.Error{Status: "414", Code: api.CodeURITooLong, Title: "URI too long",
				Detail: fmt.Sprintf("the request URI is %d bytes long; at most %d are allowed: send fewer or shorter query parameters", n, MaxURIBytes)})
			return
		}
		if n := headSize(r); n > MaxHeaderBytes {
			w.Header().Set("Connection", "close")
			s.writeError(w, r, errHeadersTooLarge(fmt.Sprintf("the request line and header fields are %d bytes; at most %d are allowed: send fewer or smaller header fields", n, MaxHeaderBytes)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func errHeadersTooLarge(detail string) *api.Error {
	return &api.Error{Status: "431", Code: api.CodeHeadersTooLarge, Title: "Request header fields too large", Detail: detail}
}

// headSize is the size of r's request line and header fields as sent
// (within a few bytes: net/http folds repeated fields into one list).
func headSize(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	if r.Host != "" {
		n += len("Host: ") + len(r.Host) + 2
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n
}

// Listener wraps ln so that the answers net/http writes on its own,
// before any handler runs (431 for a head over transportHeaderBytes, 400
// for a malformed request line or header, 501 for an unknown transfer
// coding, 505 for an unknown HTTP version, 417 for an unknown
// expectation), are JSON:API error documents like every other answer.
func Listener(ln net.Listener) net.Listener { return jsonErrorListener{ln} }

type jsonErrorListener struct{ net.Listener }

func (l jsonErrorListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonErrorConn{Conn: c}, nil
}

// jsonErrorConn rewrites net/http's plain-text error answers. net/http
// writes each of them to the connection in one Write, as a status line
// followed by exactly plainErrorHeaders; a handler's answer can never
// start that way, since net/http writes header fields sorted (Connection
// before Content-Type) and adds Date.
type jsonErrorConn struct {
	net.Conn
}

// plainErrorHeaders are the header fields of net/http's own error answers.
const plainErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *jsonErrorConn) Write(p []byte) (int, error) {
	if doc, ok := rewritePlainError(p); ok {
		if _, err := c.Conn.Write(doc); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// CloseWrite lets net/http half-close the connection after its 431, as it
// does on a bare TCP connection, so that the client reads the answer
// rather than a reset.
func (c *jsonErrorConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps the TCP connection's sendfile path for response bodies.
func (c *jsonErrorConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// rewritePlainError turns one of net/http's own error answers into a
// JSON:API error document; false for anything else.
func rewritePlainError(p []byte) ([]byte, bool) {
	proto, rest, ok := bytes.Cut(p, []byte(" "))
	if !ok || !bytes.Equal(proto, []byte("HTTP/1.1")) && !bytes.Equal(proto, []byte("HTTP/1.0")) || len(rest) < 4 || rest[3] != ' ' {
		return nil, false
	}
	status, err := strconv.Atoi(string(rest[:3]))
	if err != nil {
		return nil, false
	}
	line, after, ok := bytes.Cut(rest, []byte("\r\n"))
	switch {
	case ok && bytes.HasPrefix(after, []byte(plainErrorHeaders[2:])):
	case status == http.StatusExpectationFailed: // sendExpectationFailed: no body
	default:
		return nil, false
	}
	var e *api.Error
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		e = errHeadersTooLarge(fmt.Sprintf("the request line and header fields are larger than %d bytes; at most %d are allowed: send fewer or smaller header fields", transportHeaderBytes, MaxHeaderBytes))
	case http.StatusNotImplemented:
		e = &api.Error{Status: "501", Code: api.CodeNotImplemented, Title: "Not implemented",
			Detail: "the request's Transfer-Encoding is not supported; send the body with a Content-Length, or chunked"}
	case http.StatusHTTPVersionNotSupported:
		e = &api.Error{Status: "505", Code: api.CodeMalformedRequest, Title: "HTTP version not supported",
			Detail: "the request line names an HTTP version this server does not speak; use HTTP/1.1"}
	case http.StatusExpectationFailed:
		e = &api.Error{Status: "417", Code: api.CodeMalformedRequest, Title: "Expectation failed",
			Detail: "the request's Expect header asks for something other than 100-continue, which is all this server supports; leave Expect out"}
	default:
		// 400: the request line or a header field is malformed. net/http's
		// reason ("malformed MIME header line", "missing required Host
		// header") follows the status text; it echoes no input.
		reason := "the request line or a header field is malformed"
		if _, text, ok := bytes.Cut(line, []byte(": ")); ok && len(text) < 200 {
			reason = string(text)
		}
		e = &api.Error{Status: strconv.Itoa(status), Code: api.CodeMalformedRequest, Title: http.StatusText(status),
			Detail: "the request is not valid HTTP/1.1 (" + reason + "); fix the request line and header fields"}
	}
	body, err := json.Marshal(api.ErrorDocument{Errors: []api.Error{*e}})
	if err != nil {
		return nil, false
	}
	body = append(body, '\n')
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %03d %s\r\nConnection: close\r\nContent-Length: %d\r\nContent-Type: %s\r\nX-Content-Type-Options: nosniff\r\n\r\n",
		proto, status, http.StatusText(status), len(body), api.MediaType)
	b.Write(body)
	return b.Bytes(), true
}
