// Package faultproxy is for tests: a TCP proxy between a client and a real
// server (Cognate's HTTP server, a database) that drops, delays, or cuts the
// connections between them on command, as a failing network would.
//
// It does not look at the bytes it passes; faults that depend on what is said
// (an HTTP error for one operation) belong in the test that needs them.
package faultproxy

import (
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy passes TCP connections made to Addr on to the target. Its methods are
// safe for concurrent use.
type Proxy struct {
	ln     net.Listener
	target string

	mu sync.Mutex
	// down: new connections are closed as soon as they are accepted.
	down bool
	// paused: bytes are held (in both directions) until Restore.
	paused bool
	// latency delays every chunk of bytes, each way.
	latency time.Duration
	healed  *sync.Cond // broadcast when paused turns false
	conns   map[net.Conn]struct{}
}

// New starts a Proxy to target (host:port) on a loopback port. It stops, and
// closes every connection, when the test ends.
func New(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("faultproxy: listening: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.healed = sync.NewCond(&p.mu)
	t.Cleanup(p.close)
	go p.serve()
	return p
}

// Addr is the proxy's host:port: connect there instead of to the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every open connection. New connections still pass.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutLocked()
}

// Down closes every open connection and refuses new ones (they are accepted,
// then closed at once, like a server that has gone away) until Restore.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	p.cutLocked()
}

// Pause stops passing bytes, in both directions, until Restore: connections
// stay open and new ones are accepted, but nothing arrives (a network
// partition).
func (p *Proxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = true
}

// Slow delays every chunk of bytes by d, each way, until Slow(0). It widens
// races between requests.
func (p *Proxy) Slow(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// Restore ends Down and Pause: new connections pass again and held bytes are
// delivered. It leaves the latency Slow set.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down, p.paused = false, false
	p.healed.Broadcast()
}

// close stops the proxy: no new connections, every open one closed, held
// copies woken so that their goroutines end.
func (p *Proxy) close() {
	_ = p.ln.Close()
	p.Down()
	p.Restore()
}

func (p *Proxy) cutLocked() {
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *Proxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.down { // went down while dialling
		p.mu.Unlock()
		_ = c.Close()
		_ = up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.copy(up, c); close(done) }()
	p.copy(c, up)
	// Either side ending ends both, so that the other copy returns too.
	_ = c.Close()
	_ = up.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// copy passes bytes from src to dst, holding them while paused and delaying
// them by the latency. It closes dst when src ends.
func (p *Proxy) copy(dst, src net.Conn) {
	defer func() { _ = dst.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.paused {
				p.healed.Wait()
			}
			latency := p.latency
			p.mu.Unlock()
			if latency > 0 {
				time.Sleep(latency)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
