package trigger_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/trigger"
	"github.com/cognate-dev/cognate/trigger/triggertest"
)

func TestLambdaInvoke(t *testing.T) {
	srv := triggertest.Start(t, map[string]triggertest.Func{
		"echo": func(_ context.Context, ev json.RawMessage) (any, error) {
			return triggertest.Respond(ev, map[string]any{"autoConfirmUser": true})
		},
		"raise": func(context.Context, json.RawMessage) (any, error) { return nil, errors.New("Invalid email domain") },
		"slow": func(ctx context.Context, _ json.RawMessage) (any, error) {
			select {
			case <-ctx.Done():
			case <-time.After(3 * time.Second):
			}
			return map[string]any{}, nil
		},
		"garbage": func(context.Context, json.RawMessage) (any, error) { return triggertest.Raw("not json"), nil },
	})
	inv := srv.Invoker()
	ctx := context.Background()

	out, err := inv.Invoke(ctx, triggertest.ARN("echo"), []byte(`{"userName":"ann","response":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		UserName string `json:"userName"`
		Response struct {
			AutoConfirmUser bool `json:"autoConfirmUser"`
		} `json:"response"`
	}
	if err := json.Unmarshal(out, &got); err != nil || got.UserName != "ann" || !got.Response.AutoConfirmUser {
		t.Fatalf("echo answered %s (%v)", out, err)
	}
	if calls := srv.Calls("echo"); len(calls) != 1 {
		t.Fatalf("echo called %d times, want 1", len(calls))
	}

	_, err = inv.Invoke(ctx, triggertest.ARN("raise"), []byte(`{}`))
	var fe *trigger.FunctionError
	if !errors.As(err, &fe) || fe.Message != "Invalid email domain" {
		t.Fatalf("raise: got %v, want FunctionError with the function's message", err)
	}

	_, err = inv.Invoke(ctx, triggertest.ARN("missing"), []byte(`{}`))
	var ie *trigger.InvokeError
	if !errors.As(err, &ie) || ie.Code != "ResourceNotFoundException" {
		t.Fatalf("missing: got %v, want InvokeError ResourceNotFoundException", err)
	}

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := inv.Invoke(short, triggertest.ARN("slow"), []byte(`{}`)); !errors.Is(err, trigger.ErrTimeout) {
		t.Fatalf("slow: got %v, want ErrTimeout", err)
	}

	out, err = inv.Invoke(ctx, triggertest.ARN("garbage"), []byte(`{}`))
	if err != nil || string(out) != "not json" {
		t.Fatalf("garbage: got %q, %v; want the raw answer (the caller judges it)", out, err)
	}
}

func TestWebhookInvoke(t *testing.T) {
	const secret = "s3cret"
	var seen http.Header
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		body, err := message.VerifyWebhook(secret, r, time.Minute)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var ev struct {
			UserName string `json:"userName"`
		}
		_ = json.Unmarshal(body, &ev)
		switch ev.UserName {
		case "refuse":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"errorMessage":"no sign-ups today"}`))
		case "broken":
			http.Error(w, "oops", http.StatusInternalServerError)
		case "moved": // a signed event is never posted elsewhere
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		default:
			_, _ = w.Write(body)
		}
	}))
	defer hook.Close()
	fn := "arn:aws:lambda:eu-west-1:123456789012:function:pre-signup"
	r := &trigger.Router{Webhooks: map[string]*trigger.Webhook{"pre-signup": {URL: hook.URL, Secret: secret}}}
	ctx := context.Background()

	out, err := r.Invoke(ctx, fn, []byte(`{"userName":"ann"}`))
	if err != nil || string(out) != `{"userName":"ann"}` {
		t.Fatalf("got %s, %v", out, err)
	}
	if seen.Get(trigger.FunctionHeader) != fn {
		t.Fatalf("%s = %q, want %q", trigger.FunctionHeader, seen.Get(trigger.FunctionHeader), fn)
	}
	_, err = r.Invoke(ctx, fn, []byte(`{"userName":"refuse"}`))
	var fe *trigger.FunctionError
	if !errors.As(err, &fe) || fe.Message != "no sign-ups today" {
		t.Fatalf("refuse: got %v", err)
	}
	_, err = r.Invoke(ctx, fn, []byte(`{"userName":"broken"}`))
	var ie *trigger.InvokeError
	if !errors.As(err, &ie) || ie.Code != "HTTP 500" {
		t.Fatalf("broken: got %v", err)
	}
	if _, err = r.Invoke(ctx, fn, []byte(`{"userName":"moved"}`)); !errors.As(err, &ie) || ie.Code != "HTTP 307" {
		t.Fatalf("moved: got %v, want the redirect as a failure", err)
	}
	// A wrong secret is refused by the receiver: the signature covers the body.
	bad := &trigger.Router{Webhooks: map[string]*trigger.Webhook{fn: {URL: hook.URL, Secret: "wrong"}}}
	if _, err := bad.Invoke(ctx, fn, []byte(`{"userName":"ann"}`)); !errors.As(err, &ie) || ie.Code != "HTTP 401" {
		t.Fatalf("wrong secret: got %v", err)
	}
	// A function with no webhook and no Lambda endpoint cannot be invoked.
	if _, err := r.Invoke(ctx, "arn:aws:lambda:eu-west-1:123456789012:function:other", []byte(`{}`)); !errors.As(err, &ie) {
		t.Fatalf("no route: got %v", err)
	}
}

func TestFunctionNameAndRegion(t *testing.T) {
	for _, c := range []struct{ in, name, region string }{
		{"arn:aws:lambda:eu-west-1:123456789012:function:f", "f", "eu-west-1"},
		{"arn:aws:lambda:eu-west-1:123456789012:function:f:prod", "f", "eu-west-1"},
		{"f", "f", ""},
	} {
		if n, r := trigger.FunctionName(c.in), trigger.Region(c.in); n != c.name || r != c.region {
			t.Errorf("%s: got %q %q, want %q %q", c.in, n, r, c.name, c.region)
		}
	}
	if _, _, err := trigger.ParseWebhook("f=ftp://x"); err == nil {
		t.Error("ParseWebhook accepted an ftp URL")
	}
	if n, u, err := trigger.ParseWebhook("f=http://h/p?a=b"); err != nil || n != "f" || u != "http://h/p?a=b" {
		t.Errorf("ParseWebhook: %q %q %v", n, u, err)
	}
}
