package quoteimport

import (
	"context"
	"fmt"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
)

// ImportProcedure is the path of the import over the API.
const ImportProcedure = "quote/v1/import"

// DefaultMaxBytes is the default size limit of a file sent to
// quote/v1/import (imports.max_bytes): a 1,000,000-row CSV is about 120 MB,
// and the file is spooled to disk, never held in memory.
const DefaultMaxBytes = 2 << 30

// MaxReportedIssues bounds the row issues one quote/v1/import answer
// carries: the answer is held whole (and kept for idempotent replays), while
// a file may have a million bad rows. IssuesTotal says how many there were.
const MaxReportedIssues = 1000

// ImportInput is one import over the API: the file (a multipart file
// part) and how to read and import it.
type ImportInput struct {
	File                 api.File `json:"file"`
	Format               Format   `json:"format,omitempty" jsonschema:"description=the file's format (default: detected from the content)"`
	IgnoreUnknownColumns bool     `json:"ignoreUnknownColumns,omitempty" jsonschema:"description=skip columns with no known name instead of refusing the file"`
	DryRun               bool     `json:"dryRun,omitempty" jsonschema:"description=check every row and report, writing nothing"`
	Strict               bool     `json:"strict,omitempty" jsonschema:"description=write nothing when any row is invalid (VALIDATION_FAILED naming the rows)"`
	CreateVendors        bool     `json:"createVendors,omitempty" jsonschema:"description=create the vendors named by rows that match none"`
	FileName             string   `json:"fileName,omitempty" jsonschema:"maxLength=500,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the name the batch records (default: the file part's name)"`
}

// ImportResult is the batch summary with the rows' issues: at most
// MaxReportedIssues of them, in row order, IssuesTotal counting all and
// IssuesTruncated saying some were left out.
type ImportResult struct {
	Summary
	Issues          []Issue `json:"issues"`
	IssuesTotal     int     `json:"issuesTotal"`
	IssuesTruncated bool    `json:"issuesTruncated,omitempty"`
}

// Add keeps issue i in the result, within MaxReportedIssues.
func (r *ImportResult) Add(i Issue) {
	r.IssuesTotal++
	if len(r.Issues) < MaxReportedIssues {
		r.Issues = append(r.Issues, i)
		return
	}
	r.IssuesTruncated = true
}

// registerImport declares quote/v1/import: Service.Import over a file the
// transport spooled. It is an ordinary mutation, so the idempotency table
// keeps its answer: a replay with the same key answers the same result
// without reading the file again. The import commits in a transaction of
// its own (a pgx.Tx, for its chunked writes), before the key's; should the process die
// between the two, the retry finds the file's batch (its id derives from
// the content) and writes nothing (alreadyImported).
func (s *Service) registerImport(r *api.Registry) {
	spec := api.Specs{Namespace: "quote", Resource: quoteKind}.Spec
	api.Register(r, spec("import", api.Mutation,
		"Import vendor quotes in bulk from a CSV or JSON Lines file (multipart/form-data: the file part, and the options); answers the batch summary and the rows' issues, at most 1000 (issuesTotal counts all)",
		[]apperr.Code{apperr.PayloadTooLarge}, "import", "create"),
		func(ctx context.Context, c api.Call, in ImportInput) (ImportResult, error) {
			return s.importFile(ctx, c, in)
		})
}

func (s *Service) importFile(ctx context.Context, c api.Call, in ImportInput) (ImportResult, error) {
	a, err := api.Attached(ctx, "file", in.File)
	if err != nil {
		return ImportResult{}, err
	}
	f, err := a.Open()
	if err != nil {
		return ImportResult{}, err
	}
	defer f.Close()
	res := ImportResult{Issues: []Issue{}}
	opts := ImportOptions{Parse: Options{Format: in.Format, IgnoreUnknownColumns: in.IgnoreUnknownColumns},
		FileName: in.FileName, DryRun: in.DryRun, Strict: in.Strict, CreateVendors: in.CreateVendors,
		Report: func(i Issue) error { res.Add(i); return nil }}
	if opts.FileName == "" {
		opts.FileName = in.File.Name
	}
	sum, err := s.Import(ctx, c.Principal, f, opts)
	if err != nil {
		return ImportResult{}, apiError(err, &res)
	}
	res.Summary = sum
	return res, nil
}

// apiError names the input field for the file's own problems: Import names
// the place in the file ("file", "row 3.amount"), which an API client
// cannot tell from an input field; the place moves into the message. A
// strict refusal (no fields) names the rows it refused for, as bounded as
// the result's issues.
func apiError(err error, res *ImportResult) error {
	e := apperr.From(err)
	if e.Code != apperr.Validation {
		return err
	}
	out := &apperr.Error{Code: e.Code, Message: e.Message, Err: e.Err}
	for _, f := range e.Fields {
		msg := f.Message
		if f.Field != "file" {
			msg = f.Field + ": " + msg
		}
		out.Fields = append(out.Fields, apperr.FieldError{Field: "file", Code: f.Code, Message: msg})
	}
	if len(e.Fields) == 0 {
		for _, i := range res.Issues {
			out.Fields = append(out.Fields, apperr.FieldError{Field: "file", Code: i.Code, Message: issuePlace(i) + ": " + i.Message})
		}
		if res.IssuesTruncated {
			out.Message += fmt.Sprintf(" (the first %d of %d issues are listed)", len(res.Issues), res.IssuesTotal)
		}
	}
	return out
}

func issuePlace(i Issue) string {
	if i.Column == "" {
		return fmt.Sprintf("row %d", i.Row)
	}
	return fmt.Sprintf("row %d.%s", i.Row, i.Column)
}
