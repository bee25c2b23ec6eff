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
	"strconv"
	"strings"
	"sync"
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

// DecodeRequest reads the input of a non-GET RPC request by content type:
// what RPCLink sends (JSON, or no content type, and multipart/form-data for
// files). oRPC would read any other body as a string or a whole-body file,
// which no hestami procedure takes, so those are ErrUnsupportedMediaType
// rather than a silently undefined input.
func DecodeRequest(r *http.Request, maxBytes int64) (json.RawMessage, error) {
	return DecodeRequestFiles(r, maxBytes, 0, nil)
}

// FileSink receives one file part as it is read, streamed, and returns the
// JSON value that stands for it in the input. An error ends the decoding
// (ErrTooLarge, or an error the caller recognizes, is passed through).
type FileSink func(part io.Reader, name, contentType string) (any, error)

// DecodeRequestFiles is DecodeRequest with file parts handed to sink as they
// arrive, never buffered here: the body may then exceed maxBytes by up to
// fileBytes of file content (sink bounds each file). With a nil sink, file
// parts are read into memory as File values, within maxBytes.
func DecodeRequestFiles(r *http.Request, maxBytes, fileBytes int64, sink FileSink) (json.RawMessage, error) {
	if sink == nil {
		fileBytes = 0
	}
	if r.ContentLength > maxBytes+fileBytes {
		return nil, ErrTooLarge
	}
	ct := r.Header.Get("Content-Type")
	mediaType, params, perr := mime.ParseMediaType(ct)
	switch {
	case r.Header.Get("Content-Disposition") != "":
		return nil, ErrUnsupportedMediaType
	case IsJSON(ct):
		body, err := readAll(r, maxBytes)
		if err != nil {
			return nil, err
		}
		return DecodeEnvelope(body)
	case perr == nil && mediaType == "multipart/form-data":
		return decodeMultipart(r, params["boundary"], maxBytes, fileBytes, sink)
	default:
		return nil, ErrUnsupportedMediaType
	}
}

// ErrTooLarge means the body exceeds the limit.
var ErrTooLarge = errors.New("request body too large")

// IsJSON reports whether a request's Content-Type announces JSON: none at
// all (oRPC's own reading), application/json with any parameters, or a
// +json type. Every JSON path (single calls, batches, plain JSON) uses this
// one rule.
func IsJSON(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// ErrUnsupportedMediaType means the body's content type is not one an RPC
// client sends.
var ErrUnsupportedMediaType = errors.New("unsupported media type")

// readErr tells a body over the limit from a broken one.
func readErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return ErrTooLarge
	}
	return ErrMalformed
}

func readAll(r *http.Request, maxBytes int64) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, maxBytes)); err != nil {
		return nil, readErr(err)
	}
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
func decodeMultipart(r *http.Request, boundary string, maxBytes, fileBytes int64, sink FileSink) (json.RawMessage, error) {
	if boundary == "" {
		return nil, ErrMalformed
	}
	mr := multipart.NewReader(http.MaxBytesReader(nil, r.Body, maxBytes+fileBytes), boundary)
	var data []byte
	files := map[string]any{}
	for {
		part, err := mr.NextPart()
		if err == nil {
			isData := part.FormName() == "data" && part.FileName() == ""
			if sink != nil && !isData {
				v, err := sink(part, part.FileName(), part.Header.Get("Content-Type"))
				if err != nil {
					var mbe *http.MaxBytesError
					if errors.As(err, &mbe) {
						return nil, ErrTooLarge
					}
					return nil, err
				}
				files[part.FormName()] = v
				continue
			}
			var buf bytes.Buffer
			// The JSON part stays within maxBytes whatever the file allowance.
			if _, err := buf.ReadFrom(io.LimitReader(part, maxBytes+1)); err != nil {
				return nil, readErr(err)
			}
			if int64(buf.Len()) > maxBytes {
				return nil, ErrTooLarge
			}
			if isData {
				data = buf.Bytes()
			} else {
				files[part.FormName()] = File{Name: part.FileName(), Type: part.Header.Get("Content-Type"), Size: buf.Len(), Content: buf.Bytes()}
			}
			continue
		}
		if errors.Is(err, io.EOF) {
			break
		}
		return nil, readErr(err)
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
	return encodeEnvelope(reflect.ValueOf(v))
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
	return encodeEnvelope(reflect.ValueOf(e))
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

const isoMillis = "2006-01-02T15:04:05.000Z"

var (
	timeType      = reflect.TypeOf(time.Time{})
	marshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
)

// encoder writes JSON in one pass, following encoding/json's rules for
// field names and omitempty (struct fields in declaration order, map keys
// sorted), without HTML escaping (as JSON.stringify), and records the path of
// every Date for the meta list.
type encoder struct {
	buf  bytes.Buffer
	path []pathSeg
	meta bytes.Buffer // the meta entries, written as they are found
}

// pathSeg is one step of a JSON path: a member name or an array index.
type pathSeg struct {
	key   string
	index int
	isIdx bool
}

func encodeEnvelope(v reflect.Value) ([]byte, error) {
	e := &encoder{}
	e.buf.WriteString(`{"json":`)
	if err := e.value(v); err != nil {
		return nil, err
	}
	if e.meta.Len() > 0 {
		e.buf.WriteString(`,"meta":[`)
		e.buf.Write(e.meta.Bytes())
		e.buf.WriteByte(']')
	}
	e.buf.WriteByte('}')
	return e.buf.Bytes(), nil
}

func (e *encoder) pushKey(k string) { e.path = append(e.path, pathSeg{key: k}) }
func (e *encoder) pushIdx(i int)    { e.path = append(e.path, pathSeg{index: i, isIdx: true}) }
func (e *encoder) pop()             { e.path = e.path[:len(e.path)-1] }

// addMeta records a meta entry [code, ...path] for the current path.
func (e *encoder) addMeta(code int) {
	if e.meta.Len() > 0 {
		e.meta.WriteByte(',')
	}
	e.meta.WriteByte('[')
	e.meta.WriteString(strconv.Itoa(code))
	for _, s := range e.path {
		e.meta.WriteByte(',')
		if s.isIdx {
			e.meta.WriteString(strconv.Itoa(s.index))
		} else {
			writeString(&e.meta, s.key)
		}
	}
	e.meta.WriteByte(']')
}

func (e *encoder) value(v reflect.Value) error {
	if !v.IsValid() {
		e.buf.WriteString("null")
		return nil
	}
	t := v.Type()
	if t == timeType {
		e.addMeta(TypeDate)
		var tb [32]byte
		e.buf.WriteByte('"')
		e.buf.Write(v.Interface().(time.Time).UTC().AppendFormat(tb[:0], isoMillis))
		e.buf.WriteByte('"')
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		return e.value(v.Elem())
	case reflect.String:
		writeString(&e.buf, v.String())
		return nil
	case reflect.Bool:
		e.buf.WriteString(strconv.FormatBool(v.Bool()))
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf.WriteString(strconv.FormatInt(v.Int(), 10))
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		e.buf.WriteString(strconv.FormatUint(v.Uint(), 10))
		return nil
	}
	if t.Implements(marshalerType) {
		b, err := marshal(v.Interface())
		if err != nil {
			return err
		}
		e.buf.Write(b)
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		e.buf.WriteByte('{')
		first := true
		if err := e.fields(v, &first); err != nil {
			return err
		}
		e.buf.WriteByte('}')
		return nil
	case reflect.Slice:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			b, err := marshal(v.Interface())
			if err != nil {
				return err
			}
			e.buf.Write(b)
			return nil
		}
		fallthrough
	case reflect.Array:
		e.buf.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			e.pushIdx(i)
			if err := e.value(v.Index(i)); err != nil {
				return err
			}
			e.pop()
		}
		e.buf.WriteByte(']')
		return nil
	case reflect.Map:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		keys := v.MapKeys()
		names := make([]string, len(keys))
		order := make([]int, len(keys))
		for i, k := range keys {
			names[i] = fmt.Sprint(k.Interface())
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return names[order[a]] < names[order[b]] })
		e.buf.WriteByte('{')
		for n, i := range order {
			if n > 0 {
				e.buf.WriteByte(',')
			}
			writeString(&e.buf, names[i])
			e.buf.WriteByte(':')
			e.pushKey(names[i])
			if err := e.value(v.MapIndex(keys[i])); err != nil {
				return err
			}
			e.pop()
		}
		e.buf.WriteByte('}')
		return nil
	default:
		b, err := marshal(v.Interface())
		if err != nil {
			return err
		}
		e.buf.Write(b)
		return nil
	}
}

// fieldInfo is what encoding a struct field needs, computed once per type.
type fieldInfo struct {
	index     []int
	key       string // the member name
	name      string // the member name as a JSON string, with its colon
	omitEmpty bool
}

var structFields sync.Map // reflect.Type → []fieldInfo

// fieldsOf lists a struct type's JSON members in encoding/json's order,
// embedded structs inlined.
func fieldsOf(t reflect.Type) []fieldInfo {
	if f, ok := structFields.Load(t); ok {
		return f.([]fieldInfo)
	}
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			for _, sub := range fieldsOf(f.Type) {
				sub.index = append([]int{i}, sub.index...)
				out = append(out, sub)
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		var b bytes.Buffer
		writeString(&b, name)
		b.WriteByte(':')
		out = append(out, fieldInfo{index: []int{i}, key: name, name: b.String(), omitEmpty: strings.Contains(opts, "omitempty")})
	}
	structFields.Store(t, out)
	return out
}

// fields writes the members of a struct.
func (e *encoder) fields(v reflect.Value, first *bool) error {
	for _, f := range fieldsOf(v.Type()) {
		fv := v.FieldByIndex(f.index)
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		if !*first {
			e.buf.WriteByte(',')
		}
		*first = false
		e.buf.WriteString(f.name)
		e.pushKey(f.key)
		if err := e.value(fv); err != nil {
			return err
		}
		e.pop()
	}
	return nil
}

// writeString writes s as a JSON string the way JSON.stringify does.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
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
