package quoteimport

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"sync/atomic"
)

// content is a file to import, hashed before it is read for its rows: the
// hash names the batch, and a file imported before is known before any
// row is read.
type content struct {
	r     io.Reader
	hash  string
	size  int64
	read  atomic.Int64
	spool *os.File
}

// openContent hashes r and rewinds it. A reader that cannot seek back
// (stdin, a pipe) is copied to a temporary file on the way, so memory stays
// flat whatever the size; Close removes that file.
func openContent(r io.Reader) (*content, error) {
	h := sha256.New()
	if f, ok := r.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
			start, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, err
			}
			n, err := io.Copy(h, f)
			if err != nil {
				return nil, err
			}
			if _, err := f.Seek(start, io.SeekStart); err != nil {
				return nil, err
			}
			return &content{r: f, hash: hex.EncodeToString(h.Sum(nil)), size: n}, nil
		}
	}
	spool, err := os.CreateTemp("", "hestami-import-*")
	if err != nil {
		return nil, err
	}
	c := &content{spool: spool}
	n, err := io.Copy(io.MultiWriter(spool, h), r)
	if err == nil {
		_, err = spool.Seek(0, io.SeekStart)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.r, c.hash, c.size = spool, hex.EncodeToString(h.Sum(nil)), n
	return c, nil
}

// Read reads the content, counting the bytes for progress.
func (c *content) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// Close removes the spool file, if any.
func (c *content) Close() {
	if c.spool != nil {
		c.spool.Close()
		os.Remove(c.spool.Name())
	}
}
