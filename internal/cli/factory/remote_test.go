package factory

import (
	"net/http"
	"testing"
)

// A call carrying a file is answered once the server has done the file's
// work (an import of millions of rows), so it is not cut at the header
// limit the other calls have.
func TestFileCallsWaitForTheAnswer(t *testing.T) {
	for proc, want := range map[string]bool{"quote/v1/import": true, "document/v1/upload": true, "case/v1/get": false, "nosuch/v1/x": false} {
		if got := clientFor(proc) == fileCallClient; got != want {
			t.Errorf("%s waits for the answer: %v, want %v", proc, got, want)
		}
	}
	if limit := fileCallClient.Transport.(*http.Transport).ResponseHeaderTimeout; limit != 0 {
		t.Errorf("file calls give up after %v", limit)
	}
	if limit := httpClient.Transport.(*http.Transport).ResponseHeaderTimeout; limit == 0 {
		t.Error("other calls wait forever for an answer")
	}
}
