package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// CachedGaugeTimeout bounds one evaluation of a cached gauge's query.
const CachedGaugeTimeout = 2 * time.Second

// CachedGauge registers a gauge evaluated at scrape time by query, at most
// once per ttl: scrapes in between see the last value. query may ask the
// database (a count) — it runs under CachedGaugeTimeout, one at a time. When
// it fails, the gauge keeps its last value and onErr (if not nil) is told.
func (m *Metrics) CachedGauge(name, help string, ttl time.Duration, query func(context.Context) (float64, error), onErr func(error)) {
	c := &cachedValue{ttl: ttl, query: query, onErr: onErr, now: time.Now}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, c.get))
}

// cachedValue is the value of a cached gauge.
type cachedValue struct {
	ttl   time.Duration
	query func(context.Context) (float64, error)
	onErr func(error)
	now   func() time.Time

	mu    sync.Mutex
	value float64
	at    time.Time // of the last evaluation, successful or not
}

func (c *cachedValue) get() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && c.now().Sub(c.at) < c.ttl {
		return c.value
	}
	ctx, cancel := context.WithTimeout(context.Background(), CachedGaugeTimeout)
	defer cancel()
	v, err := c.query(ctx)
	c.at = c.now()
	if err != nil {
		if c.onErr != nil {
			c.onErr(err)
		}
		return c.value
	}
	c.value = v
	return v
}
