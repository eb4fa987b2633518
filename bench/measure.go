package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one measured row of one run against one target; it is also the JSON line
// written with -out (type "result").
type result struct {
	Type       string         `json:"type"` // "result"
	Mode       string         `json:"mode"` // quick or full
	Run        int            `json:"run"`
	Target     string         `json:"target"`
	Scenario   string         `json:"scenario"`
	Row        string         `json:"row"` // scenario and variant, e.g. "push-large c=2": the table's row
	Params     string         `json:"params"`
	Setup      bool           `json:"setup,omitempty"` // untimed preparation, reported for information only
	Ops        int64          `json:"ops"`
	Errors     int64          `json:"errors"`
	FirstError string         `json:"first_error,omitempty"`
	Seconds    float64        `json:"seconds"`
	Bytes      int64          `json:"bytes,omitempty"`
	Throughput float64        `json:"throughput"`
	Unit       string         `json:"unit"`
	P50ms      float64        `json:"p50_ms"`
	P90ms      float64        `json:"p90_ms"`
	P99ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	ClientCPU  float64        `json:"client_cpu_s"`
	ServerCPU  float64        `json:"server_cpu_s"`
	SrvCPUOpUs float64        `json:"server_cpu_us_per_op"`
	HostCPU    float64        `json:"host_busy_cpu_s"`
	OtherCPU   float64        `json:"other_cpu_s"` // host − client − server: other processes, irq, softirq
	ServerRSS  int64          `json:"server_rss_peak_kib"`
	ServerHWM  int64          `json:"server_vmhwm_kib"`
	Extra      map[string]any `json:"extra,omitempty"`
}

// recorder collects the outcome of the operations of one measurement.
type recorder struct {
	mu      sync.Mutex
	lats    []time.Duration
	ops     atomic.Int64
	errs    atomic.Int64
	bytes   atomic.Int64
	first   atomic.Pointer[string]
	printed atomic.Int64
	errOut  io.Writer
}

func (r *recorder) merge(local []time.Duration) {
	r.mu.Lock()
	r.lats = append(r.lats, local...)
	r.mu.Unlock()
}

func (r *recorder) fail(err error) {
	r.errs.Add(1)
	msg := err.Error()
	r.first.CompareAndSwap(nil, &msg)
	if r.errOut != nil && r.printed.Add(1) <= 3 {
		fmt.Fprintf(r.errOut, "    error: %v\n", err)
	}
}

// op is one timed operation; it returns the bytes it moved.
type op func(ctx context.Context, w int, rnd *rand.Rand) (int64, error)

// runCount runs f(i) for i in [0, n) on c workers, each taking the next i from a counter.
// It stops early when ctx is done (the benchmark was interrupted).
func runCount(ctx context.Context, errOut io.Writer, n, c int, timeout time.Duration, f func(ctx context.Context, i int) (int64, error)) *recorder {
	rec := &recorder{errOut: errOut}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(c, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					break
				}
				opCtx, cancel := context.WithTimeout(ctx, timeout)
				t := time.Now()
				nb, err := f(opCtx, i)
				d := time.Since(t)
				cancel()
				if err != nil {
					rec.fail(err)
					continue
				}
				local = append(local, d)
				rec.ops.Add(1)
				rec.bytes.Add(nb)
			}
			rec.merge(local)
		}()
	}
	wg.Wait()
	return rec
}

// runTimed runs f on c workers until dur has passed or ctx is done.
func runTimed(ctx context.Context, errOut io.Writer, dur time.Duration, c int, timeout time.Duration, f op) *recorder {
	rec := &recorder{errOut: errOut}
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w)+1, uint64(time.Now().UnixNano())))
			local := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				opCtx, cancel := context.WithTimeout(ctx, timeout)
				t := time.Now()
				nb, err := f(opCtx, w, rnd)
				d := time.Since(t)
				cancel()
				if err != nil {
					rec.fail(err)
					continue
				}
				local = append(local, d)
				rec.ops.Add(1)
				rec.bytes.Add(nb)
			}
			rec.merge(local)
		}()
	}
	wg.Wait()
	return rec
}

// percentile returns the nearest-rank q-quantile (0 < q ≤ 1) of sorted durations, in ms.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / float64(time.Millisecond)
}

// fill copies the recorder's counts and latency percentiles into res.
func (r *recorder) fill(res *result) {
	res.Ops, res.Errors, res.Bytes = r.ops.Load(), r.errs.Load(), r.bytes.Load()
	if p := r.first.Load(); p != nil {
		res.FirstError = *p
	}
	slices.Sort(r.lats)
	res.P50ms, res.P90ms, res.P99ms = percentile(r.lats, .50), percentile(r.lats, .90), percentile(r.lats, .99)
	if n := len(r.lats); n > 0 {
		res.MaxMs = float64(r.lats[n-1]) / float64(time.Millisecond)
	}
}

// median returns the median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread returns the minimum and maximum of xs.
func spread(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	return slices.Min(xs), slices.Max(xs)
}
