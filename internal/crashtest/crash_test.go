package crashtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
	"github.com/rollcall/rollcall/internal/token"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// rounds is how many times each backend is killed mid-storm.
const rounds = 20

// writers is how many goroutines send writes at once.
const writers = 6

// groupCount is how many groups the storm's memberships choose from.
const groupCount = 4

// TestCrashSQLite kills the server mid-storm on an SQLite file, with the
// server's own durability settings (WAL, synchronous=NORMAL: a committed
// transaction survives the process dying; only a power cut may lose the
// last ones).
func TestCrashSQLite(t *testing.T) {
	bin := buildRollcall(t)
	crashRounds(t, bin, filepath.Join(t.TempDir(), "rollcall.db"), nil)
}

// TestCrashPostgres does the same on PostgreSQL with fsync on. Every
// fifth round PostgreSQL itself is stopped without a checkpoint as well
// (pg_ctl stop -m immediate) and recovers from its WAL, so acknowledged
// writes must survive the database crashing too.
func TestCrashPostgres(t *testing.T) {
	bin := buildRollcall(t)
	cluster := pgtest.NewCluster(t, pgtest.Options{Fsync: true})
	crashRounds(t, bin, cluster.NewDatabase(t), cluster)
}

// buildRollcall builds the real binary once per test.
func buildRollcall(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build rollcall for this test: %v (install Go and put it on PATH)", err)
	}
	bin := filepath.Join(t.TempDir(), "rollcall")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/rollcall/rollcall/cmd/rollcall")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build rollcall: %v\n%s", err, out)
	}
	return bin
}

// state is one version of a user as a write set it.
type state struct {
	title  string
	groups []string // sorted
}

// outcome says what the client learned about one write.
type outcome int

const (
	acked    outcome = iota // a 2xx answer: the write must be there
	refused                 // a 4xx or 5xx answer: the write must not be there
	noAnswer                // the connection broke: either is allowed, but nothing half
)

type write struct {
	state
	outcome outcome
}

// user is what the storm did to one user: a create and then updates, sent
// one after another by one goroutine, so their order is known.
type user struct {
	id, username string
	writes       []write
}

func crashRounds(t *testing.T, bin, dsn string, cluster *pgtest.Cluster) {
	admin := token.Generate()
	srv := startServer(t, bin, dsn, admin)
	groups := make([]string, groupCount)
	for i := range groups {
		var doc struct {
			Data struct{ ID string } `json:"data"`
		}
		status, body, err := srv.do(http.MethodPost, "/api/v1/groups",
			fmt.Sprintf(`{"data":{"type":"groups","attributes":{"name":"crash-group-%d"}}}`, i), &doc)
		if err != nil || status != http.StatusCreated {
			t.Fatalf("create group: %v %d %s", err, status, body)
		}
		groups[i] = doc.Data.ID
	}
	var all []*user
	for round := range rounds {
		users := storm(t, srv, round, groups)
		all = append(all, users...)
		if err := srv.cmd.Wait(); err == nil {
			t.Fatalf("round %d: the server exited cleanly instead of being killed", round)
		}
		if cluster != nil && round%5 == 4 {
			if err := cluster.Crash(); err != nil {
				t.Fatal(err)
			}
			if err := cluster.Start(); err != nil {
				t.Fatal(err)
			}
		}
		killedLog := srv.log.String()
		srv = startServer(t, bin, dsn, admin)
		srv.prevLog = killedLog
		if status, body, err := srv.do(http.MethodGet, "/api/v1/users?page%5Bsize%5D=1", "", nil); err != nil || status != http.StatusOK {
			t.Fatalf("round %d: after the restart GET /api/v1/users answered %d %s (%v)", round, status, body, err)
		}
		verify(t, dsn, users, fmt.Sprintf("round %d", round))
		if t.Failed() {
			t.Logf("server log of the killed run:\n%s", tail(srv.prevLog, 30))
			return
		}
	}
	srv.stop(t)
	// Every round's writes are still there after all the later crashes.
	verify(t, dsn, all, "after all rounds")
	var acks, unknown int
	for _, u := range all {
		for _, w := range u.writes {
			switch w.outcome {
			case acked:
				acks++
			case noAnswer:
				unknown++
			}
		}
	}
	t.Logf("%d rounds: %d users, %d acknowledged writes, %d writes cut off by the kill", rounds, len(all), acks, unknown)
	if acks < rounds || unknown < rounds/2 {
		t.Errorf("%d writes were acknowledged and %d cut off in %d rounds; the storm did not overlap the kill enough to mean anything", acks, unknown, rounds)
	}
}

// storm sends creates and updates from several goroutines and kills the
// server with SIGKILL while they run.
func storm(t *testing.T, srv *server, round int, groups []string) []*user {
	t.Helper()
	var (
		mu    sync.Mutex
		users []*user
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(round), uint64(g)))
			var mine []*user
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				st := state{title: fmt.Sprintf("t-%d-%d-%d", round, g, n), groups: pick(rng, groups)}
				var u *user
				var status int
				var err error
				if len(mine) == 0 || rng.IntN(3) == 0 {
					u = &user{id: uuid.NewString(), username: fmt.Sprintf("crash-%d-%d-%d", round, g, n)}
					mu.Lock()
					users = append(users, u)
					mu.Unlock()
					mine = append(mine, u)
					status, _, err = srv.do(http.MethodPost, "/api/v1/users", userDoc(u.id, u.username, st, true), nil)
				} else {
					u = mine[rng.IntN(len(mine))]
					status, _, err = srv.do(http.MethodPatch, "/api/v1/users/"+u.id, userDoc(u.id, "", st, false), nil)
				}
				w := write{state: st}
				switch {
				case err != nil:
					w.outcome = noAnswer
				case status/100 == 2:
					w.outcome = acked
				default:
					w.outcome = refused
				}
				mu.Lock()
				u.writes = append(u.writes, w)
				mu.Unlock()
				if w.outcome != acked {
					// The server is gone (or refused, which the check
					// reports); this goroutine's users are final.
					return
				}
			}
		}()
	}
	// Kill somewhere in the middle of the storm, at a different moment each round.
	time.Sleep(time.Duration(200+rand.IntN(400)) * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill the server: %v", err)
	}
	close(stop)
	wg.Wait()
	return users
}

func pick(rng *rand.Rand, groups []string) []string {
	var out []string
	for _, g := range groups {
		if rng.IntN(2) == 0 {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// userDoc is a create (with a client-proposed id, so that a create whose
// answer was lost can still be looked up) or an update setting the title
// and replacing the groups.
func userDoc(id, username string, st state, create bool) string {
	rel := make([]map[string]string, len(st.groups))
	for i, g := range st.groups {
		rel[i] = map[string]string{"type": "groups", "id": g}
	}
	attrs := map[string]any{"title": st.title}
	if create {
		attrs["username"] = username
		attrs["email"] = username + "@example.com"
		attrs["first-name"] = "Crash"
	}
	b, _ := json.Marshal(map[string]any{"data": map[string]any{
		"type": "users", "id": id, "attributes": attrs,
		"relationships": map[string]any{"groups": map[string]any{"data": rel}},
	}})
	return string(b)
}

// verify opens the database directly and checks each user: absent when no
// create was acknowledged and none took effect; otherwise exactly in the
// state of one write that is allowed to be the last one applied, with one
// audit event for every write applied up to it.
func verify(t *testing.T, dsn string, users []*user, when string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("%s: open %s: %v", when, dsn, err)
	}
	defer st.Close()
	for _, u := range users {
		lastAck := -1
		for i, w := range u.writes {
			if w.outcome == refused {
				t.Errorf("%s: user %s write %d was refused; the storm sends only valid writes", when, u.username, i)
			}
			if w.outcome == acked {
				lastAck = i
			}
		}
		got, err := st.GetUser(ctx, u.id)
		events, _, aerr := st.ListAuditEvents(ctx, store.AuditFilter{TargetID: u.id, Action: "user."}, store.Page{Limit: 1000})
		if aerr != nil {
			t.Fatalf("%s: audit events of %s: %v", when, u.username, aerr)
		}
		if errors.Is(err, store.ErrNotFound) {
			if lastAck >= 0 {
				t.Errorf("%s: user %s is missing although its create was acknowledged (writes %+v)", when, u.username, u.writes)
			}
			if len(events) != 0 {
				t.Errorf("%s: user %s does not exist but has %d audit events: a half-written create", when, u.username, len(events))
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: get user %s: %v", when, u.username, err)
		}
		applied := -1
		for i := max(lastAck, 0); i < len(u.writes); i++ {
			if u.writes[i].outcome != refused && got.Title == u.writes[i].title {
				applied = i
			}
		}
		if applied < 0 {
			t.Errorf("%s: user %s has title %q, which is no write that may be the last one applied (acknowledged up to %d of %+v)",
				when, u.username, got.Title, lastAck, u.writes)
			continue
		}
		want := u.writes[applied]
		if !slices.Equal(got.GroupIDs, want.groups) && !(len(got.GroupIDs) == 0 && len(want.groups) == 0) {
			t.Errorf("%s: user %s has title %q from write %d but groups %v, not that write's %v: half applied",
				when, u.username, got.Title, applied, got.GroupIDs, want.groups)
		}
		if got.Username != u.username || got.Email != u.username+"@example.com" || got.FirstName != "Crash" {
			t.Errorf("%s: user %s came back as %q %q %q", when, u.username, got.Username, got.Email, got.FirstName)
		}
		// One audit event per applied write: the create and each update
		// (an update that changed nothing writes none, but every write
		// sets a new title).
		if len(events) != applied+1 {
			t.Errorf("%s: user %s has %d audit events for %d applied writes", when, u.username, len(events), applied+1)
		}
	}
}

// server is one running `rollcall serve` process.
type server struct {
	cmd     *exec.Cmd
	url     string
	token   string
	client  *http.Client
	log     *lockedBuffer
	prevLog string
}

var listening = regexp.MustCompile(`msg="rollcall listening" addr=(\S+)`)

// startServer runs `rollcall serve` on dsn on a free port and waits until
// it answers /healthz.
func startServer(t *testing.T, bin, dsn, admin string) *server {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--database", dsn, "--addr", "127.0.0.1:0", "--rate-limit", "0")
	cmd.Env = append(os.Environ(), "ROLLCALL_BOOTSTRAP_TOKEN="+admin, "ROLLCALL_LOG_LEVEL=info", "ROLLCALL_LOG_FORMAT=text")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start rollcall serve: %v", err)
	}
	s := &server{cmd: cmd, token: admin, log: &lockedBuffer{},
		client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: writers}}}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			s.log.WriteString(sc.Text() + "\n")
			if m := listening.FindStringSubmatch(sc.Text()); m != nil && !found {
				found = true
				addr <- m[1]
			}
		}
		if !found {
			close(addr)
		}
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("rollcall serve exited before listening:\n%s", s.log.String())
		}
		s.url = "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatalf("rollcall serve did not start listening within 60 s:\n%s", s.log.String())
	}
	for range 100 {
		if resp, err := s.client.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("rollcall serve at %s does not answer /healthz:\n%s", s.url, s.log.String())
	return nil
}

// do sends one API request with the admin token. err is set only when no
// answer came back.
func (s *server) do(method, path, body string, into any) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/vnd.api+json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		// The status line came but the body was cut: the server acted,
		// yet the client cannot know it succeeded.
		return 0, "", err
	}
	if into != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, into); err != nil {
			return resp.StatusCode, string(b), err
		}
	}
	return resp.StatusCode, string(b), nil
}

// stop ends the server with SIGTERM, as an operator would.
func (s *server) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Errorf("rollcall serve did not stop within 30 s of SIGTERM")
		_ = s.cmd.Process.Kill()
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
