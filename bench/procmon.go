package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of the times in /proc/*/stat and /proc/stat: 100 on
// every Linux architecture Go runs on.
const clockTicks = 100

// parseProcStat returns utime+stime in seconds from the content of /proc/PID/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are counted after the
// last ')'.
func parseProcStat(s string) (float64, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("no ')' in /proc/PID/stat")
	}
	f := strings.Fields(s[i+1:])
	// After ')': state(3) ppid(4) … utime(14) stime(15): indexes 11 and 12 here.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/PID/stat has %d fields after the name, want at least 13", len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad utime/stime %q %q", f[11], f[12])
	}
	return float64(ut+st) / clockTicks, nil
}

// parseProcStatus returns VmRSS and VmHWM in KiB from the content of /proc/PID/status.
func parseProcStatus(s string) (rss, hwm int64) {
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		if k == "VmRSS" {
			rss = n
		} else {
			hwm = n
		}
	}
	return rss, hwm
}

// procSample reads a process's CPU seconds, VmRSS and VmHWM (KiB).
func procSample(pid int) (cpu float64, rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	if cpu, err = parseProcStat(string(b)); err != nil {
		return 0, 0, 0, err
	}
	b, err = os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	rss, hwm = parseProcStatus(string(b))
	return cpu, rss, hwm, nil
}

// monitor samples a server's processes (one, or each replica) during one measurement: their
// CPU time from start to finish and their VmRSS every 100 ms. CPU adds up over the
// processes; RSS is that of the largest.
type monitor struct {
	pids       []int
	cpu0       float64
	peak       atomic.Int64
	stop, done chan struct{}
}

// sample is the processes' CPU seconds summed, and the largest VmRSS and VmHWM.
func sample(pids []int) (cpu float64, rss, hwm int64, err error) {
	for _, pid := range pids {
		c, r, h, e := procSample(pid)
		if e != nil {
			return 0, 0, 0, e
		}
		cpu, rss, hwm = cpu+c, max(rss, r), max(hwm, h)
	}
	return cpu, rss, hwm, nil
}

func startMonitor(pids ...int) *monitor {
	m := &monitor{pids: pids, stop: make(chan struct{}), done: make(chan struct{})}
	m.cpu0, _, _, _ = sample(pids)
	go func() {
		defer close(m.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if _, rss, _, err := sample(pids); err == nil && rss > m.peak.Load() {
				m.peak.Store(rss)
			}
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// finish stops sampling and fills the server columns of res.
func (m *monitor) finish(res *result) {
	close(m.stop)
	<-m.done
	cpu, rss, hwm, err := sample(m.pids)
	if err != nil {
		return
	}
	res.ServerCPU = cpu - m.cpu0
	res.ServerRSS = max(m.peak.Load(), rss)
	res.ServerHWM = hwm
	if res.Ops > 0 {
		res.SrvCPUOpUs = res.ServerCPU / float64(res.Ops) * 1e6
	}
}

// parseHostBusy returns the busy CPU seconds of the whole machine from the content of
// /proc/stat: every column of the "cpu" line but idle, iowait, guest and guest_nice (guest
// time is already counted in user).
func parseHostBusy(s string) (float64, error) {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat does not start with a cpu line")
	}
	var busy uint64
	for i, x := range f[1:] {
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		v, err := strconv.ParseUint(x, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: bad number %q", x)
		}
		busy += v
	}
	return float64(busy) / clockTicks, nil
}

func hostBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	v, _ := parseHostBusy(string(b))
	return v
}

// selfCPU is the CPU time of this process (the client side).
func selfCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// waitIdle waits until the machine has been below threshold busy cores for a whole window,
// for at most maxWait (0: measure one window and return). It returns the busy cores of the
// last window and whether the machine was idle.
func waitIdle(maxWait time.Duration, threshold float64) (float64, bool) {
	const window = 2 * time.Second
	deadline := time.Now().Add(maxWait)
	for {
		win := window
		if maxWait == 0 {
			win = time.Second
		}
		b0 := hostBusy()
		time.Sleep(win)
		busy := (hostBusy() - b0) / win.Seconds()
		if busy < threshold {
			return busy, true
		}
		if !time.Now().Before(deadline) {
			return busy, false
		}
	}
}
