// Package doccmd is `hestami doc`: property documents (document/v1/*).
// Content goes to the content store by SHA-256 through the same pipeline as
// the API; the file is read in place, never loaded whole.
package doccmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/document"
	"github.com/hestami/concierge/internal/listing"
)

// NewCmd returns `hestami doc`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doc",
		Short: "Upload, list, download, version, review and search property documents",
		Long: `Documents are bound to a property, a case, an intent, an HOA context or a
vendor. Their content is stored once per SHA-256 (two uploads of the same
bytes are two documents over one blob), checked against that hash on every
download (a corrupted blob is refused, naming the document), and typed from
its bytes, not its name. STAFF_ONLY documents exist only for concierge staff;
OWNER_AND_STAFF ones are shared with the owner side.

Categories: ` + strings.Join(document.Categories.Strings(), ", ") + `.`,
	}
	cmd.AddCommand(newUpload(f), newList(f), newGet(f), newDownload(f), newVersions(f), newSupersede(f), newReview(f), newSearch(f))
	return cmd
}

func show(f *factory.Factory, d document.Document) error {
	return cmdutil.Print(f, d, func() {
		cmdutil.Fields(f, "id", d.ID, "title", d.Title, "version", versionOf(d), "category", string(d.Category),
			"visibility", string(d.Visibility), "type", d.MediaType, "size", fmt.Sprint(d.Size), "sha256", d.SHA256,
			"bound to", boundTo(d), "review", reviewOf(d), "uploaded", output.Seq{output.Time(d.CreatedAt), " by " + d.UploadedBy})
	})
}

func versionOf(d document.Document) string {
	if d.SupersededBy != nil {
		return fmt.Sprintf("%d (superseded by %s)", d.Version, *d.SupersededBy)
	}
	return fmt.Sprintf("%d (current)", d.Version)
}

func reviewOf(d document.Document) string {
	s := string(d.ReviewStatus)
	if d.ReviewedBy != nil {
		s += " by " + *d.ReviewedBy
	}
	if d.ReviewNotes != "" {
		s += ": " + d.ReviewNotes
	}
	return s
}

func boundTo(d document.Document) string {
	var parts []string
	for _, b := range []struct {
		name string
		id   *string
	}{{"property", d.PropertyID}, {"case", d.CaseID}, {"intent", d.IntentID}, {"hoa", d.HOAContextID}, {"vendor", d.VendorID}} {
		if b.id != nil {
			parts = append(parts, b.name+" "+*b.id)
		}
	}
	return strings.Join(parts, ", ")
}

// attach describes the local file path for an upload and returns the
// context that carries its content to the pipeline.
func attach(ctx context.Context, path string) (context.Context, api.File, error) {
	a, err := api.AttachPath(path, filepath.Base(path))
	if err != nil {
		return ctx, api.File{}, err
	}
	return api.WithAttachments(ctx, a), a.File, nil
}

func newUpload(f *factory.Factory) *cobra.Command {
	var in document.UploadInput
	var key string
	cmd := &cobra.Command{
		Use:   "upload FILE --category CATEGORY --visibility VISIBILITY (--property ID | --case CASE | --intent ID | --hoa ID | --vendor ID)",
		Short: "Upload a document; its type is read from its content",
		Example: `  hestami doc upload hoa-letter.pdf --case CASE-2026-1 --category CORRESPONDENCE --visibility OWNER_AND_STAFF
  hestami doc upload guidelines.pdf --property $HOME --category ARCHITECTURAL_GUIDELINES --visibility OWNER_AND_STAFF --title "Oak Hollow guidelines 2026"
  hestami doc upload margin.txt --case CASE-2026-1 --category QUOTE --visibility STAFF_ONLY --idempotency-key up-7`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, file, err := attach(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			in.File = file
			d, err := cmdutil.Call[document.Document](ctx, f, "document/v1/upload", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, d)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.Title, "title", "", "the title (default: the file name)")
	cmdutil.EnumVar(cmd, &in.Category, "category", "", document.Categories, "what the document is (required)")
	cmdutil.EnumVar(cmd, &in.Visibility, "visibility", "", document.Visibilities, "who sees it (required)")
	cmdutil.Required(cmd, "category", "visibility")
	fl.StringVar(&in.PropertyID, "property", "", "the property id it belongs to")
	fl.StringVar(&in.CaseID, "case", "", "the case (id or number) it belongs to; its property too")
	fl.StringVar(&in.IntentID, "intent", "", "the intent id it belongs to")
	fl.StringVar(&in.HOAContextID, "hoa", "", "the HOA context id it belongs to")
	fl.StringVar(&in.VendorID, "vendor", "", "the vendor id it belongs to")
	return cmd
}

func newSupersede(f *factory.Factory) *cobra.Command {
	var in document.SupersedeInput
	var key string
	cmd := &cobra.Command{
		Use:   "supersede ID FILE",
		Short: "Upload the next version of a document; the old version stays readable",
		Example: `  hestami doc supersede $DOC guidelines-2027.pdf
  hestami doc supersede $DOC annotated.pdf --visibility STAFF_ONLY --title "Guidelines (staff notes)"`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, file, err := attach(cmd.Context(), args[1])
			if err != nil {
				return err
			}
			in.ID, in.File = args[0], file
			d, err := cmdutil.Call[document.Document](ctx, f, "document/v1/supersede", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, d)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmd.Flags().StringVar(&in.Title, "title", "", "the new version's title (default: the old one's)")
	cmdutil.EnumVar(cmd, &in.Visibility, "visibility", "", document.Visibilities, "the new version's visibility (default: the old one's)")
	return cmd
}

func newReview(f *factory.Factory) *cobra.Command {
	var in document.ReviewInput
	var key string
	cmd := &cobra.Command{
		Use:   "review ID --status REVIEWED|REJECTED [--notes TEXT]",
		Short: "Record a document's review (staff): PENDING_REVIEW → REVIEWED | REJECTED",
		Example: `  hestami doc review $DOC --status REVIEWED --notes "matches the HOA's letter of May 3"
  hestami doc review $DOC --status REJECTED --notes "unreadable scan; asked the owner for a better copy"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.ID = args[0]
			d, err := cmdutil.Call[document.Document](cmd.Context(), f, "document/v1/review", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, d)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmdutil.EnumVar(cmd, &in.Status, "status", "", document.ReviewStatuses, "the outcome (required)")
	cmdutil.Required(cmd, "status")
	cmd.Flags().StringVar(&in.Notes, "notes", "", "what the review found (required to reject)")
	return cmd
}

func newGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Short:   "Show one document version",
		Example: `  hestami doc get $DOC --json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := cmdutil.Call[document.Document](cmd.Context(), f, "document/v1/get", document.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return show(f, d)
		},
	}
}

func row(d document.Document) []any {
	return []any{output.ID(d.ID), d.Title, fmt.Sprint(d.Version), string(d.Category), string(d.Visibility), d.MediaType, fmt.Sprint(d.Size), output.State(d.ReviewStatus)}
}

var header = []string{"ID", "TITLE", "VERSION", "CATEGORY", "VISIBILITY", "TYPE", "SIZE", "REVIEW"}

func newList(f *factory.Factory) *cobra.Command {
	var in document.ListInput
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the documents you may see (current versions), newest first",
		Example: `  hestami doc list --case CASE-2026-1
  hestami doc list --property $HOME --category PERMIT,PRIOR_APPROVAL --review-status PENDING_REVIEW
  hestami doc list --all-versions --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[document.Document]](cmd.Context(), f, "document/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "documents", header, row)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.PropertyID, "property", "", "only this property's")
	fl.StringVar(&in.CaseID, "case", "", "only this case's (id or number)")
	fl.StringVar(&in.IntentID, "intent", "", "only this intent's")
	fl.StringVar(&in.HOAContextID, "hoa", "", "only this HOA context's")
	fl.StringVar(&in.VendorID, "vendor", "", "only this vendor's")
	cmdutil.EnumSliceVar(cmd, &in.Category, "category", document.Categories, "only these categories")
	cmdutil.EnumSliceVar(cmd, &in.ReviewStatus, "review-status", document.ReviewStatuses, "only these review statuses")
	fl.BoolVar(&in.AllVersions, "all-versions", false, "superseded versions too")
	cmdutil.LimitVar(fl, &in.Limit)
	fl.StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

func newVersions(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "versions ID",
		Short:   "List a document's versions, oldest first",
		Example: `  hestami doc versions $DOC`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			vs, err := cmdutil.Call[document.Versions](cmd.Context(), f, "document/v1/versions", document.VersionsInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, listing.Page[document.Document]{Items: vs.Items}, "versions", header, row)
		},
	}
}

func newSearch(f *factory.Factory) *cobra.Command {
	var in document.SearchInput
	cmd := &cobra.Command{
		Use:   "search QUERY",
		Short: "Search titles and the text of plain-text and PDF documents",
		Long: `Full-text search (PostgreSQL, English stemming) over the documents you may
see: words match their variants ("fences" finds "fence"), "quoted phrases"
match in order, OR between words, -word excludes. Titles weigh more than
content. Matches are shown with the found words in [brackets].`,
		Example: `  hestami doc search 'fence height'
  hestami doc search '"prior approval" -denied' --limit 5`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Query = args[0]
			res, err := cmdutil.Call[document.SearchResult](cmd.Context(), f, "document/v1/search", in, "")
			if err != nil {
				return err
			}
			return cmdutil.Print(f, res, func() {
				if len(res.Items) == 0 {
					fmt.Fprintln(f.ErrOut, "no matching documents")
					return
				}
				rows := make([][]any, 0, len(res.Items))
				for _, h := range res.Items {
					rows = append(rows, []any{output.ID(h.Document.ID), h.Document.Title, string(h.Document.Category),
						strings.Join(strings.Fields(h.Snippet), " ")})
				}
				_ = cmdutil.Table(f, []string{"ID", "TITLE", "CATEGORY", "MATCH"}, rows)
			})
		},
	}
	cmd.Flags().BoolVar(&in.AllVersions, "all-versions", false, "search superseded versions too")
	cmd.Flags().IntVar(&in.Limit, "limit", 20, "the most results (1-50)")
	return cmd
}

func newDownload(f *factory.Factory) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "download ID [--out FILE]",
		Short: "Write a document's content, checked against its SHA-256, to a file",
		Long: `Writes the content to --out (default: the document's file name in the current
directory, never overwriting a file; "-" writes to standard output). The
content is checked against its SHA-256 before any of it is written: a
corrupted blob is an error naming the document, and no file is left behind.`,
		Example: `  hestami doc download $DOC
  hestami doc download $DOC --out /tmp/letter.pdf
  hestami doc download $DOC --out - | less`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// A file output, whether read in process or streamed from a server.
			c, err := cmdutil.Call[api.FileOutput](cmd.Context(), f, "document/v1/download", document.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			defer c.Close()
			if out == "-" {
				_, err := io.Copy(f.Out, c)
				return err
			}
			path := out
			if path == "" {
				path = c.FileName()
				if _, err := os.Stat(path); err == nil {
					return fmt.Errorf("%s exists: pass --out to choose where to write", path)
				}
			}
			if err := writeFile(path, c); err != nil {
				return err
			}
			fmt.Fprintf(f.ErrOut, "wrote %s (%d bytes, %s)\n", path, c.FileSize(), c.MediaType())
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", `where to write ("-": standard output)`)
	return cmd
}

// writeFile writes r to path through a temporary file renamed into place,
// so an interrupted download leaves no partial file.
func writeFile(path string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
