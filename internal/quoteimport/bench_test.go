package quoteimport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

// benchFile is n rows shaped like scripts/bench's import file.
func benchFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("external_ref,case,vendor,amount,currency,valid_until,scope\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "B%d,C-%d,Bench Vendor,%d.%02d,USD,2099-12-31,repaint the fence\n", i, 1000+i%200, 100+i%5000, i%100)
	}
	return b.Bytes()
}

// BenchmarkParseValidate is the client side of an import without the
// database: what the import's read phase can reach at best.
func BenchmarkParseValidate(b *testing.B) {
	const rows = 100_000
	file := benchFile(rows)
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := NewParser(bytes.NewReader(file), Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			row, err := p.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, issues := Validate(row, now); len(issues) > 0 {
				b.Fatal(issues)
			}
			n++
		}
		if n != rows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
