// Package feed serves the revocation feed of docs/revocation-feed.md under
// each pool's issuer URL:
//
//	GET /{poolId}/revocations                  server-sent events or a long poll
//	GET /{poolId}/revocations/snapshot         the compacted current state
//	GET /{poolId}/revocations/families/{id}    one token family
//
// Readers authenticate with HTTP Basic (an app client of the pool that has a
// secret) or an admin SigV4 signature; a server without admin credentials
// (dev mode) also serves readers that send no credentials. Credentials that
// are sent are always checked. Errors use the API's {"__type", "message"}
// shape. The streaming route (/revocations) must be exempt from the server's
// per-request deadline (see IsStream); Close ends its streams.
package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/sigv4"
	"github.com/cognate-dev/cognate/userpool"
)

// Defaults and limits of the protocol.
const (
	// DefaultKeepalive is how often an idle stream gets a comment.
	DefaultKeepalive = 15 * time.Second
	// DefaultWait and MaxWait bound a long poll.
	DefaultWait = 25 * time.Second
	MaxWait     = 60 * time.Second
	// DefaultMaxStreams is Options.MaxStreams' default.
	DefaultMaxStreams = 1000
	// writeTimeout bounds each write to a stream, so that a reader that
	// stopped reading does not hold its stream forever.
	writeTimeout = 30 * time.Second
)

// Options configure a Handler.
type Options struct {
	Service *userpool.Service
	// Admin verifies SigV4 signatures made with the admin credentials; nil
	// means dev mode (readers without credentials are served).
	Admin  *sigv4.Verifier
	Logger *slog.Logger
	// MaxStreams bounds the streams and long polls open at once; past it
	// requests are answered 503 (default DefaultMaxStreams).
	MaxStreams int
	// Keepalive is how often an idle stream gets a comment (default
	// DefaultKeepalive).
	Keepalive time.Duration
}

// Handler serves the feed.
type Handler struct {
	svc        *userpool.Service
	admin      *sigv4.Verifier
	log        *slog.Logger
	maxStreams int64
	keepalive  time.Duration
	streams    atomic.Int64
}

// New returns a Handler.
func New(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = DefaultMaxStreams
	}
	if o.Keepalive <= 0 {
		o.Keepalive = DefaultKeepalive
	}
	return &Handler{svc: o.Service, admin: o.Admin, log: o.Logger, maxStreams: int64(o.MaxStreams), keepalive: o.Keepalive}
}

// Mount registers the feed's routes on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /{pool}/revocations", h.handle(h.follow))
	mux.HandleFunc("GET /{pool}/revocations/snapshot", h.handle(h.snapshot))
	mux.HandleFunc("GET /{pool}/revocations/families/{id}", h.handle(h.family))
}

// errPanic stands for a handler's panic on its way to writeError.
var errPanic = errors.New("panic serving request")

// handle adapts a feed handler to net/http: its error goes to the one
// writer, and a panic is answered in the feed's own error shape (the stack
// is logged). A handler that has begun its answer (a stream) returns nil.
func (h *Handler) handle(f func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.log.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				h.writeError(w, r, errPanic)
			}
		}()
		if err := f(w, r); err != nil {
			h.writeError(w, r, err)
		}
	}
}

// IsStream reports whether r is for the feed's streaming route, which
// answers after up to a minute (long poll) or never (server-sent events):
// the server must not bound it with its per-request deadline.
func IsStream(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	pool, rest, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return ok && pool != "" && rest == "revocations"
}

// Streams is the number of streams and long polls open now.
func (h *Handler) Streams() int { return int(h.streams.Load()) }

// event is the wire shape of an event.
type event struct {
	Seq      int64  `json:"seq"`
	Kind     string `json:"kind"`
	ID       string `json:"id"`
	Sub      string `json:"sub,omitempty"`
	ClientID string `json:"clientId,omitempty"`
	Gen      *int64 `json:"gen,omitempty"`
	Deleted  bool   `json:"deleted,omitempty"`
	Reason   string `json:"reason"`
	At       int64  `json:"at"`
}

func toWire(evs []userpool.RevocationEvent) []event {
	out := make([]event, len(evs))
	for i, e := range evs {
		out[i] = event{Seq: e.Seq, Kind: e.Kind, ID: e.ID, Sub: e.Sub, ClientID: e.ClientID, Deleted: e.Deleted,
			Reason: e.Reason, At: e.At.UnixMilli()}
		if e.Kind == "user" && !e.Deleted {
			gen := e.Gen
			out[i].Gen = &gen
		}
	}
	return out
}

// wireError is an answer in the API's error shape.
type wireError struct {
	status  int
	code    string
	message string
}

func (e *wireError) Error() string { return e.code + ": " + e.message }

func unauthorized(msg string) *wireError {
	return &wireError{http.StatusUnauthorized, "NotAuthorizedException", msg}
}

func invalid(msg string) *wireError {
	return &wireError{http.StatusBadRequest, "InvalidParameterException", msg}
}

var (
	errExpired = &wireError{http.StatusGone, "ExpiredSequenceException",
		"The feed position is older than the retained feed or beyond its end; take a new snapshot"}
	errUnavailable = &wireError{http.StatusServiceUnavailable, "ServiceUnavailableException",
		"Too many revocation-feed streams are open on this server; retry later"}
	errShuttingDown = &wireError{http.StatusServiceUnavailable, "ServiceUnavailableException",
		"The server is shutting down; retry on another"}
)

// writeError answers err in the API's error shape.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var we *wireError
	switch de := userpool.AsError(err); {
	case errors.As(err, &we):
	case errors.Is(err, userpool.ErrSequenceExpired):
		we = errExpired
	case errors.Is(err, userpool.ErrFeedClosed):
		we = errShuttingDown
	case de != nil && de.Kind == userpool.KindNotFound:
		msg := de.Message
		if msg == "" {
			msg = "User pool " + r.PathValue("pool") + " does not exist."
		}
		we = &wireError{http.StatusNotFound, "ResourceNotFoundException", msg}
	case de != nil && de.Kind == userpool.KindClientAuthFailed:
		we = unauthorized("Incorrect client id or secret for this pool's revocation feed")
	case de != nil && de.Kind == userpool.KindInvalid:
		we = invalid(de.Error())
	default:
		if !errors.Is(err, context.Canceled) && !errors.Is(err, errPanic) {
			h.log.Error("revocation feed", "path", r.URL.Path, "err", err)
		}
		we = &wireError{http.StatusInternalServerError, "InternalErrorException", "Internal server error"}
	}
	hdr := w.Header()
	if we.status == http.StatusUnauthorized {
		hdr.Set("WWW-Authenticate", `Basic realm="cognate"`)
	}
	if we.status == http.StatusServiceUnavailable {
		hdr.Set("Retry-After", "1")
	}
	hdr.Set("x-amzn-ErrorType", we.code+":")
	writeJSON(w, we.status, map[string]string{"__type": we.code, "message": we.message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// authorize lets the request through if its credentials are good for the
// pool's feed: Basic (a confidential client of the pool) or an admin SigV4
// signature; none at all only in dev mode.
func (h *Handler) authorize(r *http.Request, poolID string) error {
	auth := r.Header.Get("Authorization")
	switch {
	case auth == "":
		if h.admin == nil {
			return nil
		}
		return unauthorized("Credentials are required to read the revocation feed")
	case strings.HasPrefix(auth, sigv4.Algorithm+" "):
		if h.admin == nil {
			return nil // dev mode: no admin credentials to check against
		}
		if _, err := h.admin.Verify(r, nil); err != nil {
			var se *sigv4.Error
			if errors.As(err, &se) {
				return unauthorized(se.Message)
			}
			return unauthorized("The request signature could not be verified")
		}
		return nil
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		return unauthorized("Unsupported Authorization scheme: use Basic client credentials or SigV4")
	}
	return h.svc.AuthenticateFeedReader(r.Context(), poolID, id, secret)
}

func (h *Handler) snapshot(w http.ResponseWriter, r *http.Request) error {
	pool := r.PathValue("pool")
	if err := h.authorize(r, pool); err != nil {
		return err
	}
	snap, err := h.svc.RevocationSnapshot(r.Context(), pool)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		PoolID string  `json:"poolId"`
		Seq    int64   `json:"seq"`
		Events []event `json:"events"`
	}{snap.PoolID, snap.Seq, toWire(snap.Events)})
	return nil
}

func (h *Handler) family(w http.ResponseWriter, r *http.Request) error {
	pool := r.PathValue("pool")
	if err := h.authorize(r, pool); err != nil {
		return err
	}
	f, err := h.svc.RevocationFamily(r.Context(), pool, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		ID       string `json:"id"`
		Sub      string `json:"sub"`
		ClientID string `json:"clientId"`
		Gen      int64  `json:"gen"`
		Revoked  string `json:"revoked"`
	}{f.ID, f.Sub, f.ClientID, f.Gen, string(f.Revoked)})
	return nil
}

// position reads where to follow from: Last-Event-ID (a reconnecting event
// source), else the after parameter, else 0.
func position(r *http.Request) (int64, error) {
	v, name := r.Header.Get("Last-Event-ID"), "Last-Event-ID"
	if v == "" {
		v, name = r.URL.Query().Get("after"), "after"
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, invalid(fmt.Sprintf("%s must be a non-negative integer", name))
	}
	return n, nil
}

// waitOf reads the long poll's wait parameter (seconds).
func waitOf(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("wait")
	if v == "" {
		return DefaultWait, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || time.Duration(n)*time.Second > MaxWait {
		return 0, invalid(fmt.Sprintf("wait must be a whole number of seconds from 0 to %d", int(MaxWait/time.Second)))
	}
	return time.Duration(n) * time.Second, nil
}

// follow serves GET /{pool}/revocations: a server-sent-event stream when
// the reader accepts one, else a long poll.
func (h *Handler) follow(w http.ResponseWriter, r *http.Request) error {
	pool := r.PathValue("pool")
	after, err := position(r)
	if err != nil {
		return err
	}
	sse := strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	wait := DefaultWait
	if !sse {
		if wait, err = waitOf(r); err != nil {
			return err
		}
	}
	if err := h.authorize(r, pool); err != nil {
		return err
	}
	if h.streams.Add(1) > h.maxStreams {
		h.streams.Add(-1)
		return errUnavailable
	}
	defer h.streams.Add(-1)
	if err := h.svc.CheckFeedPosition(r.Context(), pool, after); err != nil {
		return err
	}
	sub, err := h.svc.Feed().Subscribe(pool)
	if err != nil {
		return err
	}
	defer sub.Close()
	if sse {
		h.stream(w, r, sub, after) // the answer has begun: it ends the stream itself
		return nil
	}
	return h.longPoll(w, r, sub, after, wait)
}

// longPoll answers as soon as there is an event after after, or after wait
// with none (or when the server shuts down).
func (h *Handler) longPoll(w http.ResponseWriter, r *http.Request, sub *userpool.Subscription, after int64, wait time.Duration) error {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Now().Add(wait + writeTimeout))
	evs, err := sub.Next(r.Context(), after, userpool.FeedBatch, wait)
	switch {
	case err == nil:
	case errors.Is(err, userpool.ErrFeedClosed):
		evs = nil
	default:
		return err
	}
	seq := after
	if len(evs) > 0 {
		seq = evs[len(evs)-1].Seq
	}
	writeJSON(w, http.StatusOK, struct {
		Seq    int64   `json:"seq"`
		Events []event `json:"events"`
	}{seq, toWire(evs)})
	return nil
}

// stream writes server-sent events until the reader goes away or the
// server shuts down, with a keepalive comment whenever it has been idle
// for the keepalive interval.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, sub *userpool.Subscription, after int64) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{}) // the request is read; keep the stream past the server's read timeout
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	w.WriteHeader(http.StatusOK)
	if !write([]byte(": ok\n\n")) {
		return
	}
	ctx := r.Context()
	var buf []byte
	for {
		evs, err := sub.Next(ctx, after, userpool.FeedBatch, h.keepalive)
		switch {
		case err == nil && len(evs) == 0:
			if !write([]byte(": keepalive\n\n")) {
				return
			}
			continue
		case err == nil:
		case errors.Is(err, userpool.ErrFeedClosed), ctx.Err() != nil:
			return
		case errors.Is(err, userpool.ErrSequenceExpired):
			// Purged under a reader 25 hours behind: end the stream; its
			// reconnection gets the 410.
			return
		default:
			h.log.Warn("revocation feed: stream", "pool", r.PathValue("pool"), "err", err)
			return
		}
		for _, e := range toWire(evs) {
			data, err := json.Marshal(e)
			if err != nil {
				h.log.Error("revocation feed: encode", "err", err)
				return
			}
			buf = buf[:0]
			buf = append(buf, "id: "...)
			buf = strconv.AppendInt(buf, e.Seq, 10)
			buf = append(buf, "\nevent: revocation\ndata: "...)
			buf = append(buf, data...)
			buf = append(buf, "\n\n"...)
			if !write(buf) {
				return
			}
			after = e.Seq
		}
	}
}
