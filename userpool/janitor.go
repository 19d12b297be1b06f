package userpool

import (
	"context"
	"fmt"
)

// What the janitor deletes, and when. A token family that can mint no more
// tokens (its refresh token expired, or it was revoked or ended by a global
// sign-out) is deleted once the tokens it minted have expired too — each
// family records their longest life. A missing family reads as revoked
// (see access.go), so deleting it changes no answer.
const (
	// janitorBatch bounds each delete, so the janitor never holds the
	// database for long.
	janitorBatch = 500
)

// PurgeCounts says what one Purge deleted.
type PurgeCounts struct {
	Sessions, Challenges, WebSessions, AuthCodes, Codes, Throttles, Revocations, AuditEvents int64
}

// Total is the number of records deleted.
func (c PurgeCounts) Total() int64 {
	return c.Sessions + c.Challenges + c.WebSessions + c.AuthCodes + c.Codes + c.Throttles + c.Revocations + c.AuditEvents
}

// Purge deletes what can never be used again: dead token families,
// expired challenges, web sessions, authorization codes and one-time codes,
// stale throttle state, revocation events older than FeedRetention, and audit events past their retention. It
// works in bounded batches until nothing is
// left (or ctx ends); the server runs it periodically.
func (s *Service) Purge(ctx context.Context) (PurgeCounts, error) {
	var c PurgeCounts
	now := s.now().UTC()
	steps := []struct {
		what  string
		count *int64
		purge func(limit int) (int64, error)
	}{
		{"sessions", &c.Sessions, func(l int) (int64, error) {
			return s.sessions.PurgeSessions(ctx, now, l)
		}},
		{"challenges", &c.Challenges, func(l int) (int64, error) { return s.challenges.PurgeChallenges(ctx, now, l) }},
		{"web sessions", &c.WebSessions, func(l int) (int64, error) { return s.web.PurgeWebSessions(ctx, now, l) }},
		{"authorization codes", &c.AuthCodes, func(l int) (int64, error) { return s.authCodes.PurgeAuthCodes(ctx, now, l) }},
		{"codes", &c.Codes, func(l int) (int64, error) { return s.codes.PurgeCodes(ctx, now, l) }},
		{"throttle state", &c.Throttles, func(l int) (int64, error) {
			return s.throttles.PurgeThrottles(ctx, now.Add(-s.limits.retention()), l)
		}},
		{"revocation events", &c.Revocations, func(l int) (int64, error) {
			return s.revocations.PurgeRevocations(ctx, now.Add(-FeedRetention), l)
		}},
		{"audit events", &c.AuditEvents, func(l int) (int64, error) {
			return s.audit.PurgeAuditEvents(ctx, now.Add(-s.retention), l)
		}},
	}
	for _, st := range steps {
		for {
			n, err := st.purge(janitorBatch)
			*st.count += n
			if err != nil {
				return c, fmt.Errorf("purge %s: %w", st.what, err)
			}
			if n < janitorBatch || ctx.Err() != nil {
				break
			}
		}
	}
	return c, ctx.Err()
}
