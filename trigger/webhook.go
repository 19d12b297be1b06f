package trigger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/cognate-dev/cognate/message"
)

// MaxPayload is the largest answer read from a function (Lambda's limit
// for a synchronous invocation's response).
const MaxPayload = 6 << 20

// FunctionHeader names the function a webhook request is for (its ARN as
// the pool's LambdaConfig has it).
const FunctionHeader = "X-Cognate-Function"

// noRedirects is the webhooks' default client: a signed event is posted
// where it was configured to go, never where a redirect points.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Webhook invokes a function by POSTing its event to an HTTP(S) URL: the
// request is the event as JSON, signed as the message webhook's requests
// are (X-Cognate-Timestamp and X-Cognate-Signature: see
// message.VerifyWebhook). The answer:
//
//   - 2xx: the body is the function's answer (the event with its
//     "response" filled in, as a Lambda function returns it);
//   - 4xx with a JSON body {"errorMessage": "..."}: the function refused,
//     as a Lambda function that raises an error (Cognito answers
//     UserLambdaValidationException with that message);
//   - anything else: the function could not be called
//     (UnexpectedLambdaException).
type Webhook struct {
	URL    string
	Secret string
	Client *http.Client // default a client that follows no redirect
	now    func() time.Time
}

// Invoke implements Invoker.
func (w *Webhook) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, &InvokeError{Err: fmt.Errorf("webhook request: %w", err)}
	}
	now := time.Now
	if w.now != nil {
		now = w.now
	}
	ts := now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(FunctionHeader, fn)
	req.Header.Set(message.WebhookTimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(message.WebhookSignatureHeader, message.SignWebhook(w.Secret, ts, payload))
	client := w.Client
	if client == nil {
		client = noRedirects
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, ErrTimeout
		}
		return nil, &InvokeError{Err: fmt.Errorf("webhook: %w", err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPayload+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ErrTimeout
		}
		return nil, &InvokeError{Err: fmt.Errorf("webhook: reading the answer: %w", err)}
	}
	if len(body) > MaxPayload {
		return nil, &InvokeError{Code: "RequestTooLargeException", Err: errors.New("webhook: the answer is over 6 MB")}
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return body, nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		if fe, ok := raisedError(body); ok {
			return nil, fe
		}
	}
	return nil, &InvokeError{Code: "HTTP " + strconv.Itoa(resp.StatusCode), Err: errors.New("webhook answered " + resp.Status)}
}
