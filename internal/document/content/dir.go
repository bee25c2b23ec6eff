package content

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir stores blobs as files under a directory: <root>/<aa>/<sha256>, where
// aa is the hash's first two characters (no directory grows past a few
// thousand entries), staged in <root>/staging on the same file system so
// that committing is a rename.
type Dir struct {
	root string
}

// NewDir returns the directory store rooted at root (created on first use).
func NewDir(root string) *Dir { return &Dir{root: root} }

// Root is the store's directory.
func (d *Dir) Root() string { return d.root }

// Path is where blob sum lives (tests corrupt it there).
func (d *Dir) Path(sum string) string { return filepath.Join(d.root, sum[:2], sum) }

// Stage implements Store.
func (d *Dir) Stage(r io.Reader, limit int64) (*Staged, error) {
	return stage(filepath.Join(d.root, "staging"), r, limit)
}

// Put implements Store: fsync the staged file, rename it into place, fsync
// the directory, so that a blob is either absent or complete after a crash.
// A blob already present is checked first: a corrupted one is replaced by
// the staged bytes (an upload of the same content repairs it).
func (d *Dir) Put(_ context.Context, s *Staged) (bool, error) {
	defer s.Release()
	if !validSum(s.SHA256) {
		return false, fmt.Errorf("content: invalid sum %q", s.SHA256)
	}
	dst := d.Path(s.SHA256)
	if ok, err := fileHashes(dst, s.SHA256); err != nil {
		return false, err
	} else if ok {
		return true, nil
	}
	if err := s.File.Sync(); err != nil {
		return false, err
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	// Blobs are read-only: nothing in hestami writes a blob in place.
	if err := os.Chmod(s.File.Name(), 0o400); err != nil {
		return false, err
	}
	if err := os.Rename(s.File.Name(), dst); err != nil {
		return false, err
	}
	_ = s.File.Close()
	s.File = nil
	return false, syncDir(dir)
}

// fileHashes reports whether path exists and hashes to sum.
func fileHashes(path, sum string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == sum, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Open implements Store.
func (d *Dir) Open(_ context.Context, sum string) (Blob, error) {
	if !validSum(sum) {
		return nil, ErrNotFound
	}
	f, err := os.Open(d.Path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}
