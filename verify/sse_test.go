package verify

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadSSE(t *testing.T) {
	stream := ": keepalive\r\n\r\n" +
		"id: 1\r\nevent: revocation\r\ndata: {\"seq\":1}\r\n\r\n" +
		"id: 2\nevent: revocation\ndata:{\"seq\":\ndata: 2}\n\n" +
		"event: other\ndata: x\n\n" +
		"id: 3\nevent: revocation\n\n" + // no data: not dispatched
		"retry: 1000\nid: 4\nevent: revocation\ndata: {\"seq\":4}\n" // cut before the blank line
	var got []sseEvent
	lines := 0
	err := readSSE(strings.NewReader(stream), func() { lines++ }, func(e sseEvent) error {
		got = append(got, e)
		return nil
	})
	if !errors.Is(err, io.EOF) {
		t.Fatalf("err = %v, want EOF", err)
	}
	want := []sseEvent{{"1", "revocation", `{"seq":1}`}, {"2", "revocation", "{\"seq\":\n2}"}, {"", "other", "x"}}
	if len(got) != len(want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %q, want %q", i, got[i], want[i])
		}
	}
	if lines != strings.Count(stream, "\n") {
		t.Errorf("%d lines seen, want %d", lines, strings.Count(stream, "\n"))
	}
	stop := errors.New("stop")
	if err := readSSE(strings.NewReader(stream), func() {}, func(sseEvent) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("the callback's error: %v", err)
	}
}
