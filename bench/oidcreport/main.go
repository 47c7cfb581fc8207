// Command oidcreport turns the results of bench/oidc.sh into the "## OpenID
// Connect benchmark" section of BENCHMARKS.md, replacing that section only
// (a missing file or section is created), as bench/report does for the
// load benchmark's.
//
// The results file has one line per cell: the backend, then the line
// bench/load printed (scenario, connections, requests, errors, req/s,
// p50 ms, p99 ms, server CPU ms per request).
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rollcall/rollcall/bench/internal/benchdoc"
)

const heading = "## OpenID Connect benchmark"

// Targets of issue #18.
const (
	tokenTarget    = 0.50 // of the signing ceiling
	userinfoTarget = 0.40 // of the HTTP ceiling
	p99Target      = 20.0 // ms, at 8 connections
	p99Conns       = 8
)

type row struct {
	backend, scenario string
	conns             int
	requests, errors  int
	rps, p50, p99     float64
	cpu               float64 // server CPU ms per request; -1 when not measured
	loadCPU, dbCPU    float64 // the load tool's and the database's; -1 when not measured
}

type opts struct {
	results, out, command, duration, warmup, commit, loadavg, elapsed, date, signing, include string
	users, groups                                                                             int
}

func main() {
	var o opts
	flag.StringVar(&o.results, "results", "", "results TSV written by bench/oidc.sh")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "file whose OpenID Connect section is replaced")
	flag.StringVar(&o.command, "command", "bench/oidc.sh", "the command that produced the results")
	flag.StringVar(&o.duration, "duration", "5s", "measured time per cell")
	flag.StringVar(&o.warmup, "warmup", "1s", "warm-up before each cell")
	flag.StringVar(&o.commit, "commit", "", "the source revision measured")
	flag.StringVar(&o.loadavg, "loadavg", "", "load average at start / end")
	flag.StringVar(&o.elapsed, "elapsed", "", "seconds the run took")
	flag.IntVar(&o.users, "users", 1000, "users seeded")
	flag.IntVar(&o.groups, "groups", 3, "groups every seeded user is in (bench/oidcseed -groups)")
	flag.StringVar(&o.signing, "signing", "", "what the signing ceiling signed (key, claims, goroutines), as bench/load said")
	flag.StringVar(&o.include, "include", "bench/oidcnotes.md", "hand-written analysis appended to the section, if the file exists")
	flag.StringVar(&o.date, "date", time.Now().UTC().Format("2006-01-02 15:04 MST"), "when the results were measured")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "oidcreport:", err)
		os.Exit(1)
	}
}

func run(o opts) error {
	rows, err := readResults(o.results)
	if err != nil {
		return err
	}
	return benchdoc.WriteSection(o.out, heading, render(o, rows), o.include)
}

func readResults(path string) ([]row, error) {
	lines, err := benchdoc.ReadTSV(path, 11) // bench/load -cpu-split, after the backend
	if err != nil {
		return nil, err
	}
	rows := make([]row, 0, len(lines))
	for _, p := range lines {
		c := benchdoc.ParseCell(p[1:])
		rows = append(rows, row{backend: p[0], scenario: c.Scenario, conns: c.Conns, requests: c.Requests, errors: c.Errors,
			rps: c.RPS, p50: c.P50, p99: c.P99, cpu: c.CPU, loadCPU: c.LoadCPU, dbCPU: c.DBCPU})
	}
	return rows, nil
}

// groupsDone says what the benchmark's users are in (bench/oidcseed).
func groupsDone(n int) string {
	switch n {
	case 0:
		return "leaves every user in no group"
	case 1:
		return "puts every user in one group"
	}
	return fmt.Sprintf("puts every user in %d groups (one with a custom claim, `role`), as most people signing in are", n)
}

func scopesAsked(groups int) string {
	if groups == 0 {
		return "openid profile email"
	}
	return "openid profile email groups (what Grafana's role mapping or oauth2-proxy's allowed groups decide by)"
}

var scenarioNames = map[string]string{
	"oidc-token":    "code exchange (POST /oauth2/token)",
	"oidc-userinfo": "userinfo (GET /oauth2/userinfo)",
}

func render(o opts, rows []row) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s\n\n", heading)
	w("Written by `bench/oidc.sh`; do not edit by hand, run it again (two to three minutes on 2 cores):\n\n")
	w("```sh\nbench/oidc.sh                              # both backends, 8 and 64 connections\n" +
		"DURATION=2s BACKENDS=sqlite bench/oidc.sh  # a quick rehearsal\n```\n\n")
	w("The script builds `rollcall` and the tools in bench/, and for SQLite and for PostgreSQL (a throwaway cluster, fsync on) "+
		"seeds %s users (`bench/seed`), starts `rollcall serve --rate-limit 0` on 127.0.0.1, registers a confidential client, %s and mints "+
		"authorization codes through the store (`bench/oidcseed`: an authorization request per code with PKCE S256 and the scopes "+
		"%s, completed for a random seeded user, as a passkey sign-in would; codes are single-use, so each cell "+
		"gets enough of its own). `bench/load` then measures:\n\n", commas(float64(o.users)), groupsDone(o.groups), scopesAsked(o.groups))
	w("- **code exchange**: `POST /oauth2/token`, grant authorization_code with the PKCE verifier, the client's secret in HTTP Basic; " +
		"the server signs an RS256 ID token (2048-bit key) and stores an opaque access token. Every answer is checked: 200 with an access token and an ID token.\n")
	w("- **userinfo**: `GET /oauth2/userinfo` with an opaque bearer access token, picked at random from those the first exchanges returned; " +
		"checked: 200 with a sub.\n")
	w("- **signing ceiling** (`-scenario sign-ceiling`): RS256 signatures per second of the claims of an ID token the server issued, " +
		"with a key of the same size as the server's (from its JWKS), go-jose as the server uses it, one goroutine per core. " +
		"One signature per exchange is the cost no implementation avoids, so the exchange rate reads as a fraction of it.\n")
	w("- **HTTP ceiling**: `bench/ceiling`, a bare net/http handler answering a fixed 1 KiB JSON body, loaded by the same tool " +
		"at the same connection count.\n\n")
	w("- Command: `%s` (each cell: %s of load after a %s warm-up); source %s\n", o.command, o.duration, o.warmup, o.commit)
	w("- Machine: %s\n", benchdoc.Machine())
	w("- Date: %s; the run took %s s; load average at start / end: %s\n", o.date, o.elapsed, o.loadavg)
	if o.signing != "" {
		w("- Signing ceiling: %s\n", o.signing)
	}
	w("- Server: `rollcall serve` with its defaults (log level info, every request logged); the load tool, the server and PostgreSQL share the cores.\n")
	w("- CPU per request, from /proc while measuring: the server's, PostgreSQL's (the postmaster and its backends; on SQLite the database is in the server) " +
		"and the load tool's. With every core busy they add up to about cores ÷ req/s, so they say what a ratio is made of.\n\n")

	var backends []string
	for _, r := range rows {
		if !slices.Contains(backends, r.backend) {
			backends = append(backends, r.backend)
		}
	}
	var missed []string
	for _, be := range backends {
		var sign float64
		httpCeiling := map[int]float64{}
		for _, r := range rows {
			if r.backend != be {
				continue
			}
			switch r.scenario {
			case "sign-ceiling":
				sign = r.rps
			case "ceiling":
				httpCeiling[r.conns] = r.rps
			}
		}
		w("### %s\n\n", be)
		w("| scenario | conns | req/s | p50 ms | p99 ms | ceiling | ceiling req/s | ratio | target | met? | CPU ms/req: server | database | load tool | errors |\n")
		w("|---|---:|---:|---:|---:|---|---:|---:|---|---|---:|---:|---:|---:|\n")
		for _, r := range rows {
			name, ok := scenarioNames[r.scenario]
			if r.backend != be || !ok {
				continue
			}
			ceilName, ceil, target := "HTTP", httpCeiling[r.conns], userinfoTarget
			if r.scenario == "oidc-token" {
				ceilName, ceil, target = "RS256 signing", sign, tokenTarget
			}
			goal := fmt.Sprintf("≥ %.0f%%", 100*target)
			if r.conns == p99Conns {
				goal += fmt.Sprintf(", p99 ≤ %.0f ms", p99Target)
			}
			ratio := "–"
			var why []string
			if ceil > 0 {
				ratio = fmt.Sprintf("%.0f%%", 100*r.rps/ceil)
				if r.rps < target*ceil {
					why = append(why, fmt.Sprintf("%s of the %s ceiling", ratio, ceilName))
				}
			} else {
				why = append(why, "no ceiling measured")
			}
			if r.conns == p99Conns && r.p99 > p99Target {
				why = append(why, fmt.Sprintf("p99 %.1f ms", r.p99))
			}
			if r.errors > 0 {
				why = append(why, fmt.Sprintf("%d errors", r.errors))
			}
			verdict := "met"
			if len(why) > 0 {
				verdict = "missed"
				missed = append(missed, fmt.Sprintf("%s, %s at %d connections: %s", be, r.scenario, r.conns, strings.Join(why, "; ")))
			}
			db := cpuCell(r.dbCPU)
			if be == "sqlite" {
				db = "in the server"
			}
			w("| %s | %d | %s | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", name, r.conns, commas(r.rps), r.p50, r.p99,
				ceilName, commas(ceil), ratio, goal, verdict, cpuCell(r.cpu), db, cpuCell(r.loadCPU), r.errors)
		}
		w("\n")
	}
	w("### Targets\n\n")
	w("Code exchanges ≥ %.0f%% of the signing ceiling, userinfo ≥ %.0f%% of the HTTP ceiling, p99 ≤ %.0f ms at %d connections.\n\n",
		100*tokenTarget, 100*userinfoTarget, p99Target, p99Conns)
	if len(missed) == 0 {
		w("All met in this run.\n")
	} else {
		w("Missed in this run:\n\n")
		for _, m := range missed {
			w("- %s\n", m)
		}
	}
	return b.String()
}

// cpuCell shows CPU ms per request, or a dash when it was not measured.
func cpuCell(ms float64) string {
	if ms < 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", ms)
}

func commas(f float64) string { return benchdoc.Commas(int(f + 0.5)) }
