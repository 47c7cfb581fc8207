// Command load sends one benchmark scenario to a Rollcall server (or to
// the ceiling server) from N connections for a fixed time or request
// count, and reports requests per second and the p50 and p99 latency.
//
//	go run ./bench/load -url http://127.0.0.1:8080 -token rc_… -scenario get -users 1000 -c 8 -d 5s
//
// It only talks to the local machine: a load generator pointed at someone
// else's server by mistake is an attack, so the URL must be on 127.0.0.1,
// ::1 or localhost. The result goes to stdout as one tab-separated line
// (scenario, connections, requests, errors, req/s, p50 ms, p99 ms) for the
// run script, and in words to stderr. With -pid it adds the server's CPU
// time per request, which unlike latency does not depend on what else
// the machine is running; with -cpu-split also its own and (-db-pid) the
// database's, so that a run says where a machine's cores went.
//
// The OpenID Connect scenarios (oidc.go) exchange authorization codes at
// the token endpoint (oidc-token, codes from bench/oidcseed) and read
// userinfo with access tokens (oidc-userinfo), and sign-ceiling measures
// how fast this machine makes the RS256 signature each exchange needs:
//
//	go run ./bench/load -url http://127.0.0.1:8080 -scenario oidc-token -client client.json -codes codes.txt -c 8 -d 5s
//	go run ./bench/load -url http://127.0.0.1:8080 -scenario oidc-userinfo -tokens tokens.tsv -c 8 -d 5s
//	go run ./bench/load -url http://127.0.0.1:8080 -scenario sign-ceiling -tokens tokens.tsv -d 5s
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rollcall/rollcall/bench/internal/dataset"
)

// scenarios are the request shapes the tool knows.
var scenarios = []string{"get", "list", "search", "create", "update", "ceiling",
	"scim-username", "scim-externalid", "scim-page", "scim-jump", "scim-create", "oidc-token", "oidc-userinfo", "sign-ceiling"}

type config struct {
	base     string
	token    string
	scenario string
	users    int
	conns    int
	duration time.Duration
	requests int
	warmup   time.Duration
	runID    string
	pid      int
	// cpuSplit adds the load tool's own CPU and, with dbPid, the
	// database's (the postmaster and its children) to the result line.
	cpuSplit bool
	dbPid    int

	// The OpenID Connect scenarios' inputs (oidc.go).
	clientFile, codesFile, tokensFile, tokensOut string
	oidc                                         *oidcState
}

func main() {
	var c config
	flag.StringVar(&c.base, "url", "", "base URL of the server, on 127.0.0.1, ::1 or localhost (required)")
	flag.StringVar(&c.token, "token", os.Getenv("ROLLCALL_TOKEN"), "admin API token (env ROLLCALL_TOKEN); not needed for -scenario ceiling")
	flag.StringVar(&c.scenario, "scenario", "get", "one of get, list, search, create, update, ceiling, scim-username, scim-externalid, scim-page, scim-jump, scim-create, oidc-token, oidc-userinfo, sign-ceiling")
	flag.IntVar(&c.users, "users", 1000, "how many seeded users exist (ids 0..users-1 of bench/internal/dataset)")
	flag.IntVar(&c.conns, "c", 8, "connections, each sending one request at a time")
	flag.DurationVar(&c.duration, "d", 5*time.Second, "how long to measure (ignored when -n is set)")
	flag.IntVar(&c.requests, "n", 0, "stop after this many requests instead of after -d")
	flag.DurationVar(&c.warmup, "warmup", time.Second, "load sent before measuring starts, to open connections and warm caches")
	flag.IntVar(&c.pid, "pid", 0, "process id of the server, to report its CPU time per request (Linux /proc)")
	flag.BoolVar(&c.cpuSplit, "cpu-split", false, "add two fields to the result line: this tool's CPU ms per request and, with -db-pid, the database's (-1 without)")
	flag.IntVar(&c.dbPid, "db-pid", 0, "with -cpu-split: the PostgreSQL postmaster's process id; its CPU and its children's count as the database's")
	flag.StringVar(&c.clientFile, "client", "", "oidc-token: the client file bench/oidcseed wrote")
	flag.StringVar(&c.codesFile, "codes", "", "oidc-token: authorization codes from bench/oidcseed, one a line; each is used once")
	flag.StringVar(&c.tokensFile, "tokens", "", "oidc-userinfo, sign-ceiling: a file -tokens-out wrote (access tokens; the first line's ID token is sign-ceiling's sample)")
	flag.StringVar(&c.tokensOut, "tokens-out", "", "oidc-token: write the access and ID tokens received to this file")
	flag.StringVar(&c.runID, "run", strconv.FormatInt(time.Now().UnixNano()%1e9, 36), "tag that keeps created usernames unique across runs")
	flag.Parse()
	if err := c.check(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	var res result
	var err error
	if err = c.loadOIDC(); err == nil {
		if c.scenario == "sign-ceiling" {
			res, err = signCeiling(&c)
		} else {
			res, err = run(c)
		}
	}
	if err == nil {
		err = c.writeTokens()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "load: %s c=%d: %d requests (%d errors) in %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, server CPU %.3f ms/request\n",
		c.scenario, c.conns, res.requests, res.errors, res.elapsed.Round(time.Millisecond), res.rps(), ms(res.p50), ms(res.p99), res.cpuPerRequest())
	if res.firstError != "" {
		fmt.Fprintln(os.Stderr, "load: first error:", res.firstError)
	}
	fmt.Printf("%s\t%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.3f", c.scenario, c.conns, res.requests, res.errors, res.rps(), ms(res.p50), ms(res.p99), res.cpuPerRequest())
	if c.cpuSplit {
		fmt.Printf("\t%.3f\t%.3f", res.perRequest(res.loadCPU), res.perRequest(res.dbCPU))
	}
	fmt.Println()
	if res.errors > 0 {
		os.Exit(1)
	}
}

func (c *config) check() error {
	u, err := url.Parse(c.base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("-url %q must be an http:// URL such as http://127.0.0.1:8080", c.base)
	}
	if h := u.Hostname(); h != "localhost" && !(net.ParseIP(h) != nil && net.ParseIP(h).IsLoopback()) {
		return fmt.Errorf("-url %q is not on this machine; the load tool only sends to 127.0.0.1, ::1 or localhost", c.base)
	}
	c.base = u.Scheme + "://" + u.Host
	if !slices.Contains(scenarios, c.scenario) {
		return fmt.Errorf("-scenario %q is unknown; use one of %v", c.scenario, scenarios)
	}
	if c.token == "" && !slices.Contains([]string{"ceiling", "oidc-token", "oidc-userinfo", "sign-ceiling"}, c.scenario) {
		return errors.New("-token (or ROLLCALL_TOKEN) is required: an admin API token")
	}
	if c.conns < 1 || c.users < 1 || c.requests < 0 || (c.requests == 0 && c.duration <= 0) {
		return errors.New("-c, -users and -d (or -n) must be positive")
	}
	return nil
}

type result struct {
	requests   int
	errors     int
	elapsed    time.Duration
	p50, p99   time.Duration
	firstError string
	serverCPU  time.Duration // CPU the server used while measuring; -1 when unknown
	loadCPU    time.Duration // this tool's CPU while measuring
	dbCPU      time.Duration // the database's CPU while measuring; -1 when unknown
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// cpuPerRequest is the server's CPU milliseconds per request, or -1.
func (r result) cpuPerRequest() float64 { return r.perRequest(r.serverCPU) }

// perRequest is CPU time d in milliseconds per request, or -1 when d is.
func (r result) perRequest(d time.Duration) float64 {
	if d < 0 || r.requests == 0 {
		return -1
	}
	return ms(d) / float64(r.requests)
}

// treeCPU is the CPU time of process pid and its children so far (a
// PostgreSQL postmaster and its backends); a child that exits while
// measuring takes its share along, which pooled connections do not.
func treeCPU(pid int) (time.Duration, error) {
	total, err := processCPU(pid)
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	parent := strconv.Itoa(pid)
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone
		}
		s := string(b)
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 1 && f[1] == parent {
			if d, err := processCPU(child); err == nil {
				total += d
			}
		}
	}
	return total, nil
}

// processCPU returns the user and system CPU time of process pid so far,
// from /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s, the
// USER_HZ of every Linux the tool runs on).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat is shorter than expected", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: cannot read utime and stime", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// worker is one connection's state: its client and what it sends next.
type worker struct {
	c      *config
	n      int
	client *http.Client
	rng    *rand.Rand
	next   string // list: the links.next of the previous page
	pages  int
	seq    int
	start  int // scim-page: the startIndex of the walk's next page
}

func run(c config) (result, error) {
	tr := &http.Transport{
		MaxIdleConns:        c.conns,
		MaxIdleConnsPerHost: c.conns,
		MaxConnsPerHost:     c.conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	// Warm up: every connection opens and the server's caches fill.
	if c.warmup > 0 {
		if _, err := phase(&c, client, time.Now().Add(c.warmup), 0, 1_000_000); err != nil {
			return result{}, err
		}
	}
	deadline := time.Time{}
	if c.requests == 0 {
		deadline = time.Now().Add(c.duration)
	}
	var cpu0, load0, db0 time.Duration
	var err error
	if c.pid > 0 {
		if cpu0, err = processCPU(c.pid); err != nil {
			return result{}, err
		}
	}
	if load0, err = processCPU(os.Getpid()); err != nil {
		return result{}, err
	}
	if c.dbPid > 0 {
		if db0, err = treeCPU(c.dbPid); err != nil {
			return result{}, err
		}
	}
	r, err := phase(&c, client, deadline, c.requests, 0)
	r.serverCPU, r.dbCPU = -1, -1
	if err != nil {
		return r, err
	}
	if c.pid > 0 {
		cpu1, err := processCPU(c.pid)
		if err != nil {
			return r, err
		}
		r.serverCPU = cpu1 - cpu0
	}
	load1, err := processCPU(os.Getpid())
	if err != nil {
		return r, err
	}
	r.loadCPU = load1 - load0
	if c.dbPid > 0 {
		db1, err := treeCPU(c.dbPid)
		if err != nil {
			return r, err
		}
		r.dbCPU = db1 - db0
	}
	return r, nil
}

// phase runs the load until deadline or until limit requests were sent.
func phase(c *config, client *http.Client, deadline time.Time, limit int, seqBase int) (result, error) {
	var (
		sent       atomic.Int64
		errCount   atomic.Int64
		outOfCodes atomic.Bool
		firstErr   atomic.Value
		mu         sync.Mutex
		latencies  []time.Duration
		wg         sync.WaitGroup
	)
	start := time.Now()
	for i := range c.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{c: c, n: i, client: client, rng: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))), seq: seqBase}
			local := make([]time.Duration, 0, 4096)
			for {
				if limit > 0 {
					if sent.Add(1) > int64(limit) {
						break
					}
				} else if !time.Now().Before(deadline) {
					break
				}
				t0 := time.Now()
				err := w.do()
				if errors.Is(err, errOutOfCodes) {
					outOfCodes.Store(true)
					break
				}
				local = append(local, time.Since(t0))
				if err != nil {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if outOfCodes.Load() {
		return result{}, fmt.Errorf("all %d codes of %s were used before the end: mint more with bench/oidcseed", len(c.oidc.codes), c.codesFile)
	}
	if len(latencies) == 0 {
		return result{}, errors.New("no request completed")
	}
	slices.Sort(latencies)
	r := result{requests: len(latencies), errors: int(errCount.Load()), elapsed: el,
		p50: latencies[len(latencies)*50/100], p99: latencies[min(len(latencies)-1, len(latencies)*99/100)]}
	if s, ok := firstErr.Load().(string); ok {
		r.firstError = s
	}
	return r, nil
}

// do sends one request of the scenario and checks its status.
func (w *worker) do() error {
	c := w.c
	switch c.scenario {
	case "ceiling":
		return w.send(http.MethodGet, c.base+"/", nil, http.StatusOK, nil)
	case "get":
		return w.send(http.MethodGet, c.base+"/api/v1/users/"+dataset.ID(w.rng.IntN(c.users)), nil, http.StatusOK, nil)
	case "list":
		// Walk ten pages through the cursors, then start again, so that
		// both the first page and later ones are measured.
		u := w.next
		if u == "" || w.pages >= 10 {
			u, w.pages = c.base+"/api/v1/users?page%5Bsize%5D=100", 0
		}
		var links pageLinks
		w.pages++
		err := w.send(http.MethodGet, u, nil, http.StatusOK, &links)
		w.next = links.Next
		return err
	case "search":
		q := url.Values{"filter[q]": {dataset.SearchTerm(w.rng.IntN(1 << 20))}, "page[size]": {"100"}}
		return w.send(http.MethodGet, c.base+"/api/v1/users?"+q.Encode(), nil, http.StatusOK, nil)
	case "create":
		w.seq++
		name := fmt.Sprintf("bench-%s-%d-%d", c.runID, w.n, w.seq)
		body := fmt.Sprintf(`{"data":{"type":"users","attributes":{"username":%q,"email":"%s@example.com","first-name":"Bench","last-name":"User %d"}}}`, name, name, w.seq)
		return w.send(http.MethodPost, c.base+"/api/v1/users", []byte(body), http.StatusCreated, nil)
	case "scim-username", "scim-externalid":
		// The lookups SCIM clients send before every change.
		i := w.rng.IntN(c.users)
		f := `userName eq "` + dataset.Username(i) + `"`
		if c.scenario == "scim-externalid" {
			f = `externalId eq "` + dataset.ExternalID(i) + `"`
		}
		return w.send(http.MethodGet, c.base+"/scim/v2/Users?filter="+url.QueryEscape(f), nil, http.StatusOK, nil)
	case "scim-page":
		// A walk by startIndex pages of 100, as an import reads the
		// directory: each connection starts at a random place (its first
		// page is an OFFSET) and goes on page after page, back to 1 at
		// the end, so the pages measured lie anywhere in the directory.
		if w.start == 0 || w.start > c.users {
			w.start = 1
			if w.pages == 0 {
				w.start = 1 + w.rng.IntN(max(1, c.users-100))
			}
		}
		u := fmt.Sprintf("%s/scim/v2/Users?startIndex=%d&count=100", c.base, w.start)
		w.start += 100
		w.pages++
		return w.send(http.MethodGet, u, nil, http.StatusOK, nil)
	case "scim-jump":
		// A page at a random startIndex that nobody walked to: what a
		// client that jumps (or a walk that moved to another instance)
		// pays, an OFFSET through the index.
		u := fmt.Sprintf("%s/scim/v2/Users?startIndex=%d&count=100", c.base, 1+w.rng.IntN(max(1, c.users-100)))
		return w.send(http.MethodGet, u, nil, http.StatusOK, nil)
	case "scim-create":
		w.seq++
		name := fmt.Sprintf("scim-%s-%d-%d", c.runID, w.n, w.seq)
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"externalId":%q,`+
			`"name":{"givenName":"Bench","familyName":"User"},"emails":[{"value":"%s@example.com","type":"work","primary":true}],"active":true}`,
			name, name, name)
		return w.send(http.MethodPost, c.base+"/scim/v2/Users", []byte(body), http.StatusCreated, nil)
	case "oidc-token":
		return w.oidcToken()
	case "oidc-userinfo":
		return w.oidcUserinfo()
	case "update":
		id := dataset.ID(w.rng.IntN(c.users))
		body := fmt.Sprintf(`{"data":{"type":"users","id":%q,"attributes":{"title":"Engineer %d"}}}`, id, w.rng.IntN(1000000))
		return w.send(http.MethodPatch, c.base+"/api/v1/users/"+id, []byte(body), http.StatusOK, nil)
	}
	return fmt.Errorf("unknown scenario %q", c.scenario)
}

func (w *worker) send(method, u string, body []byte, want int, into any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return err
	}
	if w.c.token != "" {
		req.Header.Set("Authorization", "Bearer "+w.c.token)
	}
	mediaType := "application/vnd.api+json"
	if strings.Contains(u, "/scim/v2/") {
		mediaType = "application/scim+json"
	}
	req.Header.Set("Accept", mediaType)
	if body != nil {
		req.Header.Set("Content-Type", mediaType)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %.300s", method, u, resp.StatusCode, want, b)
	}
	if links, ok := into.(*pageLinks); ok {
		return links.read(b)
	}
	if into != nil {
		return json.Unmarshal(b, into)
	}
	return nil
}

// pageLinks are the top-level links of a list page.
type pageLinks struct {
	Self string `json:"self"`
	Next string `json:"next"`
}

// read takes the links from a page without decoding its 100 users: the
// load tool shares the cores with the server, and decoding the whole page
// (about 100 KB) cost it about as much CPU as the server spent making it.
// The server writes "links" as the last top-level member, so the last
// `,"links":{` is it (inside a JSON string the quotes would be escaped);
// that it is followed only by the document's closing brace is checked, and
// anything else is decoded in full.
func (l *pageLinks) read(doc []byte) error {
	const member = `,"links":`
	if i := bytes.LastIndex(doc, []byte(member+"{")); i >= 0 {
		rest := doc[i+len(member):]
		dec := json.NewDecoder(bytes.NewReader(rest))
		var got pageLinks
		if dec.Decode(&got) == nil && string(bytes.TrimSpace(rest[dec.InputOffset():])) == "}" {
			*l = got
			return nil
		}
	}
	var full struct {
		Links pageLinks `json:"links"`
	}
	if err := json.Unmarshal(doc, &full); err != nil {
		return err
	}
	*l = full.Links
	return nil
}
