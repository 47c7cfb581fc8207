// Command report turns the results of bench/run.sh into the "## Load
// benchmark" section of BENCHMARKS.md. It replaces that section only
// (from its heading to the next "## " heading), so the sections other
// benchmarks write stay as they are; a missing file or section is created.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall/rollcall/bench/internal/benchdoc"
)

type row struct {
	backend  string
	users    int
	scenario string
	conns    int
	requests int
	errors   int
	rps      float64
	p50, p99 float64
	cpu      float64 // server CPU ms per request; -1 when not measured
}

type opts struct {
	results, rss, out, command, duration, warmup, blockWarmup, conns, loadavg, elapsed, commit string
	include, fragment, title, date, heading                                                    string
}

func main() {
	var o opts
	flag.StringVar(&o.results, "results", "", "results TSV written by bench/run.sh")
	flag.StringVar(&o.rss, "rss", "", "peak RSS TSV (backend, users, kB)")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "file whose load section is replaced")
	flag.StringVar(&o.command, "command", "bench/run.sh", "the command that produced the results")
	flag.StringVar(&o.duration, "duration", "5s", "measured time per cell")
	flag.StringVar(&o.warmup, "warmup", "1s", "warm-up before each cell")
	flag.StringVar(&o.blockWarmup, "block-warmup", "5s", "unrecorded GET load on each block's fresh server")
	flag.StringVar(&o.commit, "commit", "", "the source revision measured")
	flag.StringVar(&o.include, "include", "bench/supplement.md,bench/notes.md", "files appended to the section, those that exist (a supplement run's tables, hand-written analysis)")
	flag.StringVar(&o.fragment, "fragment", "", "write the tables to this file, under -title, for -include by a later report, instead of into -out")
	flag.StringVar(&o.title, "title", "Supplement", "heading of a -fragment")
	flag.StringVar(&o.heading, "heading", "## Load benchmark", "the section of -out to replace (bench/run.sh's HEADING; the SCIM run writes its own)")
	flag.StringVar(&o.date, "date", time.Now().UTC().Format("2006-01-02 15:04 MST"), "when the results were measured")
	flag.StringVar(&o.conns, "conns", "8 64", "connection counts")
	flag.StringVar(&o.loadavg, "loadavg", "", "load average at start / end")
	flag.StringVar(&o.elapsed, "elapsed", "", "seconds the run took")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(o opts) error {
	rows, err := readResults(o.results)
	if err != nil {
		return err
	}
	rss, err := readRSS(o.rss)
	if err != nil {
		return err
	}
	section := render(o, rows, rss)
	if o.fragment != "" {
		return os.WriteFile(o.fragment, []byte(section), 0o644)
	}
	return benchdoc.WriteSection(o.out, o.heading, section, strings.Split(o.include, ",")...)
}

func readResults(path string) ([]row, error) {
	lines, err := benchdoc.ReadTSV(path, 9, 10)
	if err != nil {
		return nil, err
	}
	rows := make([]row, 0, len(lines))
	for _, p := range lines {
		c := benchdoc.ParseCell(p[2:])
		r := row{backend: p[0], scenario: c.Scenario, conns: c.Conns, requests: c.Requests, errors: c.Errors,
			rps: c.RPS, p50: c.P50, p99: c.P99, cpu: c.CPU}
		r.users, _ = strconv.Atoi(p[1])
		rows = append(rows, r)
	}
	return rows, nil
}

// memory is a server's peak RSS and, when known, what its RSS was made
// of at the end of the block, in kB.
type memory struct{ hwm, anon, file int }

func readRSS(path string) (map[string]memory, error) {
	lines, err := benchdoc.ReadTSV(path, 3, 5)
	if err != nil {
		return nil, err
	}
	m := map[string]memory{}
	for _, p := range lines {
		var v memory
		v.hwm, _ = strconv.Atoi(p[2])
		v.anon, v.file = -1, -1
		if len(p) == 5 {
			v.anon, _ = strconv.Atoi(p[3])
			v.file, _ = strconv.Atoi(p[4])
		}
		m[p[0]+"/"+p[1]] = v
	}
	return m, nil
}

// blockNotes says what a block that is not a backend's default measures.
var blockNotes = map[string]string{
	"sqlite+mmap": "The SQLite file of the block above, served with `?_pragma=mmap_size(2147418112)` after its path " +
		"(README, \"SQLite parameters\"): SQLite reads the file through a memory map instead of a `pread` per page its " +
		"cache misses. An opt-in, not the default, because Linux counts the mapped file in the server's RSS once per " +
		"connection; the anonymous part is what the server itself allocated.",
}

var scenarioNames = map[string]string{
	"get":    "GET user by id",
	"list":   "list, page of 100 (cursor walk)",
	"search": "prefix search filter[q], page of 100",
	"update": "update user (PATCH title)",
	"create": "create user (POST)",

	"scim-username":   "SCIM userName eq lookup",
	"scim-externalid": "SCIM externalId eq lookup",
	"scim-page":       "SCIM walk by startIndex, page of 100",
	"scim-jump":       "SCIM page at a random startIndex (OFFSET)",
	"scim-create":     "SCIM provisioning (POST /Users)",
}

// scenarioName is the table's words for a scenario, or its own name.
func scenarioName(s string) string {
	if n, ok := scenarioNames[s]; ok {
		return n
	}
	return s
}

func render(o opts, rows []row, rss map[string]memory) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	h3 := "###"
	if o.fragment != "" {
		// A fragment sits inside the section, one level down.
		h3 = "####"
		w("### %s\n\n", o.title)
	} else {
		w("%s\n\n", o.heading)
		w("Written by `bench/run.sh`; do not edit by hand, run it again.\n\n")
	}
	w("- Command: `%s` (each cell: %s of load after a %s warm-up, connections: %s); source %s\n", o.command, o.duration, o.warmup, o.conns, o.commit)
	w("- Machine: %s\n", benchdoc.Machine())
	w("- Date: %s; the run took %s s; load average at start / end: %s\n", o.date, o.elapsed, o.loadavg)
	w("- Server: `rollcall serve` with its defaults (log level info, every request logged), `--rate-limit 0`; SQLite in WAL mode, " +
		"PostgreSQL 15 in a throwaway cluster with its default settings (fsync on). Load tool `bench/load` and server share the 2 cores.\n")
	w("- Ceiling: `bench/ceiling`, a bare net/http handler answering a fixed 1 KiB JSON body, loaded by the same tool " +
		"just before each block; \"ratio\" is the cell's req/s over the ceiling's at the same connection count.\n")
	w("- Datasets are seeded through the store (`bench/seed`); the create cells add users as they run, so the 1,000-user "+
		"block ends with a few thousand more. On PostgreSQL each seeding is followed by `VACUUM (ANALYZE)`, as after any "+
		"bulk load, so the blocks run with the statistics a real database has. Each block's server is started fresh and first gets "+
		"an unrecorded GET load (%s, 8 connections) to fill its caches.\n\n", o.blockWarmup)

	type key struct {
		backend string
		users   int
	}
	var blocks []key
	for _, r := range rows {
		k := key{r.backend, r.users}
		if !slices.Contains(blocks, k) {
			blocks = append(blocks, k)
		}
	}
	var verdicts []string
	for _, k := range blocks {
		ceiling := map[int]float64{}
		for _, r := range rows {
			if r.backend == k.backend && r.users == k.users && r.scenario == "ceiling" {
				ceiling[r.conns] = r.rps
			}
		}
		ceilingCPU := map[int]float64{}
		for _, r := range rows {
			if r.backend == k.backend && r.users == k.users && r.scenario == "ceiling" {
				ceilingCPU[r.conns] = r.cpu
			}
		}
		w("%s %s, %s users\n\n", h3, k.backend, commas(k.users))
		if n := blockNotes[k.backend]; n != "" {
			w("%s\n\n", n)
		}
		w("| scenario | conns | req/s | p50 ms | p99 ms | ceiling req/s | ratio | server CPU ms/req (ceiling) | errors |\n")
		w("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range rows {
			if r.backend != k.backend || r.users != k.users || r.scenario == "ceiling" {
				continue
			}
			ratio := "–"
			if c := ceiling[r.conns]; c > 0 {
				ratio = fmt.Sprintf("%.0f%%", 100*r.rps/c)
			}
			cpu := "–"
			if r.cpu >= 0 {
				cpu = fmt.Sprintf("%.3f (%.3f)", r.cpu, ceilingCPU[r.conns])
			}
			w("| %s | %d | %s | %.2f | %.2f | %s | %s | %s | %d |\n", scenarioName(r.scenario), r.conns, commas(int(r.rps+0.5)),
				r.p50, r.p99, commas(int(ceiling[r.conns]+0.5)), ratio, cpu, r.errors)
			verdicts = append(verdicts, check(k.backend, k.users, r, ceiling[r.conns])...)
		}
		if mem, ok := rss[k.backend+"/"+strconv.Itoa(k.users)]; ok {
			kb := mem.hwm
			w("\nServer peak RSS (VmHWM): %.0f MB", float64(kb)/1024)
			if mem.anon >= 0 {
				w(" (at the end: %.0f MB anonymous, %.0f MB mapped files)", float64(mem.anon)/1024, float64(mem.file)/1024)
			}
			if kb > 200*1024 {
				w(" — over the 200 MB target")
				verdicts = append(verdicts, fmt.Sprintf("%s, %s users: peak RSS %.0f MB > 200 MB", k.backend, commas(k.users), float64(kb)/1024))
			}
			w("\n")
		}
		w("\n")
	}
	if o.fragment != "" {
		return b.String()
	}
	w("### Targets\n\n")
	w("GET by id ≥ 50%% of the ceiling; creates ≥ 2,000/s on SQLite; list and search p99 ≤ 10 ms at 1,000,000 users; RSS ≤ 200 MB.\n\n")
	if len(verdicts) == 0 {
		w("All met in this run.\n")
	} else {
		w("Missed in this run:\n\n")
		for _, v := range verdicts {
			w("- %s\n", v)
		}
	}
	return b.String()
}

// check compares a cell with the targets.
func check(backend string, users int, r row, ceiling float64) []string {
	var out []string
	where := fmt.Sprintf("%s, %s users, %s at %d connections", backend, commas(users), r.scenario, r.conns)
	switch r.scenario {
	case "get":
		if ceiling > 0 && r.rps < ceiling/2 {
			out = append(out, fmt.Sprintf("%s: %.0f req/s is %.0f%% of the ceiling (target 50%%)", where, r.rps, 100*r.rps/ceiling))
		}
	case "create":
		if backend == "sqlite" && r.rps < 2000 {
			out = append(out, fmt.Sprintf("%s: %.0f creates/s (target 2,000/s)", where, r.rps))
		}
	case "list", "search":
		if users >= 1000000 && r.p99 > 10 {
			out = append(out, fmt.Sprintf("%s: p99 %.1f ms (target 10 ms)", where, r.p99))
		}
	}
	if r.errors > 0 {
		out = append(out, fmt.Sprintf("%s: %d errors", where, r.errors))
	}
	return out
}

func commas(n int) string { return benchdoc.Commas(n) }
