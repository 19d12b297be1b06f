package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/auth"
)

// Local sign-out, as in Amplify's `await signOut()`.
func ExampleClient_SignOut() {
	client, err := auth.New(auth.Config{UserPoolID: "us-east-1_AbC123xyZ", ClientID: "abcdefghij0123456789klmnop"})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	r := client.SignOut(ctx, auth.SignOutOptions{})
	if !r.SignedOutLocally() {
		log.Fatalf("still signed in: %v", r.Err())
	}
	fmt.Println("signed out")
	// Output: signed out
}

// Global sign-out with the complete / partial / failed switch, as in Amplify's
// Android and Swift snippets.
func ExampleClient_SignOut_global() {
	client, err := auth.New(auth.Config{UserPoolID: "us-east-1_AbC123xyZ", ClientID: "abcdefghij0123456789klmnop"})
	if err != nil {
		log.Fatal(err)
	}
	switch r := client.SignOut(context.Background(), auth.SignOutOptions{Global: true}).(type) {
	case auth.CompleteSignOut:
		fmt.Println("signed out successfully")
	case auth.PartialSignOut:
		if e := r.HostedUIError; e != nil {
			fmt.Println("hosted UI sign-out failed; open", e.URL)
		}
		if e := r.GlobalSignOutError; e != nil {
			fmt.Println("global sign-out failed:", e)
		}
		if e := r.RevokeTokenError; e != nil {
			fmt.Println("revoking the refresh token failed:", e)
		}
	case auth.FailedSignOut:
		fmt.Println("sign-out failed; still signed in:", r.Cause)
	}
	// Output: signed out successfully
}

// Retrying the remote steps of a PartialSignOut through the escape hatch.
func ExampleClient_CognitoClient() {
	client, err := auth.New(auth.Config{UserPoolID: "us-east-1_AbC123xyZ", ClientID: "abcdefghij0123456789klmnop"})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	r := client.SignOut(ctx, auth.SignOutOptions{Global: true})
	p, ok := r.(auth.PartialSignOut)
	if !ok {
		return
	}
	if g := p.GlobalSignOutError; g != nil {
		if _, err := client.CognitoClient().GlobalSignOut(ctx, &cip.GlobalSignOutInput{
			AccessToken: aws.String(g.AccessToken),
		}); err != nil {
			log.Printf("global sign-out still failing: %v", err)
			return // the refresh token is still live: keep it and try later
		}
	}
	// After a failed global sign-out the revocation was not attempted; do it now.
	if rv := p.RevokeTokenError; rv != nil && rv.RefreshToken != "" {
		if _, err := client.CognitoClient().RevokeToken(ctx, &cip.RevokeTokenInput{
			Token:    aws.String(rv.RefreshToken),
			ClientId: aws.String(client.ClientID()),
		}); err != nil && !errors.Is(err, context.Canceled) {
			log.Printf("revocation still failing: %v", err)
		}
	}
}
