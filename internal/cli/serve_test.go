package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/token"
)

// serveLog collects a command's output while it runs.
type serveLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *serveLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *serveLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs `rollcall serve` in the background and returns its base
// URL, a function that stops it (as SIGTERM would) and returns its exit
// code, and its log.
func startServe(t *testing.T, args ...string) (string, func() int, *serveLog) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &serveLog{}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), io.Discard, logs)
	}()
	addrRE := regexp.MustCompile(`rollcall listening"?,? ?"?addr"?[=:]"?([0-9.:]+)`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			stop := func() int { cancel(); return <-done }
			t.Cleanup(func() { cancel() })
			return "http://" + m[1], stop, logs
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited with %d before listening:\n%s", code, logs)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not log its listen address within 30s:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func serveGet(t *testing.T, url, tok string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServeBootstrapTokenAndGracefulStop(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rollcall.db")
	tok := token.Generate()
	t.Setenv("ROLLCALL_BOOTSTRAP_TOKEN", tok)
	t.Setenv("ROLLCALL_LOG_FORMAT", "json")

	base, stop, logs := startServe(t, "--database", db)
	if code, body := serveGet(t, base+"/healthz", ""); code != 200 {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if code, body := serveGet(t, base+"/readyz", ""); code != 200 {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	code, body := serveGet(t, base+"/api/v1/account", tok)
	if code != 200 || !strings.Contains(body, `"username":"bootstrap-admin"`) || !strings.Contains(body, `"is-admin":true`) {
		t.Fatalf("/api/v1/account with the bootstrap token: %d %s", code, body)
	}
	if code := stop(); code != ExitOK {
		t.Fatalf("serve exited with %d after the stop signal:\n%s", code, logs)
	}
	if !strings.Contains(logs.String(), `"msg":"rollcall stopped"`) {
		t.Fatalf("no clean stop in the log:\n%s", logs)
	}
	if strings.Contains(logs.String(), tok) {
		t.Fatal("the bootstrap token appears in the log")
	}

	// A restart with the same token is idempotent: one bootstrap user, token still valid.
	base, stop, _ = startServe(t, "--database", db)
	code, body = serveGet(t, base+"/api/v1/users?filter[username]=bootstrap-admin", tok)
	if code != 200 || strings.Count(body, `"type":"users"`) != 1 {
		t.Fatalf("after restart: %d %s", code, body)
	}
	stop()
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	for _, tc := range []struct {
		env, value, want string
	}{
		{"ROLLCALL_BOOTSTRAP_TOKEN", "not-a-token", "ROLLCALL_BOOTSTRAP_TOKEN"},
		{"ROLLCALL_RATE_LIMIT", "lots", "ROLLCALL_RATE_LIMIT"},
		{"ROLLCALL_ADDR", "nowhere", "ROLLCALL_ADDR"},
		{"ROLLCALL_MAX_TOKENS_PER_USER", "lots", "ROLLCALL_MAX_TOKENS_PER_USER"},
		{"ROLLCALL_AUTH_FAILURE_LIMIT", "-1", "ROLLCALL_AUTH_FAILURE_LIMIT"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			var stderr bytes.Buffer
			code := Run(context.Background(), []string{"serve", "--database", filepath.Join(t.TempDir(), "x.db")}, strings.NewReader(""), io.Discard, &stderr)
			if code != ExitUsage || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d naming %s", code, stderr.String(), ExitUsage, tc.want)
			}
		})
	}
}

// TestServeFinishesInFlightRequests starts a request whose body is still
// being sent, stops the server, and checks the request completes and the
// server then exits cleanly.
func TestServeFinishesInFlightRequests(t *testing.T) {
	tok := token.Generate()
	t.Setenv("ROLLCALL_BOOTSTRAP_TOKEN", tok)
	base, stop, logs := startServe(t, "--database", filepath.Join(t.TempDir(), "rollcall.db"))

	// A raw connection, so the headers and half the body surely reach the
	// server before it is told to stop.
	body := `{"data":{"type":"groups","attributes":{"name":"late"}}}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/vnd.api+json\r\nContent-Length: %d\r\n\r\n%s",
		tok, len(body), body[:20])
	time.Sleep(100 * time.Millisecond)
	exited := make(chan int, 1)
	go func() { exited <- stop() }()
	// Shutdown has begun once it is logged; the request is still open.
	for !strings.Contains(logs.String(), "shutting down") {
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case code := <-exited:
		t.Fatalf("serve exited with %d while a request was in flight", code)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := io.WriteString(conn, body[20:]); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("in-flight request: %v, %v", res, err)
	}
	res.Body.Close()
	if code := <-exited; code != ExitOK {
		t.Fatalf("serve exited with %d:\n%s", code, logs)
	}
}
