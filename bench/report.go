package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

// runRecord is the JSON line written after each target's run: what ran, its peak memory,
// and whether it started at all.
type runRecord struct {
	Type      string  `json:"type"` // "run"
	Mode      string  `json:"mode"`
	Run       int     `json:"run"`
	Target    string  `json:"target"`
	Version   string  `json:"version"`
	Auth      string  `json:"auth"`
	Seconds   float64 `json:"seconds"`
	VmHWMKiB  int64   `json:"server_vmhwm_kib"`
	IdleCores float64 `json:"busy_cores_before"`
	Idle      bool    `json:"idle_before"`
	Error     string  `json:"error,omitempty"`
}

// cell gathers one row of one target over the runs.
type cell struct {
	tp, p50, p99, cpu []float64
	errors            int64
	firstErr          string
	unit, scenario    string
}

// report is everything the table shows, built from results and run records (of this
// invocation, or read back with -summarize).
type report struct {
	modes    map[string]bool
	runs     map[int]bool
	rows     []string
	cells    map[string]map[string]*cell // target → row → cell
	hwm      map[string][]float64        // target → VmHWM in MiB per run
	versions map[string]string
	auth     map[string]string
	problems []string // targets that did not start
	sizes    []string // what the scenarios did (from the config records)
}

func newReport() *report {
	return &report{modes: map[string]bool{}, runs: map[int]bool{}, cells: map[string]map[string]*cell{},
		hwm: map[string][]float64{}, versions: map[string]string{}, auth: map[string]string{}}
}

func (rep *report) addResult(r *result) {
	if r.Setup {
		return
	}
	rep.modes[r.Mode] = true
	rep.runs[r.Run] = true
	if rep.cells[r.Target] == nil {
		rep.cells[r.Target] = map[string]*cell{}
	}
	c := rep.cells[r.Target][r.Row]
	if c == nil {
		c = &cell{unit: r.Unit, scenario: r.Scenario}
		rep.cells[r.Target][r.Row] = c
		if !slices.Contains(rep.rows, r.Row) {
			rep.rows = append(rep.rows, r.Row)
		}
	}
	c.tp = append(c.tp, r.Throughput)
	c.p50 = append(c.p50, r.P50ms)
	c.p99 = append(c.p99, r.P99ms)
	c.cpu = append(c.cpu, r.SrvCPUOpUs)
	c.errors += r.Errors
	if c.firstErr == "" {
		c.firstErr = r.FirstError
	}
	if c.unit == "" {
		c.unit = r.Unit
	}
}

func (rep *report) addSizes(desc string) {
	if desc != "" && !slices.Contains(rep.sizes, desc) {
		rep.sizes = append(rep.sizes, desc)
	}
}

func (rep *report) addRun(r *runRecord) {
	rep.modes[r.Mode] = true
	rep.runs[r.Run] = true
	if r.Version != "" {
		rep.versions[r.Target] = r.Version
	}
	if r.Auth != "" {
		rep.auth[r.Target] = r.Auth
	}
	if r.Error != "" {
		rep.problems = append(rep.problems, fmt.Sprintf("run %d: %s: %s", r.Run, r.Target, r.Error))
		return
	}
	if r.VmHWMKiB > 0 {
		rep.hwm[r.Target] = append(rep.hwm[r.Target], float64(r.VmHWMKiB)/1024)
	}
}

// sortRows orders the rows by scenario (the run order), keeping first-seen order within one.
func (rep *report) sortRows() {
	scen := func(row string) int {
		s, _, _ := strings.Cut(row, " ")
		if i := slices.Index(allScenarios, s); i >= 0 {
			return i
		}
		return len(allScenarios)
	}
	slices.SortStableFunc(rep.rows, func(a, b string) int { return scen(a) - scen(b) })
}

// ran reports whether target has results.
func (rep *report) ran(target string) bool { return len(rep.cells[target]) > 0 }

func (rep *report) cell(target, row string) *cell {
	if rep.cells[target] == nil {
		return nil
	}
	return rep.cells[target][row]
}

// med returns the median of a field of a cell, if the cell exists.
func (rep *report) med(target, row string, field func(*cell) []float64) (float64, bool) {
	c := rep.cell(target, row)
	if c == nil || len(field(c)) == 0 {
		return 0, false
	}
	return median(field(c)), true
}

func fieldTP(c *cell) []float64  { return c.tp }
func fieldP50(c *cell) []float64 { return c.p50 }
func fieldP99(c *cell) []float64 { return c.p99 }

// errorCount is the number of failed operations over every target and row, plus the
// targets that did not start.
func (rep *report) errorCount() int64 {
	n := int64(len(rep.problems))
	for _, rows := range rep.cells {
		for _, c := range rows {
			n += c.errors
		}
	}
	return n
}

// readJSONL loads the results and run records of JSON-lines files written with -out.
func readJSONL(files []string) (*report, error) {
	rep := newReport()
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for n := 1; sc.Scan(); n++ {
			if err := rep.addLine(sc.Bytes()); err != nil {
				fh.Close()
				return nil, fmt.Errorf("%s:%d: %w", f, n, err)
			}
		}
		err = sc.Err()
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	return rep, nil
}

// addLine adds one JSON line; lines of other types (the config header) are skipped.
func (rep *report) addLine(line []byte) error {
	if len(strings.TrimSpace(string(line))) == 0 {
		return nil
	}
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return err
	}
	switch probe.Type {
	case "config":
		var c struct {
			Describe string `json:"describe"`
		}
		if err := json.Unmarshal(line, &c); err != nil {
			return err
		}
		rep.addSizes(c.Describe)
	case "result":
		var r result
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		rep.addResult(&r)
	case "run":
		var r runRecord
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		rep.addRun(&r)
	}
	return nil
}

// figure formats a median with, over several runs, the min–max range.
func figure(xs []float64, unit string) string {
	s := formatFigure(median(xs), unit)
	if len(xs) > 1 {
		lo, hi := spread(xs)
		s += fmt.Sprintf(" (%s–%s)", formatNumber(lo), formatNumber(hi))
	}
	return s
}

func formatNumber(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "?"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func formatFigure(v float64, unit string) string { return formatNumber(v) + " " + unit }

// formatMicros formats server CPU per operation.
func formatMicros(us float64) string {
	switch {
	case us >= 1e6:
		return fmt.Sprintf("%.2f s", us/1e6)
	case us >= 1e3:
		return fmt.Sprintf("%.1f ms", us/1e3)
	default:
		return fmt.Sprintf("%.0f µs", us)
	}
}

func latencies(c *cell) string {
	if c == nil {
		return "–"
	}
	return formatNumber(median(c.p50)) + " / " + formatNumber(median(c.p99)) + " ms"
}

// print writes the table and the lines under it.
func (rep *report) print(w io.Writer) {
	rep.sortRows()
	modes := slices.Sorted(func(yield func(string) bool) {
		for m := range rep.modes {
			if !yield(m) {
				return
			}
		}
	})
	fmt.Fprintf(w, "\nberth benchmark — mode %s, %d run(s); figures are medians over the runs, (min–max) with several runs\n",
		strings.Join(modes, "+"), len(rep.runs))
	for _, t := range allTargets {
		if v, ok := rep.versions[t]; ok {
			fmt.Fprintf(w, "  %-13s %s; %s\n", t+":", v, rep.auth[t])
		}
	}
	for _, s := range rep.sizes {
		fmt.Fprintf(w, "  sizes: %s\n", s)
	}
	if len(modes) > 1 {
		fmt.Fprintln(w, "  WARNING: these files mix quick and full runs; their rows are merged")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// The PostgreSQL+S3 columns appear when those targets ran.
	var clusters []string
	for _, t := range []string{targetPGS3, targetPGS3x2} {
		if rep.ran(t) {
			clusters = append(clusters, t)
		}
	}
	header := "scenario\tberth\tDistribution\tberth÷Distribution\tberth p50 / p99\tDistribution p50 / p99\tserver CPU/op berth / Distribution\ttarget (berth)\tresult"
	for _, t := range clusters {
		header += "\t" + t + " (p50 / p99)"
	}
	fmt.Fprintln(tw, header)
	pass, miss := 0, 0
	for _, row := range rep.rows {
		b, d := rep.cell(targetBerth, row), rep.cell(targetDistribution, row)
		cols := []string{row, "–", "–", "–", latencies(b), latencies(d), "", "", ""}
		if b != nil {
			cols[1] = figure(b.tp, b.unit)
		}
		if d != nil {
			cols[2] = figure(d.tp, d.unit)
		}
		scenario, _, _ := strings.Cut(row, " ")
		switch {
		case b != nil && d != nil && median(d.tp) > 0:
			cols[3] = fmt.Sprintf("%.2f×", median(b.tp)/median(d.tp))
		case isECR(scenario):
			cols[3] = "n/a (Distribution has no ECR API)"
		}
		cpu := func(c *cell) string {
			if c == nil {
				return "–"
			}
			return formatMicros(median(c.cpu))
		}
		cols[6] = cpu(b) + " / " + cpu(d)
		descs, verdict := rep.evaluate(row)
		cols[7], cols[8] = strings.Join(descs, ", "), verdict
		switch verdict {
		case "PASS":
			pass++
		case "MISS":
			miss++
		}
		var errs []string
		for _, c := range []struct {
			name string
			c    *cell
		}{{"berth", b}, {"Distribution", d}} {
			if c.c != nil && c.c.errors > 0 {
				errs = append(errs, fmt.Sprintf("%s %d", c.name, c.c.errors))
			}
		}
		for _, t := range clusters {
			c := rep.cell(t, row)
			if c == nil {
				cols = append(cols, "–")
				continue
			}
			cols = append(cols, figure(c.tp, c.unit)+" ("+latencies(c)+")")
			if c.errors > 0 {
				errs = append(errs, fmt.Sprintf("%s %d", t, c.errors))
			}
		}
		if len(errs) > 0 {
			cols[8] = strings.TrimSpace(cols[8] + " ERRORS (" + strings.Join(errs, ", ") + ")")
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, t := range allTargets {
		hs, ok := rep.hwm[t]
		if !ok {
			continue
		}
		line := fmt.Sprintf("peak RSS (VmHWM over the whole run) %-16s %s", t+":", figure(hs, "MiB"))
		if t == targetBerth {
			verdict := "PASS"
			if median(hs) > maxRSSMiB {
				verdict = "MISS"
			}
			line += fmt.Sprintf("   target ≤ %d MiB: %s", maxRSSMiB, verdict)
			if verdict == "PASS" {
				pass++
			} else {
				miss++
			}
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "\nberth's targets: %d PASS, %d MISS (✓ met, ✗ missed; judged on the medians).\n", pass, miss)
	if rep.modes["quick"] {
		fmt.Fprintln(w, "Quick mode uses small sizes and short floods: PASS/MISS is indicative only; judge the targets on full runs.")
	}
	fmt.Fprintln(w, "berth runs with authentication and authorization on, as an IAM user with AmazonEC2ContainerRegistryPowerUser "+
		"(Basic AWS:<token> on every /v2 request, SigV4 on every ECR call, each one authorized by the policy evaluator); "+
		"Distribution runs without (its htpasswd auth would bcrypt-verify every request, which measures bcrypt, not the registry).")
	if len(clusters) > 0 {
		fmt.Fprintln(w, "berth-pg-s3: metadata in PostgreSQL (fsync on) and blobs in S3 (versitygw), both on this machine and "+
			"started for the run; -x2 runs two replicas and sends requests round-robin (no sticky sessions). "+
			"PostgreSQL and versitygw share the same cores; their CPU is not in berth's.")
	}
	fmt.Fprintln(w, "MB/s = 10^6 bytes/s. Latencies are per operation: a whole blob, a whole image, a whole listing (all pages), or one request.")
	for _, p := range rep.problems {
		fmt.Fprintf(w, "ERROR: %s\n", p)
	}
	for _, t := range allTargets {
		for _, row := range rep.rows {
			if c := rep.cell(t, row); c != nil && c.errors > 0 {
				fmt.Fprintf(w, "ERROR: %s %s: %d failed operation(s); first: %s\n", t, row, c.errors, c.firstErr)
			}
		}
	}
}
