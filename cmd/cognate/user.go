package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func userCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage a pool's users: create, list, get, delete, disable, enable, set-password, sign-out",
		Example: `  cognate user create --pool us-east-1_AbC123xyZ alice --attribute email=alice@example.com --password-stdin <<<'Passw0rd!'
  cognate user list --pool us-east-1_AbC123xyZ
  cognate user get --pool us-east-1_AbC123xyZ alice --output json
  cognate user disable --pool us-east-1_AbC123xyZ alice
  cognate user sign-out --pool us-east-1_AbC123xyZ alice     # every session, every device`,
	}
	conn := addConnFlags(cmd.PersistentFlags())
	var pool string
	addPoolFlag(cmd.PersistentFlags(), &pool, false)
	cmd.AddCommand(userCreateCmd(conn, &pool), userListCmd(conn, &pool), userGetCmd(conn, &pool), userSetPasswordCmd(conn, &pool))
	simple := []struct {
		use, short, example, done string
		call                      func(cmd *cobra.Command, c *cip.Client, pool, user string) error
	}{
		{"delete", "Delete a user", "  cognate user delete --pool us-east-1_AbC123xyZ alice", "deleted",
			func(cmd *cobra.Command, c *cip.Client, pool, user string) error {
				_, err := c.AdminDeleteUser(cmd.Context(), &cip.AdminDeleteUserInput{UserPoolId: &pool, Username: &user})
				return apiErr("AdminDeleteUser", err)
			}},
		{"disable", "Disable a user: sign-in is refused and every session ends", "  cognate user disable --pool us-east-1_AbC123xyZ alice", "disabled",
			func(cmd *cobra.Command, c *cip.Client, pool, user string) error {
				_, err := c.AdminDisableUser(cmd.Context(), &cip.AdminDisableUserInput{UserPoolId: &pool, Username: &user})
				return apiErr("AdminDisableUser", err)
			}},
		{"enable", "Enable a disabled user", "  cognate user enable --pool us-east-1_AbC123xyZ alice", "enabled",
			func(cmd *cobra.Command, c *cip.Client, pool, user string) error {
				_, err := c.AdminEnableUser(cmd.Context(), &cip.AdminEnableUserInput{UserPoolId: &pool, Username: &user})
				return apiErr("AdminEnableUser", err)
			}},
		{"sign-out", "Sign a user out of every device (AdminUserGlobalSignOut): all their refresh and access tokens stop working",
			"  cognate user sign-out --pool us-east-1_AbC123xyZ alice", "signed out everywhere",
			func(cmd *cobra.Command, c *cip.Client, pool, user string) error {
				_, err := c.AdminUserGlobalSignOut(cmd.Context(), &cip.AdminUserGlobalSignOutInput{UserPoolId: &pool, Username: &user})
				return apiErr("AdminUserGlobalSignOut", err)
			}},
	}
	for _, s := range simple {
		cmd.AddCommand(&cobra.Command{
			Use: s.use + " --pool POOL_ID USERNAME", Short: s.short, Example: s.example,
			RunE: func(cmd *cobra.Command, a []string) error {
				if err := args(a, "USERNAME"); err != nil {
					return err
				}
				c, err := conn.poolClient(cmd, pool)
				if err != nil {
					return err
				}
				if err := s.call(cmd, c, pool, a[0]); err != nil {
					return err
				}
				return conn.show(cmd, map[string]string{"username": a[0], "result": s.done},
					func(w io.Writer) { fmt.Fprintf(w, "%s: %s\n", a[0], s.done) })
			},
		})
	}
	return cmd
}

// readPassword reads a password: the first line of stdin with
// --password-stdin, else from a prompt on the terminal that does not echo.
func readPassword(cmd *cobra.Command, fromStdin bool, prompt string) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from stdin: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", usagef("--password-stdin: stdin held no password")
		}
		return pw, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", usagef("no terminal to ask for the password: use --password-stdin")
	}
	fmt.Fprint(cmd.ErrOrStderr(), prompt)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(cmd.ErrOrStderr())
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if len(b) == 0 {
		return "", usagef("no password given")
	}
	return string(b), nil
}

func userCreateCmd(conn *connFlags, pool *string) *cobra.Command {
	var (
		attrs              []string
		pwStdin, temporary bool
		invite             bool
	)
	cmd := &cobra.Command{
		Use:   "create --pool POOL_ID USERNAME",
		Short: "Create a user (AdminCreateUser), with a permanent or temporary password",
		Long: `Create a user (AdminCreateUser). With --password-stdin the password is set and
permanent (the user is CONFIRMED), or with --temporary must be changed at the first
sign-in. Without a password the service makes a temporary one and sends it in an
invitation (--invite; Cognate's dev outbox shows it).`,
		Example: `  printf '%s\n' 'Passw0rd!' | cognate user create --pool us-east-1_AbC123xyZ alice \
    --attribute email=alice@example.com --attribute email_verified=true --password-stdin
  cognate user create --pool us-east-1_AbC123xyZ bob --attribute email=bob@example.com --invite`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a, "USERNAME"); err != nil {
				return err
			}
			if *pool == "" {
				return usagef("--pool is required")
			}
			if temporary && !pwStdin {
				return usagef("--temporary needs --password-stdin")
			}
			in := &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String(a[0])}
			for _, kv := range attrs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usagef("--attribute %q: want NAME=VALUE", kv)
				}
				in.UserAttributes = append(in.UserAttributes, types.AttributeType{Name: aws.String(k), Value: aws.String(v)})
			}
			var pw string
			if pwStdin {
				var err error
				if pw, err = readPassword(cmd, true, ""); err != nil {
					return err
				}
			}
			if !invite {
				in.MessageAction = types.MessageActionTypeSuppress
			}
			if temporary {
				in.TemporaryPassword = aws.String(pw)
			}
			c, _, err := conn.client(cmd.Context(), cmd.Flags(), *pool)
			if err != nil {
				return err
			}
			out, err := c.AdminCreateUser(cmd.Context(), in)
			if err != nil {
				return apiErr("AdminCreateUser", err)
			}
			if pw != "" && !temporary {
				if _, err := c.AdminSetUserPassword(cmd.Context(), &cip.AdminSetUserPasswordInput{UserPoolId: pool,
					Username: aws.String(a[0]), Password: aws.String(pw), Permanent: true}); err != nil {
					return apiErr("AdminSetUserPassword", err)
				}
				out.User.UserStatus = types.UserStatusTypeConfirmed
			}
			return conn.show(cmd, out.User, func(w io.Writer) { writeUsers(w, []types.UserType{*out.User}) })
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&attrs, "attribute", nil, "an attribute NAME=VALUE (repeat)")
	f.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of stdin")
	f.BoolVar(&temporary, "temporary", false, "the password is temporary: the user must change it at the first sign-in")
	f.BoolVar(&invite, "invite", false, "send the invitation message (default: suppressed)")
	return cmd
}

func attr(attrs []types.AttributeType, name string) string {
	i := slices.IndexFunc(attrs, func(a types.AttributeType) bool { return aws.ToString(a.Name) == name })
	if i < 0 {
		return ""
	}
	return aws.ToString(attrs[i].Value)
}

// writeUsers writes the rows of a table of users.
func writeUsers(tw io.Writer, users []types.UserType) {
	fmt.Fprintln(tw, "USERNAME\tSTATUS\tENABLED\tEMAIL\tCREATED")
	for _, u := range users {
		email := attr(u.Attributes, "email")
		if email == "" {
			email = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\n", aws.ToString(u.Username), u.UserStatus, u.Enabled, email, when(u.UserCreateDate))
	}
}

func userListCmd(conn *connFlags, pool *string) *cobra.Command {
	var filter string
	cmd := &cobra.Command{
		Use:   "list --pool POOL_ID",
		Short: "List a pool's users",
		Example: `  cognate user list --pool us-east-1_AbC123xyZ
  cognate user list --pool us-east-1_AbC123xyZ --filter 'email ^= "alice"' --output json`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a); err != nil {
				return err
			}
			c, err := conn.poolClient(cmd, *pool)
			if err != nil {
				return err
			}
			in := &cip.ListUsersInput{UserPoolId: pool}
			if filter != "" {
				in.Filter = aws.String(filter)
			}
			users := []types.UserType{}
			pg := cip.NewListUsersPaginator(c, in)
			for pg.HasMorePages() {
				page, err := pg.NextPage(cmd.Context())
				if err != nil {
					return apiErr("ListUsers", err)
				}
				users = append(users, page.Users...)
			}
			return conn.show(cmd, users, func(w io.Writer) { writeUsers(w, users) })
		},
	}
	cmd.Flags().StringVar(&filter, "filter", "", `a ListUsers filter, e.g. 'email = "alice@example.com"'`)
	return cmd
}

func userGetCmd(conn *connFlags, pool *string) *cobra.Command {
	return &cobra.Command{
		Use:     "get --pool POOL_ID USERNAME",
		Short:   "Show a user (AdminGetUser)",
		Example: "  cognate user get --pool us-east-1_AbC123xyZ alice\n  cognate user get --pool us-east-1_AbC123xyZ alice@example.com --output json",
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a, "USERNAME"); err != nil {
				return err
			}
			c, err := conn.poolClient(cmd, *pool)
			if err != nil {
				return err
			}
			out, err := c.AdminGetUser(cmd.Context(), &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String(a[0])})
			if err != nil {
				return apiErr("AdminGetUser", err)
			}
			v := map[string]any{"Username": out.Username, "UserStatus": out.UserStatus,
				"Enabled": out.Enabled, "UserAttributes": out.UserAttributes, "UserCreateDate": out.UserCreateDate,
				"UserLastModifiedDate": out.UserLastModifiedDate}
			return conn.show(cmd, v, func(w io.Writer) {
				fmt.Fprintf(w, "Username\t%s\nStatus\t%s\nEnabled\t%t\nCreated\t%s\nModified\t%s\n", aws.ToString(out.Username),
					out.UserStatus, out.Enabled, when(out.UserCreateDate), when(out.UserLastModifiedDate))
				for _, at := range out.UserAttributes {
					fmt.Fprintf(w, "%s\t%s\n", aws.ToString(at.Name), aws.ToString(at.Value))
				}
			})
		},
	}
}

func userSetPasswordCmd(conn *connFlags, pool *string) *cobra.Command {
	var pwStdin, temporary bool
	cmd := &cobra.Command{
		Use:   "set-password --pool POOL_ID USERNAME",
		Short: "Set a user's password (AdminSetUserPassword), asked for without echo or read with --password-stdin",
		Example: `  cognate user set-password --pool us-east-1_AbC123xyZ alice              # prompts
  printf '%s\n' "$NEW_PASSWORD" | cognate user set-password --pool us-east-1_AbC123xyZ alice --password-stdin --temporary`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a, "USERNAME"); err != nil {
				return err
			}
			if *pool == "" {
				return usagef("--pool is required")
			}
			pw, err := readPassword(cmd, pwStdin, "New password for "+a[0]+": ")
			if err != nil {
				return err
			}
			c, _, err := conn.client(cmd.Context(), cmd.Flags(), *pool)
			if err != nil {
				return err
			}
			if _, err := c.AdminSetUserPassword(cmd.Context(), &cip.AdminSetUserPasswordInput{UserPoolId: pool,
				Username: aws.String(a[0]), Password: aws.String(pw), Permanent: !temporary}); err != nil {
				return apiErr("AdminSetUserPassword", err)
			}
			kind := "permanent"
			if temporary {
				kind = "temporary"
			}
			return conn.show(cmd, map[string]string{"username": a[0], "result": "password set", "password": kind},
				func(w io.Writer) { fmt.Fprintf(w, "%s: %s password set\n", a[0], kind) })
		},
	}
	cmd.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of stdin")
	cmd.Flags().BoolVar(&temporary, "temporary", false, "the user must change the password at the next sign-in")
	return cmd
}
