package document

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// MaxExtractedText bounds the text kept for search per document: PostgreSQL
// refuses a tsvector over 1 MB, and the first quarter megabyte of a
// document's words is what a search needs to find it.
const MaxExtractedText = 256 << 10

// maxPDFPages bounds the pages read from one PDF.
const maxPDFPages = 5000

// extractText returns the searchable text of content of mediaType read
// from r (size bytes): plain text as is, PDF page by page — both stopping at
// MaxExtractedText, so a huge file is never read whole into memory. Other
// types, and content that fails to parse, give "" (the document is stored
// all the same; only search misses it).
func extractText(ctx context.Context, mediaType string, r io.ReaderAt, size int64) string {
	var text string
	var err error
	switch {
	case strings.HasPrefix(mediaType, "text/plain"):
		text, err = plainText(r, size)
	case mediaType == "application/pdf":
		text, err = pdfText(r, size)
	default:
		return ""
	}
	if err != nil {
		slog.WarnContext(ctx, "no text extracted from a document", "media_type", mediaType, "cause", err.Error())
		return ""
	}
	return clean(text)
}

func plainText(r io.ReaderAt, size int64) (string, error) {
	buf := make([]byte, min(size, MaxExtractedText))
	n, err := r.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return "", err
	}
	return string(buf[:n]), nil
}

func pdfText(r io.ReaderAt, size int64) (text string, err error) {
	// The parser panics on some malformed files; a bad PDF is not a
	// failed upload.
	defer func() {
		if v := recover(); v != nil {
			text, err = "", fmt.Errorf("malformed PDF: %v", v)
		}
	}()
	doc, err := pdf.NewReader(r, size)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fonts := map[string]*pdf.Font{}
	for i := 1; i <= min(doc.NumPage(), maxPDFPages) && b.Len() < MaxExtractedText; i++ {
		p := doc.Page(i)
		if p.V.IsNull() {
			continue
		}
		t, err := p.GetPlainText(fonts)
		if err != nil {
			continue
		}
		b.WriteString(t)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// clean makes text storable and bounded: valid UTF-8, no NUL (PostgreSQL
// text holds neither), at most MaxExtractedText bytes cut at a rune
// boundary.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) > MaxExtractedText {
		s = s[:MaxExtractedText]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return strings.TrimSpace(s)
}
