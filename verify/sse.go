package verify

import (
	"bufio"
	"io"
	"strings"
)

// sseEvent is one dispatched server-sent event.
type sseEvent struct {
	id, name, data string
}

// readSSE parses a text/event-stream from r (the WHATWG rules the feed
// uses: fields id, event and data; comments start with ':'), calling line
// for every line read (keepalives included) and fn for every event. It
// returns fn's first error, or the reader's (io.EOF at the end).
func readSSE(r io.Reader, line func(), fn func(sseEvent) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var ev sseEvent
	var data strings.Builder
	hasData := false
	for sc.Scan() {
		line()
		l := sc.Text()
		if l == "" {
			if hasData {
				ev.data = data.String()
				if err := fn(ev); err != nil {
					return err
				}
			}
			ev, hasData = sseEvent{}, false
			data.Reset()
			continue
		}
		if l[0] == ':' {
			continue
		}
		name, value, _ := strings.Cut(l, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "id":
			ev.id = value
		case "event":
			ev.name = value
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.WriteString(value)
			hasData = true
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.EOF
}
