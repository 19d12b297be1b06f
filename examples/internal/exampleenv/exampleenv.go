// Package exampleenv reads the settings shared by the example programs from
// flags, falling back to environment variables.
package exampleenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/auth/credstore"
)

// Settings are what an example needs to reach a user pool and a user.
type Settings struct {
	Endpoint, Region, PoolID, ClientID, Secret string
	Username, Password                         string
	StoreDir                                   string
	Timeout                                    time.Duration
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Parse registers the flags, parses the command line and checks the result.
func Parse() Settings {
	var s Settings
	flag.StringVar(&s.Endpoint, "endpoint", env("COGNATE_ENDPOINT", "http://127.0.0.1:9229"), "user-pool API base URL; empty for Amazon Cognito (env COGNATE_ENDPOINT)")
	flag.StringVar(&s.Region, "region", env("AWS_REGION", ""), "region; default: from the pool id (env AWS_REGION)")
	flag.StringVar(&s.PoolID, "pool", env("COGNATE_USER_POOL_ID", ""), "user pool id (env COGNATE_USER_POOL_ID)")
	flag.StringVar(&s.ClientID, "client", env("COGNATE_CLIENT_ID", ""), "app client id (env COGNATE_CLIENT_ID)")
	flag.StringVar(&s.Secret, "secret", env("COGNATE_CLIENT_SECRET", ""), "app client secret, if any (env COGNATE_CLIENT_SECRET)")
	flag.StringVar(&s.Username, "user", env("COGNATE_USERNAME", ""), "user to sign in first, if nobody is signed in (env COGNATE_USERNAME)")
	flag.StringVar(&s.Password, "password", env("COGNATE_PASSWORD", ""), "that user's password (env COGNATE_PASSWORD)")
	flag.StringVar(&s.StoreDir, "store", env("COGNATE_STORE_DIR", ""), "credential directory when no OS keyring runs (default: the user config dir)")
	flag.DurationVar(&s.Timeout, "timeout", 30*time.Second, "overall time limit")
	flag.Parse()
	if s.PoolID == "" || s.ClientID == "" {
		fmt.Fprintln(os.Stderr, "-pool and -client (or COGNATE_USER_POOL_ID and COGNATE_CLIENT_ID) are required")
		flag.Usage()
		os.Exit(2)
	}
	return s
}

// Client builds an auth.Client whose session lives in the OS keyring, or in a
// 0600 file where no keyring service runs, so that it survives the program.
func (s Settings) Client() *auth.Client {
	store, err := credstore.NewKeyringOrFile(credstore.FallbackOptions{
		Dir:          s.StoreDir,
		ProbeTimeout: 3 * time.Second,
		OnFallback:   func(reason error) { log.Printf("no OS keyring (%v); using the file store", reason) },
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := auth.New(auth.Config{
		Region: s.Region, UserPoolID: s.PoolID, ClientID: s.ClientID, ClientSecret: s.Secret,
		Endpoint: s.Endpoint, Store: store,
	})
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// SignInIfNeeded signs the configured user in when nobody is signed in and a
// password was given, and reports whether somebody is signed in now.
func (s Settings) SignInIfNeeded(ctx context.Context, c *auth.Client) bool {
	if u, err := c.CurrentUser(ctx); err == nil {
		log.Printf("%s is signed in", u.Username)
		return true
	} else if !errors.Is(err, auth.ErrNotSignedIn) {
		log.Fatal(err)
	}
	if s.Username == "" || s.Password == "" {
		return false
	}
	r, err := c.SignIn(ctx, s.Username, s.Password, auth.SignInOptions{AuthFlow: auth.AuthFlowUserPassword})
	if err != nil {
		log.Fatalf("sign-in: %v", err)
	}
	if !r.SignedIn {
		log.Fatalf("sign-in needs another step: %s", r.NextStep)
	}
	log.Printf("signed in as %s", s.Username)
	return true
}
