package testkit

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// A directory owned by a dead test binary is reaped; one owned by a live
// process, or not claimed at all, is left alone.
func TestReapOrphansRemovesOnlyDeadOwners(t *testing.T) {
	tmp := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{
		"hestami-test-dead":      strconv.Itoa(dead.Process.Pid),
		"hestami-test-alive":     strconv.Itoa(os.Getpid()),
		"hestami-test-unclaimed": "",
	}
	for name, pid := range dirs {
		d := filepath.Join(tmp, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if pid != "" {
			if err := os.WriteFile(filepath.Join(d, ownerFile), []byte(pid), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	reapOrphans(context.Background(), tmp)
	for name := range dirs {
		_, err := os.Stat(filepath.Join(tmp, name))
		if gone := os.IsNotExist(err); gone != (name == "hestami-test-dead") {
			t.Errorf("%s: gone=%v", name, gone)
		}
	}
}
