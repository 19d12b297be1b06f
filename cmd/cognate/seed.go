package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/spf13/cobra"

	"github.com/cognate-dev/cognate/internal/seed"
)

func seedCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Apply a seed file: the pools, app clients, groups and users an environment needs",
		Long: `A seed file (YAML) describes user pools, their app clients, groups and users.
"cognate seed apply" makes a running service hold them: what is missing is created,
what differs from the file is updated, what matches is left alone, so applying the
same file twice changes nothing. "cognate serve --seed FILE" applies a file to the
server it starts. The format is in the README ("Seed file").`,
		Example: `  cognate seed apply cognate.yaml
  cognate seed apply cognate.yaml --endpoint http://127.0.0.1:9229 --output json
  cognate seed apply cognate.yaml --endpoint aws --region eu-west-1   # Amazon Cognito: pools matched by name
  cognate seed check cognate.yaml`,
	}
	conn := addConnFlags(cmd.PersistentFlags())
	apply := &cobra.Command{
		Use:   "apply FILE",
		Short: "Apply a seed file to a running service, idempotently",
		Long: `Apply a seed file to a running service through the user-pool API, idempotently.
Each pool, client, group and user is reported as created, updated (with what
changed), unchanged, failed or skipped. Exit code 0 when nothing failed, 1 otherwise.
Against Amazon Cognito (--endpoint aws) fixed ids cannot be honoured: pools and
clients are matched by name and the real ids are printed.`,
		Example: `  cognate seed apply cognate.yaml
  COGNATE_ENDPOINT=http://cognate.internal:9229 cognate seed apply env/test.yaml --output json`,
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a, "FILE"); err != nil {
				return err
			}
			f, err := readSeed(a[0])
			if err != nil {
				return err
			}
			c, t, err := conn.client(cmd.Context(), cmd.Flags(), "")
			if err != nil {
				return err
			}
			rep := seed.Apply(cmd.Context(), c, f, seed.Options{FixedIDs: !t.aws()})
			if conn.output == "json" {
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				if err := rep.WriteTable(cmd.OutOrStdout()); err != nil {
					return fmt.Errorf("write the report: %w", err)
				}
				base := ""
				if !t.aws() {
					base = t.endpoint
				}
				writeSeedSummary(cmd.OutOrStdout(), rep, f, base, a[0])
			}
			if err := rep.Err(); err != nil {
				return err
			}
			return nil
		},
	}
	check := &cobra.Command{
		Use:     "check FILE",
		Short:   "Check a seed file without applying it",
		Example: "  cognate seed check cognate.yaml",
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := args(a, "FILE"); err != nil {
				return err
			}
			f, err := readSeed(a[0])
			if err != nil {
				return err
			}
			n := 0
			for _, p := range f.Pools {
				n += 1 + len(p.Clients) + len(p.Groups) + len(p.Users)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %d pools, %d items: ok\n", a[0], len(f.Pools), n)
			return err
		},
	}
	cmd.AddCommand(apply, check)
	return cmd
}

// readSeed reads and parses a seed file; its errors name the line.
func readSeed(path string) (*seed.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seed file: %w", err)
	}
	return seed.Parse(path, data)
}

// writeSeedSummary tells a person what to use: each pool's and client's
// id, a user to sign in as (never the password) and, where the service's
// base URL is known (Cognate), the hosted UI's sign-in address.
func writeSeedSummary(w io.Writer, rep *seed.Report, f *seed.File, base, file string) {
	fmt.Fprintln(w)
	for _, p := range f.Pools {
		pr, ok := rep.Find("pool", p.Name)
		if !ok || pr.ID == "" {
			continue
		}
		fmt.Fprintf(w, "Pool %s: %s\n", p.Name, pr.ID)
		for _, c := range p.Clients {
			cr, ok := rep.Find("client", c.Name)
			if !ok || cr.ID == "" || cr.PoolID != pr.ID {
				continue
			}
			fmt.Fprintf(w, "  App client %s: %s\n", c.Name, cr.ID)
			if c.OAuth == nil || len(c.OAuth.CallbackURLs) == 0 || !slices.Contains(c.OAuth.Flows, "code") || base == "" {
				continue
			}
			q := url.Values{"client_id": {cr.ID}, "response_type": {"code"}, "redirect_uri": {c.OAuth.CallbackURLs[0]}}
			if len(c.OAuth.Scopes) > 0 {
				q.Set("scope", strings.Join(c.OAuth.Scopes, " "))
			}
			verifier := ""
			if c.Secret == "" && (c.GenerateSecret == nil || !*c.GenerateSecret) {
				// A public client must send PKCE: a fresh pair for this address.
				b := make([]byte, 32)
				_, _ = rand.Read(b)
				verifier = base64.RawURLEncoding.EncodeToString(b)
				sum := sha256.Sum256([]byte(verifier))
				q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
				q.Set("code_challenge_method", "S256")
			}
			fmt.Fprintf(w, "  Hosted UI sign-in: %s/%s/oauth2/authorize?%s\n", base, pr.ID, q.Encode())
			if verifier != "" {
				fmt.Fprintf(w, "    (PKCE code_verifier to exchange the code at /%s/oauth2/token: %s)\n", pr.ID, verifier)
			}
		}
		for _, u := range p.Users {
			ur, ok := rep.Find("user", u.Username)
			if !ok || ur.PoolID != pr.ID || ur.Action == seed.Failed || u.Password == "" ||
				(u.Confirmed != nil && !*u.Confirmed) || (u.Enabled != nil && !*u.Enabled) {
				continue
			}
			how := "the password in " + file
			if u.TemporaryPassword {
				how = "the temporary password in " + file + " (to be changed at the first sign-in)"
			}
			fmt.Fprintf(w, "  Sign in as %s with %s\n", u.Username, how)
			break
		}
	}
}

// serveSeed applies a seed file to the server `cognate serve` starts.
type serveSeed struct {
	path string
	file *seed.File
}

// load parses the file before the server starts, so that a bad file stops
// it at once.
func (s *serveSeed) load() error {
	if s.path == "" {
		return nil
	}
	f, err := readSeed(s.path)
	if err != nil {
		return fmt.Errorf("--seed: %w", err)
	}
	s.file = f
	return nil
}

// start applies the file once the server listens on addr, in the
// background, through the API like any client (signed with the first admin
// credential when there are some). The report goes to out. When the seed
// fails, stop ends the server, and the returned wait reports the failure
// (nil when the seed worked or was interrupted by the server's shutdown).
func (s *serveSeed) start(ctx context.Context, stop func(), addr net.Addr, publicURL, region string,
	creds map[string]string, log *slog.Logger, out io.Writer) (wait func() error) {
	if s.file == nil {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() {
		done <- s.apply(ctx, stop, addr, publicURL, region, creds, log, out)
		close(done)
	}()
	return func() error {
		err := <-done
		if err != nil && ctx.Err() != nil && !errors.Is(err, errSeedFailed) {
			return nil // the server was stopped while seeding
		}
		return err
	}
}

var errSeedFailed = errors.New("the seed file was not applied")

func (s *serveSeed) apply(ctx context.Context, stop func(), addr net.Addr, publicURL, region string,
	creds map[string]string, log *slog.Logger, out io.Writer) error {
	endpoint := "http://" + dialable(addr)
	var provider aws.CredentialsProvider = aws.AnonymousCredentials{}
	if len(creds) > 0 {
		ids := make([]string, 0, len(creds))
		for id := range creds {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		provider = credentials.NewStaticCredentialsProvider(ids[0], creds[ids[0]], "")
	}
	c := cip.New(cip.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: provider})
	rep := seed.Apply(ctx, c, s.file, seed.Options{FixedIDs: true})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := rep.WriteTable(out); err != nil {
		log.Warn("seed: writing the report", "err", err)
	}
	writeSeedSummary(out, rep, s.file, strings.TrimRight(publicURL, "/"), s.path)
	if err := rep.Err(); err != nil {
		log.Error("seed: applying the file failed; stopping", "file", s.path, "err", err)
		stop()
		return fmt.Errorf("--seed %s: %w: %w", s.path, errSeedFailed, err)
	}
	log.Info("seed applied", "file", s.path, "changed", rep.Changed())
	return nil
}

// dialable turns a listener's address into one to connect to: an
// unspecified IP (0.0.0.0, ::) becomes the loopback.
func dialable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
