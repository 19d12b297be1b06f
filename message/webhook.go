package message

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultWebhookTimeout bounds one webhook request when
// WebhookConfig.Timeout is zero.
const DefaultWebhookTimeout = 10 * time.Second

// The webhook's headers.
const (
	WebhookTimestampHeader = "X-Cognate-Timestamp" // Unix seconds when the request was signed
	WebhookSignatureHeader = "X-Cognate-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// maxWebhookBody bounds the body VerifyWebhook reads.
const maxWebhookBody = 1 << 20

// WebhookConfig configures NewWebhook.
type WebhookConfig struct {
	URL string // where messages are POSTed
	// Secret keys the HMAC-SHA256 signature of each request. With an empty
	// secret the signature proves nothing (and VerifyWebhook refuses it).
	Secret  string
	Timeout time.Duration // bounds one request; default DefaultWebhookTimeout
	// Client sends the requests; default a client that follows no
	// redirects (a redirected POST could lose its body).
	Client *http.Client
}

type webhook struct {
	url     string
	secret  []byte
	timeout time.Duration
	client  *http.Client
	now     func() time.Time
}

// NewWebhook returns a Sender that POSTs each message, of either channel,
// to cfg.URL as one JSON object with the outbox's field names:
//
//	{"id":"…","poolId":"…","username":"…","destination":"…","channel":"EMAIL","kind":"SIGN_UP",
//	 "code":"…","subject":"…","body":"…","sentAt":"2006-01-02T15:04:05Z"}
//
// with the headers Content-Type: application/json,
// X-Cognate-Timestamp: <Unix seconds> and
// X-Cognate-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>.
//
// A 2xx answer means delivered. Another 4xx answer (but 408 and 429), or a
// 3xx the client does not follow, is a *Permanent error: the receiver
// refused the message. 5xx, 408, 429 and network failures are retryable.
// Errors name the status, never the message, the secret or the URL's query.
//
// A receiver checks a request with VerifyWebhook.
func NewWebhook(cfg WebhookConfig) Sender {
	w := &webhook{url: cfg.URL, secret: []byte(cfg.Secret), timeout: cfg.Timeout, client: cfg.Client, now: time.Now}
	if w.timeout <= 0 {
		w.timeout = DefaultWebhookTimeout
	}
	if w.client == nil {
		w.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return w
}

// SignWebhook returns the X-Cognate-Signature value of body signed at
// timestamp (Unix seconds) with secret.
func SignWebhook(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Send POSTs m, within ctx and the configured timeout.
func (w *webhook) Send(ctx context.Context, m Message) error {
	fill(&m)
	body, err := json.Marshal(wire(m))
	if err != nil {
		return permanentf("message: webhook: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return permanentf("message: webhook: bad URL: %v", err)
	}
	ts := w.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cognate-webhook")
	req.Header.Set(WebhookTimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(WebhookSignatureHeader, SignWebhook(string(w.secret), ts, body))
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // *url.Error quotes the URL, which may carry a token
		}
		return fmt.Errorf("message: webhook POST to %s: %w", redactedURL(w.url), err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("message: webhook POST to %s: %s", redactedURL(w.url), resp.Status)
	default:
		return permanentf("message: webhook POST to %s refused: %s", redactedURL(w.url), resp.Status)
	}
}

// redactedURL is the scheme, host and path of raw: no user info, no query.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(bad URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// VerifyWebhook checks a request that a webhook Sender made with secret
// and returns its body (at most 1 MiB), which it consumes. It refuses an
// empty secret, a missing or malformed timestamp or signature, a signature
// that does not match, and (when maxAge > 0) a timestamp more than maxAge
// away from the receiver's clock, which stops replays of old requests.
//
// A receiver:
//
//	http.HandleFunc("POST /cognate", func(w http.ResponseWriter, r *http.Request) {
//		body, err := message.VerifyWebhook(secret, r, 5*time.Minute)
//		if err != nil {
//			http.Error(w, "bad signature", http.StatusUnauthorized) // not retried
//			return
//		}
//		var m message.Message
//		if err := json.Unmarshal(body, &m); err != nil { ... }
//		// deliver m.Body to m.Destination by m.Channel; answer 2xx once accepted,
//		// 5xx to have it retried.
//	})
//
// By hand: the signature is "sha256=" followed by the lowercase hex
// HMAC-SHA256, keyed with the secret, of the X-Cognate-Timestamp value, a
// ".", and the raw body; compare it in constant time.
func VerifyWebhook(secret string, r *http.Request, maxAge time.Duration) ([]byte, error) {
	return verifyWebhook(secret, r, maxAge, time.Now())
}

func verifyWebhook(secret string, r *http.Request, maxAge time.Duration, now time.Time) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("message: webhook: no secret to verify with")
	}
	tsText := r.Header.Get(WebhookTimestampHeader)
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("message: webhook: missing or malformed %s", WebhookTimestampHeader)
	}
	if maxAge > 0 {
		age := now.Sub(time.Unix(ts, 0))
		if age > maxAge || age < -maxAge {
			return nil, fmt.Errorf("message: webhook: timestamp is %v away from now (more than %v)", age.Round(time.Second), maxAge)
		}
	}
	sigText, ok := strings.CutPrefix(r.Header.Get(WebhookSignatureHeader), "sha256=")
	sig, err := hex.DecodeString(sigText)
	if !ok || err != nil || len(sig) != sha256.Size {
		return nil, fmt.Errorf("message: webhook: missing or malformed %s", WebhookSignatureHeader)
	}
	if r.Body == nil {
		return nil, errors.New("message: webhook: no body")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
	if err != nil {
		return nil, fmt.Errorf("message: webhook: reading the body: %w", err)
	}
	if len(body) > maxWebhookBody {
		return nil, errors.New("message: webhook: body too large")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(tsText))
	mac.Write([]byte("."))
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sig) {
		return nil, errors.New("message: webhook: signature does not match")
	}
	return body, nil
}
