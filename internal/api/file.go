package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"reflect"

	"github.com/hestami/concierge/internal/apperr"
)

// File is a file input (document/v1/upload's content). The content never
// travels inside the input: a transport streams each file part to a spool
// file as it reads it (an Attachment, hashed on the way) and puts this
// description of it in the input, at the place the client put the file. A
// procedure reads the content with Attached.
//
// The SHA-256 is part of the input, so the idempotency fingerprint covers
// the content: the same key with other bytes is a reused key, not a replay.
// A description that no attachment of the request matches (a client that
// typed one into plain JSON) is a validation error, never a read of
// anything on the server.
type File struct {
	Name   string `json:"name" jsonschema:"maxLength=255,description=the file name the client gave (informative only)"`
	Type   string `json:"type,omitempty" jsonschema:"maxLength=255,description=the media type the client declared (never trusted)"`
	Size   int64  `json:"size" jsonschema:"minimum=0"`
	SHA256 string `json:"sha256" jsonschema:"pattern=^[0-9a-f]{64}$,description=hex SHA-256 of the content (filled in by the transport)"`
}

// Uploads bounds the files the transports accept: MaxBytes per file (0:
// DefaultMaxUpload), spooled in Dir ("" : the system temporary directory).
// Key is the configuration key that sets MaxBytes, named when a file is
// refused ("" : documents.max_bytes). Procedures overrides the bounds for
// the procedures it names by path: a bulk import takes files far larger
// than any document, without raising the documents' limit.
type Uploads struct {
	Dir        string
	MaxBytes   int64
	Key        string
	Procedures map[string]Uploads
}

// DefaultMaxUpload is the per-file limit when none is configured.
const DefaultMaxUpload = 50 << 20

// Limit is the per-file limit in force.
func (u Uploads) Limit() int64 {
	if u.MaxBytes <= 0 {
		return DefaultMaxUpload
	}
	return u.MaxBytes
}

// For returns the bounds of p's files: its own when Procedures names it
// (spooled in u.Dir unless it says otherwise), else u's.
func (u Uploads) For(p *Procedure) Uploads {
	o, ok := u.Procedures[p.Path()]
	if !ok {
		return Uploads{Dir: u.Dir, MaxBytes: u.MaxBytes, Key: u.Key}
	}
	if o.Dir == "" {
		o.Dir = u.Dir
	}
	return Uploads{Dir: o.Dir, MaxBytes: o.MaxBytes, Key: o.Key}
}

// TooLarge is the error for a file over the limit in force.
func (u Uploads) TooLarge() *apperr.Error { return tooLarge(u.Limit(), u.Key) }

// Spool copies r to a new file in u.Dir within the limit in force (Spool).
func (u Uploads) Spool(r io.Reader, name, typ string) (*Attachment, error) {
	return spool(u.Dir, r, name, typ, u.Limit(), u.Key)
}

// Attachment is the content of one File of a request, in a local file.
type Attachment struct {
	File
	path  string
	spool bool // a spool file of ours, removed by Release
}

// TooLarge is the error for a file over limit bytes (documents.max_bytes).
func TooLarge(limit int64) *apperr.Error { return tooLarge(limit, "") }

func tooLarge(limit int64, key string) *apperr.Error {
	if key == "" {
		key = "documents.max_bytes"
	}
	return apperr.New(apperr.PayloadTooLarge, "the file exceeds the upload limit of %d bytes (%s)", limit, key)
}

// Spool copies r to a new file in dir, hashing it on the way, and refuses
// content over limit bytes (TooLarge) without writing more than limit+1
// bytes. Release removes the file.
func Spool(dir string, r io.Reader, name, typ string, limit int64) (*Attachment, error) {
	return spool(dir, r, name, typ, limit, "")
}

func spool(dir string, r io.Reader, name, typ string, limit int64, key string) (*Attachment, error) {
	f, err := os.CreateTemp(dir, "upload-*")
	if err != nil {
		return nil, err
	}
	a := &Attachment{File: File{Name: name, Type: typ}, path: f.Name(), spool: true}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = tooLarge(limit, key)
	}
	if err != nil {
		a.Release()
		return nil, err
	}
	a.Size, a.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return a, nil
}

// AttachPath describes a local file in place (the CLI's upload): it is
// hashed, not copied, and Release leaves it alone.
func AttachPath(path, name string) (*Attachment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, err
	}
	return &Attachment{File: File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, path: path}, nil
}

// Open opens the content for reading.
func (a *Attachment) Open() (*os.File, error) { return os.Open(a.path) }

// Release removes a spool file.
func (a *Attachment) Release() {
	if a != nil && a.spool {
		_ = os.Remove(a.path)
	}
}

type attachmentsKey struct{}

// WithAttachments makes as the content of the request's files.
func WithAttachments(ctx context.Context, as ...*Attachment) context.Context {
	prev, _ := ctx.Value(attachmentsKey{}).([]*Attachment)
	return context.WithValue(ctx, attachmentsKey{}, append(append([]*Attachment{}, prev...), as...))
}

// ErrNoContent is why Attached finds nothing.
var ErrNoContent = errors.New("no attachment")

// Attached returns the content the request carries for f (field names the
// input field, for the error): the attachment with f's hash and size.
func Attached(ctx context.Context, field string, f File) (*Attachment, error) {
	as, _ := ctx.Value(attachmentsKey{}).([]*Attachment)
	for _, a := range as {
		if a.SHA256 == f.SHA256 && a.Size == f.Size {
			return a, nil
		}
	}
	return nil, apperr.Field(field, "missing_content", "the file's content was not sent with the request: send it as a multipart/form-data part")
}

// TakesFiles reports whether the procedure's input holds a File: only such
// procedures have file parts spooled; for the others a file part counts
// against the ordinary request size limit, as any body does.
func (p *Procedure) TakesFiles() bool { return holdsFile(p.Input, map[reflect.Type]bool{}) }

var fileType = reflect.TypeFor[File]()

func holdsFile(t reflect.Type, seen map[reflect.Type]bool) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t == fileType {
		return true
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return false
	}
	seen[t] = true
	for i := range t.NumField() {
		if holdsFile(t.Field(i).Type, seen) {
			return true
		}
	}
	return false
}

// FileOutput is an output that is a file: the HTTP transports answer with
// its bytes (Content-Type and Content-Disposition from it), the CLI writes
// them out. Whoever receives it closes it.
type FileOutput interface {
	FileName() string
	MediaType() string
	FileSize() int64
	io.ReadCloser
}

// AttachmentsOf returns the files WithAttachments put in ctx: a client
// transport sends them as file parts.
func AttachmentsOf(ctx context.Context) []*Attachment {
	as, _ := ctx.Value(attachmentsKey{}).([]*Attachment)
	return as
}
