package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

// auditCmd reads a pool's audit trail (Cognate's AdminListAuditEvents).
func auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read a pool's audit trail: sign-ins, refreshes, sign-outs, revocations, password and admin changes",
		Example: `  cognate audit list --pool us-east-1_AbC123xyZ --username alice
  cognate audit list --pool us-east-1_AbC123xyZ --event-type SignIn --since 24h --output json`,
	}
	conn := addConnFlags(cmd.PersistentFlags())
	var (
		pool, username, eventType string
		since                     time.Duration
		limit                     int
	)
	list := &cobra.Command{
		Use:   "list --pool POOL_ID [--username USERNAME] [--event-type TYPE] [--since DURATION] [--limit N]",
		Short: "List audit events, newest first (AdminListAuditEvents, Cognate's own)",
		Example: `  cognate audit list --pool us-east-1_AbC123xyZ --username alice
  cognate audit list --pool us-east-1_AbC123xyZ --event-type SignIn --since 24h
  cognate audit list --pool us-east-1_AbC123xyZ --limit 1000 --output json`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a); err != nil {
				return err
			}
			switch {
			case pool == "":
				return usagef("--pool is required")
			case limit < 1:
				return usagef("--limit must be at least 1")
			case since < 0:
				return usagef("--since must not be negative")
			}
			c, t, err := conn.client(cmd.Context(), cmd.Flags(), pool)
			if err != nil {
				return err
			}
			events := []auditEventOut{}
			next := ""
			for len(events) < limit {
				in := map[string]any{"UserPoolId": pool, "MaxResults": min(60, limit-len(events))}
				if username != "" {
					in["Username"] = username
				}
				if eventType != "" {
					in["EventType"] = eventType
				}
				if since > 0 {
					in["StartTime"] = float64(time.Now().Add(-since).UnixMilli()) / 1000
				}
				if next != "" {
					in["NextToken"] = next
				}
				var page struct {
					Events    []auditEventOut `json:"Events"`
					NextToken string          `json:"NextToken"`
				}
				if err := cognateCall(cmd.Context(), c, t, "AdminListAuditEvents", in, &page); err != nil {
					return err
				}
				events = append(events, page.Events...)
				if next = page.NextToken; next == "" {
					break
				}
			}
			return conn.show(cmd, events, func(w io.Writer) {
				if len(events) == 0 {
					fmt.Fprintln(w, "no events")
					return
				}
				fmt.Fprintln(w, "TIME\tEVENT\tOUTCOME\tREASON\tUSERNAME\tCLIENT\tSOURCE IP")
				for _, e := range events {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", epochString(e.CreationDate), e.EventType, e.Outcome, dash(e.Reason),
						dash(e.Username), dash(e.ClientID), dash(e.SourceIP))
				}
			})
		},
	}
	f := list.Flags()
	addPoolFlag(f, &pool, true)
	f.StringVar(&username, "username", "", "only this user's events (the username as recorded)")
	f.StringVar(&eventType, "event-type", "", "only events of this type, e.g. SignIn, TokenRefresh, SessionRevoked, AdminDeleteUser")
	f.DurationVar(&since, "since", 0, "only events of the last DURATION, e.g. 24h (default: all)")
	f.IntVar(&limit, "limit", 100, "at most this many events")
	cmd.AddCommand(list)
	return cmd
}

// auditEventOut is an event as AdminListAuditEvents answers it (and as the
// JSON output shows it).
type auditEventOut struct {
	EventID      string  `json:"EventId"`
	EventType    string  `json:"EventType"`
	CreationDate float64 `json:"CreationDate"`
	Outcome      string  `json:"Outcome"`
	Reason       string  `json:"Reason,omitempty"`
	Username     string  `json:"Username,omitempty"`
	UserSub      string  `json:"UserSub,omitempty"`
	ClientID     string  `json:"ClientId,omitempty"`
	SessionID    string  `json:"SessionId,omitempty"`
	SourceIP     string  `json:"SourceIp,omitempty"`
	UserAgent    string  `json:"UserAgent,omitempty"`
}
