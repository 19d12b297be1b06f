package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

const auditCols = `id, pool_id, at, type, username, sub, client_id, session_id, source_ip, user_agent, outcome, reason`

// AppendAuditEvents implements store.Audit: one transaction, the inserts
// sent in one batch (one round trip).
func (s *Store) AppendAuditEvents(ctx context.Context, events ...*store.AuditEvent) error {
	const op = "append audit events"
	if len(events) == 0 {
		return nil
	}
	for _, e := range events {
		if unstorable(e.ID, e.PoolID) {
			return notFound(op)
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, e := range events {
			b.Queue(`INSERT INTO audit_events (`+auditCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
				e.ID, e.PoolID, e.At.UnixMilli(), e.Type, e.Username, e.Sub, e.ClientID, e.SessionID, e.SourceIP, e.UserAgent,
				e.Outcome, e.Reason)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return wrap(op, err)
}

// ListAuditEvents implements store.Audit through audit_events_user (with a
// username) or audit_events_pool, in one statement.
func (s *Store) ListAuditEvents(ctx context.Context, q store.AuditQuery) ([]*store.AuditEvent, error) {
	if unstorable(q.PoolID, q.Username, q.Type, q.AfterID) {
		return nil, nil
	}
	args := []any{q.PoolID}
	where := []string{"pool_id = $1"}
	add := func(cond string, v ...any) {
		for _, x := range v {
			args = append(args, x)
			cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	if q.Username != "" {
		add("username = ?", q.Username)
	}
	if q.Type != "" {
		add("type = ?", q.Type)
	}
	if !q.Since.IsZero() {
		add("at >= ?", q.Since.UnixMilli())
	}
	if !q.Until.IsZero() {
		add("at < ?", q.Until.UnixMilli())
	}
	if q.AfterID != "" {
		add("(at, id) < (?, ?)", q.AfterAt.UnixMilli(), q.AfterID)
	}
	args = append(args, limitArg(q.Limit))
	sql := `SELECT ` + auditCols + ` FROM audit_events WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY at DESC, id DESC LIMIT $` + strconv.Itoa(len(args))
	return list(ctx, s, "list audit events", sql, func(rows pgx.Rows) (*store.AuditEvent, error) {
		e := &store.AuditEvent{}
		return e, rows.Scan(&e.ID, &e.PoolID, msTime{&e.At}, &e.Type, &e.Username, &e.Sub, &e.ClientID, &e.SessionID,
			&e.SourceIP, &e.UserAgent, &e.Outcome, &e.Reason)
	}, args...)
}

// PurgeAuditEvents implements store.Audit.
func (s *Store) PurgeAuditEvents(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.purge(ctx, "purge audit events", `DELETE FROM audit_events WHERE id IN
		(SELECT id FROM audit_events WHERE at < $1 LIMIT $2)`, before, limit)
}
