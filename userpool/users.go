package userpool

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/srp"
	"github.com/cognate-dev/cognate/store"
)

// User statuses.
const (
	StatusUnconfirmed         = "UNCONFIRMED"
	StatusConfirmed           = "CONFIRMED"
	StatusForceChangePassword = "FORCE_CHANGE_PASSWORD"
)

// Attribute is one user attribute.
type Attribute struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// User is a user as the API shows it.
type User struct {
	Username         string
	Sub              string
	Status           string
	Enabled          bool
	Attributes       []Attribute // sub first, then by name
	CreationDate     time.Time
	LastModifiedDate time.Time
	// PendingCode is the unexpired confirmation code; set only in dev mode.
	PendingCode string
}

// CodeDelivery says where a code went (Cognito's CodeDeliveryDetails).
type CodeDelivery struct {
	Destination    string `json:"Destination"`
	DeliveryMedium string `json:"DeliveryMedium"`
	AttributeName  string `json:"AttributeName"`
}

const codeValidity = 24 * time.Hour

var standardAttributes = []string{
	"address", "birthdate", "email", "email_verified", "family_name", "gender", "given_name", "locale",
	"middle_name", "name", "nickname", "phone_number", "phone_number_verified", "picture",
	"preferred_username", "profile", "updated_at", "website", "zoneinfo",
}

func (s *Service) toUser(u *store.User) *User {
	out := &User{Username: u.Username, Sub: u.Sub, Status: u.Status, Enabled: u.Enabled,
		CreationDate: u.CreatedAt, LastModifiedDate: u.UpdatedAt}
	out.Attributes = append(out.Attributes, Attribute{Name: "sub", Value: u.Sub})
	names := make([]string, 0, len(u.Attributes))
	for k := range u.Attributes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		out.Attributes = append(out.Attributes, Attribute{Name: k, Value: u.Attributes[k]})
	}
	if s.devMode && u.Code != "" && s.now().Before(u.CodeExpiresAt) && u.Status == StatusUnconfirmed {
		out.PendingCode = u.Code
	}
	return out
}

// usernameKey applies the pool's case rule to a username.
func usernameKey(p *Pool, username string) string {
	if p.Config.caseSensitive() {
		return username
	}
	return strings.ToLower(username)
}

func validUsername(name string) error {
	if name == "" {
		return invalidParam("1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null")
	}
	if utf8.RuneCountInString(name) > 128 || !utf8.ValidString(name) {
		return invalidParam("1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128")
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return invalidParam("1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+")
		}
	}
	return nil
}

// checkAttributes validates attribute names and values given by a caller.
func checkAttributes(attrs []Attribute) (map[string]string, error) {
	out := make(map[string]string, len(attrs))
	for _, a := range attrs {
		switch {
		case a.Name == "sub":
			return nil, invalidParam("Cannot modify the non-mutable attribute sub")
		case strings.HasPrefix(a.Name, "custom:"):
			if len(a.Name) > 32+len("custom:") || len(a.Name) == len("custom:") {
				return nil, invalidParam("Attribute name %q is invalid", a.Name)
			}
		case !slices.Contains(standardAttributes, a.Name):
			return nil, invalidParam("Attributes did not conform to the schema: %s: Attribute does not exist in the schema.", a.Name)
		}
		if len(a.Value) > 2048 || !utf8.ValidString(a.Value) {
			return nil, invalidParam("Attribute value for %s is too long or not valid UTF-8", a.Name)
		}
		if strings.HasSuffix(a.Name, "_verified") && a.Value != "true" && a.Value != "false" {
			return nil, invalidParam("Attribute %s must be true or false", a.Name)
		}
		if a.Name == "email" && (!strings.Contains(a.Value, "@") || strings.ContainsAny(a.Value, " \t\r\n")) {
			return nil, invalidParam("Invalid email address format.")
		}
		out[a.Name] = a.Value
	}
	return out, nil
}

// checkPasswordPolicy enforces the pool's password policy with Cognito's messages.
func checkPasswordPolicy(p *Pool, password string) error {
	if password == "" {
		return invalidParam("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must not be null")
	}
	if len(password) > 256 {
		return invalidParam("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	pp := p.Config.Policies.PasswordPolicy
	const prefix = "Password does not conform to policy: "
	if utf8.RuneCountInString(password) < pp.MinimumLength {
		return newErr(CodeInvalidPassword, prefix+"Password not long enough")
	}
	has := func(f func(rune) bool) bool { return strings.IndexFunc(password, f) >= 0 }
	if pp.RequireLowercase && !has(unicode.IsLower) {
		return newErr(CodeInvalidPassword, prefix+"Password must have lowercase characters")
	}
	if pp.RequireUppercase && !has(unicode.IsUpper) {
		return newErr(CodeInvalidPassword, prefix+"Password must have uppercase characters")
	}
	if pp.RequireNumbers && !has(unicode.IsDigit) {
		return newErr(CodeInvalidPassword, prefix+"Password must have numeric characters")
	}
	if pp.RequireSymbols && !has(func(r rune) bool { return strings.ContainsRune("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-", r) || r == ' ' }) {
		return newErr(CodeInvalidPassword, prefix+"Password must have symbol characters")
	}
	return nil
}

// setPassword stores the argon2id hash and the SRP verifier of a password.
func (s *Service) setPassword(u *store.User, password string) error {
	h, err := hashPassword(password, s.hash)
	if err != nil {
		return err
	}
	salt, err := srp.NewSalt()
	if err != nil {
		return fmt.Errorf("srp salt: %w", err)
	}
	v := srp.Verifier(srp.PoolName(u.PoolID), u.Username, password, salt)
	u.PasswordHash = h
	u.SRPSalt = srp.SaltHex(salt)
	u.SRPVerifier = encodeVerifier(v)
	return nil
}

// verifierPrefix marks a base64 SRP verifier. Hex (the older form, still
// read) made a user row too long for one SQLite page, so every user read on
// the access-token hot path paid an overflow-page read.
const verifierPrefix = "b64:"

func encodeVerifier(v *big.Int) string {
	return verifierPrefix + base64.RawStdEncoding.EncodeToString(v.Bytes())
}

func decodeVerifier(s string) (*big.Int, bool) {
	if rest, ok := strings.CutPrefix(s, verifierPrefix); ok {
		b, err := base64.RawStdEncoding.DecodeString(rest)
		if err != nil || len(b) == 0 {
			return nil, false
		}
		return new(big.Int).SetBytes(b), true
	}
	return new(big.Int).SetString(s, 16)
}

// secretHash is Cognito's SECRET_HASH.
func secretHash(secret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// checkSecretHash verifies SECRET_HASH for clients that have a secret. Any of
// the usernames may have been used (username, or sub for refresh).
func checkSecretHash(c *Client, given string, usernames ...string) error {
	if c.Secret == "" {
		return nil
	}
	for _, u := range usernames {
		want := secretHash(c.Secret, u, c.ID)
		if subtle.ConstantTimeCompare([]byte(want), []byte(given)) == 1 {
			return nil
		}
	}
	return notAuthorized("Unable to verify secret hash for client " + c.ID)
}

// getUser loads a user by username, applying the pool's case rule.
func (s *Service) getUser(ctx context.Context, p *Pool, username string) (*store.User, error) {
	if err := validUsername(username); err != nil {
		return nil, err
	}
	u, err := s.st.GetUser(ctx, p.ID, usernameKey(p, username))
	if errors.Is(err, store.ErrNotFound) {
		return nil, newErr(CodeUserNotFound, MsgUserNotExist)
	}
	if err != nil {
		return nil, internal("get user", err)
	}
	return u, nil
}

// poolUser loads a pool and one of its users: the prologue of every admin
// operation on a user.
func (s *Service) poolUser(ctx context.Context, poolID, username string) (*Pool, *store.User, error) {
	p, err := s.pool(ctx, poolID)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.getUser(ctx, p, username)
	if err != nil {
		return nil, nil, err
	}
	return p, u, nil
}

// SignUpInput is what SignUp takes.
type SignUpInput struct {
	ClientID, SecretHash, Username, Password string
	Attributes                               []Attribute
}

// SignUpResult is SignUp's answer.
type SignUpResult struct {
	UserConfirmed bool
	UserSub       string
	Delivery      *CodeDelivery
}

// SignUp registers an unconfirmed user and issues a confirmation code.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (*SignUpResult, error) {
	c, err := s.client(ctx, "", in.ClientID)
	if err != nil {
		return nil, err
	}
	if err := checkSecretHash(c, in.SecretHash, in.Username); err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	if err := validUsername(in.Username); err != nil {
		return nil, err
	}
	attrs, err := checkAttributes(in.Attributes)
	if err != nil {
		return nil, err
	}
	if err := checkPasswordPolicy(p, in.Password); err != nil {
		return nil, err
	}
	delete(attrs, "email_verified")
	delete(attrs, "phone_number_verified")
	now := s.now().UTC()
	u := &store.User{PoolID: p.ID, Username: usernameKey(p, in.Username), Sub: newUUID(), Status: StatusUnconfirmed,
		Enabled: true, Attributes: attrs, Code: newCode(), CodeExpiresAt: now.Add(codeValidity), CreatedAt: now, UpdatedAt: now}
	if err := s.setPassword(u, in.Password); err != nil {
		return nil, internal("sign up", err)
	}
	if err := s.st.CreateUser(ctx, u); errors.Is(err, store.ErrConflict) {
		return nil, newErr(CodeUsernameExists, "User already exists")
	} else if err != nil {
		return nil, internal("sign up", err)
	}
	s.logCode(p.ID, u.Username, u.Code)
	return &SignUpResult{UserSub: u.Sub, Delivery: delivery(p, attrs)}, nil
}

func (s *Service) logCode(poolID, username, code string) {
	if s.devMode {
		// Dev mode sends no mail: the operator reads the code here or via AdminGetUser.
		s.log.Info("confirmation code issued (dev mode)", "pool", poolID, "username", username, "code", code)
	}
}

// delivery describes where Cognito would have sent the code.
func delivery(p *Pool, attrs map[string]string) *CodeDelivery {
	for _, a := range p.Config.AutoVerifiedAttributes {
		v := attrs[a]
		if v == "" {
			continue
		}
		medium := "EMAIL"
		if a == "phone_number" {
			medium = "SMS"
		}
		return &CodeDelivery{Destination: mask(v), DeliveryMedium: medium, AttributeName: a}
	}
	return nil
}

// mask hides most of an address the way Cognito does (a***@e***).
func mask(v string) string {
	if at := strings.IndexByte(v, '@'); at > 0 && at+1 < len(v) {
		return v[:1] + "***@" + v[at+1:at+2] + "***"
	}
	if len(v) > 4 {
		return "+*******" + v[len(v)-4:]
	}
	return "***"
}

// ConfirmSignUp confirms a user with the code from SignUp.
func (s *Service) ConfirmSignUp(ctx context.Context, clientID, secretHashValue, username, code string) error {
	c, err := s.client(ctx, "", clientID)
	if err != nil {
		return err
	}
	if err := checkSecretHash(c, secretHashValue, username); err != nil {
		return err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return err
	}
	u, err := s.getUser(ctx, p, username)
	if err != nil {
		return err
	}
	if u.Status != StatusUnconfirmed {
		return notAuthorized("User cannot be confirmed. Current status is " + u.Status)
	}
	if u.Code == "" || subtle.ConstantTimeCompare([]byte(u.Code), []byte(code)) != 1 {
		return newErr(CodeCodeMismatch, "Invalid verification code provided, please try again.")
	}
	if !s.now().Before(u.CodeExpiresAt) {
		return newErr(CodeExpiredCode, "Invalid code provided, please request a code again.")
	}
	return s.confirm(ctx, p, u)
}

func (s *Service) confirm(ctx context.Context, p *Pool, u *store.User) error {
	u.Status, u.Code, u.CodeExpiresAt, u.UpdatedAt = StatusConfirmed, "", time.Time{}, s.now().UTC()
	for _, a := range p.Config.AutoVerifiedAttributes {
		if u.Attributes[a] != "" {
			u.Attributes[a+"_verified"] = "true"
		}
	}
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return internal("confirm user", err)
	}
	return nil
}

// AdminConfirmSignUp confirms a user without a code.
func (s *Service) AdminConfirmSignUp(ctx context.Context, poolID, username string) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if u.Status != StatusUnconfirmed {
		return notAuthorized("User cannot be confirmed. Current status is " + u.Status)
	}
	return s.confirm(ctx, p, u)
}

// AdminCreateUserInput is what AdminCreateUser takes.
type AdminCreateUserInput struct {
	PoolID, Username, TemporaryPassword, MessageAction string
	Attributes                                         []Attribute
}

// AdminCreateUser creates a user in FORCE_CHANGE_PASSWORD state.
func (s *Service) AdminCreateUser(ctx context.Context, in AdminCreateUserInput) (*User, error) {
	p, err := s.pool(ctx, in.PoolID)
	if err != nil {
		return nil, err
	}
	if err := validUsername(in.Username); err != nil {
		return nil, err
	}
	if in.MessageAction != "" && in.MessageAction != "SUPPRESS" && in.MessageAction != "RESEND" {
		return nil, invalidParam("1 validation error detected: Value '%s' at 'messageAction' failed to satisfy constraint: Member must satisfy enum value set: [RESEND, SUPPRESS]", in.MessageAction)
	}
	attrs, err := checkAttributes(in.Attributes)
	if err != nil {
		return nil, err
	}
	temp := in.TemporaryPassword
	if temp == "" {
		temp = randomString(alnum, 10) + "a1A!"
	} else if err := checkPasswordPolicy(p, temp); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	days := p.Config.Policies.PasswordPolicy.TemporaryPasswordValidityDays
	if in.MessageAction == "RESEND" {
		u, err := s.getUser(ctx, p, in.Username)
		if err != nil {
			return nil, err
		}
		if u.Status != StatusForceChangePassword {
			return nil, newErr(CodeUnsupportedUserState, "Resend not possible. %s status is not FORCE_CHANGE_PASSWORD", u.Username)
		}
		if err := s.setPassword(u, temp); err != nil {
			return nil, internal("admin create user", err)
		}
		u.CodeExpiresAt, u.UpdatedAt = now.Add(time.Duration(days)*24*time.Hour), now
		if err := s.st.UpdateUser(ctx, u); err != nil {
			return nil, internal("admin create user", err)
		}
		s.logTemp(p.ID, u.Username, temp, in.TemporaryPassword == "")
		return s.toUser(u), nil
	}
	// The temporary password expires: CodeExpiresAt holds that deadline
	// while the user is in FORCE_CHANGE_PASSWORD.
	u := &store.User{PoolID: p.ID, Username: usernameKey(p, in.Username), Sub: newUUID(), Status: StatusForceChangePassword,
		Enabled: true, Attributes: attrs, CodeExpiresAt: now.Add(time.Duration(days) * 24 * time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := s.setPassword(u, temp); err != nil {
		return nil, internal("admin create user", err)
	}
	if err := s.st.CreateUser(ctx, u); errors.Is(err, store.ErrConflict) {
		return nil, newErr(CodeUsernameExists, "User account already exists")
	} else if err != nil {
		return nil, internal("admin create user", err)
	}
	s.logTemp(p.ID, u.Username, temp, in.TemporaryPassword == "")
	return s.toUser(u), nil
}

func (s *Service) logTemp(poolID, username, temp string, generated bool) {
	if s.devMode && generated {
		s.log.Info("temporary password generated (dev mode)", "pool", poolID, "username", username, "temporary_password", temp)
	}
}

// AdminSetUserPassword sets a permanent or temporary password.
func (s *Service) AdminSetUserPassword(ctx context.Context, poolID, username, password string, permanent bool) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if err := checkPasswordPolicy(p, password); err != nil {
		return err
	}
	if err := s.setPassword(u, password); err != nil {
		return internal("set password", err)
	}
	now := s.now().UTC()
	u.UpdatedAt = now
	if permanent {
		u.Status, u.CodeExpiresAt, u.Code = StatusConfirmed, time.Time{}, ""
	} else {
		u.Status = StatusForceChangePassword
		u.CodeExpiresAt = now.Add(time.Duration(p.Config.Policies.PasswordPolicy.TemporaryPasswordValidityDays) * 24 * time.Hour)
	}
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return internal("set password", err)
	}
	return nil
}

// AdminGetUser returns a user.
func (s *Service) AdminGetUser(ctx context.Context, poolID, username string) (*User, error) {
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return nil, err
	}
	return s.toUser(u), nil
}

// AdminDeleteUser deletes a user and all of their sessions.
func (s *Service) AdminDeleteUser(ctx context.Context, poolID, username string) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if err := s.st.DeleteUser(ctx, p.ID, u.Username); err != nil {
		return internal("delete user", err)
	}
	return nil
}

// AdminSetUserEnabled disables or enables a user. Disabling also ends every
// session of the user, as Cognito's AdminDisableUser does.
func (s *Service) AdminSetUserEnabled(ctx context.Context, poolID, username string, enabled bool) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	u.Enabled, u.UpdatedAt = enabled, s.now().UTC()
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return internal("set user enabled", err)
	}
	if !enabled {
		if _, err := s.st.BumpSignOutGen(ctx, p.ID, u.Username); err != nil {
			return internal("disable user", err)
		}
	}
	return nil
}

// ListUsersInput is what ListUsers takes.
type ListUsersInput struct {
	PoolID          string
	Limit           int
	PaginationToken string
	Filter          string
}

// ListUsers pages through a pool's users, with Cognito's simple filter
// language: `attr = "value"` or `attr ^= "prefix"`.
func (s *Service) ListUsers(ctx context.Context, in ListUsersInput) ([]*User, string, error) {
	p, err := s.pool(ctx, in.PoolID)
	if err != nil {
		return nil, "", err
	}
	if in.Limit == 0 {
		in.Limit = 60
	}
	if in.Limit < 1 || in.Limit > 60 {
		return nil, "", invalidParam("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 0 and 60", in.Limit)
	}
	match, err := parseFilter(in.Filter)
	if err != nil {
		return nil, "", err
	}
	after, err := decodeNext(in.PaginationToken)
	if err != nil {
		return nil, "", err
	}
	var out []*User
	for {
		rows, err := s.st.ListUsers(ctx, p.ID, after, 200)
		if err != nil {
			return nil, "", internal("list users", err)
		}
		for _, r := range rows {
			if !match(r) {
				continue
			}
			if len(out) == in.Limit {
				return out, encodeNext(out[len(out)-1].Username), nil
			}
			out = append(out, s.toUser(r))
		}
		if len(rows) < 200 {
			return out, "", nil
		}
		after = rows[len(rows)-1].Username
	}
}

func parseFilter(f string) (func(*store.User) bool, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return func(*store.User) bool { return true }, nil
	}
	op := "="
	i := strings.Index(f, "^=")
	if i >= 0 {
		op = "^="
	} else if i = strings.Index(f, "="); i < 0 {
		return nil, invalidParam("Error while parsing filter.")
	}
	attr := strings.TrimSpace(f[:i])
	val := strings.TrimSpace(f[i+len(op):])
	if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return nil, invalidParam("Error while parsing filter.")
	}
	val = val[1 : len(val)-1]
	get := func(u *store.User) string { return u.Attributes[attr] }
	switch attr {
	case "username":
		get = func(u *store.User) string { return u.Username }
	case "sub":
		get = func(u *store.User) string { return u.Sub }
	case "status":
		get = func(u *store.User) string {
			if u.Enabled {
				return "Enabled"
			}
			return "Disabled"
		}
	case "cognito:user_status":
		get = func(u *store.User) string { return u.Status }
	case "email", "phone_number", "name", "given_name", "family_name", "preferred_username":
	default:
		return nil, invalidParam("Invalid search attribute: %s", attr)
	}
	if op == "^=" {
		return func(u *store.User) bool { return strings.HasPrefix(get(u), val) }, nil
	}
	return func(u *store.User) bool { return get(u) == val }, nil
}
