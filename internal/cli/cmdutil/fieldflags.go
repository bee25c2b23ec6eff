package cmdutil

import (
	"errors"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/apperr"
)

// fieldFlagsAnnotation holds a command's API field → flag names, as
// "field=flag" pairs.
const fieldFlagsAnnotation = "hestami_field_flags"

// FieldFlags declares which flag sets which input field of the procedure a
// command calls, where the names differ (the field "status" set by --to).
// A flag named like its field ("title" by --title, "propertyId" by
// --property) needs no entry. Calls add up.
func FieldFlags(cmd *cobra.Command, fieldToFlag map[string]string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	var pairs []string
	if s := cmd.Annotations[fieldFlagsAnnotation]; s != "" {
		pairs = strings.Split(s, ",")
	}
	for field, flag := range fieldToFlag {
		if cmd.Flags().Lookup(flag) == nil {
			panic(cmd.CommandPath() + ": FieldFlags names no flag --" + flag) // a programming mistake
		}
		pairs = append(pairs, field+"="+flag)
	}
	cmd.Annotations[fieldFlagsAnnotation] = strings.Join(pairs, ",")
}

// NameFlags rewrites the field errors of a VALIDATION error from cmd's
// procedure so each names the flag that set the field ("--to: must be one
// of …") rather than the API's field, which the person never typed. Fields
// no flag sets (a positional argument, say) are left as they are. With
// --json the API's field paths stay: that output is a machine contract, the
// same as the RPC API's.
func NameFlags(cmd *cobra.Command, err error) error {
	var e *apperr.Error
	if !errors.As(err, &e) || e.Code != apperr.Validation || len(e.Fields) == 0 || jsonOutput(cmd) {
		return err
	}
	explicit := map[string]string{}
	if s := cmd.Annotations[fieldFlagsAnnotation]; s != "" {
		for _, pair := range strings.Split(s, ",") {
			field, flag, _ := strings.Cut(pair, "=")
			explicit[field] = flag
		}
	}
	renamed := *e
	renamed.Fields = make([]apperr.FieldError, len(e.Fields))
	changed := false
	for i, fe := range e.Fields {
		renamed.Fields[i] = fe
		flag, whole, ok := flagOf(cmd, explicit, fe.Field)
		if !ok {
			continue
		}
		changed = true
		name := "--" + flag
		head := fieldHead(fe.Field)
		if !whole {
			// The flag sets a structure; say which part of it is wrong.
			name += " (" + fe.Field + ")"
		}
		renamed.Fields[i].Field = name
		// "status must be one of …" → "--to: must be one of …": the person
		// never typed the API's name. A message that goes on about the
		// field ("waitingOn (the party …) is required") keeps its subject,
		// as the flag.
		for _, prefix := range []string{fe.Field + " ", head + " "} {
			if rest, ok := strings.CutPrefix(fe.Message, prefix); ok {
				if strings.HasPrefix(rest, "(") {
					rest = "--" + flag + " " + rest
				}
				renamed.Fields[i].Message = rest
				break
			}
		}
	}
	if !changed {
		return err
	}
	return &renamed
}

// flagOf finds the flag of cmd that sets field: the declared one, or the
// one named like the field (or its first path segment) in kebab case, with
// or without an "-id" suffix. whole says the flag sets exactly that field.
func flagOf(cmd *cobra.Command, explicit map[string]string, field string) (flag string, whole, ok bool) {
	if flag, ok := explicit[field]; ok {
		return flag, true, true
	}
	head := fieldHead(field)
	if flag, ok := explicit[head]; ok {
		return flag, head == field, true
	}
	k := kebab(head)
	for _, name := range []string{k, strings.TrimSuffix(k, "-id"), strings.TrimSuffix(k, "s")} {
		if name != "" && cmd.NonInheritedFlags().Lookup(name) != nil {
			return name, head == field, true
		}
	}
	return "", false, false
}

// fieldHead is the first segment of a field path: "lines" of "lines[0].amount".
func fieldHead(field string) string {
	if i := strings.IndexAny(field, ".["); i >= 0 {
		return field[:i]
	}
	return field
}

func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// jsonOutput reports whether the command was asked for JSON (--json, with
// or without a field list).
func jsonOutput(cmd *cobra.Command) bool {
	fl := cmd.Flag("json")
	if fl == nil || !fl.Changed {
		return false
	}
	return fl.Value.String() != "false"
}
