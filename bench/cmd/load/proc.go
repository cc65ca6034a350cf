package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// clkTck is USER_HZ, the unit of utime/stime in /proc/<pid>/stat. It is 100
// on every Linux architecture Go supports.
const clkTck = 100

// cpuTime returns user+system CPU time the process has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may contain spaces; fields restart after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad utime/stime in /proc/%d/stat", pid)
	}
	return time.Duration(ut+st) * time.Second / clkTck, nil
}

// rssKiB returns VmRSS of the process in KiB.
func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				return strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// goroutines asks a Go server for runtime.NumGoroutine(); -1 when the server
// has no such endpoint (node: has is false).
func goroutines(base string, has bool) int {
	if !has {
		return -1
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + "/debug/goroutines-count")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || resp.StatusCode != 200 {
		return -1
	}
	return n
}

// cpuBusy returns, per CPU, the time spent neither idle nor in iowait,
// from /proc/stat.
func cpuBusy() map[string]time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil
	}
	m := map[string]time.Duration{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		// user nice system idle iowait irq softirq steal: count all but
		// idle and iowait. The kernel charges much softirq time (loopback
		// packet processing) to the process it interrupted, so leaving it
		// out would make the benchmark's own share look larger than the
		// machine's.
		var busy int64
		for _, i := range []int{1, 2, 3, 6, 7, 8} {
			n, _ := strconv.ParseInt(f[i], 10, 64)
			busy += n
		}
		m[f[0]] = time.Duration(busy) * time.Second / clkTck
	}
	return m
}

// cpuWindow samples server CPU at start and end of a measurement window,
// and the busy time of every CPU, so that work by other processes on the
// machine (which would distort throughput) shows up in the result.
type cpuWindow struct {
	pid    int
	c0     time.Duration
	self0  time.Duration
	busy0  map[string]time.Duration
	t0     time.Time
	cpu    time.Duration
	self   time.Duration
	busy   map[string]time.Duration
	wall   time.Duration
	failed error
}

func (w *cpuWindow) start() {
	w.t0 = time.Now()
	w.busy0 = cpuBusy()
	w.self0, _ = cpuTime(os.Getpid())
	w.c0, w.failed = cpuTime(w.pid)
}

func (w *cpuWindow) stop() {
	c1, err := cpuTime(w.pid)
	self1, _ := cpuTime(os.Getpid())
	busy1 := cpuBusy()
	w.wall = time.Since(w.t0)
	if err != nil && w.failed == nil {
		w.failed = err
	}
	w.cpu = c1 - w.c0
	w.self = self1 - w.self0
	w.busy = map[string]time.Duration{}
	for k, v := range busy1 {
		w.busy[k] = v - w.busy0[k]
	}
}

// record adds the window's utilisation figures to the result: server and
// load generator CPU, and "other_cpu_util", the machine's busy time not
// charged to either (other processes, steal, interrupt time), in cores.
func (w *cpuWindow) record(res *result) {
	s := w.wall.Seconds()
	res.Metrics["server_cpu_util"] = w.cpu.Seconds() / s
	res.Metrics["load_cpu_util"] = w.self.Seconds() / s
	var all time.Duration
	for _, v := range w.busy {
		all += v
	}
	res.Metrics["other_cpu_util"] = (all - w.cpu - w.self).Seconds() / s
}
