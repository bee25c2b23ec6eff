package cli_test

import (
	"flag"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the generated README blocks")

const readme = "../../README.md"

var exitCodesBlock = regexp.MustCompile(`(?s)(<!-- exit-codes:begin -->\n).*?(<!-- exit-codes:end -->)`)

// TestREADMEExitCodes keeps the README's exit-code table the one generated
// from apperr's table; -update rewrites it.
func TestREADMEExitCodes(t *testing.T) {
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	m := exitCodesBlock.FindSubmatchIndex(b)
	if m == nil {
		t.Fatal("README.md has no <!-- exit-codes:begin --> … <!-- exit-codes:end --> block")
	}
	got := string(b[m[3]:m[4]])
	want := cli.ExitCodesMarkdown()
	if got == want {
		return
	}
	if *update {
		out := string(b[:m[3]]) + want + string(b[m[4]:])
		if err := os.WriteFile(readme, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md exit-code table differs from the generated one (go test ./internal/cli -run TestREADMEExitCodes -update):\n got:\n%s\nwant:\n%s", got, want)
}

// TestExitCodesCoverEveryErrorCode: every apperr code appears in the
// generated table under its exit code.
func TestExitCodesCoverEveryErrorCode(t *testing.T) {
	md := cli.ExitCodesMarkdown()
	for _, c := range apperr.Codes() {
		row := ""
		for _, l := range strings.Split(md, "\n") {
			if strings.Contains(l, "`"+string(c)+"`") {
				row = l
			}
		}
		if row == "" {
			t.Errorf("%s is not in the exit-code table", c)
			continue
		}
		want := "| " + strconv.Itoa(apperr.SpecOf(c).ExitCode) + " |"
		if !strings.HasPrefix(row, want) {
			t.Errorf("%s: row %q, want it under exit %s", c, row, want)
		}
	}
}
