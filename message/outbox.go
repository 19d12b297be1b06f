package message

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultOutboxSize is the outbox's bound when NewOutbox is given none.
const DefaultOutboxSize = 1000

// Outbox is the development outbox: an in-memory, bounded record of every
// message sent, newest first, for a developer (or a test) to read the codes
// a real user would have received. When full, the oldest message is
// dropped. It is safe for concurrent use.
//
// Its Handler shows every code to whoever can reach it: serve it in
// development only.
type Outbox struct {
	mu   sync.Mutex
	buf  []Message // a ring of len max
	next int       // where the next message goes
	n    int       // how many are stored
}

// NewOutbox returns an outbox keeping the max newest messages
// (DefaultOutboxSize when max <= 0).
func NewOutbox(max int) *Outbox {
	if max <= 0 {
		max = DefaultOutboxSize
	}
	return &Outbox{buf: make([]Message, max)}
}

// Send records m (with an ID and SentAt filled when missing). It never
// fails.
func (o *Outbox) Send(_ context.Context, m Message) error {
	fill(&m)
	o.mu.Lock()
	o.buf[o.next] = m
	o.next = (o.next + 1) % len(o.buf)
	if o.n < len(o.buf) {
		o.n++
	}
	o.mu.Unlock()
	return nil
}

// List returns the recorded messages, newest first: those of pool poolID
// and to destination (compared without regard to case) when they are not
// empty.
func (o *Outbox) List(poolID, destination string) []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []Message{}
	for i := 1; i <= o.n; i++ {
		m := o.buf[(o.next-i+len(o.buf))%len(o.buf)]
		if poolID != "" && m.PoolID != poolID {
			continue
		}
		if destination != "" && !strings.EqualFold(m.Destination, destination) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// Tee returns a Sender that records every message in o, then hands it
// (with the same ID) to next and returns next's answer: in development,
// the outbox shows what real senders were given.
func (o *Outbox) Tee(next Sender) Sender { return tee{o: o, next: next} }

type tee struct {
	o    *Outbox
	next Sender
}

func (t tee) Send(ctx context.Context, m Message) error {
	fill(&m)
	_ = t.o.Send(ctx, m)
	return t.next.Send(ctx, m)
}

// Handler serves the outbox:
//
//   - GET /_dev/outbox: JSON, {"messages":[{"id", "poolId", "username",
//     "destination", "channel", "kind", "code", "subject", "body",
//     "sentAt"}]}, newest first, sentAt in RFC 3339 (UTC);
//   - GET /_dev/outbox.html: a page that refreshes itself every few
//     seconds, for a developer to keep open.
//
// Both take the filters ?poolId= and ?destination= (a phone number's "+"
// must be sent as %2B; a leading space before digits is read as "+").
// Answers are not cached.
func (o *Outbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_dev/outbox", o.serveJSON)
	mux.HandleFunc("GET /_dev/outbox.html", o.serveHTML)
	return mux
}

// filters reads ?poolId= and ?destination=.
func filters(r *http.Request) (poolID, destination string) {
	q := r.URL.Query()
	poolID = strings.TrimSpace(q.Get("poolId"))
	destination = q.Get("destination")
	// An unencoded "+" of an E.164 number arrives as a space.
	if len(destination) > 1 && destination[0] == ' ' && destination[1] >= '0' && destination[1] <= '9' {
		destination = "+" + destination[1:]
	}
	return poolID, strings.TrimSpace(destination)
}

func (o *Outbox) serveJSON(w http.ResponseWriter, r *http.Request) {
	pool, dest := filters(r)
	msgs := o.List(pool, dest)
	for i := range msgs {
		msgs[i] = wire(msgs[i])
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	_ = json.NewEncoder(w).Encode(struct {
		Messages []Message `json:"messages"`
	}{msgs})
}

// outboxRefresh is how often the HTML page reloads itself, in seconds.
const outboxRefresh = 3

func (o *Outbox) serveHTML(w http.ResponseWriter, r *http.Request) {
	pool, dest := filters(r)
	type row struct {
		Message
		Sent string
	}
	var rows []row
	for _, m := range o.List(pool, dest) {
		rows = append(rows, row{Message: m, Sent: m.SentAt.UTC().Format(time.RFC3339)})
	}
	q := url.Values{}
	if pool != "" {
		q.Set("poolId", pool)
	}
	if dest != "" {
		q.Set("destination", dest)
	}
	jsonURL := "/_dev/outbox"
	if len(q) > 0 {
		jsonURL += "?" + q.Encode()
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy",
		"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	_ = outboxPage.Execute(w, map[string]any{"Rows": rows, "PoolID": pool, "Destination": dest,
		"JSONURL": jsonURL, "Refresh": outboxRefresh})
}

var outboxPage = template.Must(template.New("outbox").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="{{.Refresh}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cognate dev outbox ({{len .Rows}})</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
.note { color: #666; margin: 0 0 1rem; }
form { margin: 0 0 1rem; display: flex; gap: .5rem; flex-wrap: wrap; }
input { font: inherit; padding: .2rem .4rem; }
article { border: 1px solid #ddd; border-radius: 6px; padding: .7rem 1rem; margin: 0 0 .8rem; }
.meta { color: #555; font-size: .9rem; }
.tag { display: inline-block; background: #eef; border-radius: 4px; padding: 0 .4rem; font-size: .8rem; font-weight: 600; }
.code { font: 700 2rem/1.2 ui-monospace, monospace; letter-spacing: .15em; margin: .4rem 0; user-select: all; }
.subject { font-weight: 600; margin: .3rem 0; }
pre { white-space: pre-wrap; word-break: break-word; background: #f7f7f7; padding: .5rem; border-radius: 4px; margin: .3rem 0 0; }
</style>
</head>
<body>
<h1>Cognate dev outbox</h1>
<p class="note">Every message this dev server sent, newest first ({{len .Rows}} shown); this page reloads every {{.Refresh}} s.
As JSON: <a href="{{.JSONURL}}">{{.JSONURL}}</a></p>
<form method="get">
<input name="poolId" placeholder="pool id" value="{{.PoolID}}">
<input name="destination" placeholder="e-mail or phone" value="{{.Destination}}">
<button type="submit">Filter</button>
</form>
{{range .Rows}}<article>
<div class="meta"><span class="tag">{{.Kind}}</span> <span class="tag">{{.Channel}}</span>
to <strong>{{.Destination}}</strong> · user {{.Username}} · pool {{.PoolID}} · <time datetime="{{.Sent}}">{{.Sent}}</time></div>
{{if .Code}}<div class="code">{{.Code}}</div>{{end}}
{{if .Subject}}<div class="subject">{{.Subject}}</div>{{end}}
<pre>{{.Body}}</pre>
</article>
{{else}}<p>No messages yet.</p>
{{end}}</body>
</html>
`))
