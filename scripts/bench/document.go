package main

// document/v1/upload throughput: files of -doc-size bytes (distinct
// content each, so every upload stores a new blob) uploaded over the oRPC
// transport as multipart, one after another, for -duration; against writing
// the same bytes to a file (create, write, fsync, close) in the same
// directory tree. The full path streams each file twice to disk (the
// transport's spool, then the content store's staging file, hashed on both
// passes, fsynced and renamed into place), runs the pipeline (schema, PDP,
// RLS, idempotency) and writes the row and its activity event. The Go heap
// is sampled meanwhile: its peak shows that no upload is held in memory.
//
// Opt-in: -scenarios document-upload (alone or with others).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/config"
)

const docScenario = "document-upload"

var docSize = flag.Int("doc-size", 8<<20, "bytes of each uploaded document (document-upload)")

func init() {
	scenarioNames[docScenario] = true
	extraMeasures = append(extraMeasures, measureDocuments)
}

// configureDocuments gives the benchmark's app a directory content store
// in the run's temporary directory, as `hestami serve` does in its data
// directory.
func configureDocuments(a *app.App, st *stack) error {
	return a.ConfigureDocumentStore(config.Documents{Store: "dir", Dir: filepath.Join(st.dir, "documents"), MaxBytes: 1 << 30})
}

func measureDocuments(ctx context.Context, st *stack, tenants []tenant, opts options, out io.Writer) error {
	if !strings.Contains(","+opts.scenarios+",", ","+docScenario+",") {
		return nil
	}
	t := tenants[0]
	size := *docSize
	payload := make([]byte, size)
	if _, err := rand.Read(payload); err != nil {
		return err
	}
	meta, _ := json.Marshal(map[string]any{"json": map[string]any{"category": "OTHER", "visibility": "OWNER_AND_STAFF",
		"propertyId": t.PropertyID, "file": map[string]any{}}, "maps": [][]string{{"file"}}})
	client := &http.Client{Timeout: 5 * time.Minute}
	var seq atomic.Int64
	upload := func() error {
		n := seq.Add(1)
		// A distinct first block per upload: a new blob each time.
		copy(payload, fmt.Sprintf("%016d", n))
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			_ = mw.WriteField("data", string(meta))
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="0"; filename="bench-%d.bin"`, n))
			h.Set("Content-Type", "application/octet-stream")
			part, err := mw.CreatePart(h)
			if err == nil {
				_, err = part.Write(payload)
			}
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err)
		}()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, st.fullURL+"/api/v1/rpc/document/v1/upload", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+t.Token)
		req.Header.Set("X-Org-Id", t.OrgID)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-doc-%d-%d", time.Now().UnixNano(), n))
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("upload answered %d: %s", res.StatusCode, snippet(body))
		}
		return nil
	}
	baseDir := filepath.Join(st.dir, "bench-files")
	if err := os.MkdirAll(baseDir, 0o700); err != nil {
		return err
	}
	write := func() error {
		n := seq.Add(1)
		copy(payload, fmt.Sprintf("%016d", n))
		f, err := os.Create(filepath.Join(baseDir, fmt.Sprint(n)))
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, bytes.NewReader(payload)); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := upload(); err != nil { // sanity, and the first connection
		return fmt.Errorf("%s: the first upload failed, not measuring: %w", docScenario, err)
	}
	logf("%s: %d-byte files, one at a time, %s each (upload, then file write)", docScenario, size, opts.duration)
	runFor := func(fn func() error) (int, time.Duration, uint64, error) {
		runtime.GC()
		var peak atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}
		}()
		start := time.Now()
		n := 0
		var err error
		for time.Since(start) < opts.duration && ctx.Err() == nil {
			if err = fn(); err != nil {
				break
			}
			n++
		}
		elapsed := time.Since(start)
		close(stop)
		<-sampled
		return n, elapsed, peak.Load(), err
	}
	nUp, upTime, upPeak, err := runFor(upload)
	if err != nil {
		return err
	}
	nW, wTime, _, err := runFor(write)
	if err != nil {
		return err
	}
	mbps := func(n int, d time.Duration) float64 { return float64(n) * float64(size) / (1 << 20) / d.Seconds() }
	up, raw := mbps(nUp, upTime), mbps(nW, wTime)
	fmt.Fprintln(out)
	fmt.Fprintf(out, "document/v1/upload (%s files, oRPC multipart, one at a time):\n", humanSize(size))
	fmt.Fprintf(out, "  upload   %4d files in %5.1fs: %7.1f MB/s\n", nUp, upTime.Seconds(), up)
	fmt.Fprintf(out, "  file     %4d files in %5.1fs: %7.1f MB/s (create, write, fsync, close)\n", nW, wTime.Seconds(), raw)
	if raw > 0 {
		fmt.Fprintf(out, "  ratio    %.2fx of a plain file write\n", up/raw)
	}
	fmt.Fprintf(out, "  Go heap in use, peak while uploading: %s (the benchmark's client included) for %s files\n", humanSize(int(upPeak)), humanSize(size))
	return nil
}

func humanSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
