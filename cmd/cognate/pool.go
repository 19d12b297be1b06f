package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/spf13/cobra"

	"github.com/cognate-dev/cognate/internal/seed"
)

func poolCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pool",
		Short: "Create, list, describe and delete user pools",
		Example: `  cognate pool create my-app --username-attributes email --auto-verify email
  cognate pool list
  cognate pool describe us-east-1_AbC123xyZ --output json
  cognate pool delete us-east-1_AbC123xyZ
  cognate pool list --endpoint aws --region eu-west-1 --profile prod   # Amazon Cognito`,
	}
	conn := addConnFlags(cmd.PersistentFlags())
	cmd.AddCommand(poolCreateCmd(conn), poolListCmd(conn), poolDescribeCmd(conn), poolDeleteCmd(conn))
	return cmd
}

func poolCreateCmd(conn *connFlags) *cobra.Command {
	var (
		id                   string
		usernameAttrs, alias []string
		autoVerify, recovery []string
		caseSensitive        string
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a user pool and print its id",
		Example: `  # The pool Amplify makes: sign-in by e-mail, verified automatically, any letter case.
  cognate pool create my-app --username-attributes email --auto-verify email --case-sensitive off \
    --account-recovery verified_email
  # A fixed id (Cognate only), e.g. for a test environment:
  cognate pool create my-app --id us-east-1_LocalDev01`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a, "NAME"); err != nil {
				return err
			}
			c, t, err := conn.client(cmd.Context(), cmd.Flags(), id)
			if err != nil {
				return err
			}
			in := &cip.CreateUserPoolInput{PoolName: aws.String(a[0])}
			for _, s := range usernameAttrs {
				in.UsernameAttributes = append(in.UsernameAttributes, types.UsernameAttributeType(s))
			}
			for _, s := range alias {
				in.AliasAttributes = append(in.AliasAttributes, types.AliasAttributeType(s))
			}
			for _, s := range autoVerify {
				in.AutoVerifiedAttributes = append(in.AutoVerifiedAttributes, types.VerifiedAttributeType(s))
			}
			for i, s := range recovery {
				if in.AccountRecoverySetting == nil {
					in.AccountRecoverySetting = &types.AccountRecoverySettingType{}
				}
				in.AccountRecoverySetting.RecoveryMechanisms = append(in.AccountRecoverySetting.RecoveryMechanisms,
					types.RecoveryOptionType{Name: types.RecoveryOptionNameType(s), Priority: aws.Int32(int32(i + 1))})
			}
			if caseSensitive != "" {
				on, err := onOff("case-sensitive", caseSensitive)
				if err != nil {
					return err
				}
				in.UsernameConfiguration = &types.UsernameConfigurationType{CaseSensitive: aws.Bool(on)}
			}
			if id != "" {
				if t.aws() {
					return usagef("--id: fixed pool ids are a Cognate extension; Amazon Cognito chooses the id")
				}
				in.UserPoolTags = map[string]string{seed.PoolIDTag: id}
			}
			out, err := c.CreateUserPool(cmd.Context(), in)
			if err != nil {
				return apiErr("CreateUserPool", err)
			}
			if id != "" && aws.ToString(out.UserPool.Id) != id {
				return fmt.Errorf("the service made pool %s and did not honour --id %s (is it Cognate?)", aws.ToString(out.UserPool.Id), id)
			}
			return conn.show(cmd, out.UserPool, func(w io.Writer) { fmt.Fprintln(w, aws.ToString(out.UserPool.Id)) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&id, "id", "", "the pool's id, <region>_<letters and digits> (Cognate only: sent as the cognate:pool-id tag)")
	f.StringSliceVar(&usernameAttrs, "username-attributes", nil, "users sign in with these instead of a username: email, phone_number")
	f.StringSliceVar(&alias, "alias-attributes", nil, "users may also sign in with: email, phone_number, preferred_username")
	f.StringSliceVar(&autoVerify, "auto-verify", nil, "attributes verified by a code on sign-up: email, phone_number")
	f.StringSliceVar(&recovery, "account-recovery", nil, "password recovery, by priority: verified_email, verified_phone_number, admin_only")
	f.StringVar(&caseSensitive, "case-sensitive", "", "on|off: whether user names match in their letter case only (default: the service's)")
	return cmd
}

func poolListCmd(conn *connFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List user pools",
		Example: "  cognate pool list\n  cognate pool list --output json | jq -r '.[].Id'",
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a); err != nil {
				return err
			}
			c, _, err := conn.client(cmd.Context(), cmd.Flags(), "")
			if err != nil {
				return err
			}
			pools := []types.UserPoolDescriptionType{}
			pg := cip.NewListUserPoolsPaginator(c, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
			for pg.HasMorePages() {
				page, err := pg.NextPage(cmd.Context())
				if err != nil {
					return apiErr("ListUserPools", err)
				}
				pools = append(pools, page.UserPools...)
			}
			return conn.show(cmd, pools, func(w io.Writer) {
				fmt.Fprintln(w, "ID\tNAME\tCREATED")
				for _, p := range pools {
					fmt.Fprintf(w, "%s\t%s\t%s\n", aws.ToString(p.Id), aws.ToString(p.Name), when(p.CreationDate))
				}
			})
		},
	}
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func poolDescribeCmd(conn *connFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "describe POOL_ID",
		Short:   "Show a user pool's settings",
		Example: "  cognate pool describe us-east-1_AbC123xyZ\n  cognate pool describe us-east-1_AbC123xyZ --output json",
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a, "POOL_ID"); err != nil {
				return err
			}
			c, _, err := conn.client(cmd.Context(), cmd.Flags(), a[0])
			if err != nil {
				return err
			}
			out, err := c.DescribeUserPool(cmd.Context(), &cip.DescribeUserPoolInput{UserPoolId: aws.String(a[0])})
			if err != nil {
				return apiErr("DescribeUserPool", err)
			}
			p := out.UserPool
			return conn.show(cmd, p, func(w io.Writer) {
				row := func(k, v string) { fmt.Fprintf(w, "%s\t%s\n", k, v) }
				row("Id", aws.ToString(p.Id))
				row("Name", aws.ToString(p.Name))
				row("Arn", aws.ToString(p.Arn))
				row("Created", when(p.CreationDate))
				row("Modified", when(p.LastModifiedDate))
				row("UsernameAttributes", list(p.UsernameAttributes))
				row("AliasAttributes", list(p.AliasAttributes))
				cs := "-"
				if p.UsernameConfiguration != nil && p.UsernameConfiguration.CaseSensitive != nil {
					cs = fmt.Sprint(*p.UsernameConfiguration.CaseSensitive)
				}
				row("CaseSensitive", cs)
				row("AutoVerifiedAttributes", list(p.AutoVerifiedAttributes))
				if p.AccountRecoverySetting != nil {
					var r []string
					for _, m := range p.AccountRecoverySetting.RecoveryMechanisms {
						r = append(r, string(m.Name))
					}
					row("AccountRecovery", list(r))
				}
				if p.Policies != nil && p.Policies.PasswordPolicy != nil {
					pp := p.Policies.PasswordPolicy
					row("PasswordPolicy", fmt.Sprintf("min %d, upper %t, lower %t, numbers %t, symbols %t, temporary %d days",
						aws.ToInt32(pp.MinimumLength), pp.RequireUppercase, pp.RequireLowercase, pp.RequireNumbers, pp.RequireSymbols,
						pp.TemporaryPasswordValidityDays))
				}
				row("MfaConfiguration", string(p.MfaConfiguration))
				row("DeletionProtection", string(p.DeletionProtection))
				var tags []string
				for k, v := range p.UserPoolTags {
					tags = append(tags, k+"="+v)
				}
				row("Tags", list(tags))
				row("EstimatedNumberOfUsers", fmt.Sprint(p.EstimatedNumberOfUsers))
			})
		},
	}
}

// list writes a list as "a, b" ("-" when empty).
func list[T ~string](l []T) string {
	if len(l) == 0 {
		return "-"
	}
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func poolDeleteCmd(conn *connFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "delete POOL_ID",
		Short:   "Delete a user pool and everything in it",
		Example: "  cognate pool delete us-east-1_AbC123xyZ",
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a, "POOL_ID"); err != nil {
				return err
			}
			c, _, err := conn.client(cmd.Context(), cmd.Flags(), a[0])
			if err != nil {
				return err
			}
			if _, err := c.DeleteUserPool(cmd.Context(), &cip.DeleteUserPoolInput{UserPoolId: aws.String(a[0])}); err != nil {
				return apiErr("DeleteUserPool", err)
			}
			return conn.show(cmd, map[string]string{"deleted": a[0]}, func(w io.Writer) { fmt.Fprintf(w, "deleted %s\n", a[0]) })
		},
	}
}
