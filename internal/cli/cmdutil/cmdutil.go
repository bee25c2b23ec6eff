// Package cmdutil holds what every command shares: calling an API procedure
// as the local caller, and printing results.
package cmdutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/listing"
)

// Call runs procedure with input as the CLI's caller (--token, or --as for
// operators, in --org) through the same pipeline as the API: schema
// validation, authorization, RLS, idempotency (key) and the span. It returns
// the procedure's output.
func Call[O any](ctx context.Context, f *factory.Factory, procedure string, input any, key string) (O, error) {
	var out O
	err := f.Caller().Call(ctx, "", procedure, input, &out, key)
	return out, err
}

// KeyFlagHelp documents the --idempotency-key flag of mutating commands.
const KeyFlagHelp = "makes a retry safe: the same key and input apply once and answer the same (default: a new random key)"

// Key returns key, or a new random one.
func Key(key string) string {
	if key != "" {
		return key
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "cli-" + hex.EncodeToString(b)
}

// PrintJSON writes v as JSON, shaped by --json=fields, --jq or --template.
func PrintJSON(f *factory.Factory, v any) error {
	return f.JSONView.Write(f.Out, v, f.Term)
}

// Print writes v as JSON with --json, else calls human.
func Print(f *factory.Factory, v any, human func()) error {
	if f.JSON {
		return PrintJSON(f, v)
	}
	human()
	return nil
}

// Table prints rows of cells (strings, output.Time, output.ID,
// output.State…) in the form f.Out calls for: see output.Term.Table.
func Table(f *factory.Factory, header []string, rows [][]any) error {
	return f.Term.Table(f.Out, header, rows)
}

// Fields prints key: value lines (keys are strings, values cells).
func Fields(f *factory.Factory, pairs ...any) {
	f.Term.Fields(f.Out, pairs...)
}

// PrintPage prints one page of a list: the page as JSON with --json, else a
// table of row(item) under header, then on stderr (so a pipe gets only rows)
// "no <plural>" for an empty page and how to ask for the next one.
func PrintPage[T any](f *factory.Factory, page listing.Page[T], plural string, header []string, row func(T) []any) error {
	if f.JSON {
		return PrintJSON(f, page)
	}
	if len(page.Items) == 0 {
		fmt.Fprintf(f.ErrOut, "no %s\n", plural)
		return nil
	}
	rows := make([][]any, 0, len(page.Items))
	for _, it := range page.Items {
		rows = append(rows, row(it))
	}
	if err := Table(f, header, rows); err != nil {
		return err
	}
	if page.NextCursor != "" {
		fmt.Fprintf(f.ErrOut, "more: --cursor %s\n", page.NextCursor)
	}
	return nil
}
