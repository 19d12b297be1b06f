package faultproxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// echoServer answers every line it reads with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, conn: c, r: bufio.NewReader(c)}
}

// roundTrip sends line and returns the answer, or the error reading it
// within wait.
func (c *client) roundTrip(line string, wait time.Duration) (string, error) {
	c.t.Helper()
	if err := c.conn.SetDeadline(time.Now().Add(wait)); err != nil {
		c.t.Fatal(err)
	}
	if _, err := io.WriteString(c.conn, line+"\n"); err != nil {
		return "", err
	}
	got, err := c.r.ReadString('\n')
	return strings.TrimSuffix(got, "\n"), err
}

func mustEcho(t *testing.T, c *client, line string) {
	t.Helper()
	got, err := c.roundTrip(line, 5*time.Second)
	if err != nil || got != line {
		t.Fatalf("round trip of %q: got %q, %v", line, got, err)
	}
}

func TestPassesBytesBothWays(t *testing.T) {
	p := New(t, echoServer(t))
	c := dial(t, p.Addr())
	mustEcho(t, c, "hello")
	mustEcho(t, c, strings.Repeat("x", 100<<10)) // more than one chunk
}

func TestCutClosesOpenConnectionsOnly(t *testing.T) {
	p := New(t, echoServer(t))
	c := dial(t, p.Addr())
	mustEcho(t, c, "before")
	p.Cut()
	if got, err := c.roundTrip("after", 5*time.Second); err == nil {
		t.Fatalf("a cut connection answered %q", got)
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a cut connection hung instead of closing: %v", err)
	}
	mustEcho(t, dial(t, p.Addr()), "new connection")
}

func TestDownRefusesUntilRestore(t *testing.T) {
	p := New(t, echoServer(t))
	open := dial(t, p.Addr())
	mustEcho(t, open, "before")
	p.Down()
	if _, err := open.roundTrip("open", 5*time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("an open connection survived Down: %v", err)
	}
	if _, err := dial(t, p.Addr()).roundTrip("new", 5*time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a new connection was served while down: %v", err)
	}
	p.Restore()
	mustEcho(t, dial(t, p.Addr()), "restored")
}

func TestPauseHoldsBytesUntilRestore(t *testing.T) {
	p := New(t, echoServer(t))
	c := dial(t, p.Addr())
	mustEcho(t, c, "before")
	p.Pause()
	if got, err := c.roundTrip("held", 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a paused proxy answered: %q, %v", got, err)
	}
	p.Restore()
	// The held line arrives on the same connection, which stayed open.
	if err := c.conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, err := c.r.ReadString('\n'); err != nil || got != "held\n" {
		t.Fatalf("after Restore: got %q, %v; want the held line", got, err)
	}
	mustEcho(t, c, "after")
}

func TestSlowDelaysEachWay(t *testing.T) {
	p := New(t, echoServer(t))
	c := dial(t, p.Addr())
	mustEcho(t, c, "warm")
	const d = 150 * time.Millisecond
	p.Slow(d)
	start := time.Now()
	mustEcho(t, c, "slow")
	if took := time.Since(start); took < 2*d {
		t.Fatalf("a round trip took %v with %v latency each way, want at least %v", took, d, 2*d)
	}
	p.Slow(0)
	mustEcho(t, c, "fast")
}
