package testkit

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hestami/concierge/internal/pgcluster"
)

// ownerFile names the test binary that owns a cluster directory.
const ownerFile = "owner.pid"

// claim records this process as the owner of dir.
func claim(dir string) error {
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644)
}

// reapOrphans stops and removes the clusters of test binaries that died
// without cleaning up (killed by a timeout or a signal): pg_ctl detaches
// PostgreSQL, so nothing else would ever stop them.
func reapOrphans(ctx context.Context, tmp string) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, "hestami-test-*"))
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not claimed (yet): perhaps a binary that is starting
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || alive(pid) {
			continue
		}
		if c, err := pgcluster.New(dir); err == nil {
			_ = c.Stop(ctx)
		}
		_ = os.RemoveAll(dir)
	}
}

// alive reports whether a process with pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
