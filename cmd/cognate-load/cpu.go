package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuSample is a snapshot of where this machine's CPU time went (Linux
// /proc; zero values elsewhere). All times are in clock ticks.
type cpuSample struct {
	at          time.Time
	busy, total uint64 // all CPUs, from /proc/stat
	self        uint64 // this process
	server      uint64 // the server process, when -server-pid is given
	ok          bool
}

// clockTick is USER_HZ, 100 on every Linux architecture Go supports.
const clockTick = 100

func sampleCPU(serverPID int) cpuSample {
	s := cpuSample{at: time.Now()}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return s
	}
	var v [10]uint64
	for i := 1; i < len(f) && i <= len(v); i++ {
		v[i-1], _ = strconv.ParseUint(f[i], 10, 64)
	}
	// user nice system idle iowait irq softirq steal (guest time is in user)
	for i := range 8 {
		s.total += v[i]
	}
	s.busy = s.total - v[3] - v[4]
	s.self, s.ok = procTicks("self")
	if serverPID > 0 {
		s.server, _ = procTicks(strconv.Itoa(serverPID))
	}
	return s
}

// procTicks is a process's user+system time from /proc/PID/stat.
func procTicks(pid string) (uint64, bool) {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name is in parentheses and may hold spaces: skip past it.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	// After ")": state(3) ppid(4) ... utime(14) stime(15), so index 11 and 12.
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	return u + st, err1 == nil && err2 == nil
}

// cpuDelta is the CPU used between two samples, in cores (1.0 = one CPU
// busy the whole time).
type cpuDelta struct {
	ok        bool
	ncpu      float64
	machine   float64
	self      float64
	server    float64
	hasServer bool
}

func cpuUse(a, b cpuSample, serverPID int) cpuDelta {
	if !a.ok || !b.ok || b.total <= a.total {
		return cpuDelta{}
	}
	secs := b.at.Sub(a.at).Seconds()
	cores := func(ticks uint64) float64 { return float64(ticks) / clockTick / secs }
	d := cpuDelta{ok: true, ncpu: float64(b.total-a.total) / clockTick / secs,
		machine: cores(b.busy - a.busy), self: cores(b.self - a.self)}
	if serverPID > 0 && b.server >= a.server && b.server > 0 {
		d.server, d.hasServer = cores(b.server-a.server), true
	}
	return d
}

func (d cpuDelta) String() string {
	if !d.ok {
		return "CPU use: not available"
	}
	out := fmt.Sprintf("CPU use (cores of %.0f): machine %.2f, load generator %.2f", d.ncpu, d.machine, d.self)
	if d.hasServer {
		out += fmt.Sprintf(", server %.2f, everything else %.2f", d.server, max(0, d.machine-d.self-d.server))
	} else {
		out += fmt.Sprintf(", server and everything else %.2f", max(0, d.machine-d.self))
	}
	return out
}
