package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/spf13/cobra"
)

// The session commands call Cognate's own operations (X-Amz-Target
// CognateService.*): AdminListSessions and AdminRevokeSession. They are
// signed with SigV4 like Cognito's admin operations, with the credentials
// the other commands use; Amazon Cognito has no such operations.

const cognateTargetPrefix = "CognateService."

func sessionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "See and end a user's sessions (sign-ins on each device and app client)",
		Long: `See and end a user's sessions: each sign-in is a session, with where it was signed in from
and when it last refreshed its tokens. Revoking a session ends its refresh token and, at once, its
access tokens; the user's other sessions keep working ("cognate user sign-out" ends them all).
These are Cognate's own operations: Amazon Cognito has no such API.`,
		Example: `  cognate session list --pool us-east-1_AbC123xyZ --username alice
  cognate session list --pool us-east-1_AbC123xyZ --username alice --output json
  cognate session revoke --pool us-east-1_AbC123xyZ --username alice 0b5e0c1e-9a3f-4c55-8c2e-3f1f1f7f2a10`,
	}
	conn := addConnFlags(cmd.PersistentFlags())
	var pool, username string
	f := cmd.PersistentFlags()
	addPoolFlag(f, &pool, true)
	f.StringVar(&username, "username", "", "the user's name (or an alias the pool allows) (required)")
	need := func() error {
		switch {
		case pool == "":
			return usagef("--pool is required")
		case username == "":
			return usagef("--username is required")
		}
		return nil
	}
	list := &cobra.Command{
		Use:   "list --pool POOL_ID --username USERNAME",
		Short: "List a user's live sessions (AdminListSessions)",
		Example: `  cognate session list --pool us-east-1_AbC123xyZ --username alice
  cognate session list --pool us-east-1_AbC123xyZ --username alice --output json`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a); err != nil {
				return err
			}
			if err := need(); err != nil {
				return err
			}
			c, t, err := conn.client(cmd.Context(), cmd.Flags(), pool)
			if err != nil {
				return err
			}
			sessions := []sessionOut{}
			next := ""
			for {
				in := map[string]any{"UserPoolId": pool, "Username": username, "MaxResults": 60}
				if next != "" {
					in["NextToken"] = next
				}
				var page struct {
					Sessions  []sessionOut `json:"Sessions"`
					NextToken string       `json:"NextToken"`
				}
				if err := cognateCall(cmd.Context(), c, t, "AdminListSessions", in, &page); err != nil {
					return err
				}
				sessions = append(sessions, page.Sessions...)
				if next = page.NextToken; next == "" {
					break
				}
			}
			return conn.show(cmd, sessions, func(w io.Writer) { writeSessions(w, sessions) })
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke --pool POOL_ID --username USERNAME SESSION_ID",
		Short: "End one of a user's sessions (AdminRevokeSession): its refresh and access tokens stop working",
		Example: `  cognate session revoke --pool us-east-1_AbC123xyZ --username alice 0b5e0c1e-9a3f-4c55-8c2e-3f1f1f7f2a10
  cognate session list --pool us-east-1_AbC123xyZ --username alice --output json | jq -r '.[].SessionId'`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a, "SESSION_ID"); err != nil {
				return err
			}
			if err := need(); err != nil {
				return err
			}
			c, t, err := conn.client(cmd.Context(), cmd.Flags(), pool)
			if err != nil {
				return err
			}
			in := map[string]any{"UserPoolId": pool, "Username": username, "SessionId": a[0]}
			if err := cognateCall(cmd.Context(), c, t, "AdminRevokeSession", in, nil); err != nil {
				return err
			}
			return conn.show(cmd, map[string]string{"sessionId": a[0], "username": username, "result": "revoked"},
				func(w io.Writer) { fmt.Fprintf(w, "%s: revoked\n", a[0]) })
		},
	}
	cmd.AddCommand(list, revoke)
	return cmd
}

// sessionOut is a session as AdminListSessions answers it (and as the
// JSON output shows it).
type sessionOut struct {
	SessionID       string   `json:"SessionId"`
	ClientID        string   `json:"ClientId"`
	ClientName      string   `json:"ClientName,omitempty"`
	CreatedDate     float64  `json:"CreatedDate"`
	LastUsedDate    float64  `json:"LastUsedDate"`
	LastRefreshDate *float64 `json:"LastRefreshDate,omitempty"`
	DeviceKey       string   `json:"DeviceKey,omitempty"`
	SourceIP        string   `json:"SourceIp"`
	UserAgent       string   `json:"UserAgent"`
}

// writeSessions writes the rows of session list's table.
func writeSessions(tw io.Writer, sessions []sessionOut) {
	if len(sessions) == 0 {
		fmt.Fprintln(tw, "no live sessions")
		return
	}
	fmt.Fprintln(tw, "SESSION ID\tCLIENT\tSIGNED IN\tLAST REFRESH\tSOURCE IP\tUSER AGENT")
	for _, s := range sessions {
		client := s.ClientName
		if client == "" {
			client = s.ClientID
		}
		refreshed := "-"
		if s.LastRefreshDate != nil {
			refreshed = epochString(*s.LastRefreshDate)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.SessionID, dash(client), epochString(s.CreatedDate), refreshed,
			dash(s.SourceIP), dash(shorten(s.UserAgent, 60)))
	}
}

func epochString(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return time.UnixMilli(int64(v * 1000)).UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shorten cuts s to at most n runes for a table cell.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// cognateCall calls one of Cognate's administrative operations with the
// client's endpoint and credentials (SigV4, service cognito-idp; unsigned
// when there are none, as in dev mode), and decodes the answer into out
// (nil: ignored).
func cognateCall(ctx context.Context, c *cip.Client, t target, op string, in, out any) error {
	if t.aws() {
		return fmt.Errorf("%s: Amazon Cognito has no such operation; it is Cognate's own (give --endpoint)", op)
	}
	o := c.Options()
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", cognateTargetPrefix+op)
	if o.Credentials != nil {
		creds, err := o.Credentials.Retrieve(ctx)
		if err != nil {
			return fmt.Errorf("%s: credentials: %w", op, err)
		}
		if creds.AccessKeyID != "" {
			sum := sha256.Sum256(body)
			if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "cognito-idp", t.region, time.Now()); err != nil {
				return fmt.Errorf("%s: sign: %w", op, err)
			}
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s: read the answer: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Type == "" {
			return fmt.Errorf("%s: HTTP %d", op, resp.StatusCode)
		}
		return fmt.Errorf("%s: %s: %s", op, e.Type, e.Message)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: decode the answer: %w", op, err)
	}
	return nil
}
