package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	// Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
	tests := []struct {
		name    string
		in      string
		want    float64
		wantErr bool
	}{
		{"plain", "1234 (berth) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 8 0", 3.0, false},
		{"name with spaces and parens", "99 (my (odd) name) R 1 99 99 0 -1 0 0 0 0 0 7 3 0 0", 0.1, false},
		{"truncated", "1 (x) S 1 2 3", 0, true},
		{"no name", "garbage", 0, true},
		{"bad number", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 a b", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseProcStat = %v, %v; want %v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseProcStatus(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		rss, hwm int64
	}{
		{"both", "Name:\tberth\nVmPeak:\t 900 kB\nVmHWM:\t   40960 kB\nVmRSS:\t   30720 kB\nThreads:\t8\n", 30720, 40960},
		{"missing", "Name:\tzombie\nState:\tZ\n", 0, 0},
		{"malformed value", "VmRSS:\tlots kB\nVmHWM:\t12 kB\n", 0, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rss, hwm := parseProcStatus(tt.in)
			if rss != tt.rss || hwm != tt.hwm {
				t.Errorf("parseProcStatus = %d, %d; want %d, %d", rss, hwm, tt.rss, tt.hwm)
			}
		})
	}
}

func TestParseHostBusy(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    float64
		wantErr bool
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice
		{"counts all but idle, iowait and guest", "cpu  100 10 50 9999 77 5 5 30 40 2\ncpu0 1 2 3\n", 2.0, false},
		{"old kernel with fewer columns", "cpu 100 0 100 500 0\n", 2.0, false},
		{"not a cpu line", "intr 1 2 3\n", 0, true},
		{"bad number", "cpu x 0 0 0 0\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHostBusy(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseHostBusy = %v, %v; want %v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseStartupLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		addr string
		ok   bool
	}{
		{"berth's line", `time=2026-11-23T15:49:55.691Z level=INFO msg="berth serving" addr=127.0.0.1:43555 tls=false data_dir=/tmp/x registry_host=""`, "127.0.0.1:43555", true},
		{"addr before msg", `addr=[::1]:5000 msg="berth serving"`, "[::1]:5000", true},
		{"another message", `level=INFO msg="created the default account" account=1 addr=127.0.0.1:1`, "", false},
		{"no addr", `msg="berth serving" tls=false`, "", false},
		{"escaped quotes", `msg="berth \"serving\"" addr=1.2.3.4:5`, "", false},
		{"not logfmt", `panic: runtime error`, "", false},
		{"empty", ``, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, ok := parseStartupLine(tt.line)
			if addr != tt.addr || ok != tt.ok {
				t.Errorf("parseStartupLine = %q, %v; want %q, %v", addr, ok, tt.addr, tt.ok)
			}
		})
	}
}

func TestLogfmt(t *testing.T) {
	got := logfmt(`a=1 b="two words" bare c="q\"uote" d= e=x=y`)
	want := map[string]string{"a": "1", "b": "two words", "c": `q"uote`, "d": "", "e": "x=y"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("logfmt = %#v, want %#v", got, want)
	}
}

func TestNextLink(t *testing.T) {
	tests := []struct{ name, header, want string }{
		{"distribution", `</v2/r/tags/list?last=t01&n=100>; rel="next"`, "/v2/r/tags/list?last=t01&n=100"},
		{"unquoted rel", `</v2/_catalog?last=a&n=2>; rel=next`, "/v2/_catalog?last=a&n=2"},
		{"several entries", `</prev>; rel="prev", </next?x=1>; rel="next"`, "/next?x=1"},
		{"absolute URL", `<http://h:1/v2/_catalog?n=1&last=b>; rel="next"`, "http://h:1/v2/_catalog?n=1&last=b"},
		{"no next", `</first>; rel="first"`, ""},
		{"empty", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextLink(tt.header); got != tt.want {
				t.Errorf("nextLink(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(*config) bool
		wantErr string
	}{
		{"full defaults", nil, func(c *config) bool {
			return !c.quick && c.largeCount == 4 && c.largeMiB == 256 && reflect.DeepEqual(c.largeCs, []int{1, 2}) &&
				c.smallN == 2000 && c.floodDur == 30*time.Second && c.ecrBigN == 10000 && c.runs == 1 &&
				reflect.DeepEqual(c.targets, allTargets) && reflect.DeepEqual(c.scenarios, allScenarios)
		}, ""},
		{"quick changes the defaults", []string{"-quick"}, func(c *config) bool {
			return c.quick && c.largeCount == 2 && c.largeMiB == 64 && c.smallN == 300 && c.ecrBigN == 1000 && c.idleWait == 0
		}, ""},
		{"quick keeps explicit flags", []string{"-quick", "-small-n", "50", "-large-mib=8"}, func(c *config) bool {
			return c.smallN == 50 && c.largeMiB == 8 && c.largeCount == 2
		}, ""},
		{"scenarios in run order", []string{"-scenarios", "catalog, push-large"}, func(c *config) bool {
			return reflect.DeepEqual(c.scenarios, []string{"push-large", "catalog"})
		}, ""},
		{"one target", []string{"-targets", "berth"}, func(c *config) bool {
			return reflect.DeepEqual(c.targets, []string{"berth"})
		}, ""},
		{"summarize takes files", []string{"-summarize", "a.jsonl", "b.jsonl"}, func(c *config) bool {
			return c.summarize && reflect.DeepEqual(c.files, []string{"a.jsonl", "b.jsonl"})
		}, ""},
		{"unknown scenario", []string{"-scenarios", "push-huge"}, nil, `unknown scenario "push-huge"`},
		{"unknown target", []string{"-targets", "zot"}, nil, `unknown target "zot"`},
		{"bad concurrency list", []string{"-large-c", "1,x"}, nil, "-large-c"},
		{"zero runs", []string{"-runs", "0"}, nil, "-runs"},
		{"summarize without files", []string{"-summarize"}, nil, "needs one or more"},
		{"stray arguments", []string{"extra"}, nil, "unexpected arguments"},
		{"page too large", []string{"-ecr-page", "1001"}, nil, "-ecr-page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestParseInts(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		ok   bool
	}{
		{"1,2", []int{1, 2}, true},
		{" 8 ", []int{8}, true},
		{"1,,2", []int{1, 2}, true},
		{"0", nil, false},
		{"-1", nil, false},
		{"1.5", nil, false},
		{"", nil, false},
		{"2x", nil, false},
	}
	for _, tt := range tests {
		got, err := parseInts(tt.in)
		if (err == nil) != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseInts(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestBlobSection(t *testing.T) {
	shared := []byte("0123456789abcdef")
	b := blob{prefix: []byte("PPPP"), shared: shared, size: 16}
	tests := []struct {
		off, n int64
		want   string
	}{
		{0, 16, "PPPP456789abcdef"},
		{2, 6, "PP4567"},
		{4, 4, "4567"},
		{10, 6, "abcdef"},
		{0, 3, "PPP"},
	}
	for _, tt := range tests {
		got, _ := io.ReadAll(b.section(tt.off, tt.n))
		if string(got) != tt.want {
			t.Errorf("section(%d, %d) = %q, want %q", tt.off, tt.n, got, tt.want)
		}
	}
	if sha256Digest([]byte("PPPP"), shared[4:]) != sha256Digest([]byte("PPPP456789abcdef")) {
		t.Error("the digest of the parts differs from the digest of the whole")
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{formatNumber(1828.4), "1828"},
		{formatNumber(57.66), "57.7"},
		{formatNumber(0.266), "0.27"},
		{formatMicros(1.5e6), "1.50 s"},
		{formatMicros(2500), "2.5 ms"},
		{formatMicros(85.4), "85 µs"},
		{figure([]float64{300, 100, 200}, "MB/s"), "200 MB/s (100–300)"},
		{figure([]float64{12.26}, "req/s"), "12.3 req/s"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
