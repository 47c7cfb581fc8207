package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// view is what a command shows, ready for each output format: the JSON:API
// document for -o json, and columns and rows for tables and CSV. A detail
// view (one resource) is printed as "FIELD  value" lines in table format.
type view struct {
	doc     any
	headers []string
	rows    [][]string
	detail  bool
}

func (v view) write(w io.Writer, format string) error {
	switch format {
	case "json":
		return writeJSON(w, v.doc)
	case "csv":
		return writeCSV(w, v.headers, v.rows)
	}
	if v.detail && len(v.rows) == 1 {
		tw := newTabWriter(w)
		for i, h := range v.headers {
			fmt.Fprintf(tw, "%s:\t%s\n", h, v.rows[0][i])
		}
		return tw.Flush()
	}
	return writeTable(w, v.headers, v.rows)
}

func newTabWriter(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func writeTable(w io.Writer, headers []string, rows [][]string) error {
	tw := newTabWriter(w)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			// A tab or newline inside a cell would break the alignment.
			cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func writeCSV(w io.Writer, headers []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	lower := make([]string, len(headers))
	for i, h := range headers {
		lower[i] = strings.ReplaceAll(strings.ToLower(h), " ", "_")
	}
	if err := cw.Write(lower); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// str renders an optional string as a cell.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func timeCell(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
