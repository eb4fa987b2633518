package main

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func ms(xs ...float64) []time.Duration {
	out := make([]time.Duration, len(xs))
	for i, x := range xs {
		out[i] = time.Duration(x * float64(time.Millisecond))
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   float64
	}{
		{"empty", nil, .5, 0},
		{"one", ms(7), .5, 7},
		{"one p99", ms(7), .99, 7},
		{"two p50 is the lower (nearest rank)", ms(1, 2), .5, 1},
		{"three p50", ms(1, 2, 3), .5, 2},
		{"four p50", ms(1, 2, 3, 4), .5, 2},
		{"four p99", ms(1, 2, 3, 4), .99, 4},
		{"100 p50", hundred, .5, 50},
		{"100 p90", hundred, .9, 90},
		{"100 p99", hundred, .99, 99},
		{"100 max", hundred, 1, 100},
		{"q 0 clamps to the first", hundred, 0, 1},
		{"sub-millisecond", ms(0.25, 0.5), 1, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.q); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.q, got, tt.want)
			}
		})
	}
}

func TestMedianAndSpread(t *testing.T) {
	tests := []struct {
		name           string
		xs             []float64
		med, min, max_ float64
	}{
		{"one", []float64{3}, 3, 3, 3},
		{"odd, unsorted", []float64{5, 1, 3}, 3, 1, 5},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, 2.5, 1, 4},
		{"duplicates", []float64{2, 2, 9}, 2, 2, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.xs...)
			if got := median(tt.xs); got != tt.med {
				t.Errorf("median = %v, want %v", got, tt.med)
			}
			for i := range in {
				if in[i] != tt.xs[i] {
					t.Fatalf("median reordered its input: %v", tt.xs)
				}
			}
			lo, hi := spread(tt.xs)
			if lo != tt.min || hi != tt.max_ {
				t.Errorf("spread = %v–%v, want %v–%v", lo, hi, tt.min, tt.max_)
			}
		})
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
}

func TestRunCountCountsOpsBytesAndErrors(t *testing.T) {
	rec := runCount(context.Background(), nil, 10, 3, time.Second, func(ctx context.Context, i int) (int64, error) {
		if i%5 == 0 {
			return 0, errors.New("boom")
		}
		return 100, nil
	})
	var res result
	rec.fill(&res)
	if res.Ops != 8 || res.Errors != 2 || res.Bytes != 800 || res.FirstError != "boom" {
		t.Fatalf("ops %d errors %d bytes %d first %q; want 8, 2, 800, boom", res.Ops, res.Errors, res.Bytes, res.FirstError)
	}
}

func TestRunTimedStopsAtTheDeadlineAndOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	t0 := time.Now()
	rec := runTimed(ctx, nil, time.Hour, 4, time.Second, func(context.Context, int, *rand.Rand) (int64, error) { return 0, nil })
	if time.Since(t0) > time.Second || rec.ops.Load() != 0 {
		t.Fatalf("a cancelled run did %d ops in %s", rec.ops.Load(), time.Since(t0))
	}
	rec = runTimed(context.Background(), nil, 50*time.Millisecond, 2, time.Second, func(context.Context, int, *rand.Rand) (int64, error) {
		time.Sleep(time.Millisecond)
		return 1, nil
	})
	if rec.ops.Load() == 0 || rec.ops.Load() != rec.bytes.Load() || len(rec.lats) != int(rec.ops.Load()) {
		t.Fatalf("ops %d bytes %d latencies %d", rec.ops.Load(), rec.bytes.Load(), len(rec.lats))
	}
}

func TestPerSecond(t *testing.T) {
	tests := []struct {
		unit string
		res  result
		want float64
	}{
		{"MB/s", result{Bytes: 500e6, Seconds: 2}, 250},
		{"req/s", result{Ops: 300, Seconds: 1.5}, 200},
		{"images/s", result{Ops: 10, Seconds: 0}, 0},
	}
	for _, tt := range tests {
		res := tt.res
		perSecond(&res, tt.unit)
		if res.Throughput != tt.want || res.Unit != tt.unit {
			t.Errorf("%s: %v %s, want %v", tt.unit, res.Throughput, res.Unit, tt.want)
		}
	}
}

func TestPageWant(t *testing.T) {
	tests := []struct{ n, size, k, want int }{
		{100, 100, 1, 100},
		{10000, 100, 1, 100},
		{10000, 100, 100, 100},
		{10050, 100, 101, 50},
		{10, 100, 1, 10},
		{10, 100, 2, 0},
	}
	for _, tt := range tests {
		if got := pageWant(tt.n, tt.size, tt.k); got != tt.want {
			t.Errorf("pageWant(%d, %d, %d) = %d, want %d", tt.n, tt.size, tt.k, got, tt.want)
		}
	}
}
