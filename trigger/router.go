package trigger

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Router sends each function to its webhook when it has one, else to
// Lambda. A webhook is keyed by the function's full ARN or by its function
// name (the last part of the ARN), so one entry serves the function in
// every pool and region.
type Router struct {
	// Webhooks maps an ARN or function name to its webhook.
	Webhooks map[string]*Webhook
	// Lambda invokes every other function; nil means they cannot be invoked.
	Lambda Invoker
}

// Invoke implements Invoker.
func (r *Router) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	if w := r.webhook(fn); w != nil {
		return w.Invoke(ctx, fn, payload)
	}
	if r.Lambda == nil {
		return nil, &InvokeError{Code: "ResourceNotFoundException",
			Err: fmt.Errorf("no webhook for %s and no Lambda endpoint configured", fn)}
	}
	return r.Lambda.Invoke(ctx, fn, payload)
}

func (r *Router) webhook(fn string) *Webhook {
	if w, ok := r.Webhooks[fn]; ok {
		return w
	}
	return r.Webhooks[FunctionName(fn)]
}

// ParseWebhook reads a NAME=URL flag value: NAME is a function ARN or
// name, URL an http(s) URL.
func ParseWebhook(s string) (name, url string, err error) {
	name, url, ok := strings.Cut(s, "=")
	if !ok || name == "" || url == "" {
		return "", "", errors.New("want FUNCTION=URL (FUNCTION an ARN or a function name)")
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return "", "", fmt.Errorf("%s: want an http:// or https:// URL", url)
	}
	return name, url, nil
}
