package auth_test

import (
	"context"
	"log"

	"github.com/cognate-dev/cognate/auth"
)

// Signing in through the hosted UI from a command-line app: the system
// browser shows the sign-in page and comes back to a loopback listener; the
// sign-out then ends the browser session too. Both URLs must be registered as
// the app client's callback and sign-out URLs.
func ExampleClient_SignInWithWebUI() {
	server, pool := "http://127.0.0.1:9229", "us-east-1_AbC123xyZ"
	client, err := auth.New(auth.Config{
		UserPoolID: pool,
		ClientID:   "abcdefghij0123456789klmnop",
		Endpoint:   server,
		Browser:    auth.SystemBrowser(), // or auth.PrintURLBrowser{W: os.Stderr} on a headless machine
		HostedUI: &auth.HostedUIConfig{
			Domain:             server + "/" + pool,
			Scopes:             []string{"openid", "email", "aws.cognito.signin.user.admin"},
			SignInRedirectURI:  "http://127.0.0.1:8765/callback",
			SignOutRedirectURI: "http://127.0.0.1:8765/signed-out",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client.SignInWithWebUI(ctx, auth.WebUISignInOptions{}); err != nil {
		log.Fatal(err) // errors.Is(err, auth.ErrUserCancelled) when the user gave up
	}
	// ...
	switch r := client.SignOut(ctx, auth.SignOutOptions{}).(type) {
	case auth.PartialSignOut:
		if r.HostedUIError != nil {
			log.Printf("open %s to end the browser session", r.HostedUIError.URL)
		}
	case auth.FailedSignOut:
		log.Printf("still signed in: %v", r.Cause)
	}
}
