package userpool

import "context"

// Caller is what the wire knows of who is calling: the client's address
// (after trusted proxies) and user agent. The throttle counts failures per
// address; sessions may record both.
type Caller struct {
	IP        string
	UserAgent string
}

type callerKey struct{}

// WithCaller returns ctx carrying the caller.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// callerOf returns the caller ctx carries (the zero Caller when none).
func callerOf(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}
