package main

// The signed-in user's commands, on the auth SDK: signin, whoami, signout.
// The session lives in the SDK's file credential store (one 0600 file per
// pool and app client, in --credentials-dir); current.json there remembers
// which pool, client and endpoint the last sign-in used, so that whoami and
// signout need no flags. Tokens are never printed.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/auth/credstore"
	"github.com/cognate-dev/cognate/internal/seed"
)

// userFlags say which pool and client the user signs in to, where, and
// where the session is kept.
type userFlags struct {
	pool, client, dir string
	conn              *connFlags
}

func addUserFlags(f *pflag.FlagSet) *userFlags {
	u := &userFlags{conn: &connFlags{}}
	f.StringVar(&u.pool, "pool", "", "the user pool's id (default: the last sign-in's)")
	f.StringVar(&u.client, "client", "", "the app client's id (default: the last sign-in's); a client secret is read from $COGNATE_CLIENT_SECRET")
	f.StringVar(&u.conn.endpoint, "endpoint", "",
		`the user-pool API: a Cognate URL, or "aws" for Amazon Cognito (default: the last sign-in's, else $COGNATE_ENDPOINT, else `+defaultEndpoint+`)`)
	f.StringVar(&u.dir, "credentials-dir", "", "where sessions are kept, one 0600 file per pool and client (default: "+defaultCredDir()+")")
	addOutputFlag(f, &u.conn.output)
	return u
}

func defaultCredDir() string {
	d, err := credstore.DefaultDir()
	if err != nil {
		return "<user config dir>/cognate/auth"
	}
	return d
}

// current is what current.json keeps: the last sign-in's target.
type current struct {
	Endpoint   string `json:"endpoint"` // "" for Amazon Cognito
	UserPoolID string `json:"userPoolId"`
	ClientID   string `json:"clientId"`
}

// session resolves the flags (falling back to current.json for signout
// and whoami) and builds the SDK client.
func (u *userFlags) session(f *pflag.FlagSet, useCurrent bool) (*auth.Client, *credstore.File, current, error) {
	if err := checkOutput(u.conn.output); err != nil {
		return nil, nil, current{}, err
	}
	dir := u.dir
	if dir == "" {
		d, err := credstore.DefaultDir()
		if err != nil {
			return nil, nil, current{}, err
		}
		dir = d
	}
	store, err := credstore.NewFile(dir)
	if err != nil {
		return nil, nil, current{}, err
	}
	var cur current
	if useCurrent && (u.pool == "" || u.client == "") {
		b, err := os.ReadFile(filepath.Join(store.Dir(), "current.json"))
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, nil, current{}, &exitErr{code: exitError, err: errors.New("not signed in (no --pool and --client, and no earlier sign-in)")}
		case err != nil:
			return nil, nil, current{}, fmt.Errorf("read current.json: %w", err)
		}
		if err := json.Unmarshal(b, &cur); err != nil {
			return nil, nil, current{}, fmt.Errorf("read current.json: %w", err)
		}
	}
	if u.pool != "" {
		cur.UserPoolID = u.pool
	}
	if u.client != "" {
		cur.ClientID = u.client
	}
	if cur.UserPoolID == "" || cur.ClientID == "" {
		return nil, nil, current{}, usagef("--pool and --client are required")
	}
	if f.Changed("endpoint") || !useCurrent || (u.pool != "" && u.client != "") {
		e, err := u.conn.resolveEndpoint(f.Changed("endpoint"))
		if err != nil {
			return nil, nil, current{}, err
		}
		cur.Endpoint = e
	}
	c, err := auth.New(auth.Config{UserPoolID: cur.UserPoolID, ClientID: cur.ClientID, ClientSecret: os.Getenv("COGNATE_CLIENT_SECRET"),
		Endpoint: cur.Endpoint, Store: store, Timeouts: auth.Timeouts{Operation: 10 * time.Second}})
	if err != nil {
		return nil, nil, current{}, usagef("%v", err)
	}
	return c, store, cur, nil
}

// writeFile0600 replaces path atomically with a file only its owner may
// read.
func writeFile0600(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func signinCmd() *cobra.Command {
	var (
		username string
		pwStdin  bool
		flow     string
		u        *userFlags
	)
	cmd := &cobra.Command{
		Use:   "signin --pool POOL_ID --client CLIENT_ID --username NAME",
		Short: "Sign a user in and keep the session (tokens in a 0600 file, never printed)",
		Long: `Sign a user in with the auth SDK (SRP by default) and keep the session in the
credential store, for whoami and signout. The password is asked for without echo
on a terminal, or read from the first line of stdin with --password-stdin.`,
		Example: `  cognate signin --pool us-east-1_LocalDev01 --client cognatedemowebclient000001 --username demo@example.com
  printf '%s\n' "$PASSWORD" | cognate signin --pool us-east-1_LocalDev01 --client cognatedemowebclient000001 \
    --username demo@example.com --password-stdin
  cognate signin --endpoint aws --pool eu-west-1_AbC123xyZ --client 26lowercasealphanumerics00 --username alice`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a); err != nil {
				return err
			}
			if u.pool == "" || u.client == "" || username == "" {
				return usagef("--pool, --client and --username are required")
			}
			var af auth.AuthFlow
			switch flow {
			case "srp":
				af = auth.AuthFlowSRP
			case "password":
				af = auth.AuthFlowUserPassword
			default:
				return usagef("--flow: want srp or password, not %q", flow)
			}
			c, store, cur, err := u.session(cmd.Flags(), false)
			if err != nil {
				return err
			}
			defer c.Close()
			pw, err := readPassword(cmd, pwStdin, "Password for "+username+": ")
			if err != nil {
				return err
			}
			res, err := c.SignIn(cmd.Context(), username, pw, auth.SignInOptions{AuthFlow: af})
			if errors.Is(err, auth.ErrInvalidState) {
				if who, werr := c.CurrentUser(cmd.Context()); werr == nil {
					return fmt.Errorf("%s is signed in to this pool and client already: run cognate signout first", who.Username)
				}
			}
			if err != nil {
				return fmt.Errorf("sign-in: %w", err)
			}
			if res.NextStep == auth.SignInStepConfirmWithNewPassword {
				if pwStdin {
					return errors.New("the user must choose a new password: sign in on a terminal (without --password-stdin) to set it")
				}
				npw, err := readPassword(cmd, false, "New password (the current one is temporary): ")
				if err != nil {
					return err
				}
				if res, err = c.ConfirmSignIn(cmd.Context(), npw, auth.ConfirmSignInOptions{}); err != nil {
					return fmt.Errorf("setting the new password: %w", err)
				}
			}
			if !res.SignedIn {
				return fmt.Errorf("sign-in needs a step this command does not support: %s", res.NextStep)
			}
			b, err := json.Marshal(cur)
			if err != nil {
				return fmt.Errorf("encode current.json: %w", err)
			}
			if err := writeFile0600(filepath.Join(store.Dir(), "current.json"), b); err != nil {
				return err
			}
			return whoami(cmd, c, cur, u.conn.output)
		},
	}
	u = addUserFlags(cmd.Flags())
	cmd.Flags().StringVar(&username, "username", "", "the user name (or e-mail address, in pools that sign in with it)")
	cmd.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of stdin")
	cmd.Flags().StringVar(&flow, "flow", "srp", "srp (USER_SRP_AUTH) or password (USER_PASSWORD_AUTH)")
	return cmd
}

func whoamiCmd() *cobra.Command {
	var u *userFlags
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the signed-in user: username, sub and token expiry (never the tokens)",
		Long: `Show the signed-in user of the last sign-in (or of --pool and --client): the
username, the sub, and when the access token expires. Tokens about to expire are
refreshed first. Exit code 1 when nobody is signed in or the session has ended.`,
		Example: "  cognate whoami\n  cognate whoami --output json",
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a); err != nil {
				return err
			}
			c, _, cur, err := u.session(cmd.Flags(), true)
			if err != nil {
				return err
			}
			defer c.Close()
			return whoami(cmd, c, cur, u.conn.output)
		},
	}
	u = addUserFlags(cmd.Flags())
	return cmd
}

// whoami prints the signed-in user; the access token's expiry comes from
// FetchAuthSession, which refreshes tokens about to expire.
func whoami(cmd *cobra.Command, c *auth.Client, cur current, output string) error {
	who, err := c.CurrentUser(cmd.Context())
	if errors.Is(err, auth.ErrNotSignedIn) {
		return &exitErr{code: exitError, err: fmt.Errorf("not signed in to pool %s, client %s", cur.UserPoolID, cur.ClientID)}
	}
	if err != nil {
		return err
	}
	note := ""
	var expires time.Time
	s, err := c.FetchAuthSession(cmd.Context(), auth.FetchAuthSessionOptions{})
	var netErr *auth.NetworkError
	switch {
	case errors.Is(err, auth.ErrSessionExpired):
		return fmt.Errorf("the session of %s has ended (signed out elsewhere, disabled or expired): sign in again", who.Username)
	case errors.As(err, &netErr):
		note = "the service did not answer; the tokens could not be refreshed"
	case err != nil:
		return err
	default:
		expires = s.Tokens.AccessTokenExpiresAt
	}
	endpoint := cur.Endpoint
	if endpoint == "" {
		endpoint = "aws"
	}
	if output == "json" {
		out := map[string]any{"username": who.Username, "sub": who.UserID, "loginId": who.LoginID, "userPoolId": cur.UserPoolID,
			"clientId": cur.ClientID, "endpoint": endpoint, "authFlow": who.AuthFlow}
		if !expires.IsZero() {
			out["accessTokenExpiresAt"] = expires.UTC().Format(time.RFC3339)
		}
		if note != "" {
			out["note"] = note
		}
		return writeJSON(cmd.OutOrStdout(), out)
	}
	w := cmd.OutOrStdout()
	name := who.LoginID
	if name == "" {
		name = who.Username
	}
	fmt.Fprintf(w, "Signed in as %s\n", name)
	fmt.Fprintf(w, "  username:         %s\n", who.Username)
	fmt.Fprintf(w, "  sub:              %s\n", who.UserID)
	fmt.Fprintf(w, "  pool / client:    %s / %s\n", cur.UserPoolID, cur.ClientID)
	fmt.Fprintf(w, "  endpoint:         %s\n", endpoint)
	if !expires.IsZero() {
		fmt.Fprintf(w, "  access token expires: %s (in %s)\n", expires.Local().Format(time.RFC3339), time.Until(expires).Round(time.Second))
	}
	if note != "" {
		fmt.Fprintf(w, "  note: %s\n", note)
	}
	return nil
}

// pending is what a partial sign-out left to finish: the tokens a retry
// needs, kept in a 0600 file beside the session's, never printed.
type pending struct {
	Username     string `json:"username"`
	AccessToken  string `json:"accessToken,omitempty"`  // set when the global sign-out is still to do
	RefreshToken string `json:"refreshToken,omitempty"` // to revoke
	HostedUIURL  string `json:"hostedUIUrl,omitempty"`  // to open
}

func pendingPath(store *credstore.File, cur current) string {
	p := store.Path(credstore.Key{UserPoolID: cur.UserPoolID, ClientID: cur.ClientID})
	return strings.TrimSuffix(p, ".json") + ".signout-pending.json"
}

func signoutCmd() *cobra.Command {
	var (
		global, localOnly bool
		u                 *userFlags
	)
	cmd := &cobra.Command{
		Use:   "signout",
		Short: "Sign the user out: prints Complete, Partial (what failed, how to retry) or Failed",
		Long: `Sign the signed-in user out with the auth SDK, in Amplify's order: (with --global)
GlobalSignOut, then revocation of the refresh token, then the local session.

  Complete  every step succeeded                                      exit 0
  Partial   signed out on this device, a remote step failed           exit 3
            (the tokens the retry needs are kept in a 0600 file:
            run "cognate signout" again to finish)
  Failed    nothing changed: still signed in                         exit 1

--local-only signs out of this device without calling the service (the refresh
token stays valid until it expires, or until "cognate signout" revokes it).`,
		Example: `  cognate signout
  cognate signout --global        # every device: all of the user's tokens stop working
  cognate signout --local-only    # offline; revoke later with "cognate signout"`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a); err != nil {
				return err
			}
			if global && localOnly {
				return usagef("--global and --local-only exclude each other")
			}
			c, store, cur, err := u.session(cmd.Flags(), true)
			if err != nil {
				return err
			}
			defer c.Close()
			pend := pendingPath(store, cur)
			who, signedIn := c.CurrentUser(cmd.Context())
			if errors.Is(signedIn, auth.ErrNotSignedIn) {
				if _, err := os.Stat(pend); err == nil {
					return retrySignOut(cmd, c, pend, cur)
				}
			}
			w := cmd.OutOrStdout()
			switch r := c.SignOut(cmd.Context(), auth.SignOutOptions{Global: global, LocalOnly: localOnly}).(type) {
			case auth.CompleteSignOut:
				_ = os.Remove(pend)
				if global {
					fmt.Fprintln(w, "Complete: signed out on every device")
				} else {
					fmt.Fprintln(w, "Complete: signed out")
				}
				return nil
			case auth.PartialSignOut:
				p := pending{Username: who.Username, RefreshToken: tokenOf(r.RevokeTokenError)}
				if r.GlobalSignOutError != nil {
					p.AccessToken = r.GlobalSignOutError.AccessToken
				}
				if r.HostedUIError != nil {
					p.HostedUIURL = r.HostedUIError.URL
				}
				fmt.Fprintln(w, "Partial: signed out on this device, but:")
				if e := r.HostedUIError; e != nil {
					fmt.Fprintf(w, "  - the hosted-UI sign-out failed: %v\n    open %s to end the web session\n", e.Err, e.URL)
				}
				if e := r.GlobalSignOutError; e != nil {
					fmt.Fprintf(w, "  - the global sign-out failed: %v\n", e.Err)
				}
				if e := r.RevokeTokenError; e != nil {
					if errors.Is(e.Err, auth.ErrNotAttempted) {
						fmt.Fprintf(w, "  - the refresh token was not revoked (%v): it stays valid until it expires\n", e.Err)
					} else {
						fmt.Fprintf(w, "  - revoking the refresh token failed: %v\n", e.Err)
					}
				}
				return savePending(cmd, pend, p)
			case auth.FailedSignOut:
				fmt.Fprintf(w, "Failed: still signed in: %v\n", r.Cause)
				return &exitErr{code: exitError}
			}
			return errors.New("unknown sign-out result")
		},
	}
	u = addUserFlags(cmd.Flags())
	cmd.Flags().BoolVar(&global, "global", false, "sign out of every device (GlobalSignOut)")
	cmd.Flags().BoolVar(&localOnly, "local-only", false, "only forget the session on this device; call nothing")
	return cmd
}

func tokenOf(e *auth.RevokeTokenError) string {
	if e == nil {
		return ""
	}
	return e.RefreshToken
}

// savePending keeps what a retry needs and ends with exit code 3.
func savePending(cmd *cobra.Command, path string, p pending) error {
	w := cmd.OutOrStdout()
	if p.AccessToken == "" && p.RefreshToken == "" {
		return &exitErr{code: exitPartial}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode the pending sign-out: %w", err)
	}
	if err := writeFile0600(path, b); err != nil {
		fmt.Fprintf(w, "The tokens to retry with could not be kept (%v): the refresh token stays valid until it expires.\n", err)
		return &exitErr{code: exitPartial}
	}
	fmt.Fprintf(w, "To finish, run \"cognate signout\" again once the service answers (what it needs is kept in %s, mode 0600).\n", path)
	return &exitErr{code: exitPartial}
}

// retrySignOut finishes a partial sign-out from its pending file: the
// global sign-out (refreshing an expired access token first), then the
// revocation of the refresh token.
func retrySignOut(cmd *cobra.Command, c *auth.Client, path string, cur current) error {
	w := cmd.OutOrStdout()
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read the pending sign-out: %w", err)
	}
	var p pending
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("read the pending sign-out %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 20*time.Second)
	defer cancel()
	cc := c.CognitoClient()
	secret := os.Getenv("COGNATE_CLIENT_SECRET")
	var failures []string
	if p.AccessToken != "" {
		_, err := cc.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(p.AccessToken)})
		if apiCodeOf(err) == "NotAuthorizedException" && p.RefreshToken != "" {
			// The access token expired meanwhile: a fresh one from the refresh token.
			in := &cip.InitiateAuthInput{ClientId: aws.String(cur.ClientID), AuthFlow: "REFRESH_TOKEN_AUTH",
				AuthParameters: map[string]string{"REFRESH_TOKEN": p.RefreshToken}}
			if secret != "" {
				in.AuthParameters["SECRET_HASH"] = seed.SecretHash(secret, p.Username, cur.ClientID)
			}
			out, rerr := cc.InitiateAuth(ctx, in)
			if rerr == nil && out.AuthenticationResult != nil {
				_, err = cc.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: out.AuthenticationResult.AccessToken})
			}
		}
		if err != nil {
			failures = append(failures, apiErr("the global sign-out", err).Error())
		} else {
			p.AccessToken = ""
		}
	}
	if p.AccessToken == "" && p.RefreshToken != "" {
		in := &cip.RevokeTokenInput{Token: aws.String(p.RefreshToken), ClientId: aws.String(cur.ClientID)}
		if secret != "" {
			in.ClientSecret = aws.String(secret)
		}
		if _, err := cc.RevokeToken(ctx, in); err != nil {
			failures = append(failures, apiErr("revoking the refresh token", err).Error())
		} else {
			p.RefreshToken = ""
		}
	}
	if len(failures) == 0 {
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("remove the pending sign-out: %w", err)
		}
		fmt.Fprintln(w, "Complete: the earlier partial sign-out is finished")
		if p.HostedUIURL != "" {
			fmt.Fprintf(w, "  (open %s to end the hosted-UI web session too)\n", p.HostedUIURL)
		}
		return nil
	}
	fmt.Fprintln(w, "Partial: signed out on this device; still to do:")
	for _, f := range failures {
		fmt.Fprintf(w, "  - %s\n", f)
	}
	return savePending(cmd, path, p)
}

func apiCodeOf(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
