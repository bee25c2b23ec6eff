package quoteimport_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/quoteimport"
	"github.com/hestami/concierge/internal/testkit"
)

// childMain is the import process the kill test kills: when the test binary
// runs with QUOTEIMPORT_CHILD set it imports the file named there, prints
// "AT <phase> <rows>" when it reaches the phase QUOTEIMPORT_STOP names
// (with its transaction open), and then waits for a line on stdin that
// never comes, so the parent kills it exactly there.
func childMain() bool {
	file := os.Getenv("QUOTEIMPORT_CHILD")
	if file == "" {
		return false
	}
	err := func() error {
		ctx := context.Background()
		d, err := db.Open(ctx, os.Getenv("QUOTEIMPORT_OWNER_URL"), os.Getenv("QUOTEIMPORT_APP_URL"))
		if err != nil {
			return err
		}
		c, err := authz.Dial(os.Getenv("QUOTEIMPORT_PDP"), 5*time.Second)
		if err != nil {
			return err
		}
		a := app.New(d, c)
		p, err := a.Identity.Principal(ctx, os.Getenv("QUOTEIMPORT_USER"), os.Getenv("QUOTEIMPORT_ORG"))
		if err != nil {
			return err
		}
		in, err := os.Open(file)
		if err != nil {
			return err
		}
		stop := os.Getenv("QUOTEIMPORT_STOP")
		_, err = a.QuoteImport.Import(ctx, p, in, quoteimport.ImportOptions{Progress: func(pr quoteimport.Progress) {
			if pr.Phase == stop {
				fmt.Printf("AT %s %d\n", pr.Phase, pr.RowsRead)
				_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
			}
		}})
		return err
	}()
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("DONE")
	os.Exit(0)
	return true
}

// An import killed with SIGKILL — while rows stream in, and after the
// quotes are inserted but before the commit — leaves nothing behind, and
// the same file run again imports every row exactly once.
func TestKilledImportResumes(t *testing.T) {
	f := setup(t)
	const rows = 25000
	var b strings.Builder
	b.WriteString("external_ref,case,vendor,amount,currency\n")
	for i := 1; i <= rows; i++ {
		ref := fmt.Sprintf("K%d", i)
		if i%2 == 0 {
			ref = "" // half without a reference: (batch, row) keeps them unique
		}
		c := f.c1.Number
		if i%3 == 0 {
			c = f.c2.Number
		}
		fmt.Fprintf(&b, "%s,%s,Austin Fences,%d.%02d,USD\n", ref, c, i, i%100)
	}
	file := filepath.Join(t.TempDir(), "quotes.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	org := f.w.Rivera.ID
	for _, stop := range []string{"reading", "committing"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "QUOTEIMPORT_CHILD="+file, "QUOTEIMPORT_STOP="+stop,
			"QUOTEIMPORT_OWNER_URL="+f.OwnerURL, "QUOTEIMPORT_APP_URL="+f.AppURL, "QUOTEIMPORT_PDP="+testkit.PDPAddress(),
			"QUOTEIMPORT_USER="+f.staff.UserID, "QUOTEIMPORT_ORG="+org)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "AT "+stop) {
			_ = cmd.Process.Kill()
			t.Fatalf("child said %q (%v), want AT %s", line, err, stop)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if n := f.count(org, `SELECT count(*) FROM quotes`) + f.count(org, `SELECT count(*) FROM quote_import_batches`); n != 0 {
			t.Fatalf("killed at %s: %d rows left behind", stop, n)
		}
	}
	sum, issues, err := f.run(f.staff, b.String(), quoteimport.ImportOptions{})
	if err != nil || len(issues) != 0 || sum.RowsWritten != rows || sum.RowsRead != rows {
		t.Fatalf("re-run: %+v %d issues %v", sum, len(issues), err)
	}
	// Exactly rows 1..N, each once, each with its own amount.
	var n, distinct, lo, hi, wrong int
	err = f.DB.InTenant(f.Ctx, org, func(q db.Querier) error {
		return q.QueryRow(f.Ctx, `SELECT count(*), count(DISTINCT import_row), min(import_row), max(import_row),
				count(*) FILTER (WHERE amount <> import_row + (import_row % 100) / 100.0)
			FROM quotes WHERE import_batch_id = $1`, sum.BatchID).Scan(&n, &distinct, &lo, &hi, &wrong)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != rows || distinct != rows || lo != 1 || hi != rows || wrong != 0 {
		t.Errorf("%d quotes, %d distinct rows from %d to %d, %d wrong amounts; want %d rows 1..%d", n, distinct, lo, hi, wrong, rows, rows)
	}
	again, _, err := f.run(f.staff, b.String(), quoteimport.ImportOptions{})
	if err != nil || !again.AlreadyImported {
		t.Errorf("third run: %+v %v", again, err)
	}
	if n := f.count(org, `SELECT count(*) FROM quotes`); n != rows {
		t.Errorf("%d quotes after the third run, want %d", n, rows)
	}
}
