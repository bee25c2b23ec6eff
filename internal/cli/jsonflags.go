package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hestami/concierge/internal/cli/factory"
)

// jsonFlag is --json[=fields]: alone (or =true) the whole result as JSON,
// as scripts have always used it; with a comma-separated list only those
// fields. Either way errors print as the JSON envelope.
type jsonFlag struct{ f *factory.Factory }

func (j jsonFlag) String() string {
	if !j.f.JSON {
		return ""
	}
	return strings.Join(j.f.JSONView.Fields, ",")
}

func (j jsonFlag) Set(s string) error {
	switch s {
	case "true", "":
		j.f.JSON, j.f.JSONView.Fields = true, nil
	case "false":
		j.f.JSON, j.f.JSONView.Fields = false, nil
	default:
		j.f.JSON = true
		j.f.JSONView.Fields = nil
		for _, field := range strings.Split(s, ",") {
			if field = strings.TrimSpace(field); field != "" {
				j.f.JSONView.Fields = append(j.f.JSONView.Fields, field)
			}
		}
	}
	return nil
}

// Type is "bool" so help shows plain --json, the common use; the usage
// text documents =fields.
func (j jsonFlag) Type() string { return "bool" }

// addJSONFlags adds --json[=fields], --jq and --template to pf.
func addJSONFlags(pf *pflag.FlagSet, f *factory.Factory) {
	pf.Var(jsonFlag{f}, "json", "print results (and errors) as JSON; --json=number,status keeps only those fields")
	pf.Lookup("json").NoOptDefVal = "true"
	pf.StringVar(&f.JSONView.JQ, "jq", "", "filter the JSON result with a jq `expression` (implies --json)")
	pf.StringVar(&f.JSONView.Template, "template", "", "render the JSON result with a Go text/template (implies --json; helpers: json, timeago, truncate, join)")
}

// checkJSONFlags makes --jq and --template imply JSON and refuses both at
// once.
func checkJSONFlags(cmd *cobra.Command, f *factory.Factory) error {
	if f.JSONView.JQ != "" && f.JSONView.Template != "" {
		return usageError(cmd, "--jq and --template cannot be used together")
	}
	if f.JSONView.JQ != "" || f.JSONView.Template != "" {
		f.JSON = true
	}
	return nil
}
