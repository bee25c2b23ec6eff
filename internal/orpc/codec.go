// Package orpc speaks the oRPC 1.x RPC wire format (see
// shared/spec/orpc-protocol.md): the {json, meta} envelope with its type
// codes, the five-key error JSON, multipart file input and batches. It knows
// nothing of hestami's procedures.
package orpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
)

// MalformedMessage is oRPC's exact message for an undecodable request.
const MalformedMessage = "Malformed request. Ensure the request body is properly formatted and the 'Content-Type' header is set correctly."

// ErrMalformed means the request cannot be decoded (answer 400 BAD_REQUEST
// with MalformedMessage).
var ErrMalformed = errors.New("malformed oRPC request")

// Meta type codes.
const (
	TypeBigInt    = 0
	TypeDate      = 1
	TypeNaN       = 2
	TypeUndefined = 3
	TypeURL       = 4
	TypeRegExp    = 5
	TypeSet       = 6
	TypeMap       = 7
)

type envelope struct {
	JSON json.RawMessage `json:"json"`
	Meta []([]any)       `json:"meta"`
	Maps [][]any         `json:"maps"`
}

var (
	bigIntRE = regexp.MustCompile(`^-?(0|[1-9]\d*)$`)
	regExpRE = regexp.MustCompile(`^/(.*)/([a-z]*)$`)
)

// DecodeEnvelope turns an RPC JSON body into the plain JSON of the input
// (nil when the input is undefined). Meta entries are checked as oRPC
// checks them; the values stay in their JSON form (a Date stays its ISO
// string), which is what the input schema expects. A valid JSON body that is
// not an envelope is an undefined input, as in oRPC.
func DecodeEnvelope(body []byte) (json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var raw any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, ErrMalformed
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, nil
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, nil
	}
	if _, has := obj["json"]; !has {
		return nil, nil
	}
	if err := applyMeta(obj["json"], env.Meta); err != nil {
		return nil, err
	}
	return env.JSON, nil
}

// applyMeta checks every meta entry against the value at its path.
func applyMeta(root any, meta [][]any) error {
	for _, m := range meta {
		if len(m) == 0 {
			return ErrMalformed
		}
		codeF, ok := m[0].(float64)
		if !ok {
			return ErrMalformed
		}
		v, ok := at(root, m[1:])
		if !ok {
			return ErrMalformed
		}
		switch int(codeF) {
		case TypeBigInt:
			s, ok := v.(string)
			if !ok || !bigIntRE.MatchString(s) || len(s) > 4300 {
				return ErrMalformed
			}
		case TypeDate:
			if _, ok := v.(string); !ok && v != nil {
				return ErrMalformed
			}
		case TypeNaN, TypeUndefined:
			if v != nil {
				return ErrMalformed
			}
		case TypeURL:
			s, ok := v.(string)
			if !ok {
				return ErrMalformed
			}
			if u, err := url.Parse(s); err != nil || u.Scheme == "" {
				return ErrMalformed
			}
		case TypeRegExp:
			s, ok := v.(string)
			if !ok || !validRegExp(s) {
				return ErrMalformed
			}
		case TypeSet, TypeMap:
			if _, ok := v.([]any); !ok {
				return ErrMalformed
			}
		default:
			// Custom types this server has no serializer for: kept as is.
		}
	}
	return nil
}

func validRegExp(s string) bool {
	m := regExpRE.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	seen := map[rune]bool{}
	for _, f := range m[2] {
		if !strings.ContainsRune("dgimsuvy", f) || seen[f] {
			return false
		}
		seen[f] = true
	}
	return !(seen['u'] && seen['v'])
}

// at follows a meta path (string keys, numeric indices).
func at(v any, path []any) (any, bool) {
	for _, seg := range path {
		switch cur := v.(type) {
		case map[string]any:
			k, ok := seg.(string)
			if !ok {
				return nil, false
			}
			if v, ok = cur[k]; !ok {
				return nil, false
			}
		case []any:
			f, ok := seg.(float64)
			if !ok || f < 0 || int(f) >= len(cur) || f != float64(int(f)) {
				return nil, false
			}
			v = cur[int(f)]
		default:
			return nil, false
		}
	}
	return v, true
}

// DecodeRequest reads the input of a non-GET RPC request by content type.
func DecodeRequest(r *http.Request, maxBytes int64) (json.RawMessage, error) {
	ct := r.Header.Get("Content-Type")
	mediaType, params, _ := mime.ParseMediaType(ct)
	switch {
	case r.Header.Get("Content-Disposition") != "":
		return nil, nil // a raw file body: not an RPC envelope
	case ct == "" || strings.HasPrefix(mediaType, "application/json"):
		body, err := readAll(r, maxBytes)
		if err != nil {
			return nil, err
		}
		return DecodeEnvelope(body)
	case mediaType == "multipart/form-data":
		return decodeMultipart(r, params["boundary"], maxBytes)
	default:
		return nil, nil
	}
}

// ErrTooLarge means the body exceeds the limit.
var ErrTooLarge = errors.New("request body too large")

func readAll(r *http.Request, maxBytes int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, maxBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, ErrTooLarge
		}
		return nil, ErrMalformed
	}
	_ = n
	return buf.Bytes(), nil
}

// File is a file part of a multipart input, placed at its path in the input.
// On the plain JSON transport a client sends the same object with content
// base64-encoded.
type File struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Size    int    `json:"size"`
	Content []byte `json:"content"`
}

// decodeMultipart reads part "data" ({json, meta, maps}) and the file parts
// "0".."n", placing file i at maps[i].
func decodeMultipart(r *http.Request, boundary string, maxBytes int64) (json.RawMessage, error) {
	if boundary == "" {
		return nil, ErrMalformed
	}
	mr := multipart.NewReader(http.MaxBytesReader(nil, r.Body, maxBytes), boundary)
	var data []byte
	files := map[string]File{}
	for {
		part, err := mr.NextPart()
		if err == nil {
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(part); err != nil {
				return nil, ErrMalformed
			}
			if part.FormName() == "data" && part.FileName() == "" {
				data = buf.Bytes()
			} else {
				files[part.FormName()] = File{Name: part.FileName(), Type: part.Header.Get("Content-Type"), Size: buf.Len(), Content: buf.Bytes()}
			}
			continue
		}
		if errors.Is(err, io.EOF) {
			break
		}
		return nil, ErrMalformed
	}
	if data == nil {
		return nil, ErrMalformed
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, ErrMalformed
	}
	var root any
	if len(env.JSON) > 0 {
		if err := json.Unmarshal(env.JSON, &root); err != nil {
			return nil, ErrMalformed
		}
	}
	if err := applyMeta(root, env.Meta); err != nil {
		return nil, err
	}
	for i, path := range env.Maps {
		f, ok := files[fmt.Sprint(i)]
		if !ok {
			return nil, ErrMalformed
		}
		fileJSON, _ := json.Marshal(f)
		var fileVal any
		_ = json.Unmarshal(fileJSON, &fileVal)
		if len(path) == 0 {
			root = fileVal
			continue
		}
		parent, ok := at(root, path[:len(path)-1])
		if !ok {
			return nil, ErrMalformed
		}
		switch p := parent.(type) {
		case map[string]any:
			k, ok := path[len(path)-1].(string)
			if _, exists := p[k]; !ok || !exists {
				return nil, ErrMalformed
			}
			p[k] = fileVal
		case []any:
			idx, ok := path[len(path)-1].(float64)
			if !ok || int(idx) >= len(p) || idx < 0 {
				return nil, ErrMalformed
			}
			p[int(idx)] = fileVal
		default:
			return nil, ErrMalformed
		}
	}
	out, err := json.Marshal(root)
	if err != nil {
		return nil, ErrMalformed
	}
	return out, nil
}

// EncodeSuccess writes {"json": v, "meta": [...]}: every time.Time becomes an
// ISO string with millisecond precision and a Date (1) meta entry. A nil v
// gives {}.
func EncodeSuccess(v any) ([]byte, error) {
	if v == nil {
		return []byte("{}"), nil
	}
	var meta [][]any
	tree := toWire(reflect.ValueOf(v), nil, &meta)
	return marshal(wireEnvelope{JSON: tree, Meta: meta})
}

// marshal is json.Marshal without HTML escaping, as JSON.stringify writes.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

type wireEnvelope struct {
	JSON any     `json:"json"`
	Meta [][]any `json:"meta,omitempty"`
}

// ErrorJSON is the oRPC error object: exactly these five keys.
type ErrorJSON struct {
	Defined bool   `json:"defined"`
	Code    string `json:"code"`
	Status  int    `json:"status"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

// EncodeError writes the error envelope (meta for Dates inside data).
func EncodeError(e ErrorJSON) ([]byte, error) {
	var meta [][]any
	tree := toWire(reflect.ValueOf(e), nil, &meta)
	return marshal(wireEnvelope{JSON: tree, Meta: meta})
}

const isoMillis = "2006-01-02T15:04:05.000Z"

var timeType = reflect.TypeOf(time.Time{})

// toWire converts a Go value to a JSON tree, recording Date paths. It
// follows encoding/json's rules for field names and omitempty.
func toWire(v reflect.Value, path []any, meta *[][]any) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type() == timeType {
		*meta = append(*meta, append([]any{TypeDate}, path...))
		return v.Interface().(time.Time).UTC().Format(isoMillis)
	}
	if m, ok := v.Interface().(json.Marshaler); ok && v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface {
		b, err := m.MarshalJSON()
		if err == nil {
			var out any
			if json.Unmarshal(b, &out) == nil {
				return out
			}
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return toWire(v.Elem(), path, meta)
	case reflect.Struct:
		out := object{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			fv := v.Field(i)
			if f.Anonymous && name == "" && fv.Kind() == reflect.Struct {
				if sub, ok := toWire(fv, path, meta).(object); ok {
					out = append(out, sub...)
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			if strings.Contains(opts, "omitempty") && isEmpty(fv) {
				continue
			}
			out = append(out, member{name, toWire(fv, append(append([]any{}, path...), name), meta)})
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b, _ := json.Marshal(v.Interface())
			var s string
			_ = json.Unmarshal(b, &s)
			return s
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = toWire(v.Index(i), append(append([]any{}, path...), i), meta)
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i].Interface()) < fmt.Sprint(keys[j].Interface()) })
		out := object{}
		for _, key := range keys {
			k := fmt.Sprint(key.Interface())
			out = append(out, member{k, toWire(v.MapIndex(key), append(append([]any{}, path...), k), meta)})
		}
		return out
	default:
		return v.Interface()
	}
}

// object is a JSON object that keeps its members in order (struct field
// order, as encoding/json writes them; oRPC's error keys must come as
// defined, code, status, message, data).
type object []member

type member struct {
	key   string
	value any
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(m.key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := marshal(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
