package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const auditCols = `id, pool_id, at, type, username, sub, client_id, session_id, source_ip, user_agent, outcome, reason`

// AppendAuditEvents implements store.Audit in one write transaction.
func (s *Store) AppendAuditEvents(ctx context.Context, events ...*store.AuditEvent) error {
	const op = "append audit events"
	if len(events) == 0 {
		return nil
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO audit_events (`+auditCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
		if err != nil {
			return wrap(op, err)
		}
		defer st.Close()
		for _, e := range events {
			if _, err := st.ExecContext(ctx, e.ID, e.PoolID, e.At.UnixMilli(), e.Type, e.Username, e.Sub, e.ClientID,
				e.SessionID, e.SourceIP, e.UserAgent, e.Outcome, e.Reason); err != nil {
				return wrap(op, err)
			}
		}
		return nil
	})
}

// ListAuditEvents implements store.Audit through audit_events_user (with a
// username) or audit_events_pool.
func (s *Store) ListAuditEvents(ctx context.Context, q store.AuditQuery) ([]*store.AuditEvent, error) {
	const op = "list audit events"
	where := []string{"pool_id = ?"}
	args := []any{q.PoolID}
	if q.Username != "" {
		where, args = append(where, "username = ?"), append(args, q.Username)
	}
	if q.Type != "" {
		where, args = append(where, "type = ?"), append(args, q.Type)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, q.Since.UnixMilli())
	}
	if !q.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, q.Until.UnixMilli())
	}
	if q.AfterID != "" {
		where, args = append(where, "(at, id) < (?, ?)"), append(args, q.AfterAt.UnixMilli(), q.AfterID)
	}
	args = append(args, limitArg(q.Limit))
	rows, err := s.r.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events WHERE `+strings.Join(where, " AND ")+
		` ORDER BY at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []*store.AuditEvent
	for rows.Next() {
		e := &store.AuditEvent{}
		if err := rows.Scan(&e.ID, &e.PoolID, msTime{&e.At}, &e.Type, &e.Username, &e.Sub, &e.ClientID, &e.SessionID,
			&e.SourceIP, &e.UserAgent, &e.Outcome, &e.Reason); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// PurgeAuditEvents implements store.Audit.
func (s *Store) PurgeAuditEvents(ctx context.Context, before time.Time, limit int) (int64, error) {
	return purge(ctx, s.w, "purge audit events", `DELETE FROM audit_events WHERE id IN
		(SELECT id FROM audit_events WHERE at < ? LIMIT ?)`, before, limit)
}
