package main

// Bulk quote import (issue 10): a generated CSV file of -import-rows quotes
// (spread over 100 open cases of one organization, one vendor, each with
// an external reference) imported by the quoteimport service as the
// organization's OWNER — parsing, validation, COPY into staging, the
// per-case PDP decisions, the checks in SQL, INSERT … SELECT under RLS into
// quotes with provenance and the batch's activity event — against `psql
// \copy` of the same file into a plain unindexed table, in the same run.
// The import's peak RSS is read from /proc/self/status (VmHWM, reset
// before each import through /proc/self/clear_refs) for a file a tenth the
// size and the full file: a flat RSS shows that nothing is held per row.
//
// Opt-in: -scenarios import (alone or with others); with it alone, seed
// little: -orgs 1 -cases-per-org 200.

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hestami/concierge/internal/quoteimport"
	"github.com/hestami/concierge/internal/vendor"
)

const importScenario = "import"

var importRows = flag.Int("import-rows", 1_000_000, "rows of the generated quote file (import)")

func init() {
	scenarioNames[importScenario] = true
	extraMeasures = append(extraMeasures, measureImport)
}

const psqlPath = "/usr/lib/postgresql/15/bin/psql"

func measureImport(ctx context.Context, st *stack, tenants []tenant, opts options, out io.Writer) error {
	if !strings.Contains(","+opts.scenarios+",", ","+importScenario+",") {
		return nil
	}
	t := tenants[0]
	var numbers []string
	rows, err := st.rawPool.Query(ctx, `SELECT number FROM cases WHERE organization_id = $1 AND status NOT IN ('CLOSED', 'CANCELLED')
		ORDER BY number LIMIT 100`, t.OrgID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		numbers = append(numbers, n)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(numbers) == 0 {
		return fmt.Errorf("%s: the first organization has no open case", importScenario)
	}
	if _, err := st.rawPool.Exec(ctx, `INSERT INTO vendors (organization_id, name, created_by) VALUES ($1, 'Bench Vendor', $2)`, t.OrgID, t.UserID); err != nil {
		return err
	}
	p, err := st.ids.Principal(ctx, t.UserID, t.OrgID)
	if err != nil {
		return err
	}
	svc := quoteimport.New(st.db, st.pdp, vendor.New(st.db, st.pdp))

	gen := func(name, prefix string, n int) (string, int64, error) {
		path := filepath.Join(st.dir, name)
		f, err := os.Create(path)
		if err != nil {
			return "", 0, err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fmt.Fprintln(w, "external_ref,case,vendor,amount,currency,valid_until,scope")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(w, "%s%d,%s,Bench Vendor,%d.%02d,USD,2099-12-31,repaint the fence\n", prefix, i, numbers[i%len(numbers)], 100+i%5000, i%100)
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return "", 0, err
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return "", 0, err
		}
		return path, info.Size(), f.Close()
	}
	importFile := func(path string) (quoteimport.Summary, time.Duration, int64, error) {
		if err := st.checkpoint(ctx); err != nil {
			return quoteimport.Summary{}, 0, 0, err
		}
		resetPeakRSS()
		f, err := os.Open(path)
		if err != nil {
			return quoteimport.Summary{}, 0, 0, err
		}
		defer f.Close()
		start := time.Now()
		last, phase := start, "reading"
		sum, err := svc.Import(ctx, p, f, quoteimport.ImportOptions{FileName: filepath.Base(path), Progress: func(pr quoteimport.Progress) {
			if pr.Phase != phase {
				logf("%s:   %-10s %6.2fs", importScenario, phase, time.Since(last).Seconds())
				last, phase = time.Now(), pr.Phase
			}
		}})
		logf("%s:   %-10s %6.2fs", importScenario, phase, time.Since(last).Seconds())
		elapsed := time.Since(start)
		return sum, elapsed, peakRSS(), err
	}

	small := max(*importRows/10, 1)
	logf("%s: generating %d and %d rows", importScenario, small, *importRows)
	smallPath, _, err := gen("import-small.csv", "S", small)
	if err != nil {
		return err
	}
	path, size, err := gen("import.csv", "B", *importRows)
	if err != nil {
		return err
	}

	logf("%s: psql \\copy of %d rows into a plain unindexed table", importScenario, *importRows)
	// A logged table, like quotes: UNLOGGED would spare the baseline its WAL.
	if _, err := st.rawPool.Exec(ctx, `CREATE TABLE bench_import_raw (ext_ref text, case_ref text, vendor text,
		amount numeric, currency text, valid_until timestamptz, scope text)`); err != nil {
		return err
	}
	if err := st.checkpoint(ctx); err != nil {
		return err
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, psqlPath, st.ownerURL, "-v", "ON_ERROR_STOP=1", "-qc",
		`\copy bench_import_raw FROM '`+path+`' WITH (FORMAT csv, HEADER true)`)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("psql \\copy: %v: %s", err, msg)
	}
	copyTime := time.Since(start)

	// The same rows into a table shaped like quotes (its columns, CHECKs,
	// defaults and indexes; no RLS, no triggers), by psql \copy as the
	// owner, with time-ordered ids as the import gives them: what the
	// target table's indexes cost by themselves.
	logf("%s: psql \\copy of the same rows into a table like quotes (indexes and CHECKs, no RLS, no triggers)", importScenario)
	likePath := filepath.Join(st.dir, "import-like-quotes.csv")
	if _, err := st.rawPool.Exec(ctx, `CREATE TABLE bench_import_like (LIKE quotes INCLUDING ALL)`); err != nil {
		return err
	}
	export := exec.CommandContext(ctx, psqlPath, st.ownerURL, "-v", "ON_ERROR_STOP=1", "-qc",
		`\copy (SELECT ('01900000-0000-7000-8000-' || lpad(to_hex(row_number() OVER ()), 12, '0'))::uuid, c.organization_id, c.id, v.id, '', r.amount, r.currency, r.scope, r.valid_until,
			'RECEIVED', NULL, NULL, NULL, '', c.created_by, now(), now(), r.ext_ref, NULL, NULL
			FROM bench_import_raw r JOIN cases c ON c.number = r.case_ref AND c.organization_id = '`+t.OrgID+`'
			JOIN vendors v ON v.organization_id = c.organization_id AND v.name = r.vendor) TO '`+likePath+`' WITH (FORMAT csv)`)
	if msg, err := export.CombinedOutput(); err != nil {
		return fmt.Errorf("psql \\copy out: %v: %s", err, msg)
	}
	if err := st.checkpoint(ctx); err != nil {
		return err
	}
	start = time.Now()
	cmd = exec.CommandContext(ctx, psqlPath, st.ownerURL, "-v", "ON_ERROR_STOP=1", "-qc",
		`\copy bench_import_like (id, organization_id, case_id, vendor_id, scope_key, amount, currency, scope, valid_until, status,
			document_id, decided_at, decided_by, decision_reason, created_by, created_at, updated_at, external_ref, import_batch_id, import_row)
			FROM '`+likePath+`' WITH (FORMAT csv)`)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("psql \\copy like quotes: %v: %s", err, msg)
	}
	likeTime := time.Since(start)

	logf("%s: importing %d rows, then %d", importScenario, small, *importRows)
	sSum, sTime, sRSS, err := importFile(smallPath)
	if err != nil {
		return err
	}
	sum, importTime, rss, err := importFile(path)
	if err != nil {
		return err
	}
	if sum.RowsWritten != *importRows || sSum.RowsWritten != small {
		return fmt.Errorf("%s: wrote %d of %d and %d of %d rows (rejected %d, %d)", importScenario, sum.RowsWritten, *importRows,
			sSum.RowsWritten, small, sum.RowsRejected, sSum.RowsRejected)
	}
	rate := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
	imp, raw := rate(*importRows, importTime), rate(*importRows, copyTime)
	fmt.Fprintln(out)
	fmt.Fprintf(out, "quote import (%d rows, %s CSV, %d cases, validation, RLS, provenance and activity on):\n", *importRows, humanSize(int(size)), len(numbers))
	fmt.Fprintf(out, "  import      %8d rows in %6.1fs: %9.0f rows/s   peak RSS %s\n", *importRows, importTime.Seconds(), imp, humanSize(int(rss)))
	fmt.Fprintf(out, "  import      %8d rows in %6.1fs: %9.0f rows/s   peak RSS %s (a tenth of the file)\n", small, sTime.Seconds(), rate(small, sTime), humanSize(int(sRSS)))
	fmt.Fprintf(out, "  psql \\copy  %8d rows in %6.1fs: %9.0f rows/s   (plain unindexed table)\n", *importRows, copyTime.Seconds(), raw)
	fmt.Fprintf(out, "  psql \\copy  %8d rows in %6.1fs: %9.0f rows/s   (a table like quotes: its indexes and CHECKs, no RLS, no triggers)\n",
		*importRows, likeTime.Seconds(), rate(*importRows, likeTime))
	fmt.Fprintf(out, "  ratio       %.2fx of psql \\copy into the plain table (target >= 0.50x), %.2fx of psql \\copy into the table like quotes; %.0f rows/s (target >= 50000)\n",
		imp/raw, imp/rate(*importRows, likeTime), imp)
	return nil
}

// resetPeakRSS resets the process's VmHWM to its current RSS (Linux: 5 in
// clear_refs); without it the peak would be the whole run's.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS reads VmHWM from /proc/self/status, in bytes (0 if unknown).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
