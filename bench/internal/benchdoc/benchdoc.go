// Package benchdoc is what the benchmark report tools share: reading the
// run scripts' result files, the machine line and replacing one "## "
// section of BENCHMARKS.md.
package benchdoc

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// ReadTSV reads a tab-separated file of a run script, skipping blank
// lines; every line must have one of the numbers of fields given.
func ReadTSV(path string, fields ...int) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		parts := strings.Split(sc.Text(), "\t")
		if !slices.Contains(fields, len(parts)) {
			return nil, fmt.Errorf("%s:%d: %d fields, want %v", path, n, len(parts), fields)
		}
		out = append(out, parts)
	}
	return out, sc.Err()
}

// WriteSection replaces the section under heading in the file out (made
// if missing) with section, followed by the hand-written files includes
// that exist.
func WriteSection(out, heading, section string, includes ...string) error {
	for _, inc := range includes {
		if b, err := os.ReadFile(strings.TrimSpace(inc)); err == nil {
			section += "\n" + strings.TrimSpace(string(b)) + "\n"
		}
	}
	old, err := os.ReadFile(out)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(out, []byte(Splice(string(old), heading, section)), 0o644)
}

// Machine describes the computer the way the issue asks: cores, CPU model
// and memory, with the kernel and the Go version.
func Machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				kb, _ := strconv.Atoi(strings.Fields(line)[1])
				mem = fmt.Sprintf(", %.1f GiB memory", float64(kb)/(1<<20))
			}
		}
	}
	kernel := ""
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		kernel = ", " + strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%d cores (nproc), %s%s%s, %s", runtime.NumCPU(), model, mem, kernel, runtime.Version())
}

// Splice replaces the section of doc that starts with the line heading
// (from it to the next "## " heading) with section, or appends section
// when doc has none; an empty doc becomes a "# Benchmarks" file.
func Splice(doc, heading, section string) string {
	lines := strings.SplitAfter(doc, "\n")
	start, end := -1, len(lines)
	for i, l := range lines {
		t := strings.TrimRight(l, "\n")
		if start < 0 && t == heading {
			start = i
			continue
		}
		if start >= 0 && strings.HasPrefix(t, "## ") {
			end = i
			break
		}
	}
	if start < 0 {
		if strings.TrimSpace(doc) == "" {
			return "# Benchmarks\n\n" + section
		}
		if !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		return doc + "\n" + section
	}
	rest := strings.Join(lines[end:], "")
	if rest != "" {
		section += "\n"
	}
	return strings.Join(lines[:start], "") + section + rest
}

// Cell is one result line of bench/load: scenario, connections, requests,
// errors, req/s, p50 ms, p99 ms and, when measured, the server's CPU ms per
// request, then with -cpu-split the load tool's and the database's (each
// -1 when the line has no such field or it was not measured).
type Cell struct {
	Scenario                string
	Conns, Requests, Errors int
	RPS, P50, P99, CPU      float64
	LoadCPU, DBCPU          float64
}

// ParseCell reads the fields of a bench/load result line (7 to 10 of them).
func ParseCell(p []string) Cell {
	c := Cell{Scenario: p[0], CPU: -1, LoadCPU: -1, DBCPU: -1}
	c.Conns, _ = strconv.Atoi(p[1])
	c.Requests, _ = strconv.Atoi(p[2])
	c.Errors, _ = strconv.Atoi(p[3])
	c.RPS, _ = strconv.ParseFloat(p[4], 64)
	c.P50, _ = strconv.ParseFloat(p[5], 64)
	c.P99, _ = strconv.ParseFloat(p[6], 64)
	if len(p) > 7 {
		c.CPU, _ = strconv.ParseFloat(p[7], 64)
	}
	if len(p) > 9 {
		c.LoadCPU, _ = strconv.ParseFloat(p[8], 64)
		c.DBCPU, _ = strconv.ParseFloat(p[9], 64)
	}
	return c
}

// Commas writes n with thousands separators: 1234567 → "1,234,567".
func Commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
