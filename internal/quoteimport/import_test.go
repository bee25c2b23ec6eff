package quoteimport_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/quoteimport"
	"github.com/hestami/concierge/internal/testkit"
	"github.com/hestami/concierge/internal/vendor"
)

func TestMain(m *testing.M) {
	if childMain() {
		return
	}
	// A fuzzing worker runs only the fuzz target (parser and validator):
	// no database, and no cluster per worker.
	if slices.ContainsFunc(os.Args, func(a string) bool { return strings.HasPrefix(a, "-test.fuzzworker") }) {
		os.Exit(m.Run())
	}
	testkit.Main(m)
}

type fixture struct {
	*testkit.Bundle
	w      *testkit.World
	staff  authz.Principal // staff acting in Rivera
	owner  authz.Principal
	c1, c2 cases.Case
	chen   cases.Case // a case of another organization
	v      vendor.Vendor
	n      int
	mu     sync.Mutex
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	w := b.NewWorld()
	f := &fixture{Bundle: b, w: w, staff: b.Principal(w.Staff, w.Rivera.ID), owner: w.RiveraOwner}
	prop := b.NewProperty(f.owner, "Rivera home").ID
	f.c1 = must[cases.Case](f, f.owner, "case/v1/create", cases.CreateInput{PropertyID: prop, Title: "Repaint the fence"})
	f.c2 = must[cases.Case](f, f.owner, "case/v1/create", cases.CreateInput{PropertyID: prop, Title: "Fix the gate"})
	chenProp := b.NewProperty(w.ChenOwner, "Chen home").ID
	f.chen = must[cases.Case](f, w.ChenOwner, "case/v1/create", cases.CreateInput{PropertyID: chenProp, Title: "Chen roof"})
	f.v = must[vendor.Vendor](f, f.staff, "vendor/v1/create", vendor.CreateInput{Name: "Austin Fences"})
	return f
}

func (f *fixture) key() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return fmt.Sprint("k", f.n)
}

func must[O any](f *fixture, p authz.Principal, proc string, in any) O {
	f.T.Helper()
	out, err := testkit.Call[O](f.Bundle, p, proc, in, f.key())
	if err != nil {
		f.T.Fatalf("%s: %v", proc, err)
	}
	return out
}

// run imports data as p, collecting the report.
func (f *fixture) run(p authz.Principal, data string, opts quoteimport.ImportOptions) (quoteimport.Summary, []quoteimport.Issue, error) {
	var issues []quoteimport.Issue
	opts.Report = func(i quoteimport.Issue) error { issues = append(issues, i); return nil }
	sum, err := f.App.QuoteImport.Import(f.Ctx, p, strings.NewReader(data), opts)
	return sum, issues, err
}

// count runs a count(*) query in org as the runtime role (RLS applies).
func (f *fixture) count(org, sql string, args ...any) int {
	f.T.Helper()
	var n int
	err := f.DB.InTenant(f.Ctx, org, func(q db.Querier) error { return q.QueryRow(f.Ctx, sql, args...).Scan(&n) })
	if err != nil {
		f.T.Fatal(err)
	}
	return n
}

func codes(issues []quoteimport.Issue) string {
	var out []string
	for _, i := range issues {
		out = append(out, fmt.Sprintf("%d:%s:%s", i.Row, i.Column, i.Code))
	}
	return strings.Join(out, " ")
}

// A file with good and bad rows: the good ones are written with their
// provenance and line items, each bad one is reported with its row and
// reason — another organization's case as unknown — and never written;
// one activity event records the batch; the same file again writes
// nothing.
func TestImportWritesValidRowsAndReportsTheRest(t *testing.T) {
	f := setup(t)
	data := "external_ref,case,vendor,amount,currency,valid_until,scope,line_items\n" +
		"R1," + f.c1.Number + ",austin fences,100.00,USD,2099-01-01,fence,\"[{\"\"description\"\":\"\"paint\"\",\"\"quantity\"\":\"\"2\"\",\"\"unitPrice\"\":\"\"50.00\"\"}]\"\n" +
		"R2," + f.c2.ID + "," + f.v.ID + ",7,JPY,,,\n" +
		"R3," + f.chen.ID + ",Austin Fences,5.00,USD,,,\n" +
		"R4,CASE-1999-1,Austin Fences,5.00,USD,,,\n" +
		"R5," + f.c1.Number + ",Nobody Inc,5.00,USD,,,\n" +
		"R1," + f.c1.Number + ",Austin Fences,5.00,USD,,,\n" +
		"R7," + f.c1.Number + ",Austin Fences,-5,USD,,,\n" +
		"," + f.c1.Number + ",Austin Fences,1.50,EUR,,,\n"
	sum, issues, err := f.run(f.staff, data, quoteimport.ImportOptions{FileName: "q.csv"})
	if err != nil {
		t.Fatal(err)
	}
	want := "3:case:unknown_case 4:case:unknown_case 5:vendor:unknown_vendor 6:external_ref:duplicate 7:amount:out_of_range"
	if got := codes(issues); got != want {
		t.Errorf("report %s\nwant   %s", got, want)
	}
	if sum.RowsRead != 8 || sum.RowsWritten != 3 || sum.RowsRejected != 5 || sum.Status != quoteimport.BatchImported || sum.Format != quoteimport.FormatCSV {
		t.Fatalf("summary %+v", sum)
	}
	org := f.w.Rivera.ID
	if n := f.count(org, `SELECT count(*) FROM quotes WHERE import_batch_id = $1`, sum.BatchID); n != 3 {
		t.Errorf("%d quotes in the batch, want 3", n)
	}
	if n := f.count(f.w.Chen.ID, `SELECT count(*) FROM quotes`); n != 0 {
		t.Errorf("%d quotes written in Chen", n)
	}
	// Provenance and line items, read back through the quote procedures.
	var id string
	err = f.DB.InTenant(f.Ctx, org, func(q db.Querier) error {
		return q.QueryRow(f.Ctx, `SELECT id FROM quotes WHERE external_ref = 'R1' AND import_row = 1 AND import_batch_id = $1`, sum.BatchID).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	q := must[vendor.Quote](f, f.staff, "quote/v1/get", map[string]string{"id": id})
	if q.Amount != "100.00" || q.Currency != "USD" || q.CaseID != f.c1.ID || q.VendorID != f.v.ID || q.ScopeKey != "" ||
		q.Scope != "fence" || len(q.LineItems) != 1 || q.LineItems[0].LineTotal != "100.00" || q.Status != vendor.QuoteReceived {
		t.Errorf("imported quote %+v", q)
	}
	if n := f.count(org, `SELECT count(*) FROM activity_events WHERE entity_type = 'quote_import' AND entity_id = $1 AND verb = 'imported'`, sum.BatchID); n != 1 {
		t.Errorf("%d batch events, want 1", n)
	}

	again, _, err := f.run(f.staff, data, quoteimport.ImportOptions{FileName: "q.csv"})
	if err != nil || !again.AlreadyImported || again.BatchID != sum.BatchID || again.RowsWritten != 3 {
		t.Errorf("second run: %+v %v", again, err)
	}
	if n := f.count(org, `SELECT count(*) FROM quotes`); n != 3 {
		t.Errorf("%d quotes after the second run, want 3", n)
	}
	// A dry run says what a run would do: nothing, the file being imported.
	dry, issues, err := f.run(f.staff, data, quoteimport.ImportOptions{DryRun: true})
	if err != nil || !dry.AlreadyImported || !dry.DryRun || dry.BatchID != sum.BatchID || len(issues) != 0 {
		t.Errorf("dry run of an imported file: %+v %s %v", dry, codes(issues), err)
	}
	// The same rows in another file: every reference is already imported.
	_, issues, err = f.run(f.staff, data+"\n", quoteimport.ImportOptions{})
	if err != nil || !strings.Contains(codes(issues), "1:external_ref:already_imported 2:external_ref:already_imported") {
		t.Errorf("overlapping file: %s %v", codes(issues), err)
	}
	if n := f.count(org, `SELECT count(*) FROM quotes`); n != 4 { // only the row without a reference is new
		t.Errorf("%d quotes after the overlapping file, want 4", n)
	}
}

// A dry run reports and writes nothing; --strict with one bad row writes
// nothing; unknown vendors are created only when asked.
func TestDryRunStrictAndCreateVendors(t *testing.T) {
	f := setup(t)
	org := f.w.Rivera.ID
	data := "ref,case number,vendor name,amount,currency\n" +
		"A1," + f.c1.Number + ",New Vendor,10.00,USD\n" +
		"A2," + f.c1.Number + ",new vendor,20.00,USD\n" +
		"A3," + f.c2.Number + ",Austin Fences,30.00,USD\n"
	// A dry run reports what the run would: with --create-vendors the new
	// vendor's rows pass; without, they are unknown. Nothing is written.
	sum, issues, err := f.run(f.staff, data, quoteimport.ImportOptions{DryRun: true, CreateVendors: true})
	if err != nil || sum.RowsWritten != 0 || sum.RowsRejected != 0 || sum.VendorsCreated != 0 || len(issues) != 0 {
		t.Fatalf("dry run %+v %s %v", sum, codes(issues), err)
	}
	sum, issues, err = f.run(f.staff, data, quoteimport.ImportOptions{DryRun: true})
	if err != nil || sum.RowsWritten != 0 || sum.RowsRejected != 2 || codes(issues) != "1:vendor:unknown_vendor 2:vendor:unknown_vendor" {
		t.Fatalf("dry run without --create-vendors %+v %s %v", sum, codes(issues), err)
	}
	if n := f.count(org, `SELECT count(*) FROM quotes`) + f.count(org, `SELECT count(*) FROM quote_import_batches`) +
		f.count(org, `SELECT count(*) FROM vendors WHERE lower(name) = 'new vendor'`); n != 0 {
		t.Fatalf("dry run wrote %d rows", n)
	}
	sum, issues, err = f.run(f.staff, data, quoteimport.ImportOptions{Strict: true})
	if apperr.CodeOf(err) != apperr.Validation || len(issues) != 2 || sum.RowsWritten != 0 {
		t.Fatalf("strict: %+v %s %v", sum, codes(issues), err)
	}
	if n := f.count(org, `SELECT count(*) FROM quotes`); n != 0 {
		t.Fatalf("strict wrote %d quotes", n)
	}
	sum, issues, err = f.run(f.staff, data, quoteimport.ImportOptions{CreateVendors: true})
	if err != nil || sum.RowsWritten != 3 || sum.VendorsCreated != 1 || len(issues) != 0 {
		t.Fatalf("create vendors: %+v %s %v", sum, codes(issues), err)
	}
	if n := f.count(org, `SELECT count(*) FROM vendors WHERE lower(name) = 'new vendor'`); n != 1 {
		t.Errorf("%d 'new vendor' vendors, want 1", n)
	}
	// Created by the vendor domain, as vendor/v1/create would: its activity
	// event says who created it.
	if n := f.count(org, `SELECT count(*) FROM activity_events e JOIN vendors v ON v.id = e.entity_id
		WHERE e.entity_type = 'vendor' AND e.verb = 'created' AND lower(v.name) = 'new vendor'`); n != 1 {
		t.Errorf("%d 'created' events for the new vendor, want 1", n)
	}
}

// Who may not import is refused before anything is read or written: a
// delegated agent (its grants cover properties, a file the organization);
// the file's own
// problems are VALIDATION errors naming them.
func TestRefusals(t *testing.T) {
	f := setup(t)
	data := "case,vendor,amount,currency\n" + f.c1.Number + ",Austin Fences,1.00,USD\n"
	for name, p := range map[string]authz.Principal{"agent": f.w.OakAgent} {
		if _, _, err := f.run(p, data, quoteimport.ImportOptions{}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("%s: %v, want FORBIDDEN", name, err)
		}
	}
	for _, bad := range []string{"", "case;vendor;amount;currency\n", "case,vendor,amount,currency,case_number\n"} {
		_, _, err := f.run(f.staff, bad, quoteimport.ImportOptions{})
		if apperr.CodeOf(err) != apperr.Validation || len(apperr.From(err).Fields) != 1 {
			t.Errorf("%q: %v, want one VALIDATION field", bad, err)
		}
	}
	if n := f.count(f.w.Rivera.ID, `SELECT count(*) FROM quotes`); n != 0 {
		t.Errorf("%d quotes written", n)
	}
	// Chen's owner imports into Chen only: Rivera's case is unknown there.
	data = "case,vendor,amount,currency\n" + f.c1.ID + ",Austin Fences,1.00,USD\n"
	sum, issues, err := f.run(f.w.ChenOwner, data, quoteimport.ImportOptions{})
	if err != nil || sum.RowsWritten != 0 || codes(issues) != "1:case:unknown_case" {
		t.Errorf("Chen importing a Rivera case: %+v %s %v", sum, codes(issues), err)
	}
}

// Revert deletes exactly the batch's quotes, through the pipeline, and is
// recorded; with an accepted quote it is refused, naming it, deleting
// nothing.
func TestRevert(t *testing.T) {
	f := setup(t)
	org := f.w.Rivera.ID
	keep := must[vendor.Quote](f, f.staff, "quote/v1/add", vendor.AddQuoteInput{CaseID: f.c1.ID, VendorID: f.v.ID, Amount: "1.00", Currency: "USD"})
	data := "ref,case,vendor,amount,currency,line_items\n" +
		"X1," + f.c1.Number + ",Austin Fences,10.00,USD,\"[{\"\"description\"\":\"\"a\"\",\"\"unitPrice\"\":\"\"10.00\"\"}]\"\n" +
		"X2," + f.c2.Number + ",Austin Fences,20.00,USD,\n"
	sum, _, err := f.run(f.staff, data, quoteimport.ImportOptions{})
	if err != nil || sum.RowsWritten != 2 {
		t.Fatalf("%+v %v", sum, err)
	}
	var x2 string
	if err := f.DB.InTenant(f.Ctx, org, func(q db.Querier) error {
		return q.QueryRow(f.Ctx, `SELECT id FROM quotes WHERE external_ref = 'X2'`).Scan(&x2)
	}); err != nil {
		t.Fatal(err)
	}
	must[vendor.Quote](f, f.staff, "quote/v1/review", vendor.QuoteRef{ID: x2})
	must[vendor.Quote](f, f.owner, "quote/v1/accept", vendor.AcceptInput{ID: x2, Rationale: "cheapest"})
	_, err = testkit.Call[quoteimport.Summary](f.Bundle, f.staff, "quoteimport/v1/revert", quoteimport.BatchRef{ID: sum.BatchID}, f.key())
	if apperr.CodeOf(err) != apperr.Conflict || !strings.Contains(err.Error(), x2) || !strings.Contains(err.Error(), "X2") {
		t.Fatalf("revert with an accepted quote: %v", err)
	}
	if n := f.count(org, `SELECT count(*) FROM quotes`); n != 3 {
		t.Fatalf("refused revert left %d quotes, want 3", n)
	}

	// A batch with nothing decided reverts: exactly its quotes go.
	data2 := "ref,case,vendor,amount,currency,line_items\n" +
		"Y1," + f.c1.Number + ",Austin Fences,10.00,USD,\"[{\"\"description\"\":\"\"a\"\",\"\"unitPrice\"\":\"\"10.00\"\"}]\"\n" +
		"Y2," + f.c2.Number + ",Austin Fences,20.00,USD,\n"
	sum2, _, err := f.run(f.staff, data2, quoteimport.ImportOptions{})
	if err != nil || sum2.RowsWritten != 2 {
		t.Fatalf("%+v %v", sum2, err)
	}
	if _, err := testkit.Call[quoteimport.Summary](f.Bundle, f.w.OakAgent, "quoteimport/v1/revert", quoteimport.BatchRef{ID: sum2.BatchID}, f.key()); apperr.CodeOf(err) != apperr.Forbidden {
		t.Errorf("agent revert: %v", err)
	}
	out := must[quoteimport.Summary](f, f.staff, "quoteimport/v1/revert", quoteimport.BatchRef{ID: sum2.BatchID})
	if out.Status != quoteimport.BatchReverted || out.RevertedAt == nil {
		t.Errorf("reverted batch %+v", out)
	}
	if n := f.count(org, `SELECT count(*) FROM quotes`); n != 3 {
		t.Errorf("%d quotes after revert, want 3 (the batch's two gone)", n)
	}
	if n := f.count(org, `SELECT count(*) FROM quotes WHERE id = $1`, keep.ID); n != 1 {
		t.Error("revert deleted a quote it did not create")
	}
	if n := f.count(org, `SELECT count(*) FROM quote_line_items li JOIN quotes q ON q.id = li.quote_id WHERE q.external_ref LIKE 'Y%'`); n != 0 {
		t.Errorf("%d line items left", n)
	}
	var events []activity.Entry
	if err := f.DB.InTenant(f.Ctx, org, func(q db.Querier) error {
		var err error
		events, err = activity.ForEntity(f.Ctx, q, "quote_import", sum2.BatchID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Verb != "imported" || events[1].Verb != "reverted" {
		t.Errorf("events %+v", events)
	}
	if _, err := testkit.Call[quoteimport.Summary](f.Bundle, f.staff, "quoteimport/v1/revert", quoteimport.BatchRef{ID: sum2.BatchID}, f.key()); apperr.CodeOf(err) != apperr.InvalidTransition {
		t.Errorf("second revert: %v", err)
	}
	// A reverted file imports again, as a new batch; reverting that one
	// removes its quotes, not the first batch's (gone already) nor others.
	again, _, err := f.run(f.staff, data2, quoteimport.ImportOptions{})
	if err != nil || again.AlreadyImported || again.BatchID == sum2.BatchID || again.RowsWritten != 2 {
		t.Fatalf("the reverted file again: %+v %v", again, err)
	}
	if n := f.count(org, `SELECT count(*) FROM quotes`); n != 5 {
		t.Errorf("%d quotes after importing the reverted file again, want 5", n)
	}
	if again2, _, err := f.run(f.staff, data2, quoteimport.ImportOptions{}); err != nil || !again2.AlreadyImported || again2.BatchID != again.BatchID {
		t.Errorf("the same file a third time: %+v %v", again2, err)
	}
	must[quoteimport.Summary](f, f.staff, "quoteimport/v1/revert", quoteimport.BatchRef{ID: again.BatchID})
	if n := f.count(org, `SELECT count(*) FROM quotes`); n != 3 {
		t.Errorf("%d quotes after the second revert, want 3", n)
	}
	list := must[quoteimport.BatchList](f, f.staff, "quoteimport/v1/list", quoteimport.BatchListInput{})
	if len(list.Items) != 3 {
		t.Errorf("list %+v", list)
	}
	if _, err := testkit.Call[quoteimport.Summary](f.Bundle, f.w.ChenOwner, "quoteimport/v1/get", quoteimport.BatchRef{ID: sum.BatchID}, ""); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("another organization's batch: %v", err)
	}
}

// Two runs racing: the same file, and two files sharing an external
// reference. The first is held before its commit until the second waits on
// its rows. The same file: the second fails as a CONFLICT, writing nothing.
// A shared reference: the second writes its other row and reports the
// shared one as already imported. Either way every row exists once.
func TestConcurrentImportsNeverDuplicate(t *testing.T) {
	f := setup(t)
	org := f.w.Rivera.ID
	file := func(refs ...string) string {
		out := "ref,case,vendor,amount,currency\n"
		for i, r := range refs {
			out += fmt.Sprintf("%s,%s,Austin Fences,%d.00,USD\n", r, f.c1.Number, i+1)
		}
		return out
	}
	for _, c := range []struct {
		name, first, second string
		conflict            bool
		written             int
		issues              string
	}{
		{"same file", file("S1", "S2"), file("S1", "S2"), true, 2, ""},
		{"shared reference", file("R1", "R2"), file("R9", "R2"), false, 3, "2:external_ref:already_imported"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := f.count(org, `SELECT count(*) FROM quotes`)
			held, release := make(chan struct{}), make(chan struct{})
			first := make(chan error, 1)
			go func() {
				_, err := f.App.QuoteImport.Import(f.Ctx, f.staff, strings.NewReader(c.first),
					quoteimport.ImportOptions{Progress: func(p quoteimport.Progress) {
						if p.Phase == "committing" {
							close(held)
							<-release
						}
					}})
				first <- err
			}()
			select {
			case <-held:
			case err := <-first:
				t.Fatalf("the first run ended before its commit: %v", err)
			}
			secondDone := make(chan error, 1)
			var issues []quoteimport.Issue
			go func() {
				_, err := f.App.QuoteImport.Import(f.Ctx, f.staff, strings.NewReader(c.second), quoteimport.ImportOptions{
					Report: func(i quoteimport.Issue) error { issues = append(issues, i); return nil }})
				secondDone <- err
			}()
			if err := f.AwaitLockWaiters(1); err != nil {
				close(release)
				t.Fatal(err)
			}
			close(release)
			if err := <-first; err != nil {
				t.Fatalf("first run: %v", err)
			}
			err := <-secondDone
			if c.conflict != (apperr.CodeOf(err) == apperr.Conflict) || (!c.conflict && err != nil) {
				t.Fatalf("second run: %v (want a conflict: %v)", err, c.conflict)
			}
			if codes(issues) != c.issues {
				t.Errorf("second run's report %q, want %q", codes(issues), c.issues)
			}
			if n := f.count(org, `SELECT count(*) FROM quotes`) - before; n != c.written {
				t.Errorf("%d quotes written, want %d", n, c.written)
			}
			if n := f.count(org, `SELECT count(*) FROM (SELECT external_ref FROM quotes GROUP BY 1 HAVING count(*) > 1) d`); n != 0 {
				t.Errorf("%d external references written twice", n)
			}
		})
	}
}

// BenchmarkImport imports a 100,000-row file through the real database
// (a new file each iteration, so each writes): rows/s of the whole import.
// scripts/bench's import scenario compares it with psql \copy.
func BenchmarkImport(b *testing.B) {
	bb := testkit.Setup(b)
	w := bb.NewWorld()
	owner := w.RiveraOwner
	staff := bb.Principal(w.Staff, w.Rivera.ID)
	prop := bb.NewProperty(owner, "Rivera home").ID
	var numbers []string
	for i := range 20 {
		c, err := testkit.Call[cases.Case](bb, owner, "case/v1/create", cases.CreateInput{PropertyID: prop, Title: fmt.Sprint("case ", i)}, fmt.Sprint("bc", i))
		if err != nil {
			b.Fatal(err)
		}
		numbers = append(numbers, c.Number)
	}
	if _, err := testkit.Call[vendor.Vendor](bb, staff, "vendor/v1/create", vendor.CreateInput{Name: "Bench Vendor"}, "bv"); err != nil {
		b.Fatal(err)
	}
	const rows = 100_000
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		b.StopTimer()
		var sb strings.Builder
		sb.WriteString("external_ref,case,vendor,amount,currency,valid_until,scope\n")
		for i := 1; i <= rows; i++ {
			fmt.Fprintf(&sb, "I%d-%d,%s,Bench Vendor,%d.%02d,USD,2099-12-31,repaint the fence\n", n, i, numbers[i%len(numbers)], 100+i%5000, i%100)
		}
		n++
		b.StartTimer()
		sum, err := bb.App.QuoteImport.Import(bb.Ctx, staff, strings.NewReader(sb.String()), quoteimport.ImportOptions{})
		if err != nil || sum.RowsWritten != rows {
			b.Fatalf("%+v %v", sum, err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
