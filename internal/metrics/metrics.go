// Package metrics exposes the server's Prometheus metrics: requests and their
// latency per operation, errors by exception, and the gauges and counters of
// the sign-out story (live sessions, revocations by reason, global
// sign-outs, the revocation feed's subscribers and lag). It owns its registry, so two servers in one process (tests)
// do not collide, and it is served on a listener of its own.
package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors of one server.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	revocations *prometheus.CounterVec
	signOuts    *prometheus.CounterVec
	feedLag     prometheus.Histogram
}

// New registers the collectors, the Go runtime's and the process's included.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cognate_requests_total",
		Help: "Requests answered, by route (the API operation, or the HTTP route), status code and exception (empty on success).",
	}, []string{"route", "code", "exception"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cognate_request_duration_seconds",
		Help:    "Time to answer a request, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route"})
	m.revocations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cognate_revocations_total",
		Help: "Token families ended by a recorded revocation, by reason (revoked, refresh-reuse, code-replay, device-forgotten).",
	}, []string{"reason"})
	m.signOuts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cognate_global_signouts_total",
		Help: "Users whose every session was ended at once, by reason (signed-out, user-disabled, password-reset).",
	}, []string{"reason"})
	m.feedLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "cognate_feed_lag_seconds",
		Help:    "Time from a revocation's commit to this server's revocation-feed poller reading it, per event read.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	m.reg.MustRegister(m.requests, m.duration, m.revocations, m.signOuts, m.feedLag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Gauge registers a gauge whose value is read from f at every scrape. f must
// be cheap (read a value kept up to date elsewhere, never query a database).
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// Revoked counts a family ended for reason.
func (m *Metrics) Revoked(reason string) { m.revocations.WithLabelValues(reason).Inc() }

// SignedOut counts a user's sessions ended at once for reason.
func (m *Metrics) SignedOut(reason string) { m.signOuts.WithLabelValues(reason).Inc() }

// FeedDelivered records the commit-to-delivery delay of one revocation-feed
// event.
func (m *Metrics) FeedDelivered(lag time.Duration) { m.feedLag.Observe(lag.Seconds()) }

// Instrument wraps next, counting and timing each request under the route
// that route names for it. route must return a bounded set of names (never
// a value taken from the request as is).
func (m *Metrics) Instrument(next http.Handler, route func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		name := route(r)
		defer func() {
			m.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
			m.requests.WithLabelValues(name, strconv.Itoa(rec.status), rec.exception()).Inc()
		}()
		next.ServeHTTP(rec, r)
	})
}

// recorder notes the status and the exception of an answer. It unwraps for
// http.ResponseController, so streaming answers can still flush.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush passes a flush on (streams written through the plain interface).
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// exception is the answer's exception name: the API sets it in
// x-amzn-ErrorType ("NotAuthorizedException:"), from a fixed set.
func (r *recorder) exception() string {
	e, _, _ := strings.Cut(r.Header().Get("x-amzn-ErrorType"), ":")
	if len(e) > 64 {
		return "other"
	}
	return e
}
