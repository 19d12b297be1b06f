package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/cognate-dev/cognate/internal/metrics"
	"github.com/cognate-dev/cognate/userpool"
)

// ActiveSessionsTTL is how long a count of the live sessions is reused by
// the cognate_active_sessions gauge.
const ActiveSessionsTTL = 15 * time.Second

// registerSessionGauge registers cognate_active_sessions: the live sessions
// of every pool, counted by the store when scraped, at most once per
// ActiveSessionsTTL.
func registerSessionGauge(m *metrics.Metrics, svc *userpool.Service, log *slog.Logger) {
	m.CachedGauge("cognate_active_sessions",
		"Live sessions (token families neither revoked, expired nor signed out) of every pool; counted at most every 15s.",
		ActiveSessionsTTL, func(ctx context.Context) (float64, error) {
			n, err := svc.CountLiveSessions(ctx)
			return float64(n), err
		}, func(err error) { log.Warn("metrics: count active sessions", "err", err) })
}
