package verify

import (
	"context"
	"fmt"
	"time"
)

var (
	errNoSnapshot = fmt.Errorf("%w: no snapshot of the revocation feed yet", ErrStale)
	errTooStale   = fmt.Errorf("%w: the revocation feed has been unreachable for longer than MaxStaleness", ErrStale)
)

// checkRevocation applies the feed's rule (docs/revocation-feed.md): the
// token is revoked when its family, its client or its user (deleted, or
// signed out since the family began) has an event.
func (v *Verifier) checkRevocation(ctx context.Context, c *Claims, now time.Time) error {
	if v.feed == nil {
		return nil
	}
	if err := v.awaitSnapshot(ctx, now); err != nil {
		return err
	}
	fv := v.feed
	fv.mu.RLock()
	if fv.disabled {
		fv.mu.RUnlock()
		return nil
	}
	st := fv.st
	if st == nil {
		fv.mu.RUnlock()
		if v.cfg.Feed == FeedRequired || v.cfg.MaxStaleness > 0 {
			return errNoSnapshot
		}
		return nil // keep the last known state: none
	}
	if v.cfg.MaxStaleness > 0 && fv.age(now) > v.cfg.MaxStaleness {
		fv.mu.RUnlock()
		return errTooStale
	}
	family := c.Family()
	if reason, ok := st.families[family]; ok && family != "" {
		fv.mu.RUnlock()
		return fmt.Errorf("%w: its sign-in was ended (%s)", ErrRevoked, reason)
	}
	if reason, ok := st.clients[c.ClientID]; ok {
		fv.mu.RUnlock()
		return fmt.Errorf("%w: its app client was deleted (%s)", ErrRevoked, reason)
	}
	u, ok := st.users[c.Sub]
	fv.mu.RUnlock()
	if !ok {
		return nil
	}
	if u.deleted {
		return fmt.Errorf("%w: the user was deleted", ErrRevoked)
	}
	if family == "" {
		return fmt.Errorf("%w: the user was signed out and the token names no family", ErrRevoked)
	}
	info, err := v.families.get(ctx, family)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStale, err)
	}
	if info.revoked {
		return fmt.Errorf("%w: its sign-in is unknown or ended", ErrRevoked)
	}
	if u.gen > info.gen {
		return fmt.Errorf("%w: the user was signed out (%s)", ErrRevoked, u.reason)
	}
	return nil
}

// awaitSnapshot waits for the first snapshot until InitialWait after New.
func (v *Verifier) awaitSnapshot(ctx context.Context, now time.Time) error {
	select {
	case <-v.feed.ready:
		return nil
	default:
	}
	wait := v.readyBy.Sub(now)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-v.feed.ready:
	case <-t.C:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrStale, ctx.Err())
	case <-v.ctx.Done():
		return ErrClosed
	}
	return nil
}
