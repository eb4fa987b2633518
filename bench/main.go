// Command bench is berth's benchmark: it starts berth and CNCF Distribution (the Debian
// package docker-registry) on fresh data dirs, runs the same scenarios against both, samples
// each server process (CPU per operation, RSS), and prints a table with absolute figures,
// berth÷Distribution ratios and berth's targets. See bench/README.md.
//
//	go run ./bench -quick                  # under a minute; what CI runs (make bench-quick)
//	go run ./bench -runs 3 -out r.jsonl    # full mode, medians of 3 runs (make bench-full)
//	go run ./bench -summarize r.jsonl      # the table again from saved measurements
//
// It exits 1 when a server did not start or any operation failed, 2 on bad usage; a missed
// target is not a failure.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 2
	}
	if cfg.summarize {
		rep, err := readJSONL(cfg.files)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		rep.print(stdout)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := setup(cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 2
	}
	defer b.close()
	rep := b.runAll(ctx)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bench: interrupted")
		return 130
	}
	rep.print(stdout)
	if n := rep.errorCount(); n > 0 {
		fmt.Fprintf(stderr, "bench: FAILED: %d error(s) (see the ERROR lines)\n", n)
		return 1
	}
	return 0
}

// benchmark is one invocation: its configuration, the berth binary, where temporary data goes
// and where measurements are written.
type benchmark struct {
	cfg       *config
	log       io.Writer
	root      string
	workDir   string
	berthBin  string
	builtHere bool
	out       *os.File
	rep       *report
}

func setup(cfg *config, log io.Writer) (*benchmark, error) {
	b := &benchmark{cfg: cfg, log: log, rep: newReport()}
	b.rep.addSizes(cfg.describe())
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	b.root = root
	if slices.Contains(cfg.targets, targetDistribution) {
		if err := distributionMissing(); err != nil {
			return nil, err
		}
	}
	if b.workDir, err = os.MkdirTemp("", "berth-bench-"); err != nil {
		return nil, err
	}
	b.berthBin = cfg.berthBin
	if b.berthBin == "" && slices.ContainsFunc(cfg.targets, isBerth) {
		t0 := time.Now()
		if b.berthBin, err = buildBerth(root, b.workDir); err != nil {
			b.close()
			return nil, err
		}
		b.builtHere = true
		fmt.Fprintf(log, "bench: built ./cmd/berth in %.1fs\n", time.Since(t0).Seconds())
	}
	if cfg.outFile != "" {
		if b.out, err = os.OpenFile(cfg.outFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
			b.close()
			return nil, err
		}
		b.write(map[string]any{"type": "config", "mode": cfg.mode(), "describe": cfg.describe(), "time": time.Now().UTC().Format(time.RFC3339),
			"runs": cfg.runs, "targets": cfg.targets, "scenarios": cfg.scenarios, "cpus": runtime.NumCPU(),
			"large_count": cfg.largeCount, "large_mib": cfg.largeMiB, "large_c": cfg.largeCs, "chunk_mib": cfg.chunkMiB,
			"small_n": cfg.smallN, "small_c": cfg.smallC, "flood_c": cfg.floodC, "flood_dur": cfg.floodDur.String(),
			"list_dur": cfg.listDur.String(), "ecr_images": cfg.ecrBigN, "ecr_small_images": cfg.ecrSmallN,
			"ecr_page": cfg.ecrPage, "ecr_dur": cfg.ecrDur.String(), "auth_c": cfg.authCs})
	}
	return b, nil
}

func (b *benchmark) close() {
	if b.out != nil {
		b.out.Close()
	}
	os.RemoveAll(b.workDir)
}

func (b *benchmark) write(v any) {
	if b.out == nil {
		return
	}
	js, err := json.Marshal(v)
	if err == nil {
		b.out.Write(append(js, '\n'))
	}
}

// runAll runs every run against every target; the order of the targets alternates from run
// to run so neither always goes first.
func (b *benchmark) runAll(ctx context.Context) *report {
	t0 := time.Now()
	for run := 1; run <= b.cfg.runs; run++ {
		order := slices.Clone(b.cfg.targets)
		if run%2 == 0 {
			slices.Reverse(order)
		}
		for _, target := range order {
			if ctx.Err() != nil {
				return b.rep
			}
			b.runTarget(ctx, run, target)
		}
	}
	fmt.Fprintf(b.log, "bench: %d run(s) in %.1fs\n", b.cfg.runs, time.Since(t0).Seconds())
	return b.rep
}

// runTarget starts target on a fresh data dir, runs the scenarios, records its peak memory,
// stops it and deletes its data.
func (b *benchmark) runTarget(ctx context.Context, run int, target string) {
	cfg := b.cfg
	rec := &runRecord{Type: "run", Mode: cfg.mode(), Run: run, Target: target,
		Version: versionOf(target, b.root, b.berthBin, b.builtHere)}
	rec.Auth = "no authentication"
	if isBerth(target) {
		rec.Auth = "authentication on"
	}
	busy, idle := waitIdle(cfg.idleWait, cfg.idleThresh)
	rec.IdleCores, rec.Idle = busy, idle
	if !idle {
		fmt.Fprintf(b.log, "bench: WARNING: the machine is busy (%.2f cores) before run %d of %s; figures will be noisy\n", busy, run, target)
	}
	fmt.Fprintf(b.log, "bench: run %d/%d: %s (%s mode)\n", run, cfg.runs, target, cfg.mode())
	t0 := time.Now()
	var srv *server
	var err error
	switch target {
	case targetBerth:
		srv, err = startBerth(ctx, b.berthBin, b.workDir, run)
	case targetDistribution:
		srv, err = startDistribution(ctx, b.workDir, run)
	default:
		srv, err = startBerthCluster(ctx, b.berthBin, b.workDir, target, run, clusterReplicas[target])
	}
	if err != nil {
		rec.Error = fmt.Sprintf("did not start: %v", err)
		fmt.Fprintf(b.log, "bench: ERROR: %s %s\n", target, rec.Error)
		b.write(rec)
		b.rep.addRun(rec)
		return
	}
	emit := func(res *result) {
		b.write(res)
		b.rep.addResult(res)
	}
	newRunner(cfg, srv, run, b.log, emit).runAll(ctx)
	for _, pid := range srv.pids() {
		if _, _, hwm, err := procSample(pid); err == nil {
			rec.VmHWMKiB = max(rec.VmHWMKiB, hwm)
		}
	}
	if srv.exited() {
		rec.Error = fmt.Sprintf("exited during the run: %v\n%s", srv.waitErr, srv.logTail(20))
	}
	for i, r := range append([]*server{srv}, srv.replicas...) {
		if cfg.verbose || rec.Error != "" {
			fmt.Fprintf(b.log, "--- %s log, replica %d (last lines) ---\n%s\n", target, i+1, r.logTail(40))
		} else if warnings := r.logWarnings(20); warnings != "" {
			// A failed operation's cause is in the server's log, not in the client's view.
			fmt.Fprintf(b.log, "--- %s log, replica %d: warnings and errors ---\n%s\n", target, i+1, warnings)
		}
	}
	srv.stop()
	rec.Seconds = time.Since(t0).Seconds()
	fmt.Fprintf(b.log, "bench: %s run %d took %.1fs, VmHWM %d MiB\n", target, run, rec.Seconds, rec.VmHWMKiB/1024)
	b.write(rec)
	b.rep.addRun(rec)
}
