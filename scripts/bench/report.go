package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
)

// targets are the full/raw throughput ratios the full stack should reach.
var targets = []struct {
	op, full, raw string
	min           float64
}{
	{"create", "create-full", "create-raw", 0.4},
	{"list", "list-full", "list-raw", 0.5},
	{"queue", "queue-full", "queue-raw", 0.5},
}

// report prints the table and the ratios; it returns true when the run is
// invalid (some request failed).
func report(out io.Writer, st *stack, opts options, results map[string]result) (invalid bool) {
	fmt.Fprintln(out)
	fmt.Fprintf(out, "hestami benchmark: %d concurrent HTTP clients over loopback, %s measured per scenario after %s warm-up\n",
		opts.concurrency, opts.duration, opts.warmup)
	fmt.Fprintf(out, "data set: %d organizations × %d cases = %d seeded cases; %s\n",
		opts.orgs, opts.casesPerOrg, opts.orgs*opts.casesPerOrg, st.settings(context.Background()))
	fmt.Fprintln(out)
	fmt.Fprintf(out, "%-38s %9s %9s %9s %9s %7s   %-26s %5s %7s\n", "scenario", "requests", "req/s", "p50", "p99", "errors", "CPU ms/req go / pg / pdp", "CPU%", "other%")
	fmt.Fprintln(out, strings.Repeat("-", 132))
	totalErrors := 0
	for _, sc := range scenarios {
		r, ok := results[sc.name]
		if !ok {
			fmt.Fprintf(out, "%-38s %9s\n", sc.label, "(not run)")
			continue
		}
		totalErrors += r.errors
		cpuCol, util, other := "n/a", "n/a", "n/a"
		if r.cpu.ok && r.requests > 0 {
			per := func(s float64) float64 { return s * 1000 / float64(r.requests) }
			cpuCol = fmt.Sprintf("%5.2f / %5.2f / %5.2f", per(r.cpu.Go), per(r.cpu.PG), per(r.cpu.PDP))
			capacity := r.elapsed.Seconds() * float64(runtime.NumCPU())
			ours := r.cpu.Go + r.cpu.PG + r.cpu.PDP
			util = fmt.Sprintf("%.0f%%", 100*ours/capacity)
			if r.cpu.Machine > 0 {
				other = fmt.Sprintf("%.0f%%", 100*max(0, r.cpu.Machine-ours)/capacity)
			}
		}
		errCol := fmt.Sprintf("%d", r.errors)
		if r.errors > 0 {
			errCol += " !"
		}
		fmt.Fprintf(out, "%-38s %9d %9.0f %9s %9s %7s   %-26s %5s %7s\n", sc.label, r.requests, r.throughput(), ms(r.p50), ms(r.p99), errCol, cpuCol, util, other)
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "%-8s %-24s %9s %9s   %s\n", "ratio", "full / raw throughput", "measured", "target", "verdict")
	for _, t := range targets {
		f, okF := results[t.full]
		r, okR := results[t.raw]
		if !okF || !okR || r.throughput() == 0 {
			fmt.Fprintf(out, "%-8s %-24s %9s %9s   %s\n", t.op, t.full+" / "+t.raw, "n/a", fmt.Sprintf("≥ %.2fx", t.min), "not measured")
			continue
		}
		ratio := f.throughput() / r.throughput()
		verdict, target := "met", fmt.Sprintf("≥ %.2fx", t.min)
		if t.min == 0 {
			verdict, target = "no target set", "—"
		} else if ratio < t.min {
			verdict = "NOT MET"
		}
		if f.errors+r.errors > 0 {
			verdict += " (but INVALID: errors)"
		}
		fmt.Fprintf(out, "%-8s %-24s %8.2fx %9s   %s\n", t.op, fmt.Sprintf("%.0f / %.0f req/s", f.throughput(), r.throughput()),
			ratio, target, verdict)
	}
	reportClassifier(out, results)
	fmt.Fprintln(out)
	fmt.Fprintln(out, "CPU ms/req: CPU time per completed request of this Go process (load generator + server), of PostgreSQL")
	fmt.Fprintln(out, "(all backends) and of the Cerbos PDP; CPU%: their sum over the window as a share of all cores;")
	fmt.Fprintln(out, "other%: CPU used meanwhile by processes outside the benchmark. A high other% means a noisy machine:")
	fmt.Fprintln(out, "compare ratios only between runs where it stayed low.")
	if totalErrors > 0 {
		bar := strings.Repeat("!", 78)
		fmt.Fprintln(out)
		fmt.Fprintln(out, bar)
		fmt.Fprintf(out, "!!  BENCHMARK INVALID: %d request(s) failed (non-2xx or transport error).\n", totalErrors)
		fmt.Fprintln(out, "!!  Throughput and ratios above do not describe a healthy run.")
		for _, sc := range scenarios {
			r := results[sc.name]
			for _, s := range r.errSamples {
				fmt.Fprintf(out, "!!  %s: %s\n", sc.name, s)
			}
		}
		fmt.Fprintln(out, bar)
		return true
	}
	fmt.Fprintln(out, "no errors: every request answered 2xx.")
	return false
}
