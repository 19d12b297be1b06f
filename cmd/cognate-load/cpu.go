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
	busy, total uint64         // all CPUs, from /proc/stat
	self        uint64         // this process
	server      uint64         // the server processes, when -server-pid is given
	servers     int            // how many of them were found
	db          map[int]uint64 // the PostgreSQL backends of -db-procs, by pid
	ok          bool
}

// clockTick is USER_HZ, 100 on every Linux architecture Go supports.
const clockTick = 100

// cpuWatch says which processes besides this one to account for.
type cpuWatch struct {
	serverPIDs []int
	// dbName: sum the PostgreSQL backends serving this database (their
	// process title is "postgres: [cluster: ]USER DBNAME HOST(PORT) STATE").
	dbName string
}

func sampleCPU(wt cpuWatch) cpuSample {
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
	for _, pid := range wt.serverPIDs {
		if t, ok := procTicks(strconv.Itoa(pid)); ok {
			s.server += t
			s.servers++
		}
	}
	if wt.dbName != "" {
		s.db = dbBackendTicks(wt.dbName)
	}
	return s
}

// dbBackendTicks finds the PostgreSQL backends serving database name (from
// /proc/PID/cmdline, which a backend sets to its process title) and reads
// their CPU time.
func dbBackendTicks(name string) map[int]uint64 {
	out := map[int]uint64{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !isBackendOf(string(cmd), name) {
			continue
		}
		if t, ok := procTicks(e.Name()); ok {
			out[pid] = t
		}
	}
	return out
}

// isBackendOf reports whether a process title (cmdline) is a PostgreSQL
// backend's for database db: "postgres: [CLUSTER: ]USER DB HOST(PORT) ...".
func isBackendOf(cmdline, db string) bool {
	rest, ok := strings.CutPrefix(strings.TrimRight(cmdline, "\x00 "), "postgres: ")
	if !ok {
		return false
	}
	f := strings.Fields(rest)
	if len(f) > 0 && strings.HasSuffix(f[0], ":") { // the cluster name, e.g. "15/main:"
		f = f[1:]
	}
	return len(f) >= 3 && f[1] == db
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
	db        float64 // the database's backends (-db-procs)
	hasDB     bool
}

// other is the CPU used by neither this process, the servers nor the
// database's backends.
func (d cpuDelta) other() float64 { return max(0, d.machine-d.self-d.server-d.db) }

func cpuUse(a, b cpuSample) cpuDelta {
	if !a.ok || !b.ok || b.total <= a.total {
		return cpuDelta{}
	}
	secs := b.at.Sub(a.at).Seconds()
	cores := func(ticks uint64) float64 { return float64(ticks) / clockTick / secs }
	d := cpuDelta{ok: true, ncpu: float64(b.total-a.total) / clockTick / secs,
		machine: cores(b.busy - a.busy), self: cores(b.self - a.self)}
	if a.servers > 0 && a.servers == b.servers && b.server >= a.server {
		d.server, d.hasServer = cores(b.server-a.server), true
	}
	if a.db != nil && b.db != nil {
		// A backend that started in between counts from zero; one that
		// ended in between is lost (the servers keep their connections).
		var t uint64
		for pid, bt := range b.db {
			if at, ok := a.db[pid]; ok && at <= bt {
				t += bt - at
			} else if !ok {
				t += bt
			}
		}
		d.db, d.hasDB = cores(t), len(b.db) > 0
	}
	return d
}

func (d cpuDelta) String() string {
	if !d.ok {
		return "CPU use: not available"
	}
	out := fmt.Sprintf("CPU use (cores of %.0f): machine %.2f, load generator %.2f", d.ncpu, d.machine, d.self)
	if d.hasServer {
		out += fmt.Sprintf(", server %.2f", d.server)
		if d.hasDB {
			out += fmt.Sprintf(", database backends %.2f", d.db)
		}
		out += fmt.Sprintf(", everything else %.2f", d.other())
	} else {
		out += fmt.Sprintf(", server and everything else %.2f", max(0, d.machine-d.self))
	}
	return out
}
