package userpool

// The audit trail: every sign-in (passed, failed or waiting on a challenge),
// refresh, sign-out, revocation, password change and administrator's action
// is recorded in the store (store.Audit) and logged as a structured record.
// Neither ever holds a token, a password or a code.
//
// An audited operation starts an entry (beginAudit) and finishes it with
// its outcome; what the operation learns on the way — its pool, app client,
// user and session — is noted in the entry by the helpers every operation
// goes through (pool, client, findUser, authenticate), so the operations
// themselves only name the event.

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/cognate-dev/cognate/store"
)

// Audit event types. The first five are Cognito's (AdminListUserAuthEvents
// shows them); the others are Cognate's.
const (
	EventSignIn                    = "SignIn"
	EventSignUp                    = "SignUp"
	EventForgotPassword            = "ForgotPassword"
	EventPasswordChange            = "PasswordChange"
	EventResendCode                = "ResendCode"
	EventRefresh                   = "TokenRefresh"
	EventRevokeToken               = "RevokeToken"
	EventGlobalSignOut             = "GlobalSignOut"
	EventAdminUserGlobalSignOut    = "AdminUserGlobalSignOut"
	EventSessionRevoked            = "SessionRevoked"
	EventConfirmForgotPassword     = "ConfirmForgotPassword"
	EventAdminSetUserPassword      = "AdminSetUserPassword"
	EventAdminResetUserPassword    = "AdminResetUserPassword"
	EventAdminCreateUser           = "AdminCreateUser"
	EventAdminDeleteUser           = "AdminDeleteUser"
	EventAdminDisableUser          = "AdminDisableUser"
	EventAdminEnableUser           = "AdminEnableUser"
	EventAdminUpdateUserAttributes = "AdminUpdateUserAttributes"
	EventAdminDeleteUserAttributes = "AdminDeleteUserAttributes"
	EventAdminConfirmSignUp        = "AdminConfirmSignUp"
	EventConfirmSignUp             = "ConfirmSignUp"
	EventDeleteUser                = "DeleteUser"
	EventAdminRevokeSession        = "AdminRevokeSession"
	EventRevokeSession             = "RevokeSession"
)

// Audit outcomes, in Cognito's words (EventResponse).
const (
	OutcomePass       = "Pass"
	OutcomeFail       = "Fail"
	OutcomeInProgress = "InProgress"
)

// Reasons of failed sign-ins that a domain error does not tell alone.
const (
	auditWrongPassword = "wrong-password"
	auditUnknownUser   = "user-not-found"
)

// DefaultAuditRetention is how long audit events are kept by default.
const DefaultAuditRetention = 90 * 24 * time.Hour

// maxUserAgent bounds the user agent kept with a session or an event.
const maxUserAgent = 256

// AuditEvent is one entry of a pool's audit trail.
type AuditEvent struct {
	PoolID    string
	ID        string
	At        time.Time
	Type      string
	Username  string
	Sub       string
	ClientID  string
	SessionID string
	SourceIP  string
	UserAgent string
	Outcome   string // OutcomePass, OutcomeFail, OutcomeInProgress
	Reason    string // why it failed, or what it waits on (a challenge), or why a session was revoked
}

// auditEntry is an audit event being gathered by an operation.
type auditEntry struct {
	ev      store.AuditEvent
	unknown bool // a sign-in named no user
}

type auditKey struct{}

// beginAudit starts an entry for an event of type typ, carried by the
// returned context so that the helpers the operation calls note what they
// learn. username is the name the request gave (the user's own username
// replaces it once found).
func (s *Service) beginAudit(ctx context.Context, typ, username string) (context.Context, *auditEntry) {
	e := &auditEntry{ev: store.AuditEvent{Type: typ, Username: bounded(username, 128)}}
	return context.WithValue(ctx, auditKey{}, e), e
}

// auditOf returns the entry ctx carries, or nil.
func auditOf(ctx context.Context) *auditEntry {
	e, _ := ctx.Value(auditKey{}).(*auditEntry)
	return e
}

// notePool records the pool of the operation (the first one it loads).
func notePool(ctx context.Context, poolID string) {
	if e := auditOf(ctx); e != nil && e.ev.PoolID == "" {
		e.ev.PoolID = poolID
	}
}

// noteClient records the app client of the operation.
func noteClient(ctx context.Context, c *Client) {
	if e := auditOf(ctx); e != nil && e.ev.ClientID == "" {
		e.ev.ClientID = c.ID
		if e.ev.PoolID == "" {
			e.ev.PoolID = c.PoolID
		}
	}
}

// noteUser records the user the operation is about (the first one found).
func noteUser(ctx context.Context, u *store.User) {
	if e := auditOf(ctx); e != nil && e.ev.Sub == "" {
		e.ev.PoolID, e.ev.Username, e.ev.Sub = u.PoolID, u.Username, u.Sub
	}
}

// noteSession records the token family the operation used or started.
func noteSession(ctx context.Context, sess *store.Session) {
	if e := auditOf(ctx); e != nil {
		e.ev.SessionID = sess.ID
		if e.ev.Sub == "" {
			e.ev.Username, e.ev.Sub = sess.Username, sess.UserSub
		}
		if e.ev.ClientID == "" {
			e.ev.ClientID = sess.ClientID
		}
		if e.ev.PoolID == "" {
			e.ev.PoolID = sess.PoolID
		}
	}
}

// noteUnknownUser records that a sign-in named no user.
func noteUnknownUser(ctx context.Context) {
	if e := auditOf(ctx); e != nil {
		e.unknown = true
	}
}

// findUser is lookupUser noting in the operation's audit entry the user
// found, or that there is none.
func (s *Service) findUser(ctx context.Context, p *Pool, name string) (*store.User, error) {
	u, err := s.lookupUser(ctx, p, name)
	switch {
	case err == nil:
		noteUser(ctx, u)
	case IsKind(err, KindUserNotFound) || IsKind(err, KindInvalid):
		noteUnknownUser(ctx)
	}
	return u, err
}

// finish records the entry with the operation's outcome: err nil is a pass
// (or, with a challenge name, in progress), anything else a failure with
// its reason.
func (s *Service) finish(ctx context.Context, e *auditEntry, err error, challenge string) {
	switch {
	case err != nil:
		e.ev.Outcome, e.ev.Reason = OutcomeFail, e.failReason(err)
	case challenge != "":
		e.ev.Outcome, e.ev.Reason = OutcomeInProgress, challenge
	case e.ev.Type == EventRefresh && !s.refreshes.due(e.ev.SessionID, s.now()):
		return // recorded for this family within the interval (auditrefresh.go)
	default:
		e.ev.Outcome = OutcomePass
	}
	s.recordAudit(ctx, &e.ev)
}

// failReason names why an audited operation failed, in the domain's words.
func (e *auditEntry) failReason(err error) string {
	de := AsError(err)
	switch {
	case de == nil || de.Kind == KindInternal:
		return "internal"
	case de.Cause == CauseBadCredentials && e.unknown:
		return auditUnknownUser
	case de.Cause == CauseBadCredentials:
		return auditWrongPassword
	case de.Kind == KindThrottled || de.Cause == CauseAttemptsExceeded:
		return "throttled"
	case de.Reason != "":
		return string(de.Reason)
	case de.Cause != "":
		return string(de.Cause)
	}
	return de.Kind.String()
}

// recordAudit stamps an event (id, time, the caller's address and user
// agent), logs it and queues it for the store (auditqueue.go). An event of
// no known pool is only logged; a failure to store is logged, never the
// caller's: the operation has happened.
func (s *Service) recordAudit(ctx context.Context, ev *store.AuditEvent) {
	caller := callerOf(ctx)
	// Version 7 ids grow within the process, so events of the same
	// millisecond list in the order they happened.
	ev.ID, ev.At = newUUID(), s.now().UTC()
	if id, err := uuid.NewV7(); err == nil {
		ev.ID = id.String()
	}
	ev.SourceIP, ev.UserAgent = bounded(caller.IP, 64), bounded(caller.UserAgent, maxUserAgent)
	s.log.Info("audit", "event", ev.Type, "outcome", ev.Outcome, "reason", ev.Reason, "pool", ev.PoolID,
		"username", ev.Username, "sub", ev.Sub, "client", ev.ClientID, "session", ev.SessionID,
		"source_ip", ev.SourceIP, "user_agent", ev.UserAgent, "event_id", ev.ID)
	if ev.PoolID == "" {
		return
	}
	cp := *ev
	s.auditQ.add(&cp)
}

// auditRevocation records the end of a token family for a recorded reason.
func (s *Service) auditRevocation(ctx context.Context, f family, reason Reason) {
	s.recordAudit(ctx, &store.AuditEvent{Type: EventSessionRevoked, PoolID: f.sess.PoolID, Username: f.sess.Username,
		Sub: f.sess.UserSub, ClientID: f.sess.ClientID, SessionID: f.id, Outcome: OutcomePass, Reason: string(reason)})
}

// auditAdmin records an administrator's action on a user: call it deferred
// with the operation's named error.
func (s *Service) auditAdmin(ctx context.Context, typ, poolID, username string, err *error) {
	e := auditOf(ctx)
	if e == nil {
		return
	}
	if e.ev.PoolID == "" {
		e.ev.PoolID = poolID
	}
	if e.ev.Username == "" {
		e.ev.Username = bounded(username, 128)
	}
	s.finish(ctx, e, *err, "")
}

// bounded makes a value from a request fit for the audit trail and the
// session list: valid UTF-8 without control characters, at most n bytes.
func bounded(v string, n int) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	v = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, v)
	if len(v) <= n {
		return v
	}
	v = v[:n]
	for !utf8.ValidString(v) {
		v = v[:len(v)-1]
	}
	return v
}

// AuditQuery selects audit events (ListAuditEvents).
type AuditQuery struct {
	PoolID    string
	Username  string // "" for every user
	EventType string // "" for every type
	Since     time.Time
	Until     time.Time
	Limit     int // 1..60; 0 means 60
	NextToken string
}

// ListAuditEvents pages through a pool's audit trail, newest first.
func (s *Service) ListAuditEvents(ctx context.Context, q AuditQuery) ([]*AuditEvent, string, error) {
	p, err := s.pool(ctx, q.PoolID)
	if err != nil {
		return nil, "", err
	}
	s.settleAudit(ctx)
	return s.listAudit(ctx, store.AuditQuery{PoolID: p.ID, Username: q.Username, Type: q.EventType,
		Since: q.Since, Until: q.Until}, q.Limit, q.NextToken)
}

// AdminListUserAuthEvents pages through a user's authentication events
// (those of Cognito's event types), newest first.
func (s *Service) AdminListUserAuthEvents(ctx context.Context, poolID, username string, limit int, next string) ([]*AuditEvent, string, error) {
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return nil, "", err
	}
	s.settleAudit(ctx)
	var out []*AuditEvent
	// A page of Cognate's own events alone is skipped, not answered empty
	// (up to a bound, then the caller continues with the token).
	for range 20 {
		page, tok, err := s.listAudit(ctx, store.AuditQuery{PoolID: u.PoolID, Username: u.Username}, limit, next)
		if err != nil {
			return nil, "", err
		}
		for _, ev := range page {
			if CognitoEventType(ev.Type) != "" {
				out = append(out, ev)
			}
		}
		if len(out) > 0 || tok == "" {
			return out, tok, nil
		}
		next = tok
	}
	return out, next, nil
}

// CognitoEventType is the event type AdminListUserAuthEvents shows for an
// audit event type, or "" for events Cognito does not list.
func CognitoEventType(typ string) string {
	switch typ {
	case EventSignIn, EventSignUp, EventForgotPassword, EventPasswordChange, EventResendCode:
		return typ
	case EventConfirmForgotPassword:
		return EventForgotPassword
	}
	return ""
}

// listAudit reads one page of events.
func (s *Service) listAudit(ctx context.Context, q store.AuditQuery, limit int, next string) ([]*AuditEvent, string, error) {
	if limit == 0 {
		limit = 60
	}
	if limit < 1 || limit > 60 {
		return nil, "", violation(Violation{Member: "maxResults", Rule: RuleRange, Value: strconv.Itoa(limit), Shown: true, Min: 0, Max: 60})
	}
	if next != "" {
		at, id, err := decodeAuditNext(next)
		if err != nil {
			return nil, "", err
		}
		q.AfterAt, q.AfterID = at, id
	}
	q.Limit = limit + 1
	rows, err := s.audit.ListAuditEvents(ctx, q)
	if err != nil {
		return nil, "", internal("list audit events", err)
	}
	tok := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		tok = encodeAuditNext(last.At, last.ID)
	}
	out := make([]*AuditEvent, len(rows))
	for i, r := range rows {
		ev := AuditEvent(*r)
		out[i] = &ev
	}
	return out, tok, nil
}

func encodeAuditNext(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMilli(), 10) + "/" + id))
}

func decodeAuditNext(tok string) (time.Time, string, error) {
	bad := invalidf("Invalid pagination token")
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) > 256 {
		return time.Time{}, "", bad
	}
	ms, id, ok := strings.Cut(string(b), "/")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", bad
	}
	return time.UnixMilli(n).UTC(), id, nil
}
