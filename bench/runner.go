package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"
)

// Repositories the scenarios use.
const (
	repoLarge    = "bench/large"
	repoChunked  = "bench/chunked"
	repoSmall    = "bench/small"
	repoECRSmall = "bench/ecr-small"
	repoECRBig   = "bench/ecr-big"
)

// runner runs the scenarios of one run against one started server.
type runner struct {
	cfg        *config
	srv        *server
	c          *client
	run        int
	log        io.Writer // progress lines
	emit       func(*result)
	rnd        *rand.ChaCha8
	shared     []byte         // random bytes shared by the large blobs
	warnedDrop bool           // the page cache could not be dropped, and the log said so
	small      []image        // images pushed by push-small-images
	repos      map[string]int // repositories written to in this run

	ecrSmall, ecrBig *ecrRepo // the ECR scenarios' repositories, once prepared
}

func newRunner(cfg *config, srv *server, run int, log io.Writer, emit func(*result)) *runner {
	return &runner{cfg: cfg, srv: srv, c: newClient(srv.auth, srv.bases()...), run: run, log: log, emit: emit,
		rnd: newRand(), repos: map[string]int{}}
}

// runAll runs every selected scenario that applies to the target, in the fixed order.
func (r *runner) runAll(ctx context.Context) {
	if err := r.c.ping(ctx); err != nil {
		r.fatal("ping", err)
		return
	}
	steps := []struct {
		name string
		fn   func(context.Context)
	}{
		{"push-large", r.pushLarge},
		{"push-chunked", r.pushChunked},
		{"pull-large", r.pullLarge},
		{"push-small-images", func(ctx context.Context) { r.pushSmall(ctx, false) }},
		{"manifest-get", r.manifestGet},
		{"head-blob", r.headBlob},
		{"tags-list", r.tagsList},
		{"catalog", r.catalog},
		{"describe-images", r.describeImages},
		{"list-images", r.listImages},
		{"get-authorization-token", r.getAuthorizationToken},
	}
	defer r.c.hc.CloseIdleConnections()
	for _, s := range steps {
		if ctx.Err() != nil {
			return
		}
		if s.name == "push-small-images" {
			r.shared = nil // the large blobs are done with: free their buffer
		}
		if !r.cfg.wants(s.name) || (isECR(s.name) && r.srv.ecr == nil) {
			continue
		}
		s.fn(ctx)
	}
}

// fatal reports a failure that prevents a scenario from running as an errored row.
func (r *runner) fatal(scenario string, err error) {
	res := r.newResult(scenario, scenario, "", false)
	res.Errors, res.FirstError = 1, err.Error()
	fmt.Fprintf(r.log, "  %-12s %-40s ERROR: %v\n", r.srv.target, scenario, err)
	r.emit(res)
}

func (r *runner) newResult(scenario, row, params string, setup bool) *result {
	return &result{Type: "result", Mode: r.cfg.mode(), Run: r.run, Target: r.srv.target, Scenario: scenario,
		Row: row, Params: params, Setup: setup}
}

// measure times fn, samples the server while it runs, and returns the filled result; the
// caller sets Throughput and Unit and then calls report.
func (r *runner) measure(scenario, row, params string, setup bool, fn func() *recorder) *result {
	runtime.GC()
	res := r.newResult(scenario, row, params, setup)
	m := startMonitor(r.srv.pids()...)
	cpu0, host0 := selfCPU(), hostBusy()
	t0 := time.Now()
	rec := fn()
	res.Seconds = time.Now().Sub(t0).Seconds()
	res.ClientCPU = selfCPU() - cpu0
	res.HostCPU = hostBusy() - host0
	rec.fill(res)
	m.finish(res)
	res.OtherCPU = res.HostCPU - res.ClientCPU - res.ServerCPU
	return res
}

// perSecond sets the throughput to ops (or MB with unit MB/s) per second.
func perSecond(res *result, unit string) {
	res.Unit = unit
	if res.Seconds <= 0 {
		return
	}
	if unit == "MB/s" {
		res.Throughput = float64(res.Bytes) / 1e6 / res.Seconds
	} else {
		res.Throughput = float64(res.Ops) / res.Seconds
	}
}

// report prints the progress line of res and emits it.
func (r *runner) report(res *result) {
	var b strings.Builder
	fmt.Fprintf(&b, "  %-12s %-40s %10s  p50 %8.2f ms  p99 %8.2f ms  ops %6d  err %d  %5.1fs  srv_cpu %5.1fs (%s/op)  cli_cpu %4.1fs  other_cpu %4.1fs  rss %d MiB",
		res.Target, res.Row, formatFigure(res.Throughput, res.Unit), res.P50ms, res.P99ms, res.Ops, res.Errors, res.Seconds,
		res.ServerCPU, formatMicros(res.SrvCPUOpUs), res.ClientCPU, res.OtherCPU, res.ServerRSS/1024)
	if res.Setup {
		b.WriteString("  (setup, untimed)")
	}
	if res.OtherCPU > 0.5*res.Seconds && res.Seconds > 1 {
		b.WriteString("  WARNING: other processes were busy")
	}
	for k, v := range res.Extra {
		fmt.Fprintf(&b, "  %s=%v", k, v)
	}
	if res.FirstError != "" {
		fmt.Fprintf(&b, "\n      first error: %s", res.FirstError)
	}
	fmt.Fprintln(r.log, b.String())
	r.emit(res)
}
