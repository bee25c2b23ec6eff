package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/itchyny/gojq"

	"github.com/hestami/concierge/internal/apperr"
)

// JSONView is how --json, --json=fields, --jq and --template shape a
// result. The zero value prints the whole result as indented JSON.
type JSONView struct {
	// Fields keeps only these top-level fields: of each item of a list
	// (a page's items, whose nextCursor stays), or of an object.
	Fields []string
	// JQ filters the (selected) JSON with a jq expression; a string result
	// prints raw.
	JQ string
	// Template renders the (selected) JSON with text/template.
	Template string
}

// Write prints v as the view says; term is for the template's timeago. A
// field v does not have, a bad expression or a bad template is a
// VALIDATION error (exit 2) naming the flag.
func (jv JSONView) Write(w io.Writer, v any, term Term) error {
	if len(jv.Fields) == 0 && jv.JQ == "" && jv.Template == "" {
		return JSON(w, v)
	}
	data, err := decode(v)
	if err != nil {
		return err
	}
	if len(jv.Fields) > 0 {
		if data, err = selectFields(data, v, jv.Fields); err != nil {
			return err
		}
	}
	switch {
	case jv.JQ != "":
		return runJQ(w, jv.JQ, data)
	case jv.Template != "":
		return runTemplate(w, jv.Template, data, term)
	default:
		return JSON(w, data)
	}
}

// decode turns v into the generic JSON value it marshals to, keeping
// numbers exact.
func decode(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var data any
	err = dec.Decode(&data)
	return data, err
}

// selectFields keeps fields of data; which fields exist comes from v's Go
// type (its json tags), so an empty list still knows them, and from the
// keys data has (maps).
func selectFields(data, v any, fields []string) (any, error) {
	itemType, list := listElem(reflect.TypeOf(v))
	var items []any
	switch d := data.(type) {
	case []any:
		items = d
	case map[string]any:
		if raw, ok := d["items"]; ok && list {
			// A nil slice marshals as null: an empty list all the same.
			items, _ = raw.([]any)
		} else {
			list = false
			itemType = reflect.TypeOf(v)
		}
	default:
		return nil, apperr.New(apperr.Validation, "--json: this command's output has no fields to select; use --json alone")
	}
	avail := typeFields(itemType)
	if !list {
		if m, ok := data.(map[string]any); ok {
			avail = appendKeys(avail, m)
		}
	}
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			avail = appendKeys(avail, m)
		}
	}
	slices.Sort(avail)
	avail = slices.Compact(avail)
	for _, f := range fields {
		if !slices.Contains(avail, f) {
			return nil, apperr.New(apperr.Validation, "--json: unknown field %q; available fields: %s", f, strings.Join(avail, ", "))
		}
	}
	pick := func(x any) any {
		m, ok := x.(map[string]any)
		if !ok {
			return x
		}
		out := make(map[string]any, len(fields))
		for _, f := range fields {
			if val, ok := m[f]; ok {
				out[f] = val
			}
		}
		return out
	}
	if !list {
		return pick(data), nil
	}
	picked := make([]any, len(items))
	for i, it := range items {
		picked[i] = pick(it)
	}
	if m, ok := data.(map[string]any); ok {
		out := map[string]any{"items": picked}
		if c, ok := m["nextCursor"]; ok {
			out["nextCursor"] = c
		}
		return out, nil
	}
	return picked, nil
}

// listElem reports whether t is a list (a slice, or a struct with an items
// slice, as listing.Page is) and the type of its items.
func listElem(t reflect.Type) (reflect.Type, bool) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return nil, false
	}
	if t.Kind() == reflect.Slice {
		return t.Elem(), true
	}
	if t.Kind() == reflect.Struct {
		for i := range t.NumField() {
			sf := t.Field(i)
			if name, _, _ := strings.Cut(sf.Tag.Get("json"), ","); name == "items" && sf.Type.Kind() == reflect.Slice {
				return sf.Type.Elem(), true
			}
		}
	}
	return t, false
}

// typeFields lists the JSON names of a struct type's fields, embedded
// structs' included.
func typeFields(t reflect.Type) []string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct || t == reflect.TypeOf(time.Time{}) {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			out = append(out, typeFields(sf.Type)...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, name)
	}
	return out
}

func appendKeys(dst []string, m map[string]any) []string {
	for k := range m {
		dst = append(dst, k)
	}
	return dst
}

func runJQ(w io.Writer, expr string, data any) error {
	q, err := gojq.Parse(expr)
	if err != nil {
		return apperr.New(apperr.Validation, "--jq: %v", err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return apperr.New(apperr.Validation, "--jq: %v", err)
	}
	iter := code.Run(jqValue(data))
	for {
		r, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := r.(error); ok {
			return apperr.New(apperr.Validation, "--jq: %v", err)
		}
		if s, ok := r.(string); ok {
			if _, err := fmt.Fprintln(w, s); err != nil {
				return err
			}
			continue
		}
		if err := JSON(w, r); err != nil {
			return err
		}
	}
}

// jqValue converts exact numbers to the kinds gojq computes with: integers
// stay integers, others become float64.
func jqValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jqValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jqValue(e)
		}
		return out
	}
	return v
}

// TemplateFuncs are the helpers --template offers, as gh's do.
func TemplateFuncs(term Term) template.FuncMap {
	return template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		// timeago shows an RFC 3339 time relative to now ("3h ago").
		"timeago": func(v any) (string, error) {
			s := fmt.Sprint(v)
			tm, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return "", fmt.Errorf("timeago: %q is not an RFC 3339 time", s)
			}
			return Relative(tm, term.now()), nil
		},
		// truncate cuts a string to n characters, ending in "…" when cut.
		"truncate": func(n int, v any) string {
			r := []rune(fmt.Sprint(v))
			if len(r) <= n {
				return string(r)
			}
			if n <= 1 {
				return string(r[:max(n, 0)])
			}
			return string(r[:n-1]) + "…"
		},
		"join": func(sep string, v any) (string, error) {
			arr, ok := v.([]any)
			if !ok {
				return "", fmt.Errorf("join: %T is not a list", v)
			}
			parts := make([]string, len(arr))
			for i, e := range arr {
				parts[i] = fmt.Sprint(e)
			}
			return strings.Join(parts, sep), nil
		},
	}
}

func runTemplate(w io.Writer, text string, data any, term Term) error {
	tpl, err := template.New("--template").Funcs(TemplateFuncs(term)).Parse(text)
	if err != nil {
		return apperr.New(apperr.Validation, "%v", err)
	}
	var buf bytes.Buffer
	if err := tpl.Execute(&buf, data); err != nil {
		return apperr.New(apperr.Validation, "%v", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
