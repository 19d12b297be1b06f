// Package triggertest serves the Lambda Invoke API from Go functions, for
// tests of user-pool triggers without a Lambda runtime.
//
// The protocol is AWS Lambda's (what aws-sdk-go-v2's lambda.Client.Invoke
// sends and reads):
//
//   - request: POST /2015-03-31/functions/{FunctionName}/invocations, the
//     function's ARN or name path-escaped in FunctionName, the event as the
//     JSON body, X-Amz-Invocation-Type: RequestResponse;
//   - a function that returns: 200, X-Amz-Executed-Version: $LATEST, its
//     answer as the body;
//   - a function that raises: 200 as well, with X-Amz-Function-Error:
//     Unhandled and the body {"errorMessage": ..., "errorType": ...,
//     "stackTrace": []};
//   - an unknown function: 404 with X-Amzn-ErrorType:
//     ResourceNotFoundException and {"Type": "User", "message": ...}.
package triggertest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cognate-dev/cognate/trigger"
)

// Func is a function: it gets the event and returns its answer (marshalled
// to JSON, or sent as it is when a Raw), or an error, which is raised as
// the function's error (its message becomes errorMessage).
type Func func(ctx context.Context, event json.RawMessage) (any, error)

// Raw is an answer sent as it is, e.g. to answer something that is not JSON.
type Raw []byte

// Server is a Lambda Invoke API on loopback.
type Server struct {
	URL string

	mu    sync.Mutex
	funcs map[string]Func
	calls map[string][]json.RawMessage
}

// Start serves funcs (keyed by function name) until the test ends.
func Start(t testing.TB, funcs map[string]Func) *Server {
	t.Helper()
	s := &Server{funcs: map[string]Func{}, calls: map[string][]json.RawMessage{}}
	for name, f := range funcs {
		s.funcs[name] = f
	}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// Set adds or replaces the function name.
func (s *Server) Set(name string, f Func) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.funcs[name] = f
}

// Calls returns the events function name was invoked with, oldest first.
func (s *Server) Calls(name string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.calls[name]...)
}

// Invoker returns an Invoker that calls this server through the Lambda
// Invoke API.
func (s *Server) Invoker() trigger.Invoker {
	return trigger.NewLambda(trigger.LambdaOptions{Endpoint: s.URL})
}

// ARN returns a Lambda function ARN naming function name.
func ARN(name string) string {
	return "arn:aws:lambda:us-east-1:123456789012:function:" + name
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/2015-03-31/functions/")
	escaped, ok2 := strings.CutSuffix(rest, "/invocations")
	if r.Method != http.MethodPost || !ok || !ok2 {
		writeAPIError(w, http.StatusNotFound, "UnknownOperationException", "unknown operation "+r.Method+" "+r.URL.Path)
		return
	}
	fn, err := url.PathUnescape(escaped)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidParameterValueException", "bad function name")
		return
	}
	name := trigger.FunctionName(fn)
	body, err := io.ReadAll(r.Body)
	if err != nil || !json.Valid(body) {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json")
		return
	}
	s.mu.Lock()
	f := s.funcs[name]
	if f != nil {
		s.calls[name] = append(s.calls[name], json.RawMessage(body))
	}
	s.mu.Unlock()
	if f == nil {
		writeAPIError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fn)
		return
	}
	out, ferr := f(r.Context(), body)
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	w.Header().Set("Content-Type", "application/json")
	if ferr != nil {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		_ = json.NewEncoder(w).Encode(map[string]any{"errorMessage": ferr.Error(), "errorType": "Error", "stackTrace": []string{}})
		return
	}
	if raw, ok := out.(Raw); ok {
		_, _ = w.Write(raw)
		return
	}
	_ = json.NewEncoder(w).Encode(out)
}

func writeAPIError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

// Respond returns event with its "response" member replaced by resp: the
// answer a trigger function gives.
func Respond(event json.RawMessage, resp any) (any, error) {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, err
	}
	ev["response"] = resp
	return ev, nil
}
