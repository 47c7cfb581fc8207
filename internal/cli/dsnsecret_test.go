package cli

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

// TestServeKeepsDatabaseSecretsOutOfItsLog starts `rollcall serve` with a
// database password in each place a DSN can carry one, and checks that the
// secret appears nowhere in what serve writes, whether it starts (the
// "rollcall listening" line names the database) or fails (the error names
// it). The throwaway PostgreSQL trusts every connection, so any password
// works.
func TestServeKeepsDatabaseSecretsOutOfItsLog(t *testing.T) {
	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	host, port, db := u.Hostname(), u.Port(), strings.TrimPrefix(u.Path, "/")
	base := "postgres://postgres@" + u.Host + "/" + db + "?sslmode=disable"
	for _, tc := range []struct {
		name, dsn, secret string
		starts            bool
	}{
		{"url user info", "postgres://postgres:Pw-userinfo-9@" + u.Host + "/" + db + "?sslmode=disable", "Pw-userinfo-9", true},
		{"url escaped user info", "postgresql://postgres:Pw%2Fesc%40ped@" + u.Host + "/" + db + "?sslmode=disable", "Pw%2Fesc%40ped", true},
		{"url password parameter", base + "&password=Pw-query-9", "Pw-query-9", true},
		{"url password parameter first", "postgres://postgres@" + u.Host + "/" + db + "?password=Pw-first-9&sslmode=disable", "Pw-first-9", true},
		{"key=value", fmt.Sprintf("host=%s port=%s user=postgres password=Pw-kv-9 dbname=%s sslmode=disable", host, port, db), "Pw-kv-9", true},
		{"key=value spaced", fmt.Sprintf("host=%s port=%s user=postgres password = Pw-kv-spaced-9 dbname=%s sslmode=disable", host, port, db), "Pw-kv-spaced-9", true},
		{"key=value quoted", fmt.Sprintf(`host=%s port=%s user=postgres password='Pw kv \'quoted\' 9' dbname=%s sslmode=disable`, host, port, db), "Pw kv", true},
		{"key=value first", fmt.Sprintf("password=Pw-kv-first-9 host=%s port=%s user=postgres dbname=%s sslmode=disable", host, port, db), "Pw-kv-first-9", true},
		{"url sslpassword", base + "&sslpassword=Pw-sslpass-9", "Pw-sslpass-9", false},
		{"key=value sslpassword", fmt.Sprintf("host=%s port=%s user=postgres sslpassword=Pw-kv-sslpass-9 dbname=%s sslmode=disable", host, port, db), "Pw-kv-sslpass-9", false},
		{"unreachable url", "postgres://postgres:Pw-unreachable-9@127.0.0.1:1/" + db + "?connect_timeout=2&sslmode=disable", "Pw-unreachable-9", false},
		{"unreachable key=value", "host=127.0.0.1 port=1 user=postgres password=Pw-kv-unreachable-9 connect_timeout=2 sslmode=disable", "Pw-kv-unreachable-9", false},
		{"unparsable url", "postgres://postgres:Pw-bad-9@127.0.0.1:notaport/" + db, "Pw-bad-9", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // a DSN taken for an SQLite path must not leave a file here
			out, started := runServeBriefly(t, tc.dsn)
			t.Logf("serve wrote:\n%s", out)
			if strings.Contains(out, tc.secret) {
				t.Fatalf("the secret %q appears in serve's output:\n%s", tc.secret, out)
			}
			if tc.starts && !started {
				t.Fatalf("serve did not start on %s:\n%s", tc.dsn, out)
			}
			if started && !strings.Contains(out, "xxxxx") {
				t.Errorf("the start-up line does not show the database with its secret redacted:\n%s", out)
			}
		})
	}
}

// runServeBriefly runs `rollcall serve` on dsn until it logs that it
// listens, then stops it; or until it exits on its own. It returns
// everything serve wrote and whether it started.
func runServeBriefly(t *testing.T, dsn string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &serveLog{}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--database", dsn}, strings.NewReader(""), logs, logs)
	}()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case <-done:
			return logs.String(), false
		case <-deadline:
			cancel()
			<-done
			t.Fatalf("serve neither started nor stopped within 60s:\n%s", logs)
		case <-time.After(20 * time.Millisecond):
		}
		if strings.Contains(logs.String(), "rollcall listening") {
			cancel()
			<-done
			return logs.String(), true
		}
	}
}
