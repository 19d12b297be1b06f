package userpool_test

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/userpool"
)

// TestAttributeCodeExpiryAndReplacement: an attribute verification code
// works for 24 hours, not after; a new code replaces the one before it.
func TestAttributeCodeExpiryAndReplacement(t *testing.T) {
	e := newEnv(t)
	pool, c := e.newPool(amplifyPool())
	if _, err := e.svc.SignUp(e.ctx(), userpool.SignUpInput{ClientID: c.ID, Username: "ida@example.com", Password: password}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ConfirmSignUp(e.ctx(), userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "ida@example.com",
		Code: e.lastCode(pool, "ida@example.com", message.KindSignUp)}); err != nil {
		t.Fatal(err)
	}
	tk, err := e.signInAs(c, "ida@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateUserAttributes(e.ctx(), tk.AccessToken, []userpool.Attribute{{Name: "email", Value: "ida@new.example"}}); err != nil {
		t.Fatal(err)
	}
	first := e.lastCode(pool, "ida@new.example", message.KindVerifyAttribute)
	e.clock.Advance(userpool.AttributeVerificationCodeValidity)
	if userpool.AttributeVerificationCodeValidity != 24*time.Hour {
		t.Fatalf("attribute codes live %s, want 24h", userpool.AttributeVerificationCodeValidity)
	}
	tk = e.mustSignIn(c, "ida@new.example") // the first token has expired too
	if err := e.svc.VerifyUserAttribute(e.ctx(), tk.AccessToken, "email", first); !userpool.IsKind(err, userpool.KindCodeExpired) {
		t.Fatalf("a day-old code: %v, want expired", err)
	}
	if _, err := e.svc.GetUserAttributeVerificationCode(e.ctx(), tk.AccessToken, "email"); err != nil {
		t.Fatal(err)
	}
	second := e.lastCode(pool, "ida@new.example", message.KindVerifyAttribute)
	if _, err := e.svc.GetUserAttributeVerificationCode(e.ctx(), tk.AccessToken, "email"); err != nil {
		t.Fatal(err)
	}
	third := e.lastCode(pool, "ida@new.example", message.KindVerifyAttribute)
	if second != third {
		if err := e.svc.VerifyUserAttribute(e.ctx(), tk.AccessToken, "email", second); !userpool.IsKind(err, userpool.KindCodeMismatch) {
			t.Fatalf("a replaced code: %v, want a mismatch", err)
		}
	}
	e.clock.Advance(24*time.Hour - time.Minute)
	tk = e.mustSignIn(c, "ida@new.example")
	if err := e.svc.VerifyUserAttribute(e.ctx(), tk.AccessToken, "email", third); err != nil {
		t.Fatalf("a code just short of a day old: %v", err)
	}
	if err := e.svc.VerifyUserAttribute(e.ctx(), tk.AccessToken, "email", third); !userpool.IsKind(err, userpool.KindCodeExpired) {
		t.Fatalf("a code used twice: %v, want expired", err)
	}
}

// mustSignIn signs name in with the test password.
func (e *env) mustSignIn(c *userpool.Client, name string) *userpool.AuthResult {
	e.t.Helper()
	tk, err := e.signInAs(c, name, password)
	if err != nil {
		e.t.Fatalf("sign in %s: %v", name, err)
	}
	return tk
}
