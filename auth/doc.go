// Package auth is a client SDK for Amazon Cognito user pools (and Cognate, which
// speaks the same wire protocol) with the sign-up, sign-in, account and, above
// all, sign-out semantics of AWS Amplify's Auth category.
//
// It talks to the service only through aws-sdk-go-v2's cognitoidentityprovider
// client, so the same code works against Cognate (set Config.Endpoint) and
// against Amazon Cognito (leave it empty).
//
// # Signing in
//
//	client, err := auth.New(auth.Config{
//		UserPoolID: "us-east-1_AbC123xyZ",
//		ClientID:   "abcdefghij0123456789klmnop",
//		Endpoint:   "http://127.0.0.1:9229", // Cognate; empty for AWS
//		Store:      store,                   // see package credstore
//	})
//	res, err := client.SignIn(ctx, "alice", password, auth.SignInOptions{AuthFlow: auth.AuthFlowUserPassword})
//	if res.NextStep == auth.SignInStepConfirmWithNewPassword {
//		res, err = client.ConfirmSignIn(ctx, newPassword, auth.ConfirmSignInOptions{})
//	}
//
// One user is signed in at a time: SignIn while signed in fails with
// ErrInvalidState. FetchAuthSession returns the tokens, refreshing them (with
// GetTokensFromRefreshToken) when the access token is about to expire. When the service
// refuses the refresh token the user is signed out locally and
// EventSessionExpired is emitted; a network failure changes nothing.
//
// An e-mail address or phone number works as the sign-in name in pools with
// UsernameAttributes or AliasAttributes, in any letter case where user names
// are case-insensitive; with SRP the proof is computed for the real user name
// the service returns (USER_ID_FOR_SRP), which is also the stored session's
// Username (User.LoginID keeps what was typed).
//
// # Signing up and the account life cycle
//
// The calls of Amplify's account life cycle, with its semantics:
//
//	up, err := client.SignUp(ctx, email, password, auth.SignUpOptions{
//		UserAttributes: map[string]string{"email": email},
//		AutoSignIn:     true,
//	})
//	// up.NextStep == auth.SignUpStepConfirmSignUp; up.CodeDelivery says where the code went
//	conf, err := client.ConfirmSignUp(ctx, email, code, auth.ConfirmSignUpOptions{})
//	if conf.NextStep == auth.SignUpStepCompleteAutoSignIn {
//		res, err = client.AutoSignIn(ctx) // signs in with SignUp's credentials, once
//	}
//
// ResendSignUpCode sends a new sign-up code (the old one stops working).
// AutoSignIn fails with ErrNoAutoSignIn when nothing is armed; the password it
// needs stays in memory only, and only until it runs, another SignUp or SignIn,
// a ConfirmSignUp of another user, Close, or AutoSignInWindow.
//
// ResetPassword sends a code for a forgotten password
// (ResetPasswordStepConfirmWithCode); ConfirmResetPassword sets the new one
// with it, and the service then ends every session of the user: their refresh
// fails and FetchAuthSession signs them out with ErrSessionExpired.
//
// For the signed-in user, with the access token (refreshed first when it is
// about to expire; ErrNotSignedIn when nobody is signed in): UpdatePassword,
// FetchUserAttributes (a map: "sub", "email", "email_verified", ...),
// UpdateUserAttributes and UpdateUserAttribute (per attribute IsUpdated, or
// UpdateAttributeStepConfirmWithCode when a verification code was sent: the
// change waits for ConfirmUserAttribute), SendUserAttributeVerificationCode,
// ConfirmUserAttribute and DeleteUserAttributes. A wrong code is a
// *ServiceError coded CodeMismatchException (errors.As with
// *types.CodeMismatchException works too).
//
// ListSessions lists the signed-in user's live sessions on every device and
// app client (Session.Current marks this Client's), and RevokeSession ends
// one: its refresh token is refused and its access tokens at once. They are
// Cognate's own operations (X-Amz-Target CognateService.*), called over the
// same HTTP client and endpoint; Amazon Cognito answers them with an error.
//
// # Signing in with the hosted UI
//
// SignInWithWebUI signs in through the hosted UI's sign-in page with the
// authorization code grant and PKCE, as a native app (RFC 8252): a Browser
// opens <Domain>/oauth2/authorize and waits on a loopback listener for the
// redirect to HostedUIConfig.SignInRedirectURI; the state is checked
// (ErrStateMismatch), an error= answer becomes an *OAuthError, and the code is
// exchanged at <Domain>/oauth2/token. SystemBrowser (LoopbackBrowser's zero
// value) starts the desktop's browser; PrintURLBrowser prints the address for
// the user to open. The session is stored as a hosted-UI sign-in, so SignOut
// later opens <Domain>/logout too (unless WebUISignInOptions.PreferPrivateSession).
//
// # Signing out
//
// SignOut returns one of three results, matched with a type switch:
//
//	switch r := client.SignOut(ctx, auth.SignOutOptions{Global: true}).(type) {
//	case auth.CompleteSignOut:
//		// signed out everywhere it was asked to
//	case auth.PartialSignOut:
//		// signed out on this device; some remote step failed:
//		// r.HostedUIError, r.GlobalSignOutError, r.RevokeTokenError
//	case auth.FailedSignOut:
//		// nothing changed; the user is still signed in (r.Cause)
//	}
//
// Callers who do not need the details use r.SignedOutLocally() and r.Err().
// The steps, in order: hosted-UI sign-out (only after a hosted-UI sign-in, with
// a deadline), GlobalSignOut (only with Global; refreshing an expired access
// token first), RevokeToken (only when the access token carries origin_jti, and
// not after a failed global sign-out), then clearing the local session (keeping
// remembered-device data). LocalOnly skips the remote steps, for offline use.
// Every remote step is bounded by Timeouts.Operation, so an offline sign-out
// returns within seconds. Before the hosted-UI step opens the browser it checks
// that the hosted UI answers (one HEAD request to <Domain>/logout, bounded by
// Timeouts.Request); when it does not, the browser is not opened, the step is
// reported as a HostedUIError with the URL to open later, and the sign-out goes
// on: PartialSignOut, instead of waiting out the browser deadline.
//
// # Finishing a partial sign-out by hand
//
// Each error of a PartialSignOut carries the token its step needed. Retry with
// the underlying client, CognitoClient:
//
//	if p, ok := r.(auth.PartialSignOut); ok {
//		if g := p.GlobalSignOutError; g != nil {
//			_, err := client.CognitoClient().GlobalSignOut(ctx, &cognitoidentityprovider.GlobalSignOutInput{
//				AccessToken: aws.String(g.AccessToken),
//			})
//			...
//		}
//		if rv := p.RevokeTokenError; rv != nil {
//			_, err := client.CognitoClient().RevokeToken(ctx, &cognitoidentityprovider.RevokeTokenInput{
//				Token:    aws.String(rv.RefreshToken),
//				ClientId: aws.String(client.ClientID()),
//				// ClientSecret: aws.String(secret), for clients with a secret
//			})
//			...
//		}
//	}
//
// See the examples of Client.CognitoClient and the programs under examples/.
//
// # Errors
//
// Errors match with errors.Is and errors.As: ErrUserCancelled, ErrNotAttempted,
// ErrInvalidState, ErrNotSignedIn, ErrSessionExpired, ErrNotImplemented,
// ErrBrowserUnavailable, ErrInvalidParameter, ErrStateMismatch,
// ErrInvalidCallback, ErrSignInCancelled, ErrNoAutoSignIn, ErrNotConfigured,
// ErrClosed;
// *NetworkError for transport failures (a connection lost mid-answer included:
// never a reason to end the session); *OAuthError for
// the hosted UI's OAuth answers; *ServiceError (and the SDK's typed
// exceptions, e.g. *types.NotAuthorizedException) for answers of the service,
// with the Cognito error name in Code. Tokens never appear in Error() strings or in log records;
// they are only in the exported fields of GlobalSignOutError and
// RevokeTokenError, so that the caller can retry.
//
// # Events
//
// Subscribe registers a callback for EventSignedIn, EventSignedOut,
// EventSessionExpired and EventUserDeleted. Each subscriber gets events in order
// on its own goroutine; a slow subscriber never blocks the Client. The function
// Subscribe returns ends the subscription; Close ends them all.
//
// # Concurrency
//
// A Client is safe for concurrent use and runs its operations one at a time. A
// second SignOut waits for the first, finds nobody signed in and returns
// CompleteSignOut without an event. SignOut does not wait for a
// SignInWithWebUI whose browser is out: it cancels it (the sign-in returns an
// error matching ErrSignInCancelled) and goes on.
//
// # Contexts
//
// Every function and method of the package that takes a context treats a nil
// one as context.Background(). Cancelling a context ends what it bounds (a
// wait for another operation, a network call, a wait for the browser).
//
// # Life cycle
//
// Create a Client with New. The methods of a zero Client (or a nil *Client)
// never block and never panic: they fail at once with ErrNotConfigured (SignOut
// with a FailedSignOut carrying it). Close ends a Client's background work: it
// cancels the operation in progress and those waiting (a browser wait closes
// its loopback listener), ends the subscriptions, and closes the idle
// connections of the HTTP client New built. Afterwards every method fails with
// ErrClosed. The SDK runs no timers of its own but one, which forgets an
// armed auto sign-in's password after AutoSignInWindow: tokens are refreshed
// when FetchAuthSession (or a call needing the access token) finds them about
// to expire. Close leaves the credential
// store alone: a signed-in user stays signed in for the next Client.
package auth
