package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hestami/concierge/internal/apperr"
)

// checkText reports every string (member name or value) of raw that holds a
// NUL character or invalid UTF-8, naming its path. PostgreSQL stores neither
// in text columns, and Go's decoder would silently turn invalid bytes into
// U+FFFD, so both are refused before anything else looks at the input.
// raw must be syntactically valid JSON; a syntax error ends the walk quietly
// (the schema validator reports it).
func checkText(raw []byte) []apperr.FieldError {
	if utf8.Valid(raw) && !bytes.Contains(raw, []byte(`\u0000`)) {
		return nil // the common case: nothing to walk
	}
	var out []apperr.FieldError
	dec := json.NewDecoder(bytes.NewReader(raw))
	type frame struct {
		array bool
		index int
		key   string
		atKey bool // an object expecting a member name next
	}
	var stack []frame
	path := func() string {
		var segs []string
		for _, f := range stack {
			if f.array {
				segs = append(segs, strconv.Itoa(f.index))
			} else if f.key != "" {
				segs = append(segs, f.key)
			}
		}
		if p := fieldPath(segs); p != "" {
			return p
		}
		return "(input)"
	}
	// afterValue advances the enclosing container past one value.
	afterValue := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].atKey = true
			}
		}
	}
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return out // io.EOF, or a syntax error the validator reports
		}
		end := dec.InputOffset()
		span := raw[prev:end]
		prev = end
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{atKey: true})
			case '[':
				stack = append(stack, frame{array: true})
			case '}', ']':
				stack = stack[:len(stack)-1]
				afterValue()
			}
		case string:
			isKey := len(stack) > 0 && !stack[len(stack)-1].array && stack[len(stack)-1].atKey
			if isKey {
				stack[len(stack)-1].key = t
				stack[len(stack)-1].atKey = false
			}
			field := path()
			switch {
			case !utf8.Valid(span):
				out = append(out, apperr.FieldError{Field: field, Code: "invalid_utf8", Message: field + " must be valid UTF-8"})
			case strings.IndexByte(t, 0) >= 0:
				out = append(out, apperr.FieldError{Field: field, Code: "nul_character", Message: field + " must not contain a NUL character"})
			}
			if !isKey {
				afterValue()
			}
		default:
			afterValue()
		}
	}
}

// decodeInto decodes raw (valid against the schema) into in. JSON Schema
// calls 100.0 an integer, encoding/json does not: integral numbers are
// rewritten as integers and decoded again. Whatever still fails is a field
// error naming the field, never decoder text.
func decodeInto(raw []byte, in any) error {
	err := json.Unmarshal(raw, in)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && strings.HasPrefix(te.Value, "number") {
		if norm, ok := integralNumbers(raw); ok {
			err = json.Unmarshal(norm, in)
		}
	}
	if err == nil {
		return nil
	}
	field, msg := "(input)", "the input could not be decoded"
	if errors.As(err, &te) {
		if te.Field != "" {
			field = te.Field
		}
		msg = fmt.Sprintf("%s must be %s", field, kindWord(te.Type))
	} else if f, ok := badTime(raw, reflect.TypeOf(in)); ok {
		field, msg = f, f+" must be an RFC 3339 date-time such as 2026-01-02T15:04:05Z"
	}
	return &apperr.Error{Code: apperr.Validation, Message: "the input is invalid",
		Fields: []apperr.FieldError{{Field: field, Code: "invalid", Message: msg}}}
}

// badTime finds the date-time of raw that Go's strict RFC 3339 parser
// refuses although the schema's format accepts it (a leap second, say),
// following t's JSON members.
func badTime(raw []byte, t reflect.Type) (string, bool) {
	var walk func(v any, t reflect.Type, path []string) (string, bool)
	walk = func(v any, t reflect.Type, path []string) (string, bool) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case t == timeType:
			b, _ := json.Marshal(v)
			var tm time.Time
			if json.Unmarshal(b, &tm) != nil {
				return fieldPath(path), true
			}
		case t.Kind() == reflect.Struct:
			obj, _ := v.(map[string]any)
			for i := 0; i < t.NumField(); i++ {
				sf := t.Field(i)
				name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
				if name == "" {
					name = sf.Name
				}
				if e, ok := obj[name]; ok && sf.IsExported() && name != "-" {
					if f, ok := walk(e, sf.Type, append(path, name)); ok {
						return f, true
					}
				}
			}
		case t.Kind() == reflect.Slice:
			arr, _ := v.([]any)
			for i, e := range arr {
				if f, ok := walk(e, t.Elem(), append(path, strconv.Itoa(i))); ok {
					return f, true
				}
			}
		}
		return "", false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	return walk(v, t, nil)
}

func kindWord(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	}
	return "of type " + t.Kind().String()
}

// integralNumbers rewrites every number of raw that has an integral value
// (100.0, 1e2) as a plain integer.
func integralNumbers(raw []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	v = rewriteNumbers(v)
	out, err := json.Marshal(v)
	return out, err == nil
}

func rewriteNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = rewriteNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = rewriteNumbers(e)
		}
	case json.Number:
		s := string(t)
		if !strings.ContainsAny(s, ".eE") || len(s) > 400 {
			return t
		}
		f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
		if err != nil || !f.IsInt() {
			return t
		}
		i, _ := f.Int(nil)
		return json.Number(i.String())
	}
	return v
}

// Dates are kept between years 1 and 9999 in UTC: beyond them Go cannot
// write the value back as JSON and PostgreSQL answers an error.
var (
	minTime  = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime  = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	timeType = reflect.TypeFor[time.Time]()
)

// checkTimes reports every time.Time in v outside the supported range,
// naming its JSON path.
func checkTimes(v reflect.Value, path []string, out *[]apperr.FieldError) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkTimes(v.Elem(), path, out)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			if t.Before(minTime) || !t.Before(maxTime) {
				f := fieldPath(path)
				*out = append(*out, apperr.FieldError{Field: f, Code: "out_of_range",
					Message: f + " must be between years 0001 and 9999 in UTC"})
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			sf := v.Type().Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			checkTimes(v.Field(i), append(path, name), out)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			checkTimes(v.Index(i), append(path, strconv.Itoa(i)), out)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			checkTimes(v.MapIndex(k), append(path, fmt.Sprint(k.Interface())), out)
		}
	}
}

// GetInput names one record by its id (or, where the domain has one, its
// human number such as CASE-2026-7).
type GetInput struct {
	ID string `json:"id" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
}
