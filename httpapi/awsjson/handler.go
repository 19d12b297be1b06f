// Package awsjson serves Cognito's AWS JSON 1.1 protocol: POST / with an
// X-Amz-Target header naming the operation. It decodes, calls package
// userpool, and encodes; it holds no business rules.
package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/google/uuid"

	"github.com/cognate-dev/cognate/internal/clientip"
	"github.com/cognate-dev/cognate/internal/sigv4"
	"github.com/cognate-dev/cognate/userpool"
)

// TargetPrefix is the service part of every X-Amz-Target of Cognito's
// operations.
const TargetPrefix = "AWSCognitoIdentityProviderService."

// CognateTargetPrefix is the service part of the X-Amz-Target of Cognate's
// own operations (sessions, the audit trail), served the same way.
const CognateTargetPrefix = "CognateService."

// MaxBodyBytes bounds a request body; Cognito's own requests are far smaller.
const MaxBodyBytes = 256 << 10

// Options configure a Handler.
type Options struct {
	Service *userpool.Service
	Logger  *slog.Logger
	// Admin verifies SigV4 on admin operations. Nil means dev mode: admin
	// operations are accepted unsigned.
	Admin *sigv4.Verifier
	// ClientIP tells the client's address (forwarding headers believed
	// only from trusted proxies); nil means the TCP peer.
	ClientIP *clientip.Resolver
}

// Handler is the http.Handler for the JSON API.
type Handler struct {
	svc      *userpool.Service
	log      *slog.Logger
	admin    *sigv4.Verifier
	clientIP *clientip.Resolver
	ops      map[string]operation // by X-Amz-Target, prefix included
}

// operation decodes its input from body and returns the output to encode.
type operation struct {
	admin bool
	call  func(ctx context.Context, h *Handler, body []byte) (any, error)
}

// New returns a Handler.
func New(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Handler{svc: o.Service, log: o.Logger, admin: o.Admin, clientIP: o.ClientIP, ops: operations()}
}

// Mount registers the JSON API on mux: every call is a POST to /.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("POST /{$}", h)
}

// errPanic stands for a panic recovered while serving a request.
var errPanic = errors.New("panic serving request")

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	op := ""
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// Answered in Cognito's shape; the stack stays in the log.
			h.log.Error("panic serving request", "op", op, "request_id", reqID, "panic", fmt.Sprint(v),
				"stack", string(debug.Stack()))
			h.writeError(w, r, reqID, op, errPanic)
		}
	}()
	out, op, err := h.serve(r)
	if err != nil {
		h.writeError(w, r, reqID, op, err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	body, err := json.Marshal(out)
	if err != nil {
		h.writeError(w, r, reqID, op, fmt.Errorf("encode %s response: %w", op, err))
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (h *Handler) serve(r *http.Request) (any, string, error) {
	if r.Method != http.MethodPost {
		return nil, "", &wireError{http.StatusMethodNotAllowed, "UnknownOperationException", "Only POST is supported"}
	}
	target := r.Header.Get("X-Amz-Target")
	name := targetName(target)
	op, known := h.ops[target]
	if !known {
		return nil, name, &wireError{http.StatusBadRequest, "UnknownOperationException", "Unknown operation " + truncate(target, 128)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, name, &wireError{http.StatusRequestEntityTooLarge, "InvalidParameterException", fmt.Sprintf("Request body is larger than %d bytes", MaxBodyBytes)}
	}
	if err != nil {
		return nil, name, &wireError{http.StatusBadRequest, "SerializationException", "Could not read the request body"}
	}
	if op.admin && h.admin != nil {
		if _, err := h.admin.Verify(r, body); err != nil {
			var se *sigv4.Error
			if errors.As(err, &se) {
				return nil, name, &wireError{http.StatusBadRequest, se.Code, se.Message}
			}
			return nil, name, &wireError{http.StatusBadRequest, "InvalidSignatureException", "The request signature could not be verified"}
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	ctx := userpool.WithCaller(r.Context(), userpool.Caller{IP: h.clientIP.ClientIP(r), UserAgent: r.UserAgent()})
	// ClientMetadata, on whichever operation takes it, goes to the
	// operation's Lambda triggers as it is.
	if bytes.Contains(body, []byte(`"ClientMetadata"`)) {
		var meta struct {
			ClientMetadata map[string]string `json:"ClientMetadata"`
		}
		if err := decode(body, &meta); err != nil {
			return nil, name, err
		}
		ctx = userpool.WithClientMetadata(ctx, meta.ClientMetadata)
	}
	// ValidationData (SignUp, AdminCreateUser) goes to PreSignUp.
	if bytes.Contains(body, []byte(`"ValidationData"`)) {
		var v struct {
			ValidationData []userpool.Attribute `json:"ValidationData"`
		}
		if err := decode(body, &v); err != nil {
			return nil, name, err
		}
		ctx = userpool.WithValidationData(ctx, v.ValidationData)
	}
	out, err := op.call(ctx, h, body)
	return out, name, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, reqID, op string, err error) {
	status, code, msg := http.StatusBadRequest, "", ""
	var we *wireError
	de := userpool.AsError(err)
	switch {
	case errors.As(err, &we):
		status, code, msg = we.status, we.code, we.message
	case de != nil && de.Kind != userpool.KindInternal:
		status, code, msg = toWire(op, de)
		h.log.Debug("request refused", "op", op, "request_id", reqID, "code", code, "kind", de.Kind.String(),
			"cause", string(de.Cause), "reason", string(de.Reason))
	case errors.Is(err, context.Canceled):
		code, msg = "RequestCanceledException", "The request was cancelled"
	default:
		status, code, msg = http.StatusInternalServerError, exceptions[userpool.KindInternal], "Internal server error"
		if !errors.Is(err, errPanic) {
			h.log.Error("internal error", "op", op, "request_id", reqID, "err", err)
		}
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/x-amz-json-1.1")
	hdr.Set("x-amzn-ErrorType", code+":")
	hdr.Set("x-amzn-ErrorMessage", headerSafe(msg))
	w.WriteHeader(status)
	body, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	_, _ = w.Write(body)
}

// headerSafe drops characters that cannot appear in a header value.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return -1
		}
		return r
	}, truncate(s, 512))
}

// decode parses a request body into v, answering SerializationException for
// anything that is not the documented shape.
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &wireError{http.StatusBadRequest, "SerializationException", fmt.Sprintf("Unexpected value type for field %s", te.Field)}
		}
		return &wireError{http.StatusBadRequest, "SerializationException", "Request body is not valid JSON"}
	}
	if dec.More() {
		return &wireError{http.StatusBadRequest, "SerializationException", "Unexpected data after the JSON body"}
	}
	return nil
}
