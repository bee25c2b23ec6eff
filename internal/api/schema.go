package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
	sjs "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/hestami/concierge/internal/apperr"
)

// schemaFor generates the JSON Schema of a Go type: lowerCamelCase names from
// the json tags, fields without omitempty required, unknown fields rejected,
// constraints from jsonschema tags. The same document is published in OpenAPI
// and used to validate requests.
func schemaFor(t reflect.Type) (map[string]any, error) {
	r := &jsonschema.Reflector{DoNotReference: true, Anonymous: true, AllowAdditionalProperties: false}
	s := r.ReflectFromType(t)
	s.Version = ""
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// validator validates decoded JSON against a compiled schema.
type validator struct{ schema *sjs.Schema }

func compile(name string, schema map[string]any) (*validator, error) {
	// Round-trip through the loader's decoder so numbers are json.Number.
	b, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	doc, err := sjs.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	c := sjs.NewCompiler()
	c.AssertFormat()
	url := "urn:hestami:" + name
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema of %s: %w", name, err)
	}
	return &validator{schema: s}, nil
}

// Validate returns VALIDATION_FAILED listing every violation with its path,
// or nil. raw must be JSON.
func (v *validator) Validate(raw []byte) error {
	inst, err := sjs.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return &apperr.Error{Code: apperr.Validation, Message: "the input is not valid JSON",
			Fields: []apperr.FieldError{{Field: "(input)", Code: "invalid_json", Message: "the input is not valid JSON"}}}
	}
	err = v.schema.Validate(inst)
	if err == nil {
		return nil
	}
	ve, ok := err.(*sjs.ValidationError)
	if !ok {
		return apperr.Wrap(apperr.Internal, err, "validation failed")
	}
	var fields []apperr.FieldError
	collect(ve, &fields)
	return &apperr.Error{Code: apperr.Validation, Message: "the input is invalid", Fields: fields}
}

func collect(e *sjs.ValidationError, out *[]apperr.FieldError) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, out)
		}
		return
	}
	base := e.InstanceLocation
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, apperr.FieldError{Field: fieldPath(append(append([]string{}, base...), m)), Code: "required", Message: m + " is required"})
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, apperr.FieldError{Field: fieldPath(append(append([]string{}, base...), p)), Code: "unknown_field", Message: p + " is not a known field"})
		}
	default:
		kw := e.ErrorKind.KeywordPath()
		code := "invalid"
		if len(kw) > 0 {
			code = kw[len(kw)-1]
		}
		field := fieldPath(base)
		if field == "" {
			field = "(input)"
		}
		*out = append(*out, apperr.FieldError{Field: field, Code: code, Message: message(field, e)})
	}
}

// singleLinePattern is the jsonschema tag pattern of one-line text (names,
// titles, address lines): no C0 or C1 control character or DEL, which would
// break a table row or a log line. Tags cannot name a constant, so they spell
// it out; the wording below recognises it.
const singleLinePattern = `^[^\x00-\x1F\x7F-\x9F]*$`

// message words a violation for a person, naming the field.
func message(field string, e *sjs.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.MinLength:
		if k.Want == 1 {
			return field + " must not be empty"
		}
		return fmt.Sprintf("%s must be at least %d characters", field, k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("%s must be at most %d characters", field, k.Want)
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		return field + " must be one of " + strings.Join(want, ", ")
	case *kind.Format:
		switch k.Want {
		case "uuid":
			return field + " must be a UUID"
		case "date-time":
			return field + " must be an RFC 3339 date-time such as 2026-01-02T15:04:05Z"
		}
		return field + " must be a valid " + k.Want
	case *kind.Type:
		return field + " must be " + strings.Join(k.Want, " or ") + ", not " + k.Got
	case *kind.Pattern:
		if k.Want == singleLinePattern {
			return field + " must be a single line: no line breaks, tabs or other control characters"
		}
		return field + " must match " + k.Want
	case *kind.Minimum:
		return field + " must be at least " + k.Want.FloatString(0)
	case *kind.Maximum:
		return field + " must be at most " + k.Want.FloatString(0)
	}
	s := e.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		s = s[i+2:]
	}
	return field + ": " + s
}

// fieldPath turns ["address","line1"] into "address.line1" and ["status","0"]
// into "status[0]".
func fieldPath(loc []string) string {
	var b strings.Builder
	for _, seg := range loc {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}
