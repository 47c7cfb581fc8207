package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

func newImportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Create and update resources in bulk from a file",
	}
	o := addConnFlags(cmd)
	cmd.AddCommand(newImportUsersCommand(o))
	return cmd
}

// importOptions are the flags of import users.
type importOptions struct {
	key          string
	format       string
	createGroups bool
	dryRun       bool
	batchSize    int
	delimiter    string
}

func newImportUsersCommand(o *connOptions) *cobra.Command {
	opts := importOptions{}
	cmd := &cobra.Command{
		Use:   "users FILE",
		Short: "Create or update users from a CSV or JSON lines file (idempotent)",
		Long: `Create or update users from a CSV file with a header row, or a JSON lines
file (.jsonl/.ndjson, or --format jsonl). "-" reads standard input.

Each row is matched to an existing user by username (or --key email or
--key external-id): a new user is created, an existing one is updated in the
columns that differ, and an identical one is left alone, so running the same
import twice changes nothing. Only the columns in the header are managed.

Columns (the format rollcall export users writes): ` + strings.Join(userColumns, ",") + `.
Booleans are true/false; groups are group names separated by ";"; attributes
is a JSON object such as {"cost_center":"42"}; an empty cell clears an
optional attribute. See docs/cli.md.

Changes are sent through POST /api/v1/operations in batches of 1000. Rows
that fail are reported with their line numbers at the end; the other rows
are imported, and the exit code is 1.`,
		Example: "  rollcall import users people.csv --dry-run\n  rollcall import users people.csv --create-groups\n  rollcall import users hr.jsonl --key external-id",
		Args:    exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch opts.key {
			case "username", "email", "external-id":
			default:
				return usagef("--key %q is not a key; use username, email or external-id", opts.key)
			}
			if opts.batchSize < 1 || opts.batchSize > api.MaxAtomicOperations {
				return usagef("--batch-size must be between 1 and %d", api.MaxAtomicOperations)
			}
			comma, err := parseDelimiter(opts.delimiter)
			if err != nil {
				return err
			}
			rows, err := readUserFile(args[0], opts.format, comma, cmd.InOrStdin())
			if err != nil {
				return err
			}
			keyCol := strings.ReplaceAll(opts.key, "-", "_")
			if !slices.ContainsFunc(rows, func(r fileRow) bool { _, ok := r.cells[keyCol]; return ok }) && len(rows) > 0 {
				return usagef("the file has no %s column, which --key %s matches rows on; add it or choose another --key", keyCol, opts.key)
			}
			return o.runMessages(cmd, func(ctx context.Context, c *client.Client) error {
				im := &importer{c: c, opts: opts, out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr()}
				return im.run(ctx, rows)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.key, "key", "username", "column that matches rows to existing users: username, email or external-id")
	f.StringVar(&opts.format, "format", "", "file format: csv or jsonl (default from the file extension, else csv)")
	f.BoolVar(&opts.createGroups, "create-groups", false, "create groups named in the groups column that do not exist (else such rows fail)")
	f.BoolVar(&opts.dryRun, "dry-run", false, "print what would change, and change nothing")
	f.IntVar(&opts.batchSize, "batch-size", api.MaxAtomicOperations, "operations per request")
	f.StringVar(&opts.delimiter, "delimiter", ",", `CSV field separator: one character such as ";" or \t for tab`)
	return cmd
}

// parseDelimiter reads --delimiter: one character, or \t for a tab.
func parseDelimiter(s string) (rune, error) {
	switch s {
	case `\t`, "tab":
		return '\t', nil
	}
	r := []rune(s)
	if len(r) != 1 || r[0] == '"' || r[0] == '\r' || r[0] == '\n' || r[0] == utf8.RuneError {
		return 0, usagef(`--delimiter %q is not one character; use such as --delimiter ';' or --delimiter '\t' for tab`, s)
	}
	return r[0], nil
}

// fileRow is one user of the input file: its line number and its cells by
// column name (only the columns the file has).
type fileRow struct {
	line  int
	cells map[string]string
	err   error // the row could not be read at all
}

// readUserFile reads the whole file into rows.
func readUserFile(path, format string, comma rune, stdin io.Reader) ([]fileRow, error) {
	if format == "" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".jsonl", ".ndjson":
			format = "jsonl"
		default:
			format = "csv"
		}
	}
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usageError{fmt.Errorf("cannot read the import file: %w", err)}
		}
		defer f.Close()
		r = f
	}
	switch format {
	case "csv":
		return readCSVRows(r, comma)
	case "jsonl", "ndjson":
		return readJSONLines(r)
	}
	return nil, usagef("--format %q is not a format; use csv or jsonl", format)
}

func readCSVRows(r io.Reader, comma rune) ([]fileRow, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
	cr.Comma = comma
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, usagef("the import file is empty; it needs a header row such as username,email,first_name,last_name")
	}
	if err != nil {
		return nil, usagef("the import file is not CSV: %v", err)
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, ok := columnsByName[h]; !ok {
			if len(header) == 1 {
				for _, d := range []string{";", "\t", "|"} {
					if strings.Contains(h, d) {
						flag := d
						if d == "\t" {
							flag = `\t`
						}
						return nil, usagef("the header has one column, %q, which looks separated by %q: pass --delimiter '%s'", header[i], d, flag)
					}
				}
			}
			return nil, usagef("column %d of the header is %q, which is not a column; the columns are %s", i+1, header[i], strings.Join(userColumns, ","))
		}
		if seen[h] {
			return nil, usagef("column %q appears twice in the header", h)
		}
		seen[h] = true
		cols[i] = h
	}
	var rows []fileRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				rows = append(rows, fileRow{line: pe.StartLine, err: fmt.Errorf("has %d cells; the header has %d columns", len(rec), len(cols))})
				continue
			}
			return nil, usagef("the import file is not valid CSV: %v", err)
		}
		// FieldPos panics when the reader returned no record, so only
		// after the error check (found by FuzzImportCSV).
		line, _ := cr.FieldPos(0)
		cells := make(map[string]string, len(cols))
		for i, col := range cols {
			cells[col] = rec[i]
		}
		rows = append(rows, fileRow{line: line, cells: cells})
	}
}

func readJSONLines(r io.Reader) ([]fileRow, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 16<<20)
	var rows []fileRow
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		cells, err := jsonLineCells(b)
		rows = append(rows, fileRow{line: line, cells: cells, err: err})
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("reading the import file: %v", err)
	}
	return rows, nil
}

// planned is one row turned into a change.
type planned struct {
	line    int
	create  bool
	id      string // the existing user's id, or the proposed id of a create
	attrs   api.UserWriteAttributes
	groups  []string // group names to set, nil when not managed
	changed []string // column names that differ (updates)
	label   string   // username, for messages
}

// rowError is a problem with one row.
type rowError struct {
	line int
	msg  string
}

type importer struct {
	c      *client.Client
	opts   importOptions
	out    io.Writer
	errOut io.Writer

	rowErrs   []rowError
	missing   map[string][]int // group name → lines of rows that fail only for want of it
	nMissing  int              // rows that fail only for want of groups
	created   int
	updated   int
	unchanged int
}

func (im *importer) fail(line int, format string, args ...any) {
	im.rowErrs = append(im.rowErrs, rowError{line, fmt.Sprintf(format, args...)})
}

// failAPI records the server's or the validator's errors for a row, naming
// columns instead of JSON pointers.
func (im *importer) failAPI(line int, errs []api.Error) {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = describeRowError(e)
	}
	im.fail(line, "%s", strings.Join(parts, "; "))
}

func describeRowError(e api.Error) string {
	where := ""
	if e.Source != nil && e.Source.Pointer != "" {
		p := e.Source.Pointer
		if i := strings.Index(p, "/data/"); i >= 0 {
			p = p[i:]
		}
		switch {
		case strings.HasPrefix(p, "/data/attributes/"):
			where = " at " + columnName(strings.SplitN(strings.TrimPrefix(p, "/data/attributes/"), "/", 2)[0])
		case strings.HasPrefix(p, "/data/relationships/groups"):
			where = " at groups"
		case p == "/data/id":
			where = " at id"
		}
	}
	detail := e.Detail
	if detail == "" {
		detail = e.Title
	}
	// The server names the operation of its request; the row's line
	// already says which it is.
	detail = operationPrefix.ReplaceAllString(detail, "")
	return fmt.Sprintf("%s%s: %s", e.Code, where, detail)
}

// operationPrefix is how the server's details start for an error in an
// atomic operation: "operation 19: ".
var operationPrefix = regexp.MustCompile(`^operation \d+: `)

func (im *importer) run(ctx context.Context, rows []fileRow) error {
	existing, err := im.loadExisting(ctx)
	if err != nil {
		return err
	}
	groups, err := loadGroups(ctx, im.c)
	if err != nil {
		return err
	}
	plans := im.plan(rows, existing, groups)
	plans, newGroups := im.checkGroups(plans, groups)

	if im.opts.dryRun {
		for _, g := range newGroups {
			fmt.Fprintf(im.out, "would create group %s\n", g)
		}
		for _, p := range plans {
			if p.create {
				fmt.Fprintf(im.out, "line %d: would create %s\n", p.line, p.label)
			} else {
				fmt.Fprintf(im.out, "line %d: would update %s: %s\n", p.line, p.label, strings.Join(p.changed, ", "))
			}
		}
		for _, p := range plans {
			if p.create {
				im.created++
			} else {
				im.updated++
			}
		}
		return im.report("would create %d, update %d; %d unchanged, %d would fail; nothing was changed (dry run)\n")
	}

	if len(newGroups) > 0 {
		if err := im.createGroups(ctx, newGroups, groups); err != nil {
			return err
		}
	}
	// Encoding the operations is independent per row: spread over the CPUs.
	ops := make([]*pendingOp, len(plans))
	var wg sync.WaitGroup
	per := max(1000, (len(plans)+runtime.GOMAXPROCS(0)-1)/runtime.GOMAXPROCS(0))
	for start := 0; start < len(plans); start += per {
		wg.Go(func() {
			for i := start; i < min(start+per, len(plans)); i++ {
				ops[i] = im.operation(plans[i], groups)
			}
		})
	}
	wg.Wait()
	bar := im.progress(len(ops))
	for start := 0; start < len(ops); start += im.opts.batchSize {
		batch := ops[start:min(start+im.opts.batchSize, len(ops))]
		if err := im.send(ctx, batch, bar); err != nil {
			notSent := 0
			for _, p := range ops[start:] {
				if !p.done {
					notSent++
				}
			}
			im.reportErrors()
			return fmt.Errorf("import stopped after %d created, %d updated; %d changes from line %d on were not confirmed (running the same import again is safe and completes it): %w",
				im.created, im.updated, notSent, batch[0].line, err)
		}
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(im.errOut)
	}
	return im.report("created %d, updated %d; %d unchanged, %d failed\n")
}

func (im *importer) report(summary string) error {
	im.reportErrors()
	failed := len(im.rowErrs) + im.nMissing
	fmt.Fprintf(im.out, summary, im.created, im.updated, im.unchanged, failed)
	switch {
	case failed == 0:
		return nil
	case im.opts.dryRun:
		return fmt.Errorf("%d row(s) would fail, listed above with their line numbers; nothing was changed (dry run)", failed)
	}
	return fmt.Errorf("%d row(s) failed, listed above with their line numbers; the other rows were imported", failed)
}

// reportErrors lists the failed rows by line, and then the missing groups
// with how many rows each would have let through.
func (im *importer) reportErrors() {
	sort.SliceStable(im.rowErrs, func(i, j int) bool { return im.rowErrs[i].line < im.rowErrs[j].line })
	for _, e := range im.rowErrs {
		fmt.Fprintf(im.errOut, "line %d: %s\n", e.line, e.msg)
	}
	if im.nMissing == 0 {
		return
	}
	names := make([]string, 0, len(im.missing))
	for g := range im.missing {
		names = append(names, g)
	}
	// The group that holds back the most rows first.
	sort.Slice(names, func(i, j int) bool {
		a, b := len(im.missing[names[i]]), len(im.missing[names[j]])
		return a > b || a == b && names[i] < names[j]
	})
	fmt.Fprintf(im.errOut, "%d row(s) name groups that do not exist:\n", im.nMissing)
	for _, g := range names {
		lines := im.missing[g]
		sort.Ints(lines)
		shown := make([]string, 0, 5)
		for _, l := range lines[:min(len(lines), 5)] {
			shown = append(shown, strconv.Itoa(l))
		}
		if len(lines) > 5 {
			shown = append(shown, "…")
		}
		fmt.Fprintf(im.errOut, "  %s: %d row(s) (lines %s)\n", g, len(lines), strings.Join(shown, ", "))
	}
	fmt.Fprintln(im.errOut, "create them with rollcall groups create, or pass --create-groups to create them with the import")
}

// progress returns a progress bar on a terminal, nil otherwise, so that
// logs and pipes stay clean.
func (im *importer) progress(n int) *progressbar.ProgressBar {
	f, ok := im.errOut.(*os.File)
	if !ok || n == 0 || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	bar := progressbar.NewOptions(n,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription("importing users"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("users"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
	_ = bar.RenderBlank() // starts the clock the rate and ETA are measured from
	return bar
}

func (im *importer) keyOfUser(u *api.User) string {
	switch im.opts.key {
	case "email":
		return strings.ToLower(u.Attributes.Email)
	case "external-id":
		return str(u.Attributes.ExternalID)
	}
	return u.Attributes.Username
}

// loadExisting reads every user once, page by page, indexed by the key.
func (im *importer) loadExisting(ctx context.Context) (map[string]*api.User, error) {
	out := map[string]*api.User{}
	for page, err := range im.c.Users.Pages(ctx, client.ListUsersOptions{PageSize: client.MaxPageSize}) {
		if err != nil {
			return nil, fmt.Errorf("reading the existing users: %w", err)
		}
		for i := range page {
			if k := im.keyOfUser(&page[i]); k != "" {
				out[k] = &page[i]
			}
		}
	}
	return out, nil
}

// plan validates every row and compares it with the existing user,
// keeping the rows that change something.
func (im *importer) plan(rows []fileRow, existing map[string]*api.User, groups *groupIndex) []planned {
	keyCol := strings.ReplaceAll(im.opts.key, "-", "_")
	firstLine := make(map[string]int, len(rows))
	plans := make([]planned, 0, len(rows))
	for _, r := range rows {
		if r.err != nil {
			im.fail(r.line, "%v", r.err)
			continue
		}
		keyCell, ok := r.cells[keyCol]
		if !ok {
			im.fail(r.line, "has no %s column, which --key %s matches on", keyCol, im.opts.key)
			continue
		}
		var key string
		switch im.opts.key {
		case "username":
			key = api.NormalizeName(strings.TrimSpace(keyCell))
		case "email":
			key = strings.ToLower(strings.TrimSpace(keyCell))
		default:
			key = strings.TrimSpace(keyCell)
		}
		if key == "" {
			im.fail(r.line, "required at %s: %s is empty; every row needs it to be matched", keyCol, keyCol)
			continue
		}
		if prev, dup := firstLine[key]; dup {
			im.fail(r.line, "duplicate at %s: %s %q is also on line %d; each user may appear once", keyCol, keyCol, key, prev)
			continue
		}
		firstLine[key] = r.line
		cur := existing[key]
		p, ok := im.planRow(r, cur, groups)
		if !ok {
			continue
		}
		if !p.create && len(p.changed) == 0 {
			im.unchanged++
			continue
		}
		plans = append(plans, p)
	}
	return plans
}

// planRow turns one row into a create or an update of the columns that
// differ from cur.
func (im *importer) planRow(r fileRow, cur *api.User, groups *groupIndex) (planned, bool) {
	p := planned{line: r.line, create: cur == nil}
	var w api.UserWriteAttributes
	var bad []string
	for name, cell := range r.cells {
		c := columnsByName[name]
		switch c.kind {
		case colString:
			cell = strings.TrimSpace(cell)
			if cell == "" {
				*c.str(&w) = api.Null[string]()
			} else {
				*c.str(&w) = api.Some(cell)
			}
		case colBool:
			b, err := parseBoolCell(cell)
			if err != nil {
				bad = append(bad, fmt.Sprintf("invalid_value at %s: %v; use true or false", name, err))
			}
			*c.bool(&w) = api.Some(b)
		case colAttributes:
			m, err := parseAttributesCell(cell)
			if err != nil {
				bad = append(bad, fmt.Sprintf("invalid_value at attributes: %v", err))
			}
			w.Attributes = api.Some(m)
		case colGroups:
			p.groups = parseGroupsCell(cell)
			if p.groups == nil {
				p.groups = []string{}
			}
		case colID:
			p.id = strings.TrimSpace(cell)
		}
	}
	if p.create && p.id != "" {
		id, e := api.ValidateID(p.id)
		if e != nil {
			bad = append(bad, describeRowError(*e))
		}
		p.id = id
	}
	if p.create {
		// Nulls mean "no value" for a new user; leave them out.
		for _, c := range columnsByName {
			if c.kind == colString && c.str(&w).Null {
				*c.str(&w) = api.Opt[string]{}
			}
		}
	}
	errs := w.Normalize(p.create)
	if len(errs) > 0 || len(bad) > 0 {
		for _, e := range sortErrors(errs) {
			bad = append(bad, describeRowError(*e))
		}
		im.fail(r.line, "%s", strings.Join(bad, "; "))
		return p, false
	}
	p.label = w.Username.Value
	if p.create {
		p.attrs = w
		return p, true
	}
	p.id = cur.ID
	if p.label == "" {
		p.label = cur.Attributes.Username
	}
	// Keep only what differs from the current user.
	for _, name := range userColumns {
		c := columnsByName[name]
		if _, managed := r.cells[name]; !managed {
			continue
		}
		switch c.kind {
		case colString:
			o := c.str(&w)
			want := o.Value
			if want == curValue(c, cur, want) {
				continue
			}
			*c.str(&p.attrs) = *o
		case colBool:
			if strconvBool(c.bool(&w).Value) == c.cur(&cur.Attributes) {
				continue
			}
			*c.bool(&p.attrs) = *c.bool(&w)
		case colAttributes:
			if attributesCell(w.Attributes.Value) == c.cur(&cur.Attributes) {
				continue
			}
			p.attrs.Attributes = w.Attributes
		case colGroups:
			if strings.Join(p.groups, ";") == strings.Join(groups.names(cur.GroupIDs()), ";") {
				p.groups = nil // unchanged: leave the memberships alone
				continue
			}
		case colID:
			continue // ids never change
		}
		p.changed = append(p.changed, name)
	}
	return p, true
}

// curValue is the current cell of a text column; for display_name an
// empty cell matches the name the server computes from first and last.
func curValue(c column, cur *api.User, want string) string {
	v := c.cur(&cur.Attributes)
	if c.name == "display_name" && want == "" {
		a := cur.Attributes
		if v == strings.TrimSpace(str(a.FirstName)+" "+str(a.LastName)) || v == a.Username {
			return ""
		}
	}
	return v
}

func strconvBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func sortErrors(errs api.Errors) api.Errors {
	out := slices.Clone(errs)
	sort.SliceStable(out, func(i, j int) bool {
		pi, pj := "", ""
		if out[i].Source != nil {
			pi = out[i].Source.Pointer
		}
		if out[j].Source != nil {
			pj = out[j].Source.Pointer
		}
		return pi < pj
	})
	return out
}

// checkGroups compares group memberships by name, fails rows that name
// unknown groups (unless --create-groups) and returns the groups to create.
func (im *importer) checkGroups(plans []planned, groups *groupIndex) ([]planned, []string) {
	want := map[string]bool{}
	keep := make([]planned, 0, len(plans))
	for _, p := range plans {
		if p.groups == nil {
			keep = append(keep, p)
			continue
		}
		var unknown []string
		for _, g := range p.groups {
			if _, ok := groups.byName[g]; ok {
				continue
			}
			if _, e := api.ValidateGroupName(g); e != nil {
				im.fail(p.line, "invalid_group_name at groups: %s", e.Detail)
				unknown = nil
				p.groups = nil
				break
			}
			unknown = append(unknown, g)
		}
		if p.groups == nil {
			continue
		}
		if len(unknown) > 0 && !im.opts.createGroups {
			// Summed up per group at the end: one missing group named
			// by every row would otherwise bury the other errors.
			if im.missing == nil {
				im.missing = map[string][]int{}
			}
			for _, g := range unknown {
				im.missing[g] = append(im.missing[g], p.line)
			}
			im.nMissing++
			continue
		}
		for _, g := range unknown {
			want[g] = true
		}
		keep = append(keep, p)
	}
	var create []string
	for g := range want {
		create = append(create, g)
	}
	sort.Strings(create)
	return keep, create
}

// createGroups creates the named groups in batches and records their ids.
func (im *importer) createGroups(ctx context.Context, names []string, groups *groupIndex) error {
	for start := 0; start < len(names); start += api.MaxAtomicOperations {
		batch := names[start:min(start+api.MaxAtomicOperations, len(names))]
		ops := make([]client.Operation, len(batch))
		for i, n := range batch {
			ops[i] = client.AddGroup(api.GroupWriteAttributes{Name: api.Some(n)}, nil, "")
		}
		res, err := im.c.Operations(ctx, ops)
		if err != nil {
			return fmt.Errorf("creating groups %s: %w", strings.Join(batch, ", "), err)
		}
		for i, r := range res {
			var g api.Group
			if err := json.Unmarshal(r.Data, &g); err != nil || g.ID == "" {
				return fmt.Errorf("creating group %s: the server's answer holds no group", batch[i])
			}
			groups.add(g.ID, g.Attributes.Name)
		}
		fmt.Fprintf(im.errOut, "created %d group(s): %s\n", len(batch), strings.Join(batch, ", "))
	}
	return nil
}

// pendingOp is one operation of the import with the row it came from.
type pendingOp struct {
	line   int
	create bool
	op     client.Operation
	done   bool
}

func (im *importer) operation(p planned, groups *groupIndex) *pendingOp {
	var ids *[]string
	if p.groups != nil {
		gs := make([]string, len(p.groups))
		for i, n := range p.groups {
			gs[i] = groups.byName[n]
		}
		ids = &gs
	}
	if p.create {
		return &pendingOp{line: p.line, create: true, op: client.AddUser(p.attrs, ids, p.id)}
	}
	return &pendingOp{line: p.line, op: client.UpdateUser(p.id, p.attrs, ids)}
}

// send sends one batch. When the server refuses an operation, that row is
// reported and the batch is sent again without it (the server applied
// nothing); an error that names no operation splits the batch in halves
// until the bad rows are found. Network errors and server faults stop the
// import.
func (im *importer) send(ctx context.Context, batch []*pendingOp, bar *progressbar.ProgressBar) error {
	for len(batch) > 0 {
		ops := make([]client.Operation, len(batch))
		for i, p := range batch {
			ops[i] = p.op
		}
		err := im.c.ApplyOperations(ctx, ops)
		if err == nil {
			for _, p := range batch {
				p.done = true
				if p.create {
					im.created++
				} else {
					im.updated++
				}
			}
			if bar != nil {
				_ = bar.Add(len(batch))
			}
			return nil
		}
		ae, ok := client.AsAPIError(err)
		if !ok || ae.StatusCode >= 500 || ae.StatusCode == 401 || ae.StatusCode == 403 || ae.StatusCode == 429 {
			return err
		}
		bad := map[int][]api.Error{}
		for _, e := range ae.Errors {
			if i := client.OperationIndex(e); i >= 0 && i < len(batch) {
				bad[i] = append(bad[i], e)
			}
		}
		if len(bad) == 0 {
			if len(batch) == 1 {
				im.failAPI(batch[0].line, ae.Errors)
				batch[0].done = true
				return nil
			}
			half := len(batch) / 2
			if err := im.send(ctx, batch[:half], bar); err != nil {
				return err
			}
			batch = batch[half:]
			continue
		}
		var rest []*pendingOp
		for i, p := range batch {
			if errs, isBad := bad[i]; isBad {
				im.failAPI(p.line, errs)
				p.done = true
				if bar != nil {
					_ = bar.Add(1)
				}
				continue
			}
			rest = append(rest, p)
		}
		batch = rest
	}
	return nil
}
