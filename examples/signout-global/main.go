// Command signout-global signs the current user out of every device, like
// Amplify's
//
//	await signOut({ global: true });
//
// and handles the three outcomes the way Amplify's Android and Swift snippets
// do (complete / partial / failed). A partial sign-out is finished by hand
// through the escape hatch, Client.CognitoClient, with the tokens it carries.
//
//	go run ./examples/signout-global -pool us-east-1_AbC123 -client abc... -user alice -password ...
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/examples/internal/exampleenv"
)

func main() {
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

	switch r := client.SignOut(ctx, auth.SignOutOptions{Global: true}).(type) {
	case auth.CompleteSignOut:
		fmt.Println("signed out successfully, on every device")

	case auth.PartialSignOut:
		fmt.Println("signed out on this device, but not everywhere:")
		if e := r.HostedUIError; e != nil {
			fmt.Printf("  hosted UI: %v (open %s to end the browser session)\n", e, e.URL)
		}
		if e := r.GlobalSignOutError; e != nil {
			fmt.Printf("  global sign-out: %v; retrying\n", e)
			// Retry with the access token the error carries.
			if _, err := client.CognitoClient().GlobalSignOut(ctx, &cip.GlobalSignOutInput{
				AccessToken: aws.String(e.AccessToken),
			}); err != nil {
				fmt.Printf("  retry failed: %v\n", err)
			} else {
				fmt.Println("  retry succeeded: signed out on every device")
			}
		}
		if e := r.RevokeTokenError; e != nil {
			fmt.Printf("  refresh token: %v; revoking it now\n", e)
			in := &cip.RevokeTokenInput{Token: aws.String(e.RefreshToken), ClientId: aws.String(s.ClientID)}
			if s.Secret != "" {
				in.ClientSecret = aws.String(s.Secret)
			}
			if _, err := client.CognitoClient().RevokeToken(ctx, in); err != nil {
				fmt.Printf("  revocation failed: %v\n", err)
			} else {
				fmt.Println("  refresh token revoked")
			}
		}

	case auth.FailedSignOut:
		log.Fatalf("sign-out failed, the user is still signed in: %v", r.Cause)
	}
}
