// Package apicmd is `hestami api`: any procedure, called with an input built
// from flags or a file, locally or on a server, as every command calls it.
package apicmd

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
)

// NewCmd returns `hestami api`.
func NewCmd(f *factory.Factory) *cobra.Command {
	var fields, typed []string
	var inputFile, key string
	var list bool
	cmd := &cobra.Command{
		Use:   "api <namespace>/<version>/<procedure> [-f key=value ...] [-F key=value ...] [--input FILE|-]",
		Short: "Call any API procedure and print its JSON output",
		Long: `Calls one procedure of the RPC API through the same pipeline as every command
(schema validation, authorization, row-level security, idempotency), in this
process or on the server (--server, HESTAMI_SERVER, or ` + "`hestami auth login`" + `), as
the acting user (--token) in the active organization (--org).

The input is an object built from --input (a JSON file, "-" for standard
input), then each field flag in order:
  -f key=value   a string
  -F key=value   typed: true, false, null, a number, or JSON ([..], {..}, "..");
                 @PATH sends the file at PATH (a procedure that takes a file)
A dotted key (-f address.city=Austin) builds nested objects.

The output is printed as JSON (a file output, such as document/v1/download,
as its bytes); errors and exit codes are those of every command.
` + "`hestami api --list`" + ` lists the procedures; GET /api/v1/openapi.json on a server
describes their inputs and outputs.`,
		Example: `  hestami api case/v1/get -f id=CASE-2026-1
  hestami api case/v1/list -F limit=5 -f sort=URGENCY
  hestami api case/v1/updateStatus -f id=CASE-2026-1 -f status=IN_PROGRESS --idempotency-key k-42
  echo '{"propertyId":"…","title":"Leak"}' | hestami api case/v1/create --input -
  hestami api document/v1/upload -F file=@permit.pdf -f category=PERMIT -f visibility=OWNER_AND_STAFF -f propertyId=$HOME
  hestami api --list`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg := app.Declarations()
			if list {
				return printList(f, reg)
			}
			if len(args) == 0 {
				return usage(cmd, "name a procedure, e.g. case/v1/get; `hestami api --list` lists them")
			}
			p, ok := reg.Lookup(args[0])
			if !ok {
				return usage(cmd, "unknown procedure %q: `hestami api --list` lists the procedures (namespace/version/procedure)", args[0])
			}
			ctx := cmd.Context()
			in, err := readInput(cmd, inputFile)
			if err != nil {
				return err
			}
			var atts []*api.Attachment
			set := func(flag, kv string, parse func(string) (any, error)) error {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usage(cmd, "%s %q: expected key=value", flag, kv)
				}
				val, err := parse(v)
				if err != nil {
					return usage(cmd, "%s %s: %v", flag, k, err)
				}
				if a, ok := val.(*api.Attachment); ok {
					atts = append(atts, a)
					val = a.File
				}
				return put(in, strings.Split(k, "."), val)
			}
			for _, kv := range fields {
				if err := set("-f", kv, func(v string) (any, error) { return v, nil }); err != nil {
					return err
				}
			}
			for _, kv := range typed {
				if err := set("-F", kv, typedValue); err != nil {
					return err
				}
			}
			ctx = api.WithAttachments(ctx, atts...)
			if p.Kind == api.Mutation {
				key = cmdutil.Key(key)
			}
			if reflect.PointerTo(p.Output).Implements(reflect.TypeFor[api.FileOutput]()) {
				var fo api.FileOutput
				if err := f.Caller().Call(ctx, "", p.Path(), in, &fo, key); err != nil {
					return err
				}
				defer fo.Close()
				_, err := io.Copy(f.Out, fo)
				return err
			}
			var out json.RawMessage
			if err := f.Caller().Call(ctx, "", p.Path(), in, &out, key); err != nil {
				return err
			}
			var v any
			if err := json.Unmarshal(out, &v); err != nil {
				return err
			}
			return cmdutil.PrintJSON(f, v)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&fields, "field", "f", nil, "a string input field key=value (repeatable)")
	fl.StringArrayVarP(&typed, "raw-field", "F", nil, "a typed input field key=value: true, false, null, a number, JSON, or @FILE (repeatable)")
	fl.StringVar(&inputFile, "input", "", `the input object from a JSON file ("-": standard input); fields flags add to it`)
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.BoolVar(&list, "list", false, "list the procedures: path, kind, summary")
	return cmd
}

func usage(cmd *cobra.Command, format string, args ...any) error {
	return &apperr.Error{Code: apperr.Validation,
		Message: fmt.Sprintf(format, args...) + fmt.Sprintf(" (see '%s --help')", cmd.CommandPath())}
}

// readInput is the --input object, or an empty one.
func readInput(cmd *cobra.Command, path string) (map[string]any, error) {
	in := map[string]any{}
	if path == "" {
		return in, nil
	}
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(cmd.InOrStdin())
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, usage(cmd, "--input: %v", err)
	}
	if err := json.Unmarshal(raw, &in); err != nil || in == nil {
		return nil, usage(cmd, "--input %s: not a JSON object", path)
	}
	return in, nil
}

// typedValue parses a -F value as gh does: literals, numbers, JSON, or
// @PATH for a file to send.
func typedValue(v string) (any, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if path, ok := strings.CutPrefix(v, "@"); ok {
		a, err := api.AttachPath(path, filepath.Base(path))
		if err != nil {
			return nil, err
		}
		return a, nil
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXpP_iInN") {
		// Kept as written: 10.50 stays 10.50, not a float's rendering.
		return json.Number(v), nil
	}
	if strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{") || strings.HasPrefix(v, `"`) {
		var j any
		d := json.NewDecoder(strings.NewReader(v))
		d.UseNumber()
		if err := d.Decode(&j); err != nil {
			return nil, fmt.Errorf("not valid JSON: %v", err)
		}
		return j, nil
	}
	return v, nil
}

// put sets in[path] = v, creating the objects on the way.
func put(in map[string]any, path []string, v any) error {
	for i, k := range path[:len(path)-1] {
		next, ok := in[k].(map[string]any)
		if !ok {
			if _, taken := in[k]; taken {
				return fmt.Errorf("%s is not an object", strings.Join(path[:i+1], "."))
			}
			next = map[string]any{}
			in[k] = next
		}
		in = next
	}
	in[path[len(path)-1]] = v
	return nil
}

func printList(f *factory.Factory, reg *api.Registry) error {
	type entry struct {
		Procedure string   `json:"procedure"`
		Kind      api.Kind `json:"kind"`
		Summary   string   `json:"summary"`
	}
	var all []entry
	for _, p := range reg.All() {
		all = append(all, entry{p.Path(), p.Kind, p.Summary})
	}
	return cmdutil.Print(f, all, func() {
		rows := make([][]string, 0, len(all))
		for _, e := range all {
			rows = append(rows, []string{e.Procedure, string(e.Kind), e.Summary})
		}
		output.Table(f.Out, []string{"PROCEDURE", "KIND", "SUMMARY"}, rows)
	})
}
