package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/trigger"
	"github.com/cognate-dev/cognate/trigger/triggertest"
)

// applyTriggers parses args as serve's trigger flags, with env as the
// environment, and applies them to a fresh configuration.
func applyTriggers(t *testing.T, env map[string]string, args ...string) (*server.Config, *logBuffer, error) {
	t.Helper()
	f := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	tf := addTriggerFlags(f)
	tf.getenv = func(k string) string { return env[k] }
	if err := f.Parse(args); err != nil {
		t.Fatal(err)
	}
	buf := &logBuffer{}
	cfg := &server.Config{Region: "us-east-1", Logger: slog.New(slog.NewTextHandler(buf, nil))}
	return cfg, buf, tf.apply(context.Background(), cfg)
}

// TestTriggerFlags: --trigger-webhook routes a function (by name, for any
// ARN) to a signed webhook, --lambda-endpoint every other function to the
// Lambda Invoke API there; bad values are refused with a reason.
func TestTriggerFlags(t *testing.T) {
	const secret = "flag-test-secret"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := message.VerifyWebhook(secret, r, time.Minute)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(hook.Close)
	lambda := triggertest.Start(t, map[string]triggertest.Func{
		"other": func(_ context.Context, ev json.RawMessage) (any, error) {
			return triggertest.Respond(ev, map[string]any{"via": "lambda"})
		},
	})

	cfg, logs, err := applyTriggers(t, map[string]string{"COGNATE_TRIGGER_WEBHOOK_SECRET": secret},
		"--trigger-webhook", "hooked="+hook.URL, "--lambda-endpoint", lambda.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Triggers.(*trigger.Router); !ok {
		t.Fatalf("Triggers is %T, want a *trigger.Router", cfg.Triggers)
	}
	ctx := context.Background()
	out, err := cfg.Triggers.Invoke(ctx, triggertest.ARN("hooked"), []byte(`{"userName":"ann"}`))
	if err != nil || string(out) != `{"userName":"ann"}` {
		t.Fatalf("through the webhook (signed with the environment's secret): %s %v", out, err)
	}
	out, err = cfg.Triggers.Invoke(ctx, triggertest.ARN("other"), []byte(`{"userName":"bob"}`))
	if err != nil || !strings.Contains(string(out), `"via":"lambda"`) || len(lambda.Calls("other")) != 1 {
		t.Fatalf("through --lambda-endpoint: %s %v", out, err)
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatal("the secret is in the log")
	}

	// The flag's secret works too, with a warning that it shows in ps.
	cfg, logs, err = applyTriggers(t, nil, "--trigger-webhook", "hooked="+hook.URL, "--trigger-webhook-secret", secret,
		"--lambda-endpoint", lambda.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Triggers.Invoke(ctx, triggertest.ARN("hooked"), []byte(`{}`)); err != nil {
		t.Fatalf("signed with the flag's secret: %v", err)
	}
	if !strings.Contains(logs.String(), "prefer $COGNATE_TRIGGER_WEBHOOK_SECRET") {
		t.Fatalf("no warning about the secret on the command line: %s", logs)
	}

	// A webhook in clear text to another host is allowed, with a warning.
	_, logs, err = applyTriggers(t, map[string]string{"COGNATE_TRIGGER_WEBHOOK_SECRET": secret},
		"--trigger-webhook", "f=http://hooks.example.com/cognito", "--lambda-endpoint", lambda.URL)
	if err != nil || !strings.Contains(logs.String(), "clear text") {
		t.Fatalf("http:// to a remote host: %v; log %s", err, logs)
	}

	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--trigger-webhook", "f=" + hook.URL}, "needs a secret"},
		{map[string]string{"COGNATE_TRIGGER_WEBHOOK_SECRET": secret}, []string{"--trigger-webhook", "f"}, "want FUNCTION=URL"},
		{map[string]string{"COGNATE_TRIGGER_WEBHOOK_SECRET": secret}, []string{"--trigger-webhook", "f=ftp://x"}, "want an http:// or https:// URL"},
		{map[string]string{"COGNATE_TRIGGER_WEBHOOK_SECRET": secret}, []string{"--trigger-webhook", "f=" + hook.URL, "--trigger-webhook", "f=" + hook.URL}, "given twice"},
		{nil, []string{"--trigger-webhook-secret", secret}, "needs --trigger-webhook"},
		{nil, []string{"--lambda-endpoint", "localhost:3001"}, "--lambda-endpoint: want an http:// or https:// URL"},
	} {
		if _, _, err := applyTriggers(t, c.env, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error with %q", c.args, err, c.want)
		}
	}
}
