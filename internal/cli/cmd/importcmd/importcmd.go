// Package importcmd is `hestami import`: bulk imports of vendor quotes
// (internal/quoteimport) and their batches (quoteimport/v1/*).
package importcmd

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/quoteimport"
)

// NewCmd returns `hestami import`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import vendor quotes in bulk, list, show and revert import batches",
	}
	cmd.AddCommand(newQuotes(f), newList(f), newShow(f), newRevert(f))
	return cmd
}

func columnsHelp() string {
	byColumn := map[quoteimport.Column][]string{}
	for alias, c := range quoteimport.Aliases {
		byColumn[c] = append(byColumn[c], alias)
	}
	var b strings.Builder
	for _, c := range []quoteimport.Column{quoteimport.ColExternalRef, quoteimport.ColCase, quoteimport.ColVendor, quoteimport.ColAmount,
		quoteimport.ColCurrency, quoteimport.ColValidUntil, quoteimport.ColScope, quoteimport.ColScopeKey, quoteimport.ColLineItems} {
		names := byColumn[c]
		slices.Sort(names)
		fmt.Fprintf(&b, "  %-13s %s\n", c, strings.Join(names, ", "))
	}
	return b.String()
}

func newQuotes(f *factory.Factory) *cobra.Command {
	var opts quoteimport.ImportOptions
	var format quoteimport.Format
	var reportPath, key string
	cmd := &cobra.Command{
		Use:   "quotes FILE",
		Short: "Import vendor quotes from a CSV or JSON Lines file (- for stdin)",
		Long: `Imports every valid row of FILE as a RECEIVED quote, under the rules of
'hestami vendor quote add': an amount > 0 with at most the currency's minor
digits, an ISO 4217 currency, valid-until in the future, line items (a JSON
array of {description, quantity, unitPrice}) summing exactly to the amount,
and a case and vendor of the organization. An external reference may appear
once per organization.

CSV needs a header row; JSON Lines is one object per line. The format is
detected from the content unless --format says it. Column names match
case-insensitively, ignoring spaces, '_', '-' and '.'; required: case,
vendor, amount, currency. Accepted names:

` + columnsHelp() + `
A row is at most ` + strconv.Itoa(quoteimport.MaxRowBytes) + ` bytes; a longer one ends the file.

Rows that fail are reported (row, column, code, message) as CSV on stdout, or
with the summary under --json; the summary line goes to stderr. A row is
checked on its own first (every problem of its values is reported); only a
row that passes is then checked against the organization (case, vendor,
external reference), so a row with a bad amount and an unknown vendor
reports the amount. On a terminal a progress bar shows the rows read, their
rate and the time left. The import
is one transaction: killed, it leaves nothing, and the same file run again
imports each row once. A file already imported writes nothing.

With a server (remote mode) the file is sent to quote/v1/import and the
server imports it: the same summary, report and exit codes, except that
the server reports at most ` + strconv.Itoa(quoteimport.MaxReportedIssues) + ` issues (a note on stderr says how
many there were), a --strict refusal lists its rows in the error, and no
progress bar is drawn. Stdin (-) is first copied to a temporary file, as
the upload needs its size and hash. The server bounds the file
(imports.max_bytes, default 2 GiB).

Exit 2: the file cannot be read, a --dry-run found invalid rows, or --strict
refused the file.`,
		Example: `  hestami import quotes quotes.csv --dry-run
  hestami import quotes quotes.jsonl --create-vendors --json
  gunzip -c quotes.csv.gz | hestami import quotes - --server https://hestami.example.com`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			opts.Parse.Format = format
			res := quoteimport.ImportResult{Issues: []quoteimport.Issue{}}
			var w *csv.Writer
			reportTo := f.Out
			if reportPath != "" {
				rf, err := os.Create(reportPath)
				if err != nil {
					return apperr.New(apperr.Validation, "cannot write the report %s: %v", reportPath, errorsText(err))
				}
				defer rf.Close()
				reportTo = rf
			}
			opts.Report = func(i quoteimport.Issue) error {
				if f.JSON && reportPath == "" {
					res.Issues = append(res.Issues, i)
					res.IssuesTotal++
					return nil
				}
				if w == nil {
					w = csv.NewWriter(reportTo)
					if err := w.Write([]string{"row", "column", "code", "message"}); err != nil {
						return err
					}
				}
				return w.Write([]string{strconv.Itoa(i.Row), i.Column, i.Code, i.Message})
			}
			var sum quoteimport.Summary
			var err error
			if f.Remote() {
				sum, err = importRemote(ctx, f, args[0], opts, cmdutil.Key(key), &res)
			} else {
				sum, err = importLocal(ctx, f, args[0], opts)
			}
			if w != nil {
				w.Flush()
				if werr := w.Error(); werr != nil && err == nil {
					err = werr
				}
			}
			if sum.BatchID == "" && err != nil {
				return err
			}
			if f.JSON {
				res.Summary = sum
				if jerr := cmdutil.PrintJSON(f, res); jerr != nil {
					return jerr
				}
			}
			fmt.Fprintln(f.ErrOut, summaryLine(sum, err != nil))
			if err != nil {
				return err
			}
			// An imported file's counts are the earlier import's: this run
			// checked nothing.
			if opts.DryRun && sum.RowsRejected > 0 && !sum.AlreadyImported {
				return apperr.New(apperr.Validation, "%d of %d rows are invalid", sum.RowsRejected, sum.RowsRead)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	cmdutil.EnumVar(cmd, &format, "format", "", quoteimport.Formats, "the file's format (default: detected)")
	fl.BoolVar(&opts.Parse.IgnoreUnknownColumns, "ignore-unknown-columns", false, "skip columns with no known name instead of refusing the file")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "check every row and report, writing nothing")
	fl.BoolVar(&opts.Strict, "strict", false, "write nothing when any row is invalid")
	fl.BoolVar(&opts.CreateVendors, "create-vendors", false, "create the vendors named by rows that match none")
	fl.StringVar(&reportPath, "report", "", "write the per-row report (CSV) to this file instead of stdout")
	fl.StringVar(&key, "idempotency-key", "", "remote mode: "+cmdutil.KeyFlagHelp)
	return cmd
}

// importLocal imports the file in this process, streaming it into the
// database, with a progress bar on a terminal.
func importLocal(ctx context.Context, f *factory.Factory, path string, opts quoteimport.ImportOptions) (quoteimport.Summary, error) {
	a, err := f.App(ctx, false)
	if err != nil {
		return quoteimport.Summary{}, err
	}
	p, err := f.Principal(ctx)
	if err != nil {
		return quoteimport.Summary{}, err
	}
	var in io.Reader = os.Stdin
	opts.FileName = "stdin"
	size := int64(-1)
	if path != "-" {
		file, err := os.Open(path)
		if err != nil {
			return quoteimport.Summary{}, apperr.New(apperr.Validation, "cannot open %s: %v", path, errorsText(err))
		}
		defer file.Close()
		in, opts.FileName = file, filepath.Base(path)
		if info, err := file.Stat(); err == nil && info.Mode().IsRegular() {
			size = info.Size()
		}
	}
	var bar *progressbar.ProgressBar
	if output.DetectTerm(f.ErrOut, os.LookupEnv).TTY {
		bar = newBar(f.ErrOut, size)
		opts.Progress = describe(bar)
	}
	sum, err := a.QuoteImport.Import(ctx, p, in, opts)
	if bar != nil {
		_ = bar.Clear()
	}
	return sum, err
}

// importRemote sends the file to the server's quote/v1/import and hands the
// issues it answers to opts.Report, as a local import reports them. Stdin
// is spooled to a temporary file first: an upload states its size and hash
// before its content.
func importRemote(ctx context.Context, f *factory.Factory, path string, opts quoteimport.ImportOptions, key string, res *quoteimport.ImportResult) (quoteimport.Summary, error) {
	var att *api.Attachment
	var err error
	if path == "-" {
		// No limit here: the server's (imports.max_bytes) is the one that
		// counts, and this side cannot know it.
		att, err = api.Spool("", os.Stdin, "stdin", "", 1<<62)
		if err != nil {
			return quoteimport.Summary{}, apperr.New(apperr.Validation, "cannot copy stdin to a temporary file: %v", errorsText(err))
		}
		defer att.Release()
	} else {
		att, err = api.AttachPath(path, filepath.Base(path))
		if err != nil {
			return quoteimport.Summary{}, apperr.New(apperr.Validation, "cannot open %s: %v", path, errorsText(err))
		}
	}
	in := quoteimport.ImportInput{File: att.File, Format: opts.Parse.Format, IgnoreUnknownColumns: opts.Parse.IgnoreUnknownColumns,
		DryRun: opts.DryRun, Strict: opts.Strict, CreateVendors: opts.CreateVendors}
	out, err := cmdutil.Call[quoteimport.ImportResult](api.WithAttachments(ctx, att), f, quoteimport.ImportProcedure, in, key)
	if err != nil {
		return quoteimport.Summary{}, err
	}
	for _, i := range out.Issues {
		if err := opts.Report(i); err != nil {
			return out.Summary, err
		}
	}
	res.IssuesTotal, res.IssuesTruncated = out.IssuesTotal, out.IssuesTruncated
	if out.IssuesTruncated {
		fmt.Fprintf(f.ErrOut, "the server reported the first %d of %d issues\n", len(out.Issues), out.IssuesTotal)
	}
	return out.Summary, nil
}

// errorsText is the reason of a file error without the path (the message
// names it already).
func errorsText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// summaryLine is the one line an import ends with; refused says the import
// failed, so that nothing was written whatever was checked.
func summaryLine(s quoteimport.Summary, refused bool) string {
	took := (time.Duration(s.DurationMS) * time.Millisecond).String()
	if s.AlreadyImported {
		// The counts are the earlier import's: say so, not "N written".
		outcome := "nothing written now"
		if s.DryRun {
			outcome = "a run would write nothing"
		}
		return fmt.Sprintf("batch %s was imported at %s: %s (that import: %d rows read, %d written, %d rejected), %s",
			s.BatchID, s.CreatedAt.UTC().Format(time.RFC3339), outcome, s.RowsRead, s.RowsWritten, s.RowsRejected, took)
	}
	switch {
	case refused:
		return fmt.Sprintf("batch %s not imported, nothing written: %d rows read, %d rejected, %s", s.BatchID, s.RowsRead, s.RowsRejected, took)
	case s.DryRun:
		return fmt.Sprintf("batch %s checked (dry run, nothing written): %d rows read, %d would be written, %d rejected, %s",
			s.BatchID, s.RowsRead, s.RowsRead-s.RowsRejected, s.RowsRejected, took)
	}
	return fmt.Sprintf("batch %s imported: %d rows read, %d written, %d rejected, %d vendors created, %s",
		s.BatchID, s.RowsRead, s.RowsWritten, s.RowsRejected, s.VendorsCreated, took)
}

// newBar is the terminal's progress bar: bytes of the file read (so the
// ETA), the phase and rows/s in its description; size -1 (stdin) spins.
// Not throttled: it moves once per chunk written, a few times a second.
func newBar(w io.Writer, size int64) *progressbar.ProgressBar {
	return progressbar.NewOptions64(size, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(true), progressbar.OptionSetDescription("reading"),
		progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish())
}

// describe moves bar to the bytes the import has read and shows its phase
// and rate in rows/s.
func describe(bar *progressbar.ProgressBar) func(quoteimport.Progress) {
	start := time.Now()
	return func(p quoteimport.Progress) {
		// Described first: the move draws the bar, the description alone
		// waits for the next draw.
		bar.Describe(fmt.Sprintf("%s %d rows, %.0f rows/s", p.Phase, p.RowsRead, float64(p.RowsRead)/time.Since(start).Seconds()))
		_ = bar.Set64(p.BytesRead)
	}
}

func showBatch(f *factory.Factory, b quoteimport.Summary) error {
	return cmdutil.Print(f, b, func() {
		var reverted any = "no"
		if b.RevertedAt != nil {
			reverted = output.Time(*b.RevertedAt)
		}
		cmdutil.Fields(f, "batch", output.ID(b.BatchID), "status", output.State(b.Status), "file", b.FileName, "format", string(b.Format),
			"sha256", b.ContentHash, "rows read", strconv.Itoa(b.RowsRead), "written", strconv.Itoa(b.RowsWritten),
			"rejected", strconv.Itoa(b.RowsRejected), "vendors created", strconv.Itoa(b.VendorsCreated),
			"imported", output.Time(b.CreatedAt), "reverted", reverted)
	})
}

func newList(f *factory.Factory) *cobra.Command {
	var in quoteimport.BatchListInput
	cmd := &cobra.Command{
		Use: "list",
		Example: `  hestami import list
  hestami import list --limit 10 --json`,
		Short: "List the organization's quote import batches, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := cmdutil.Call[quoteimport.BatchList](cmd.Context(), f, "quoteimport/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.Print(f, out, func() {
				if len(out.Items) == 0 {
					fmt.Fprintln(f.ErrOut, "no import batches")
					return
				}
				rows := make([][]any, 0, len(out.Items))
				for _, b := range out.Items {
					rows = append(rows, []any{output.ID(b.BatchID), output.State(b.Status), b.FileName, strconv.Itoa(b.RowsRead),
						strconv.Itoa(b.RowsWritten), strconv.Itoa(b.RowsRejected), output.Time(b.CreatedAt)})
				}
				_ = cmdutil.Table(f, []string{"BATCH", "STATUS", "FILE", "READ", "WRITTEN", "REJECTED", "IMPORTED"}, rows)
			})
		},
	}
	cmd.Flags().IntVar(&in.Limit, "limit", 0, "at most this many batches (default 50, max 100)")
	return cmd
}

func newShow(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "show BATCH",
		Example: `  hestami import show $BATCH
  hestami import show $BATCH --json`,
		Short: "Show one import batch",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := cmdutil.Call[quoteimport.Summary](cmd.Context(), f, "quoteimport/v1/get", quoteimport.BatchRef{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return showBatch(f, b)
		},
	}
}

func newRevert(f *factory.Factory) *cobra.Command {
	var key string
	var yes bool
	cmd := &cobra.Command{
		Use:     "revert BATCH",
		Example: `  hestami import revert $BATCH --yes`,
		Short:   "Delete exactly the quotes an import batch created (refused, naming them, if any was accepted)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.Confirm(cmd, yes, "Delete the quotes batch "+args[0]+" created? This cannot be undone."); err != nil {
				return err
			}
			b, err := cmdutil.Call[quoteimport.Summary](cmd.Context(), f, "quoteimport/v1/revert", quoteimport.BatchRef{ID: args[0]}, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showBatch(f, b)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmdutil.YesFlag(cmd, &yes)
	return cmd
}
