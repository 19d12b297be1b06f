// Command signout-local signs the current user out of this device, like
// Amplify's
//
//	await signOut();
//
// The refresh token is revoked when the app client has token revocation enabled.
// With -offline it skips every network call (LocalOnly) and reports that the
// refresh token is still live.
//
//	go run ./examples/signout-local -pool us-east-1_AbC123 -client abc... -user alice -password ...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/examples/internal/exampleenv"
)

func main() {
	offline := flag.Bool("offline", false, "sign out locally only, without network calls")
	s := exampleenv.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()

	client := s.Client()
	if !s.SignInIfNeeded(ctx, client) {
		// Amplify's signOut succeeds with nobody signed in; saying
		// "signed out" here would claim something that did not happen.
		fmt.Println("nobody is signed in: there is nothing to sign out (give -user and -password to sign in first)")
		return
	}

	result := client.SignOut(ctx, auth.SignOutOptions{LocalOnly: *offline})
	if err := result.Err(); err != nil {
		if !result.SignedOutLocally() {
			log.Fatalf("sign-out failed, still signed in: %v", err)
		}
		if errors.Is(err, auth.ErrNotAttempted) {
			fmt.Println("signed out on this device; the refresh token was not revoked (offline)")
			return
		}
		fmt.Fprintf(os.Stderr, "signed out on this device, but: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("signed out")
}
