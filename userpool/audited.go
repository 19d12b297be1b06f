package userpool

// The audited operations: each public operation below records an audit
// event (see audit.go) around the operation of the same name in lower case,
// which holds its rules.

import "context"

// audited runs f with an audit entry of type typ and records its outcome.
func audited[T any](ctx context.Context, s *Service, typ, username string, f func(context.Context) (T, error)) (T, error) {
	ctx, e := s.beginAudit(ctx, typ, username)
	v, err := f(ctx)
	s.finish(ctx, e, err, "")
	return v, err
}

// auditedErr is audited for operations that return only an error.
func auditedErr(ctx context.Context, s *Service, typ, username string, f func(context.Context) error) error {
	_, err := audited(ctx, s, typ, username, func(ctx context.Context) (struct{}, error) { return struct{}{}, f(ctx) })
	return err
}

// authAudited records a sign-in or refresh step: passed, failed, or in
// progress when it answers a challenge.
func authAudited(ctx context.Context, s *Service, typ, username string, f func(context.Context) (*AuthResponse, error)) (*AuthResponse, error) {
	ctx, e := s.beginAudit(ctx, typ, username)
	res, err := f(ctx)
	challenge := ""
	if err == nil && res != nil && res.Result == nil {
		challenge = res.ChallengeName
	}
	s.finish(ctx, e, err, challenge)
	return res, err
}

// InitiateAuth starts a sign-in or refreshes tokens.
func (s *Service) InitiateAuth(ctx context.Context, in InitiateAuthInput) (*AuthResponse, error) {
	typ := EventSignIn
	if in.AuthFlow == FlowRefreshToken || in.AuthFlow == FlowRefreshTokenAlias {
		typ = EventRefresh
	}
	return authAudited(ctx, s, typ, in.AuthParameters["USERNAME"], func(ctx context.Context) (*AuthResponse, error) {
		return s.initiateAuth(ctx, in)
	})
}

// RespondToAuthChallenge answers a challenge of a sign-in.
func (s *Service) RespondToAuthChallenge(ctx context.Context, in RespondInput) (*AuthResponse, error) {
	return authAudited(ctx, s, EventSignIn, in.Responses["USERNAME"], func(ctx context.Context) (*AuthResponse, error) {
		return s.respondToAuthChallenge(ctx, in)
	})
}

// GetTokensFromRefreshToken refreshes tokens; with rotation it also returns
// a new refresh token.
func (s *Service) GetTokensFromRefreshToken(ctx context.Context, clientID, clientSecret, refreshToken string) (*AuthResult, error) {
	return audited(ctx, s, EventRefresh, "", func(ctx context.Context) (*AuthResult, error) {
		return s.getTokensFromRefreshToken(ctx, clientID, clientSecret, refreshToken)
	})
}

// HostedLogin checks a hosted-UI sign-in and starts a web session (see
// hostedLogin).
func (s *Service) HostedLogin(ctx context.Context, in LoginInput) (string, *WebSession, error) {
	var ws *WebSession
	cookie, err := audited(ctx, s, EventSignIn, in.Username, func(ctx context.Context) (string, error) {
		if in.Request != nil {
			if c, err := s.client(ctx, in.Request.PoolID, in.Request.ClientID); err == nil {
				noteClient(ctx, c)
			}
		}
		in.Tx = "" // no MFA step here: see HostedSignIn
		res, err := s.hostedLogin(ctx, in)
		if err != nil {
			return "", err
		}
		ws = res.Session
		return res.Cookie, nil
	})
	return cookie, ws, err
}

// OAuthToken answers the token endpoint (see oAuthToken); a refresh is
// audited as one.
func (s *Service) OAuthToken(ctx context.Context, poolID string, in TokenRequest) (*TokenResponse, error) {
	if in.GrantType != "refresh_token" {
		return s.oAuthToken(ctx, poolID, in)
	}
	return audited(ctx, s, EventRefresh, "", func(ctx context.Context) (*TokenResponse, error) {
		return s.oAuthToken(ctx, poolID, in)
	})
}

// GlobalSignOut ends every session of the access token's user.
func (s *Service) GlobalSignOut(ctx context.Context, accessToken string) error {
	return auditedErr(ctx, s, EventGlobalSignOut, "", func(ctx context.Context) error {
		return s.globalSignOut(ctx, accessToken)
	})
}

// AdminUserGlobalSignOut is GlobalSignOut by an administrator.
func (s *Service) AdminUserGlobalSignOut(ctx context.Context, poolID, username string) error {
	return auditedErr(ctx, s, EventAdminUserGlobalSignOut, username, func(ctx context.Context) error {
		return s.adminUserGlobalSignOut(ctx, poolID, username)
	})
}

// RevokeToken revokes the token family of a refresh token.
func (s *Service) RevokeToken(ctx context.Context, raw, clientID, clientSecret string) error {
	return auditedErr(ctx, s, EventRevokeToken, "", func(ctx context.Context) error {
		return s.revokeToken(ctx, raw, clientID, clientSecret)
	})
}

// OAuthRevoke is /oauth2/revoke (see oAuthRevoke).
func (s *Service) OAuthRevoke(ctx context.Context, poolID, raw, clientID, clientSecret string) error {
	return auditedErr(ctx, s, EventRevokeToken, "", func(ctx context.Context) error {
		return s.oAuthRevoke(ctx, poolID, raw, clientID, clientSecret)
	})
}

// ChangePassword changes the access token's user's password.
func (s *Service) ChangePassword(ctx context.Context, accessToken, previous, proposed string) error {
	return auditedErr(ctx, s, EventPasswordChange, "", func(ctx context.Context) error {
		return s.changePassword(ctx, accessToken, previous, proposed)
	})
}

// DeleteUser deletes the access token's user.
func (s *Service) DeleteUser(ctx context.Context, accessToken string) error {
	return auditedErr(ctx, s, EventDeleteUser, "", func(ctx context.Context) error {
		return s.deleteUser(ctx, accessToken)
	})
}

// SignUp registers a user.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (*SignUpResult, error) {
	return audited(ctx, s, EventSignUp, in.Username, func(ctx context.Context) (*SignUpResult, error) {
		return s.signUp(ctx, in)
	})
}

// ConfirmSignUp confirms a user with the code from SignUp.
func (s *Service) ConfirmSignUp(ctx context.Context, in ConfirmSignUpInput) error {
	return auditedErr(ctx, s, EventConfirmSignUp, in.Username, func(ctx context.Context) error {
		return s.confirmSignUp(ctx, in)
	})
}

// ResendConfirmationCode sends the sign-up code again.
func (s *Service) ResendConfirmationCode(ctx context.Context, clientID, secretHashValue, username string) (*CodeDelivery, error) {
	return audited(ctx, s, EventResendCode, username, func(ctx context.Context) (*CodeDelivery, error) {
		return s.resendConfirmationCode(ctx, clientID, secretHashValue, username)
	})
}

// AdminConfirmSignUp confirms a user without a code.
func (s *Service) AdminConfirmSignUp(ctx context.Context, poolID, username string) error {
	return auditedErr(ctx, s, EventAdminConfirmSignUp, username, func(ctx context.Context) error {
		return s.adminConfirmSignUp(ctx, poolID, username)
	})
}

// AdminCreateUser creates a user (see adminCreateUser).
func (s *Service) AdminCreateUser(ctx context.Context, in AdminCreateUserInput) (*User, error) {
	return audited(ctx, s, EventAdminCreateUser, in.Username, func(ctx context.Context) (*User, error) {
		u, err := s.adminCreateUser(ctx, in)
		if err == nil {
			if e := auditOf(ctx); e != nil {
				e.ev.Username, e.ev.Sub = u.Username, u.Sub
			}
		}
		return u, err
	})
}

// AdminSetUserPassword sets a user's password (see adminSetUserPassword).
func (s *Service) AdminSetUserPassword(ctx context.Context, poolID, username, password string, permanent bool) error {
	return auditedErr(ctx, s, EventAdminSetUserPassword, username, func(ctx context.Context) error {
		return s.adminSetUserPassword(ctx, poolID, username, password, permanent)
	})
}

// AdminResetUserPassword makes a user reset the password (see
// adminResetUserPassword).
func (s *Service) AdminResetUserPassword(ctx context.Context, poolID, username string) error {
	return auditedErr(ctx, s, EventAdminResetUserPassword, username, func(ctx context.Context) error {
		return s.adminResetUserPassword(ctx, poolID, username)
	})
}

// AdminDeleteUser deletes a user.
func (s *Service) AdminDeleteUser(ctx context.Context, poolID, username string) error {
	return auditedErr(ctx, s, EventAdminDeleteUser, username, func(ctx context.Context) error {
		return s.adminDeleteUser(ctx, poolID, username)
	})
}

// AdminSetUserEnabled enables or disables a user (see adminSetUserEnabled).
func (s *Service) AdminSetUserEnabled(ctx context.Context, poolID, username string, enabled bool) error {
	typ := EventAdminDisableUser
	if enabled {
		typ = EventAdminEnableUser
	}
	return auditedErr(ctx, s, typ, username, func(ctx context.Context) error {
		return s.adminSetUserEnabled(ctx, poolID, username, enabled)
	})
}

// AdminUpdateUserAttributes changes a user's attributes.
func (s *Service) AdminUpdateUserAttributes(ctx context.Context, poolID, username string, attrs []Attribute) error {
	return auditedErr(ctx, s, EventAdminUpdateUserAttributes, username, func(ctx context.Context) error {
		return s.adminUpdateUserAttributes(ctx, poolID, username, attrs)
	})
}

// AdminDeleteUserAttributes deletes attributes of a user.
func (s *Service) AdminDeleteUserAttributes(ctx context.Context, poolID, username string, names []string) error {
	return auditedErr(ctx, s, EventAdminDeleteUserAttributes, username, func(ctx context.Context) error {
		return s.adminDeleteUserAttributes(ctx, poolID, username, names)
	})
}
