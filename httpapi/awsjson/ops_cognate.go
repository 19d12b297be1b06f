package awsjson

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/userpool"
)

// This file holds the operations on sessions and the audit trail: Cognito's
// AdminListUserAuthEvents, and Cognate's own operations, served under the
// X-Amz-Target prefix CognateService. in the same protocol.

// sessionType is one session on the wire.
type sessionType struct {
	SessionID       string `json:"SessionId"`
	ClientID        string `json:"ClientId"`
	ClientName      string `json:"ClientName,omitempty"`
	CreatedDate     epoch  `json:"CreatedDate"`
	LastUsedDate    epoch  `json:"LastUsedDate"`
	LastRefreshDate *epoch `json:"LastRefreshDate,omitempty"`
	DeviceKey       string `json:"DeviceKey,omitempty"`
	SourceIP        string `json:"SourceIp"`
	UserAgent       string `json:"UserAgent"`
	Current         bool   `json:"Current"`
}

type sessionsOut struct {
	Sessions  []sessionType `json:"Sessions"`
	NextToken string        `json:"NextToken,omitempty"`
}

func sessionsOutput(list []*userpool.SessionInfo, next string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	out := &sessionsOut{Sessions: make([]sessionType, 0, len(list)), NextToken: next}
	for _, s := range list {
		st := sessionType{SessionID: s.ID, ClientID: s.ClientID, ClientName: s.ClientName, CreatedDate: epoch(s.CreatedAt),
			LastUsedDate: epoch(s.LastUsed), DeviceKey: s.DeviceKey, SourceIP: s.SourceIP, UserAgent: s.UserAgent,
			Current: s.Current}
		if !s.LastRefresh.IsZero() {
			e := epoch(s.LastRefresh)
			st.LastRefreshDate = &e
		}
		out.Sessions = append(out.Sessions, st)
	}
	return out, nil
}

// auditEventType is one event of AdminListAuditEvents.
type auditEventType struct {
	EventID      string `json:"EventId"`
	EventType    string `json:"EventType"`
	CreationDate epoch  `json:"CreationDate"`
	Outcome      string `json:"Outcome"`
	Reason       string `json:"Reason,omitempty"`
	Username     string `json:"Username,omitempty"`
	UserSub      string `json:"UserSub,omitempty"`
	ClientID     string `json:"ClientId,omitempty"`
	SessionID    string `json:"SessionId,omitempty"`
	SourceIP     string `json:"SourceIp,omitempty"`
	UserAgent    string `json:"UserAgent,omitempty"`
}

// authEventType is Cognito's AuthEventType.
type authEventType struct {
	EventID            string              `json:"EventId"`
	EventType          string              `json:"EventType"`
	CreationDate       epoch               `json:"CreationDate"`
	EventResponse      string              `json:"EventResponse"`
	ChallengeResponses []challengeResponse `json:"ChallengeResponses"`
	EventContextData   eventContextData    `json:"EventContextData"`
}

type challengeResponse struct {
	ChallengeName     string `json:"ChallengeName"`
	ChallengeResponse string `json:"ChallengeResponse"`
}

type eventContextData struct {
	IPAddress  string `json:"IpAddress,omitempty"`
	DeviceName string `json:"DeviceName,omitempty"`
}

// authEventOut renders an audit event in Cognito's shape: a sign-in that
// checked a password shows its Password challenge and how it went.
func authEventOut(ev *userpool.AuditEvent) authEventType {
	out := authEventType{EventID: ev.ID, EventType: userpool.CognitoEventType(ev.Type), CreationDate: epoch(ev.At),
		EventResponse: ev.Outcome, ChallengeResponses: []challengeResponse{},
		EventContextData: eventContextData{IPAddress: ev.SourceIP, DeviceName: ev.UserAgent}}
	if ev.Type == userpool.EventSignIn {
		switch {
		case ev.Outcome == userpool.OutcomePass, ev.Outcome == userpool.OutcomeInProgress && ev.Reason != userpool.ChallengePasswordVerifier:
			out.ChallengeResponses = append(out.ChallengeResponses, challengeResponse{"Password", "Success"})
		case ev.Reason == "wrong-password":
			out.ChallengeResponses = append(out.ChallengeResponses, challengeResponse{"Password", "Failure"})
		}
	}
	return out
}

// auditOperations are Cognito's operations on the audit trail.
func auditOperations() map[string]operation {
	return map[string]operation{
		"AdminListUserAuthEvents": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			Username   string `json:"Username"`
			MaxResults int    `json:"MaxResults"`
			NextToken  string `json:"NextToken"`
		}) (any, error) {
			evs, next, err := s.AdminListUserAuthEvents(ctx, in.UserPoolID, in.Username, in.MaxResults, in.NextToken)
			if err != nil {
				return nil, err
			}
			out := struct {
				AuthEvents []authEventType `json:"AuthEvents"`
				NextToken  string          `json:"NextToken,omitempty"`
			}{AuthEvents: make([]authEventType, 0, len(evs)), NextToken: next}
			for _, ev := range evs {
				out.AuthEvents = append(out.AuthEvents, authEventOut(ev))
			}
			return out, nil
		}),
	}
}

// cognateOperations are Cognate's own operations (CognateService.*).
func cognateOperations() map[string]operation {
	return map[string]operation{
		"ListSessions": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			AccessToken string `json:"AccessToken"`
			MaxResults  int    `json:"MaxResults"`
			NextToken   string `json:"NextToken"`
		}) (any, error) {
			return sessionsOutput(s.ListSessions(ctx, in.AccessToken, in.MaxResults, in.NextToken))
		}),
		"RevokeSession": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			AccessToken string `json:"AccessToken"`
			SessionID   string `json:"SessionId"`
		}) (any, error) {
			return empty(s.RevokeSession(ctx, in.AccessToken, in.SessionID))
		}),
		"AdminListSessions": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			Username   string `json:"Username"`
			MaxResults int    `json:"MaxResults"`
			NextToken  string `json:"NextToken"`
		}) (any, error) {
			return sessionsOutput(s.AdminListSessions(ctx, in.UserPoolID, in.Username, in.MaxResults, in.NextToken))
		}),
		"AdminRevokeSession": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			Username   string `json:"Username"`
			SessionID  string `json:"SessionId"`
		}) (any, error) {
			return empty(s.AdminRevokeSession(ctx, in.UserPoolID, in.Username, in.SessionID))
		}),
		"AdminListAuditEvents": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string   `json:"UserPoolId"`
			Username   string   `json:"Username"`
			EventType  string   `json:"EventType"`
			StartTime  *float64 `json:"StartTime"`
			EndTime    *float64 `json:"EndTime"`
			MaxResults int      `json:"MaxResults"`
			NextToken  string   `json:"NextToken"`
		}) (any, error) {
			q := userpool.AuditQuery{PoolID: in.UserPoolID, Username: in.Username, EventType: in.EventType,
				Since: epochTime(in.StartTime), Until: epochTime(in.EndTime), Limit: in.MaxResults, NextToken: in.NextToken}
			evs, next, err := s.ListAuditEvents(ctx, q)
			if err != nil {
				return nil, err
			}
			out := struct {
				Events    []auditEventType `json:"Events"`
				NextToken string           `json:"NextToken,omitempty"`
			}{Events: make([]auditEventType, 0, len(evs)), NextToken: next}
			for _, ev := range evs {
				out.Events = append(out.Events, auditEventType{EventID: ev.ID, EventType: ev.Type, CreationDate: epoch(ev.At),
					Outcome: ev.Outcome, Reason: ev.Reason, Username: ev.Username, UserSub: ev.Sub, ClientID: ev.ClientID,
					SessionID: ev.SessionID, SourceIP: ev.SourceIP, UserAgent: ev.UserAgent})
			}
			return out, nil
		}),
	}
}

// epochTime reads a time given as epoch seconds (nil: the zero time).
func epochTime(v *float64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.UnixMilli(int64(*v * 1000)).UTC()
}
