package userpool_test

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/userpool"
)

// The sign-out rules, at the Service level: every way a token family ends,
// what each path then answers, and that the other families live on.

func TestRevokeTokenEndsOneFamily(t *testing.T) {
	e := newEnv(t)
	one, two := e.signIn(e.app, "alice"), e.signIn(e.app, "alice")
	if err := e.svc.RevokeToken(e.ctx(), one.RefreshToken, e.app.ID, ""); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.GetUser(e.ctx(), one.AccessToken)
	wantRefused(t, "access token of the revoked family", err, userpool.KindNotAuthorized, userpool.CauseAccessTokenRevoked, userpool.ReasonRevoked)
	_, err = e.refresh(e.app, one.RefreshToken)
	wantRefused(t, "refresh of the revoked family", err, userpool.KindNotAuthorized, userpool.CauseRefreshTokenRevoked, userpool.ReasonRevoked)
	e.wantLive("the other family", two.AccessToken)
	if _, err := e.refresh(e.app, two.RefreshToken); err != nil {
		t.Fatalf("refresh of the other family: %v", err)
	}
	// RFC 7009: revoking again, or an unknown token, is a silent success.
	if err := e.svc.RevokeToken(e.ctx(), one.RefreshToken, e.app.ID, ""); err != nil {
		t.Fatalf("second revocation: %v", err)
	}
}

func TestRevokeTokenRefusals(t *testing.T) {
	e := newEnv(t)
	other := e.newClient(userpool.ClientInput{Name: "other"})
	off := false
	noRevoke := e.newClient(userpool.ClientInput{Name: "no-revoke", Config: userpool.ClientConfig{EnableTokenRevocation: &off}})
	tk := e.signIn(e.app, "alice")
	err := e.svc.RevokeToken(e.ctx(), tk.RefreshToken, other.ID, "")
	wantRefused(t, "another client's token", err, userpool.KindWrongClient, userpool.CauseTokenOfOtherClient, "")
	err = e.svc.RevokeToken(e.ctx(), tk.AccessToken, e.app.ID, "")
	wantRefused(t, "an access token", err, userpool.KindTokenTypeUnsupported, userpool.CauseNotRefreshToken, "")
	nt := e.signIn(noRevoke, "alice")
	err = e.svc.RevokeToken(e.ctx(), nt.RefreshToken, noRevoke.ID, "")
	wantRefused(t, "revocation disabled", err, userpool.KindFeatureDisabled, userpool.CauseRevocationDisabled, "")
	e.wantLive("after refused revocations", tk.AccessToken)
}

func TestGlobalSignOutEndsEveryFamily(t *testing.T) {
	e := newEnv(t)
	e.newUser("bob")
	other := e.newClient(userpool.ClientInput{Name: "other"})
	a1, a2, bob := e.signIn(e.app, "alice"), e.signIn(other, "alice"), e.signIn(e.app, "bob")
	if err := e.svc.GlobalSignOut(e.ctx(), a1.AccessToken); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []*userpool.AuthResult{a1, a2} {
		_, err := e.svc.GetUser(e.ctx(), tk.AccessToken)
		wantRefused(t, "access token after global sign-out", err, userpool.KindNotAuthorized, userpool.CauseAccessTokenRevoked, userpool.ReasonSignedOut)
	}
	_, err := e.refresh(e.app, a1.RefreshToken)
	wantRefused(t, "refresh after global sign-out", err, userpool.KindNotAuthorized, userpool.CauseRefreshTokenRevoked, userpool.ReasonSignedOut)
	_, err = e.refresh(other, a2.RefreshToken)
	wantRefused(t, "refresh through another client", err, userpool.KindNotAuthorized, userpool.CauseRefreshTokenRevoked, userpool.ReasonSignedOut)
	e.wantLive("another user", bob.AccessToken)
	// A sign-in right after (same clock instant) is live: no one-second race.
	e.wantLive("a new sign-in", e.signIn(e.app, "alice").AccessToken)
	// The admin variant ends the new one too.
	fresh := e.signIn(e.app, "alice")
	if err := e.svc.AdminUserGlobalSignOut(e.ctx(), e.pool, "alice"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetUser(e.ctx(), fresh.AccessToken)
	wantRefused(t, "after AdminUserGlobalSignOut", err, userpool.KindNotAuthorized, userpool.CauseAccessTokenRevoked, userpool.ReasonSignedOut)
}

func TestDisableEndsFamiliesAndEnableDoesNotRevive(t *testing.T) {
	e := newEnv(t)
	tk := e.signIn(e.app, "alice")
	if err := e.svc.AdminSetUserEnabled(e.ctx(), e.pool, "alice", false); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.GetUser(e.ctx(), tk.AccessToken)
	wantRefused(t, "access token of a disabled user", err, userpool.KindNotAuthorized, userpool.CauseAccessTokenRevoked, userpool.ReasonSignedOut)
	_, err = e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserPassword,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password}})
	wantRefused(t, "sign-in of a disabled user", err, userpool.KindNotAuthorized, userpool.CauseUserDisabled, "")
	if err := e.svc.AdminSetUserEnabled(e.ctx(), e.pool, "alice", true); err != nil {
		t.Fatal(err)
	}
	_, err = e.refresh(e.app, tk.RefreshToken)
	wantRefused(t, "refresh after re-enabling", err, userpool.KindNotAuthorized, userpool.CauseRefreshTokenRevoked, userpool.ReasonSignedOut)
	e.wantLive("a sign-in after re-enabling", e.signIn(e.app, "alice").AccessToken)
}

func TestDeletedUsersTokensAreRefused(t *testing.T) {
	e := newEnv(t)
	tk := e.signIn(e.app, "alice")
	if err := e.svc.AdminDeleteUser(e.ctx(), e.pool, "alice"); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.GetUser(e.ctx(), tk.AccessToken)
	wantRefused(t, "access token of a deleted user", err, userpool.KindUserNotFound, userpool.CauseUserNotFound, userpool.ReasonUserDeleted)
	_, err = e.refresh(e.app, tk.RefreshToken)
	wantRefused(t, "refresh of a deleted user", err, userpool.KindNotAuthorized, userpool.CauseRefreshTokenInvalid, "")
	// A new user of the same name does not inherit the old families.
	e.newUser("alice")
	_, err = e.refresh(e.app, tk.RefreshToken)
	wantRefused(t, "refresh after the name is reused", err, userpool.KindNotAuthorized, userpool.CauseRefreshTokenInvalid, "")
}

func TestDeleteUserBySelf(t *testing.T) {
	e := newEnv(t)
	tk := e.signIn(e.app, "alice")
	if err := e.svc.DeleteUser(e.ctx(), tk.AccessToken); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.GetUser(e.ctx(), tk.AccessToken)
	wantRefused(t, "access token after DeleteUser", err, userpool.KindUserNotFound, userpool.CauseUserNotFound, "")
}

func TestExpiry(t *testing.T) {
	e := newEnv(t)
	// Access tokens live 5 minutes, the family (refresh token) 60.
	five, sixty := 5, 60
	c := e.newClient(userpool.ClientInput{Name: "short", Config: userpool.ClientConfig{
		AccessTokenValidity: &five, IdTokenValidity: &five, RefreshTokenValidity: &sixty,
		TokenValidityUnits: &userpool.TokenValidityUnits{AccessToken: "minutes", IdToken: "minutes", RefreshToken: "minutes"}}})
	tk := e.signIn(c, "alice")
	e.clock.Advance(5 * time.Minute)
	_, err := e.svc.GetUser(e.ctx(), tk.AccessToken)
	wantRefused(t, "an access token at its exp", err, userpool.KindNotAuthorized, userpool.CauseAccessTokenExpired, "")

	e.clock.Advance(52 * time.Minute) // 57 minutes into the family
	late, err := e.refresh(c, tk.RefreshToken)
	if err != nil {
		t.Fatalf("refresh before the family's expiry: %v", err)
	}
	e.clock.Advance(3 * time.Minute) // the family has expired
	_, err = e.refresh(c, tk.RefreshToken)
	wantRefused(t, "refresh at the family's expiry", err, userpool.KindNotAuthorized, userpool.CauseRefreshTokenExpired, userpool.ReasonExpired)
	// The family's expiry stops refreshing; the last access token lives
	// until its own exp.
	e.wantLive("an access token minted before the family expired", late.AccessToken)
	e.clock.Advance(2 * time.Minute)
	_, err = e.svc.GetUser(e.ctx(), late.AccessToken)
	wantRefused(t, "that access token at its exp", err, userpool.KindNotAuthorized, userpool.CauseAccessTokenExpired, "")
}

func TestRotationGracePeriodAndReuse(t *testing.T) {
	e := newEnv(t)
	grace := 10
	rot := e.newClient(userpool.ClientInput{Name: "rotating", Config: userpool.ClientConfig{
		ExplicitAuthFlows:    []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		RefreshTokenRotation: &userpool.RefreshTokenRotation{Feature: "ENABLED", RetryGracePeriodSeconds: &grace}}})
	tk := e.signIn(rot, "alice")
	r1, err := e.refresh(rot, tk.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if r1.RefreshToken == "" || r1.RefreshToken == tk.RefreshToken {
		t.Fatalf("rotation returned refresh token %q", r1.RefreshToken)
	}
	// Within the grace period the previous token gets the current one again.
	e.clock.Advance(5 * time.Second)
	retry, err := e.refresh(rot, tk.RefreshToken)
	if err != nil {
		t.Fatalf("retry within the grace period: %v", err)
	}
	if retry.RefreshToken == "" {
		t.Fatal("a retry within the grace period got no refresh token")
	}
	// REFRESH_TOKEN_AUTH is refused on a rotating client.
	_, err = e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: rot.ID, AuthFlow: userpool.FlowRefreshToken,
		AuthParameters: map[string]string{"REFRESH_TOKEN": r1.RefreshToken}})
	if !userpool.IsKind(err, userpool.KindInvalid) {
		t.Fatalf("REFRESH_TOKEN_AUTH on a rotating client: %v", err)
	}
	// The retry's token is of the current generation (sealed anew, so not
	// byte-equal): using it rotates instead of counting as a reuse.
	r2, err := e.refresh(rot, retry.RefreshToken)
	if err != nil {
		t.Fatalf("refresh with the retry's token: %v", err)
	}
	// Past the grace period a reuse revokes the whole family, for good.
	e.clock.Advance(11 * time.Second)
	_, err = e.refresh(rot, tk.RefreshToken)
	wantRefused(t, "reuse past the grace period", err, userpool.KindTokenReuse, userpool.CauseRefreshTokenReused, userpool.ReasonRefreshReuse)
	_, err = e.refresh(rot, r2.RefreshToken)
	wantRefused(t, "the current token after a reuse", err, userpool.KindNotAuthorized, userpool.CauseRefreshTokenRevoked, userpool.ReasonRefreshReuse)
	_, err = e.svc.GetUser(e.ctx(), r2.AccessToken)
	wantRefused(t, "access tokens after a reuse", err, userpool.KindNotAuthorized, userpool.CauseAccessTokenRevoked, userpool.ReasonRefreshReuse)
}

func TestRotationWithoutGraceRevokesOnFirstReuse(t *testing.T) {
	e := newEnv(t)
	rot := e.newClient(userpool.ClientInput{Name: "rotating", Config: userpool.ClientConfig{
		RefreshTokenRotation: &userpool.RefreshTokenRotation{Feature: "ENABLED"}}})
	tk := e.signIn(rot, "alice")
	if _, err := e.refresh(rot, tk.RefreshToken); err != nil {
		t.Fatal(err)
	}
	_, err := e.refresh(rot, tk.RefreshToken)
	wantRefused(t, "immediate reuse without a grace period", err, userpool.KindTokenReuse, userpool.CauseRefreshTokenReused, userpool.ReasonRefreshReuse)
}

func TestChallengeExpiry(t *testing.T) {
	e := newEnv(t)
	if err := e.svc.AdminSetUserPassword(e.ctx(), e.pool, "alice", "Temp-Passw0rd!", false); err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserPassword,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "Temp-Passw0rd!"}})
	if err != nil || r.ChallengeName != userpool.ChallengeNewPassword {
		t.Fatalf("sign-in with a temporary password: %+v, %v", r, err)
	}
	e.clock.Advance(3 * time.Minute) // AuthSessionValidity's default
	_, err = e.svc.RespondToAuthChallenge(e.ctx(), userpool.RespondInput{ClientID: e.app.ID,
		ChallengeName: userpool.ChallengeNewPassword, Session: r.Session,
		Responses: map[string]string{"USERNAME": "alice", "NEW_PASSWORD": "New-Passw0rd!"}})
	wantRefused(t, "an expired challenge", err, userpool.KindNotAuthorized, userpool.CauseSignInSessionExpired, "")
}

// TestCodeReplayRevokesFamily redeems an authorization code twice: the
// second redemption fails and revokes the family the first one started.
func TestCodeReplayRevokesFamily(t *testing.T) {
	e := newEnv(t)
	web := e.newClient(userpool.ClientInput{Name: "web", GenerateSecret: true, Config: userpool.ClientConfig{
		CallbackURLs: []string{"https://app.example.com/cb"}, AllowedOAuthFlows: []string{"code"},
		AllowedOAuthScopes: []string{"openid", "aws.cognito.signin.user.admin"}, AllowedOAuthFlowsUserPoolClient: true}})
	req, err := e.svc.CheckAuthorize(e.ctx(), e.pool, userpool.AuthorizeParams{ClientID: web.ID,
		RedirectURI: "https://app.example.com/cb", ResponseType: "code"})
	if err != nil {
		t.Fatal(err)
	}
	_, ws, err := e.svc.HostedLogin(e.ctx(), userpool.LoginInput{Request: req, Username: "alice", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	code, err := e.svc.IssueCode(e.ctx(), req, ws)
	if err != nil {
		t.Fatal(err)
	}
	exchange := func() (*userpool.TokenResponse, error) {
		return e.svc.OAuthToken(e.ctx(), e.pool, userpool.TokenRequest{GrantType: "authorization_code", Code: code,
			RedirectURI: "https://app.example.com/cb", ClientID: web.ID, ClientSecret: web.Secret})
	}
	tk, err := exchange()
	if err != nil {
		t.Fatal(err)
	}
	e.wantLive("the code's family", tk.AccessToken)
	if _, err := exchange(); !userpool.IsKind(err, userpool.KindNotAuthorized) {
		t.Fatalf("second redemption: %v", err)
	}
	_, err = e.svc.GetUser(e.ctx(), tk.AccessToken)
	wantRefused(t, "the family after the replay", err, userpool.KindNotAuthorized, userpool.CauseAccessTokenRevoked, userpool.ReasonCodeReplay)
	_, err = e.svc.OAuthToken(e.ctx(), e.pool, userpool.TokenRequest{GrantType: "refresh_token", RefreshToken: tk.RefreshToken,
		ClientID: web.ID, ClientSecret: web.Secret})
	wantRefused(t, "refresh after the replay", err, userpool.KindNotAuthorized, userpool.CauseRefreshTokenRevoked, userpool.ReasonCodeReplay)
}

// TestWebSessionAndCodesEndWithGlobalSignOut: the hosted UI's web session
// and a code issued before a global sign-out are judged by the same rule.
func TestWebSessionAndCodesEndWithGlobalSignOut(t *testing.T) {
	e := newEnv(t)
	web := e.newClient(userpool.ClientInput{Name: "web", GenerateSecret: true, Config: userpool.ClientConfig{
		CallbackURLs: []string{"https://app.example.com/cb"}, AllowedOAuthFlows: []string{"code"},
		AllowedOAuthScopes: []string{"openid"}, AllowedOAuthFlowsUserPoolClient: true}})
	req, err := e.svc.CheckAuthorize(e.ctx(), e.pool, userpool.AuthorizeParams{ClientID: web.ID,
		RedirectURI: "https://app.example.com/cb", ResponseType: "code"})
	if err != nil {
		t.Fatal(err)
	}
	cookie, ws, err := e.svc.HostedLogin(e.ctx(), userpool.LoginInput{Request: req, Username: "alice", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	code, err := e.svc.IssueCode(e.ctx(), req, ws)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminUserGlobalSignOut(e.ctx(), e.pool, "alice"); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.GetWebSession(e.ctx(), e.pool, cookie); err != nil || got != nil {
		t.Fatalf("web session after global sign-out: %+v, %v", got, err)
	}
	_, err = e.svc.OAuthToken(e.ctx(), e.pool, userpool.TokenRequest{GrantType: "authorization_code", Code: code,
		RedirectURI: "https://app.example.com/cb", ClientID: web.ID, ClientSecret: web.Secret})
	if re := userpool.AsError(err); re == nil || re.Kind != userpool.KindNotAuthorized || re.Reason != userpool.ReasonSignedOut {
		t.Fatalf("a code issued before the global sign-out: %v", err)
	}
	// A web session past its lifetime has ended too.
	cookie, _, err = e.svc.HostedLogin(e.ctx(), userpool.LoginInput{Request: req, Username: "alice", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(userpool.WebSessionLifetime)
	if got, _ := e.svc.GetWebSession(e.ctx(), e.pool, cookie); got != nil {
		t.Fatal("a web session past its lifetime is live")
	}
}

// TestOneReadPerRefresh pins the reads of the refresh paths and of the
// OAuth revocation: the app client once and the family once — for the
// paths that mint, the session joined to its user and the user's groups in
// one statement (GetSessionForMint: a group change shows in the next token
// at no extra read), for the others without the groups (every access-token
// call needs no groups; GetUser reads only the profile columns); and the
// one write of a family's first refresh
// (which its session then shows), none after.
func TestOneReadPerRefresh(t *testing.T) {
	e := newEnv(t)
	conf := e.newClient(userpool.ClientInput{Name: "conf", GenerateSecret: true, Config: userpool.ClientConfig{
		AllowedOAuthFlows: []string{"code"}, AllowedOAuthScopes: []string{"openid"}, AllowedOAuthFlowsUserPoolClient: true,
		CallbackURLs: []string{"https://app.example.com/cb"}}})
	tk := e.signIn(e.app, "alice")
	ctk := e.signIn(conf, "alice")
	want := map[string]int{"GetClient": 1, "GetSessionForMint": 1}
	e.clock.Advance(time.Second) // the first refreshes come a second after the sign-ins
	check := func(what string, want map[string]int) {
		t.Helper()
		got := e.st.take()
		if len(got) != len(want) {
			t.Errorf("%s: store calls %v, want %v", what, got, want)
			return
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s: store calls %v, want %v", what, got, want)
				return
			}
		}
	}
	e.st.take()
	if _, err := e.refresh(e.app, tk.RefreshToken); err != nil {
		t.Fatal(err)
	}
	first := map[string]int{"GetClient": 1, "GetSessionForMint": 1, "TouchSession": 1}
	check("REFRESH_TOKEN_AUTH", first)
	if _, err := e.svc.GetTokensFromRefreshToken(e.ctx(), e.app.ID, "", tk.RefreshToken); err != nil {
		t.Fatal(err)
	}
	check("GetTokensFromRefreshToken", want)
	if _, err := e.svc.OAuthToken(e.ctx(), e.pool, userpool.TokenRequest{GrantType: "refresh_token",
		RefreshToken: ctk.RefreshToken, ClientID: conf.ID, ClientSecret: conf.Secret}); err != nil {
		t.Fatal(err)
	}
	check("the OAuth refresh grant", first)
	if _, err := e.svc.GetUser(e.ctx(), tk.AccessToken); err != nil {
		t.Fatal(err)
	}
	check("GetUser", map[string]int{"GetSessionWithProfile": 1})
	if err := e.svc.OAuthRevoke(e.ctx(), e.pool, ctk.RefreshToken, conf.ID, conf.Secret); err != nil {
		t.Fatal(err)
	}
	check("/oauth2/revoke", map[string]int{"GetClient": 1, "GetSessionWithUser": 1, "RevokeSession": 1})
}
