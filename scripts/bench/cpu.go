package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cpuMeter reads CPU time from /proc for the three parts of the system: this
// Go process (HTTP clients and both servers), PostgreSQL (the postmaster, its
// live backends and the ones that exited) and the Cerbos PDP. It tells where
// a request's CPU goes; on a 2-core machine it also shows saturation.
type cpuMeter struct {
	pgDataDir string
}

// cpuTimes are cumulative CPU seconds.
type cpuTimes struct {
	Go, PG, PDP float64
	Machine     float64 // busy time of all CPUs, whoever used it
	ok          bool
}

func (a cpuTimes) sub(b cpuTimes) cpuTimes {
	return cpuTimes{Go: a.Go - b.Go, PG: a.PG - b.PG, PDP: a.PDP - b.PDP, Machine: a.Machine - b.Machine, ok: a.ok && b.ok}
}

func newCPUMeter(pgDataDir string) *cpuMeter { return &cpuMeter{pgDataDir: pgDataDir} }

const clockTicks = 100 // USER_HZ on Linux

// procStat is the part of /proc/PID/stat the meter uses.
type procStat struct {
	comm                         string
	ppid                         int
	utime, stime, cutime, cstime float64 // seconds
}

func readStat(pid string) (procStat, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return procStat{}, false
	}
	open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return procStat{}, false
	}
	f := strings.Fields(string(b[closing+1:]))
	if len(f) < 15 {
		return procStat{}, false
	}
	num := func(i int) float64 { v, _ := strconv.ParseFloat(f[i], 64); return v / clockTicks }
	ppid, _ := strconv.Atoi(f[1])
	return procStat{comm: string(b[open+1 : closing]), ppid: ppid, utime: num(11), stime: num(12), cutime: num(13), cstime: num(14)}, true
}

// sample returns the cumulative CPU seconds of each part now.
func (m *cpuMeter) sample() cpuTimes {
	self, ok := readStat("self")
	if !ok {
		return cpuTimes{}
	}
	out := cpuTimes{Go: self.utime + self.stime, Machine: machineBusy(), ok: true}
	postmaster := ""
	if b, err := os.ReadFile(filepath.Join(m.pgDataDir, "postmaster.pid")); err == nil {
		postmaster, _, _ = strings.Cut(string(b), "\n")
		postmaster = strings.TrimSpace(postmaster)
	}
	pm, _ := strconv.Atoi(postmaster)
	if st, ok := readStat(postmaster); ok {
		// Exited backends are accounted in the postmaster's cutime/cstime.
		out.PG = st.utime + st.stime + st.cutime + st.cstime
	} else {
		out.ok = false
	}
	me := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		st, ok := readStat(e.Name())
		if !ok {
			continue
		}
		switch {
		case pm != 0 && st.ppid == pm:
			out.PG += st.utime + st.stime
		case st.ppid == me && strings.HasPrefix(st.comm, "cerbos"):
			out.PDP += st.utime + st.stime + st.cutime + st.cstime
		}
	}
	return out
}

// machineBusy is the busy CPU time of the whole machine (/proc/stat: all
// but idle and iowait; guest time is already inside user).
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy float64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseFloat(v, 64)
		busy += n
	}
	return busy / clockTicks
}
