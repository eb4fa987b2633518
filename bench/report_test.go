package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// res makes a result row of a target with throughput, p50 and p99.
func res(run int, target, row string, tp, p50, p99 float64) *result {
	scenario, _, _ := strings.Cut(row, " ")
	return &result{Type: "result", Mode: "full", Run: run, Target: target, Scenario: scenario, Row: row,
		Throughput: tp, Unit: "x/s", P50ms: p50, P99ms: p99, Ops: 1}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		results []*result
		row     string
		verdict string
		descs   []string
	}{
		{"push-large passes", []*result{res(1, "berth", "push-large c=1", 500, 0, 0), res(1, "distribution", "push-large c=1", 200, 0, 0)},
			"push-large c=1", "PASS", []string{"≥ 450 MB/s ✓", "ahead of Distribution ✓"}},
		{"push-large misses the absolute target", []*result{res(1, "berth", "push-large c=1", 400, 0, 0), res(1, "distribution", "push-large c=1", 200, 0, 0)},
			"push-large c=1", "MISS", []string{"≥ 450 MB/s ✗", "ahead of Distribution ✓"}},
		{"behind Distribution", []*result{res(1, "berth", "push-large c=2", 300, 0, 0), res(1, "distribution", "push-large c=2", 310, 0, 0)},
			"push-large c=2", "MISS", []string{"ahead of Distribution ✗"}},
		{"medians over runs", []*result{res(1, "berth", "push-large c=1", 100, 0, 0), res(2, "berth", "push-large c=1", 460, 0, 0), res(3, "berth", "push-large c=1", 470, 0, 0)},
			"push-large c=1", "PASS", []string{"≥ 450 MB/s ✓"}},
		{"chunked within 10% of monolithic", []*result{res(1, "berth", "push-large c=2", 500, 0, 0), res(1, "berth", "push-chunked c=2", 455, 0, 0)},
			"push-chunked c=2", "PASS", []string{"≥ 0.9 × push-large c=2 ✓"}},
		{"chunked too slow", []*result{res(1, "berth", "push-large c=2", 500, 0, 0), res(1, "berth", "push-chunked c=2", 440, 0, 0)},
			"push-chunked c=2", "MISS", []string{"≥ 0.9 × push-large c=2 ✗"}},
		{"chunked without monolithic is unknown", []*result{res(1, "berth", "push-chunked c=1", 500, 0, 0)},
			"push-chunked c=1", "MISS", []string{"≥ 0.9 × push-large c=1 ?"}},
		{"pull at 0.9 of sendfile", []*result{res(1, "berth", "pull-large c=2", 1646, 0, 0)},
			"pull-large c=2", "PASS", []string{"≥ 1645 MB/s (0.9 × sendfile) ✓"}},
		{"flood needs rate and p99", []*result{res(1, "berth", "manifest-get", 12000, 2, 25)},
			"manifest-get", "MISS", []string{"≥ 10000 req/s ✓", "p99 ≤ 20 ms ✗"}},
		{"tags list p50", []*result{res(1, "berth", "tags-list", 900, 1.4, 9)},
			"tags-list", "PASS", []string{"p50 ≤ 1.5 ms ✓"}},
		{"catalog p50", []*result{res(1, "berth", "catalog", 900, 0.31, 1)},
			"catalog", "MISS", []string{"p50 ≤ 0.3 ms ✗"}},
		{"describe-images flat", []*result{res(1, "berth", "describe-images small repo", 0, 2, 0), res(1, "berth", "describe-images big repo, last page", 0, 2.9, 0)},
			"describe-images big repo, last page", "PASS", []string{"p50 ≤ 1.5 × small repo ✓"}},
		{"describe-images grows with the repository", []*result{res(1, "berth", "describe-images small repo", 0, 2, 0), res(1, "berth", "describe-images big repo, last page", 0, 40, 0)},
			"describe-images big repo, last page", "MISS", []string{"p50 ≤ 1.5 × small repo ✗"}},
		{"ECR rows are never compared with Distribution", []*result{res(1, "berth", "list-images small repo", 10, 1, 1)},
			"list-images small repo", "–", nil},
		{"Distribution alone is not judged", []*result{res(1, "distribution", "push-large c=1", 200, 0, 0)},
			"push-large c=1", "–", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := newReport()
			for _, r := range tt.results {
				rep.addResult(r)
			}
			descs, verdict := rep.evaluate(tt.row)
			if verdict != tt.verdict || strings.Join(descs, "|") != strings.Join(tt.descs, "|") {
				t.Errorf("evaluate(%q) = %q %q; want %q %q", tt.row, descs, verdict, tt.descs, tt.verdict)
			}
		})
	}
}

func TestReportPrintAndErrors(t *testing.T) {
	rep := newReport()
	rep.addResult(res(1, "berth", "push-large c=1", 500, 100, 120))
	rep.addResult(res(1, "distribution", "push-large c=1", 250, 200, 250))
	rep.addResult(res(1, "berth", "describe-images small repo", 500, 2, 3))
	failed := res(1, "berth", "head-blob", 9000, 2, 5)
	failed.Errors, failed.FirstError = 3, "HEAD blob: 404 for a pushed blob"
	rep.addResult(failed)
	setup := res(1, "berth", "ecr-setup bench/ecr-big", 1, 1, 1)
	setup.Setup = true
	rep.addResult(setup)
	rep.addRun(&runRecord{Type: "run", Mode: "full", Run: 1, Target: "berth", Version: "abc123", Auth: "authentication on", VmHWMKiB: 120 << 10})
	rep.addRun(&runRecord{Type: "run", Mode: "full", Run: 1, Target: "distribution", Error: "did not start: boom"})
	var out bytes.Buffer
	rep.print(&out)
	s := out.String()
	for _, want := range []string{
		"2.00×", "n/a (Distribution has no ECR API)", "ERRORS (berth 3)", "120 MiB   target ≤ 100 MiB: MISS",
		"ERROR: run 1: distribution: did not start: boom", "ERROR: berth head-blob: 3 failed operation(s); first: HEAD blob: 404",
		"abc123; authentication on",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the report lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "ecr-setup") {
		t.Errorf("setup rows must not be in the table:\n%s", s)
	}
	if got := rep.errorCount(); got != 4 {
		t.Errorf("errorCount = %d, want 4 (3 failed operations + 1 target that did not start)", got)
	}
}

func TestReadJSONLRoundTrip(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	add := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	add(map[string]any{"type": "config", "mode": "full", "describe": "large blobs 4×256 MiB"})
	for run, tp := range []float64{400, 500, 600} {
		add(res(run+1, "berth", "push-large c=1", tp, 1, 2))
		add(&runRecord{Type: "run", Mode: "full", Run: run + 1, Target: "berth", VmHWMKiB: int64(50+run) << 10})
	}
	lines = append(lines, "")
	f := filepath.Join(dir, "r.jsonl")
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := readJSONL([]string{f})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := rep.med("berth", "push-large c=1", fieldTP); !ok || v != 500 {
		t.Errorf("median throughput %v %v, want 500", v, ok)
	}
	if len(rep.runs) != 3 || median(rep.hwm["berth"]) != 51 || len(rep.sizes) != 1 {
		t.Errorf("runs %v, hwm %v, sizes %v", rep.runs, rep.hwm["berth"], rep.sizes)
	}
	if err := os.WriteFile(f, []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readJSONL([]string{f}); err == nil || !strings.Contains(err.Error(), "r.jsonl:1") {
		t.Errorf("a broken line gave %v, want an error naming the file and line", err)
	}
}
