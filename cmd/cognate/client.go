package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cognate-dev/cognate/internal/seed"
)

func clientCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Create, update, describe and list app clients",
		Example: `  cognate client create --pool us-east-1_AbC123xyZ --name web --auth-flows ALLOW_USER_SRP_AUTH \
    --access-token-validity 15m --refresh-token-validity 30d --token-revocation on --rotation on --rotation-grace 10s \
    --oauth-flows code --oauth-scopes openid,email --callback-url http://localhost:3000/callback
  cognate client update --pool us-east-1_AbC123xyZ 26lowercasealphanumerics00 --access-token-validity 1h
  cognate client describe --pool us-east-1_AbC123xyZ 26lowercasealphanumerics00
  cognate client list --pool us-east-1_AbC123xyZ --output json`,
	}
	conn := addConnFlags(cmd.PersistentFlags())
	var pool string
	addPoolFlag(cmd.PersistentFlags(), &pool, false)
	cmd.AddCommand(clientCreateCmd(conn, &pool), clientUpdateCmd(conn, &pool), clientDescribeCmd(conn, &pool), clientListCmd(conn, &pool))
	return cmd
}

// clientFlags are the settings of create and update; only the flags given
// are applied.
type clientFlags struct {
	f                                  *pflag.FlagSet
	name, id                           string
	generateSecret                     bool
	authFlows                          []string
	access, idTok, refresh             string
	revocation, rotation, rotationWait string
	preventUserExistence               string
	oauthFlows, oauthScopes            []string
	callbacks, logouts, idps           []string
	defaultRedirect                    string
}

func addClientFlags(f *pflag.FlagSet, create bool) *clientFlags {
	c := &clientFlags{f: f}
	f.StringVar(&c.name, "name", "", "the client's name")
	if create {
		f.StringVar(&c.id, "id", "", "the client's id (Cognate only: sent as CreateUserPoolClient's ClientId)")
		f.BoolVar(&c.generateSecret, "generate-secret", false, "give the client a random secret (a confidential client)")
	}
	f.StringSliceVar(&c.authFlows, "auth-flows", nil, "ALLOW_USER_SRP_AUTH, ALLOW_USER_PASSWORD_AUTH, ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH, ...")
	f.StringVar(&c.access, "access-token-validity", "", "access-token lifetime: 5m to 1d (e.g. 15m, 1h)")
	f.StringVar(&c.idTok, "id-token-validity", "", "ID-token lifetime: 5m to 1d")
	f.StringVar(&c.refresh, "refresh-token-validity", "", "refresh-token lifetime: 1h to 3650d (e.g. 30d)")
	f.StringVar(&c.revocation, "token-revocation", "", "on|off: RevokeToken, and refresh tokens that can be revoked")
	f.StringVar(&c.rotation, "rotation", "", "on|off: refresh-token rotation (each refresh returns a new refresh token)")
	f.StringVar(&c.rotationWait, "rotation-grace", "", "with rotation: how long the old refresh token keeps working, 0s to 60s")
	f.StringVar(&c.preventUserExistence, "prevent-user-existence-errors", "", "on|off: answer alike for unknown users and wrong passwords")
	f.StringSliceVar(&c.oauthFlows, "oauth-flows", nil, "hosted-UI OAuth flows: code (implicit, client_credentials)")
	f.StringSliceVar(&c.oauthScopes, "oauth-scopes", nil, "OAuth scopes: openid, email, phone, profile, aws.cognito.signin.user.admin")
	f.StringSliceVar(&c.callbacks, "callback-url", nil, "allowed redirect_uri (repeat or comma-separate)")
	f.StringSliceVar(&c.logouts, "logout-url", nil, "allowed logout_uri (repeat or comma-separate)")
	f.StringVar(&c.defaultRedirect, "default-redirect-uri", "", "the redirect_uri used when a request names none")
	f.StringSliceVar(&c.idps, "identity-providers", nil, "identity providers of the hosted UI (default COGNITO)")
	return c
}

// spec turns the flags given into a seed client; cur is the client as it
// is (nil on create), whose OAuth settings are kept where no flag changes them.
func (c *clientFlags) spec(cur *types.UserPoolClientType) (*seed.Client, error) {
	s := &seed.Client{Name: c.name, ID: c.id}
	if c.generateSecret {
		s.GenerateSecret = aws.Bool(true)
	}
	if c.f.Changed("auth-flows") {
		s.AuthFlows = c.authFlows
	}
	dur := func(flag, v string) (*seed.Duration, error) {
		if !c.f.Changed(flag) {
			return nil, nil
		}
		d, err := seed.ParseDuration(v)
		if err != nil {
			return nil, usagef("--%s: %v", flag, err)
		}
		return &d, nil
	}
	var err error
	if s.AccessTokenValidity, err = dur("access-token-validity", c.access); err != nil {
		return nil, err
	}
	if s.IDTokenValidity, err = dur("id-token-validity", c.idTok); err != nil {
		return nil, err
	}
	if s.RefreshTokenValidity, err = dur("refresh-token-validity", c.refresh); err != nil {
		return nil, err
	}
	onOffFlag := func(flag, v string) (*bool, error) {
		if !c.f.Changed(flag) {
			return nil, nil
		}
		b, err := onOff(flag, v)
		return &b, err
	}
	if s.TokenRevocation, err = onOffFlag("token-revocation", c.revocation); err != nil {
		return nil, err
	}
	if s.PreventUserExistenceErrors, err = onOffFlag("prevent-user-existence-errors", c.preventUserExistence); err != nil {
		return nil, err
	}
	rot, err := onOffFlag("rotation", c.rotation)
	if err != nil {
		return nil, err
	}
	grace, err := dur("rotation-grace", c.rotationWait)
	if err != nil {
		return nil, err
	}
	if rot != nil || grace != nil {
		enabled := cur != nil && cur.RefreshTokenRotation != nil && cur.RefreshTokenRotation.Feature == types.FeatureTypeEnabled
		if rot != nil {
			enabled = *rot
		}
		if grace == nil && cur != nil && cur.RefreshTokenRotation != nil {
			grace = &seed.Duration{N: int(aws.ToInt32(cur.RefreshTokenRotation.RetryGracePeriodSeconds)), Unit: "seconds"}
		}
		s.RefreshTokenRotation = &seed.Rotation{Enabled: enabled, GracePeriod: grace}
	}
	oauthFlags := []string{"oauth-flows", "oauth-scopes", "callback-url", "logout-url", "default-redirect-uri", "identity-providers"}
	for _, name := range oauthFlags {
		if !c.f.Changed(name) {
			continue
		}
		o := &seed.OAuth{}
		if cur != nil {
			o = &seed.OAuth{Flows: toStrings(cur.AllowedOAuthFlows), Scopes: cur.AllowedOAuthScopes, CallbackURLs: cur.CallbackURLs,
				LogoutURLs: cur.LogoutURLs, DefaultRedirectURI: aws.ToString(cur.DefaultRedirectURI), IdentityProviders: cur.SupportedIdentityProviders}
		}
		set := func(flag string, dst *[]string, v []string) {
			if c.f.Changed(flag) {
				*dst = v
			}
		}
		set("oauth-flows", &o.Flows, c.oauthFlows)
		set("oauth-scopes", &o.Scopes, c.oauthScopes)
		set("callback-url", &o.CallbackURLs, c.callbacks)
		set("logout-url", &o.LogoutURLs, c.logouts)
		set("identity-providers", &o.IdentityProviders, c.idps)
		if c.f.Changed("default-redirect-uri") {
			o.DefaultRedirectURI = c.defaultRedirect
		}
		if len(o.Flows) == 0 {
			return nil, usagef("the hosted-UI settings need --oauth-flows (e.g. code)")
		}
		s.OAuth = o
		break
	}
	return s, nil
}

func toStrings[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

func clientCreateCmd(conn *connFlags, pool *string) *cobra.Command {
	var cf *clientFlags
	cmd := &cobra.Command{
		Use:   "create --pool POOL_ID --name NAME [settings]",
		Short: "Create an app client and print its id (and secret, with --generate-secret)",
		Example: `  cognate client create --pool us-east-1_AbC123xyZ --name web --auth-flows ALLOW_USER_SRP_AUTH,ALLOW_USER_PASSWORD_AUTH
  cognate client create --pool us-east-1_AbC123xyZ --name api --generate-secret --token-revocation on \
    --rotation on --rotation-grace 10s --access-token-validity 5m --output json`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a); err != nil {
				return err
			}
			if *pool == "" || cf.name == "" {
				return usagef("--pool and --name are required")
			}
			spec, err := cf.spec(nil)
			if err != nil {
				return err
			}
			c, t, err := conn.client(cmd.Context(), cmd.Flags(), *pool)
			if err != nil {
				return err
			}
			var opts []func(*cip.Options)
			if spec.ID != "" {
				if t.aws() {
					return usagef("--id: fixed client ids are a Cognate extension; Amazon Cognito chooses the id")
				}
				opts = append(opts, seed.WithClientID(spec.ID))
			}
			out, err := c.CreateUserPoolClient(cmd.Context(), seed.ClientCreateInput(*pool, spec), opts...)
			if err != nil {
				return apiErr("CreateUserPoolClient", err)
			}
			return conn.show(cmd, out.UserPoolClient, func(w io.Writer) { writeClient(w, out.UserPoolClient) })
		},
	}
	cf = addClientFlags(cmd.Flags(), true)
	return cmd
}

func clientUpdateCmd(conn *connFlags, pool *string) *cobra.Command {
	var cf *clientFlags
	cmd := &cobra.Command{
		Use:   "update --pool POOL_ID CLIENT_ID [settings]",
		Short: "Change some of an app client's settings (the others are kept)",
		Example: `  cognate client update --pool us-east-1_AbC123xyZ 26lowercasealphanumerics00 --access-token-validity 1h
  cognate client update --pool us-east-1_AbC123xyZ 26lowercasealphanumerics00 --token-revocation off
  cognate client update --pool us-east-1_AbC123xyZ 26lowercasealphanumerics00 --callback-url http://localhost:3000/callback,https://app.example.com/callback`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a, "CLIENT_ID"); err != nil {
				return err
			}
			c, err := conn.poolClient(cmd, *pool)
			if err != nil {
				return err
			}
			cur, err := c.DescribeUserPoolClient(cmd.Context(), &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(*pool), ClientId: aws.String(a[0])})
			if err != nil {
				return apiErr("DescribeUserPoolClient", err)
			}
			spec, err := cf.spec(cur.UserPoolClient)
			if err != nil {
				return err
			}
			in, changes := seed.ClientUpdateInput(spec, cur.UserPoolClient)
			client := cur.UserPoolClient
			if len(changes) > 0 {
				out, err := c.UpdateUserPoolClient(cmd.Context(), in)
				if err != nil {
					return apiErr("UpdateUserPoolClient", err)
				}
				client = out.UserPoolClient
			}
			return conn.show(cmd, map[string]any{"changed": append([]string{}, changes...), "UserPoolClient": client}, func(w io.Writer) {
				if len(changes) == 0 {
					fmt.Fprintln(w, "unchanged")
				} else {
					fmt.Fprintf(w, "updated: %s\n", strings.Join(changes, ", "))
				}
			})
		},
	}
	cf = addClientFlags(cmd.Flags(), false)
	return cmd
}

func clientDescribeCmd(conn *connFlags, pool *string) *cobra.Command {
	return &cobra.Command{
		Use:     "describe --pool POOL_ID CLIENT_ID",
		Short:   "Show an app client's settings",
		Example: "  cognate client describe --pool us-east-1_AbC123xyZ 26lowercasealphanumerics00 --output json",
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a, "CLIENT_ID"); err != nil {
				return err
			}
			c, err := conn.poolClient(cmd, *pool)
			if err != nil {
				return err
			}
			out, err := c.DescribeUserPoolClient(cmd.Context(), &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(*pool), ClientId: aws.String(a[0])})
			if err != nil {
				return apiErr("DescribeUserPoolClient", err)
			}
			return conn.show(cmd, out.UserPoolClient, func(w io.Writer) { writeClient(w, out.UserPoolClient) })
		},
	}
}

// writeClient writes a client's settings as the rows of a two-column table.
// The secret is shown: it is the operator's to hand to the application.
func writeClient(tw io.Writer, c *types.UserPoolClientType) {
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("ClientId", aws.ToString(c.ClientId))
	row("ClientName", aws.ToString(c.ClientName))
	row("UserPoolId", aws.ToString(c.UserPoolId))
	if s := aws.ToString(c.ClientSecret); s != "" {
		row("ClientSecret", s)
	}
	units := types.TokenValidityUnitsType{AccessToken: "hours", IdToken: "hours", RefreshToken: "days"}
	if u := c.TokenValidityUnits; u != nil {
		units = *u
	}
	row("AuthFlows", list(c.ExplicitAuthFlows))
	row("AccessTokenValidity", fmt.Sprintf("%d %s", aws.ToInt32(c.AccessTokenValidity), units.AccessToken))
	row("IdTokenValidity", fmt.Sprintf("%d %s", aws.ToInt32(c.IdTokenValidity), units.IdToken))
	row("RefreshTokenValidity", fmt.Sprintf("%d %s", c.RefreshTokenValidity, units.RefreshToken))
	row("TokenRevocation", map[bool]string{true: "on", false: "off"}[c.EnableTokenRevocation == nil || *c.EnableTokenRevocation])
	rot := "off"
	if r := c.RefreshTokenRotation; r != nil && r.Feature == types.FeatureTypeEnabled {
		rot = fmt.Sprintf("on, grace %ds", aws.ToInt32(r.RetryGracePeriodSeconds))
	}
	row("RefreshTokenRotation", rot)
	row("OAuthFlows", list(c.AllowedOAuthFlows))
	row("OAuthScopes", list(c.AllowedOAuthScopes))
	row("CallbackURLs", list(c.CallbackURLs))
	row("LogoutURLs", list(c.LogoutURLs))
}

func clientListCmd(conn *connFlags, pool *string) *cobra.Command {
	return &cobra.Command{
		Use:     "list --pool POOL_ID",
		Short:   "List a pool's app clients",
		Example: "  cognate client list --pool us-east-1_AbC123xyZ",
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a); err != nil {
				return err
			}
			c, err := conn.poolClient(cmd, *pool)
			if err != nil {
				return err
			}
			clients := []types.UserPoolClientDescription{}
			pg := cip.NewListUserPoolClientsPaginator(c, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(*pool), MaxResults: aws.Int32(60)})
			for pg.HasMorePages() {
				page, err := pg.NextPage(cmd.Context())
				if err != nil {
					return apiErr("ListUserPoolClients", err)
				}
				clients = append(clients, page.UserPoolClients...)
			}
			return conn.show(cmd, clients, func(w io.Writer) {
				fmt.Fprintln(w, "CLIENT ID\tNAME")
				for _, d := range clients {
					fmt.Fprintf(w, "%s\t%s\n", aws.ToString(d.ClientId), aws.ToString(d.ClientName))
				}
			})
		},
	}
}
