// Package content stores document content by its SHA-256: the same bytes
// are stored once however many documents hold them, a blob is written
// whole or not at all, and every read is checked against its address (a
// blob whose bytes no longer hash to its name is ErrCorrupt, never
// served).
//
// Writing is two steps. Stage streams the content to a temporary file in
// the store's staging directory while hashing it (at most limit+1 bytes are
// written, so an oversized upload cannot fill the disk); the staged file
// answers io.ReaderAt, which text extraction needs. Put then commits it
// under its hash: the directory store fsyncs it and renames it into place,
// the S3 store uploads it with its known size. Nothing is ever held whole in
// memory.
package content

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// Store holds blobs by hex SHA-256.
type Store interface {
	// Stage streams r to a staging file, refusing more than limit bytes
	// (ErrTooLarge).
	Stage(r io.Reader, limit int64) (*Staged, error)
	// Put commits a staged blob under its hash; existed reports that the
	// store already held it (the staged file is then discarded). Put
	// releases s either way.
	Put(ctx context.Context, s *Staged) (existed bool, err error)
	// Open reads a blob as stored, unverified; Verified is the checked read.
	Open(ctx context.Context, sum string) (Blob, error)
}

// Blob is a stored blob being read.
type Blob interface {
	io.ReadSeekCloser
}

// ErrTooLarge is content over the staging limit.
var ErrTooLarge = errors.New("content exceeds the size limit")

// IsTooLarge reports whether err is ErrTooLarge.
func IsTooLarge(err error) bool { return errors.Is(err, ErrTooLarge) }

// ErrNotFound is a blob the store does not hold.
var ErrNotFound = errors.New("blob not found")

// ErrCorrupt is a blob whose bytes do not hash to its address.
var ErrCorrupt = errors.New("blob content does not match its SHA-256")

// SniffLen is how much of the head Staged keeps for media-type detection
// (what net/http.DetectContentType reads).
const SniffLen = 512

// Staged is content written to a staging file, hashed.
type Staged struct {
	File   *os.File // open for reading (ReadAt)
	SHA256 string
	Size   int64
	Head   []byte // the first SniffLen bytes
}

// Release closes and removes the staging file (after Put, a no-op).
func (s *Staged) Release() {
	if s == nil || s.File == nil {
		return
	}
	name := s.File.Name()
	_ = s.File.Close()
	_ = os.Remove(name)
	s.File = nil
}

// headWriter keeps the first SniffLen bytes written to it.
type headWriter struct{ b []byte }

func (h *headWriter) Write(p []byte) (int, error) {
	if room := SniffLen - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// stage is Stage for stores that stage in a local directory.
func stage(dir string, r io.Reader, limit int64) (*Staged, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "stage-*")
	if err != nil {
		return nil, err
	}
	s := &Staged{File: f}
	h, head := sha256.New(), &headWriter{}
	n, err := io.Copy(io.MultiWriter(f, h, head), io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		s.Release()
		return nil, err
	}
	s.SHA256, s.Size, s.Head = hex.EncodeToString(h.Sum(nil)), n, head.b
	return s, nil
}

// Verified opens the blob sum and checks, before returning it, that its
// bytes hash to sum (ErrCorrupt otherwise): a corrupted blob is refused
// whole, never served in part. The returned blob is positioned at its
// start. It costs one extra read of the blob.
func Verified(ctx context.Context, st Store, sum string) (Blob, int64, error) {
	b, err := st.Open(ctx, sum)
	if err != nil {
		return nil, 0, err
	}
	h := sha256.New()
	n, err := io.Copy(h, b)
	if err == nil && hex.EncodeToString(h.Sum(nil)) != sum {
		err = ErrCorrupt
	}
	if err == nil {
		_, err = b.Seek(0, io.SeekStart)
	}
	if err != nil {
		b.Close()
		return nil, 0, err
	}
	return b, n, nil
}

// validSum reports whether sum is a hex SHA-256 (so it is safe as a path
// or an object key).
func validSum(sum string) bool {
	if len(sum) != 64 {
		return false
	}
	for _, c := range sum {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
