package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/auth/credstore"
)

// returnBound bounds how long a call that must "return promptly" may take. It
// is generous on purpose (a loaded 2-core machine running -race): the calls it
// guards used to block forever, so any bound separates the two.
const returnBound = 5 * time.Second

// within runs fn on its own goroutine and fails the test when it panics or has
// not returned within returnBound.
func within(t *testing.T, name string, fn func()) {
	t.Helper()
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		fn()
	}()
	select {
	case p := <-done:
		if p != nil {
			t.Errorf("%s panicked: %v", name, p)
		}
	case <-time.After(returnBound):
		t.Errorf("%s has not returned after %v", name, returnBound)
	}
}

// clientMethods lists the exported methods of *auth.Client.
func clientMethods() []string {
	typ := reflect.TypeFor[*auth.Client]()
	var names []string
	for i := range typ.NumMethod() {
		names = append(names, typ.Method(i).Name)
	}
	return names
}

// checkCovers fails when the table does not name every method in want.
func checkCovers(t *testing.T, table map[string]func(t *testing.T), want []string) {
	t.Helper()
	var missing []string
	for _, m := range want {
		if _, ok := table[m]; !ok {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("the table does not cover %v: add them", missing)
	}
}

// Rule: the methods of a Client not created with New (its zero value, or a nil
// *Client) return at once: ErrNotConfigured, a FailedSignOut carrying it, or a
// harmless zero answer. None blocks, none panics. (A zero Client used to block
// forever on its nil lock channel, and Subscribe panicked.)
func TestZeroClient_ReturnsPromptly(t *testing.T) {
	ctx := bg()
	notConfigured := func(what string, err error) error {
		if !errors.Is(err, auth.ErrNotConfigured) {
			return fmt.Errorf("%s = %v, want ErrNotConfigured", what, err)
		}
		return nil
	}
	for name, c := range map[string]*auth.Client{"zero value": new(auth.Client), "nil pointer": nil} {
		t.Run(name, func(t *testing.T) {
			check := func(t *testing.T, what string, fn func() error) {
				t.Helper()
				var err error
				within(t, what, func() { err = fn() })
				if err != nil {
					t.Error(err)
				}
			}
			table := map[string]func(t *testing.T){
				"SignIn": func(t *testing.T) {
					check(t, "SignIn", func() error {
						_, err := c.SignIn(ctx, testUser, testPassword, auth.SignInOptions{})
						return notConfigured("SignIn", err)
					})
				},
				"ConfirmSignIn": func(t *testing.T) {
					check(t, "ConfirmSignIn", func() error {
						_, err := c.ConfirmSignIn(ctx, "x", auth.ConfirmSignInOptions{})
						return notConfigured("ConfirmSignIn", err)
					})
				},
				"SignInWithWebUI": func(t *testing.T) {
					check(t, "SignInWithWebUI", func() error {
						_, err := c.SignInWithWebUI(ctx, auth.WebUISignInOptions{})
						return notConfigured("SignInWithWebUI", err)
					})
				},
				"SignUp": func(t *testing.T) {
					check(t, "SignUp", func() error {
						_, err := c.SignUp(ctx, "u", "p", auth.SignUpOptions{})
						return notConfigured("SignUp", err)
					})
				},
				"ConfirmSignUp": func(t *testing.T) {
					check(t, "ConfirmSignUp", func() error {
						_, err := c.ConfirmSignUp(ctx, "u", "1", auth.ConfirmSignUpOptions{})
						return notConfigured("ConfirmSignUp", err)
					})
				},
				"ResendSignUpCode": func(t *testing.T) {
					check(t, "ResendSignUpCode", func() error {
						_, err := c.ResendSignUpCode(ctx, "u", auth.ResendSignUpCodeOptions{})
						return notConfigured("ResendSignUpCode", err)
					})
				},
				"AutoSignIn": func(t *testing.T) {
					check(t, "AutoSignIn", func() error {
						_, err := c.AutoSignIn(ctx)
						return notConfigured("AutoSignIn", err)
					})
				},
				"ResetPassword": func(t *testing.T) {
					check(t, "ResetPassword", func() error {
						_, err := c.ResetPassword(ctx, "u", auth.ResetPasswordOptions{})
						return notConfigured("ResetPassword", err)
					})
				},
				"ConfirmResetPassword": func(t *testing.T) {
					check(t, "ConfirmResetPassword", func() error {
						return notConfigured("ConfirmResetPassword", c.ConfirmResetPassword(ctx, "u", "p", "1", auth.ConfirmResetPasswordOptions{}))
					})
				},
				"UpdatePassword": func(t *testing.T) {
					check(t, "UpdatePassword", func() error { return notConfigured("UpdatePassword", c.UpdatePassword(ctx, "a", "b")) })
				},
				"SetUpTOTP": func(t *testing.T) {
					check(t, "SetUpTOTP", func() error {
						_, err := c.SetUpTOTP(ctx)
						return notConfigured("SetUpTOTP", err)
					})
				},
				"VerifyTOTPSetup": func(t *testing.T) {
					check(t, "VerifyTOTPSetup", func() error {
						return notConfigured("VerifyTOTPSetup", c.VerifyTOTPSetup(ctx, "123456", auth.VerifyTOTPSetupOptions{}))
					})
				},
				"UpdateMFAPreference": func(t *testing.T) {
					check(t, "UpdateMFAPreference", func() error {
						return notConfigured("UpdateMFAPreference", c.UpdateMFAPreference(ctx, auth.UpdateMFAPreferenceInput{}))
					})
				},
				"FetchMFAPreference": func(t *testing.T) {
					check(t, "FetchMFAPreference", func() error {
						_, err := c.FetchMFAPreference(ctx)
						return notConfigured("FetchMFAPreference", err)
					})
				},
				"ListSessions": func(t *testing.T) {
					check(t, "ListSessions", func() error {
						_, err := c.ListSessions(ctx)
						return notConfigured("ListSessions", err)
					})
				},
				"RevokeSession": func(t *testing.T) {
					check(t, "RevokeSession", func() error { return notConfigured("RevokeSession", c.RevokeSession(ctx, "id")) })
				},
				"FetchUserAttributes": func(t *testing.T) {
					check(t, "FetchUserAttributes", func() error {
						_, err := c.FetchUserAttributes(ctx)
						return notConfigured("FetchUserAttributes", err)
					})
				},
				"UpdateUserAttributes": func(t *testing.T) {
					check(t, "UpdateUserAttributes", func() error {
						_, err := c.UpdateUserAttributes(ctx, map[string]string{"name": "x"}, auth.UpdateUserAttributesOptions{})
						return notConfigured("UpdateUserAttributes", err)
					})
				},
				"UpdateUserAttribute": func(t *testing.T) {
					check(t, "UpdateUserAttribute", func() error {
						_, err := c.UpdateUserAttribute(ctx, "name", "x", auth.UpdateUserAttributesOptions{})
						return notConfigured("UpdateUserAttribute", err)
					})
				},
				"SendUserAttributeVerificationCode": func(t *testing.T) {
					check(t, "SendUserAttributeVerificationCode", func() error {
						_, err := c.SendUserAttributeVerificationCode(ctx, "email")
						return notConfigured("SendUserAttributeVerificationCode", err)
					})
				},
				"ConfirmUserAttribute": func(t *testing.T) {
					check(t, "ConfirmUserAttribute", func() error {
						return notConfigured("ConfirmUserAttribute", c.ConfirmUserAttribute(ctx, "email", "1"))
					})
				},
				"DeleteUserAttributes": func(t *testing.T) {
					check(t, "DeleteUserAttributes", func() error {
						return notConfigured("DeleteUserAttributes", c.DeleteUserAttributes(ctx, []string{"name"}))
					})
				},
				"FetchAuthSession": func(t *testing.T) {
					check(t, "FetchAuthSession", func() error {
						s, err := c.FetchAuthSession(ctx, auth.FetchAuthSessionOptions{ForceRefresh: true})
						if s.SignedIn {
							return errors.New("FetchAuthSession: signed in")
						}
						return notConfigured("FetchAuthSession", err)
					})
				},
				"CurrentUser": func(t *testing.T) {
					check(t, "CurrentUser", func() error {
						_, err := c.CurrentUser(ctx)
						return notConfigured("CurrentUser", err)
					})
				},
				"DeleteUser": func(t *testing.T) {
					check(t, "DeleteUser", func() error { return notConfigured("DeleteUser", c.DeleteUser(ctx)) })
				},
				"FetchDevices": func(t *testing.T) {
					check(t, "FetchDevices", func() error {
						_, err := c.FetchDevices(ctx)
						return notConfigured("FetchDevices", err)
					})
				},
				"RememberDevice": func(t *testing.T) {
					check(t, "RememberDevice", func() error { return notConfigured("RememberDevice", c.RememberDevice(ctx)) })
				},
				"ForgetDevice": func(t *testing.T) {
					check(t, "ForgetDevice", func() error { return notConfigured("ForgetDevice", c.ForgetDevice(ctx, "")) })
				},
				"SignOut": func(t *testing.T) {
					check(t, "SignOut", func() error {
						r := c.SignOut(ctx, auth.SignOutOptions{Global: true})
						f, ok := r.(auth.FailedSignOut)
						if !ok {
							return fmt.Errorf("SignOut = %#v, want FailedSignOut", r)
						}
						return notConfigured("SignOut", f.Cause)
					})
				},
				"Subscribe": func(t *testing.T) {
					check(t, "Subscribe", func() error {
						unsubscribe := c.Subscribe(func(auth.Event) {})
						if unsubscribe == nil {
							return errors.New("Subscribe returned a nil function")
						}
						unsubscribe()
						return nil
					})
				},
				"Close": func(t *testing.T) {
					check(t, "Close", func() error { return notConfigured("Close", c.Close()) })
				},
				"CognitoClient": func(t *testing.T) {
					check(t, "CognitoClient", func() error {
						if cc := c.CognitoClient(); cc != nil {
							return errors.New("CognitoClient is not nil")
						}
						return nil
					})
				},
				"UserPoolID": func(t *testing.T) {
					check(t, "UserPoolID", func() error {
						if id := c.UserPoolID(); id != "" {
							return fmt.Errorf("UserPoolID = %q", id)
						}
						return nil
					})
				},
				"ClientID": func(t *testing.T) {
					check(t, "ClientID", func() error {
						if id := c.ClientID(); id != "" {
							return fmt.Errorf("ClientID = %q", id)
						}
						return nil
					})
				},
			}
			checkCovers(t, table, clientMethods())
			for name, fn := range table {
				t.Run(name, fn)
			}
		})
	}
}

// ctxMethods lists the exported methods of *auth.Client whose first parameter
// is a context.Context.
func ctxMethods() []string {
	typ := reflect.TypeFor[*auth.Client]()
	ctxType := reflect.TypeFor[context.Context]()
	var names []string
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		if m.Type.NumIn() > 1 && m.Type.In(1) == ctxType { // In(0) is the receiver
			names = append(names, m.Name)
		}
	}
	return names
}

// Rule: every exported method taking a context treats a nil one as
// context.Background(), as SignOut always did: none panics, and the calls work.
// (SignIn(nil, ...) used to panic in context.WithTimeout.)
func TestNilContext_IsBackground(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	var nilCtx context.Context // a nil context, as a caller may pass one
	run := func(t *testing.T, name string, fn func() error) {
		t.Helper()
		var err error
		within(t, name, func() { err = fn() })
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Run in this order: each step needs the state the one before left.
	steps := []struct {
		method string
		fn     func() error
	}{
		{"SignUp", func() error {
			_, err := c.SignUp(nilCtx, "carol", "Carol-Passw0rd!", auth.SignUpOptions{})
			return err
		}},
		{"ConfirmSignUp", func() error {
			if _, err := c.ConfirmSignUp(nilCtx, "carol", "000000", auth.ConfirmSignUpOptions{}); !auth.IsServiceError(err, "CodeMismatchException") {
				return fmt.Errorf("want CodeMismatchException from the server, got %v", err)
			}
			return nil
		}},
		{"ResendSignUpCode", func() error {
			// This pool verifies nothing automatically: the server sends no code.
			if _, err := c.ResendSignUpCode(nilCtx, "carol", auth.ResendSignUpCodeOptions{}); !auth.IsServiceError(err, "InvalidParameterException") {
				return fmt.Errorf("want InvalidParameterException from the server, got %v", err)
			}
			return nil
		}},
		{"AutoSignIn", func() error {
			if _, err := c.AutoSignIn(nilCtx); !errors.Is(err, auth.ErrNoAutoSignIn) {
				return fmt.Errorf("want ErrNoAutoSignIn (SignUp without AutoSignIn), got %v", err)
			}
			return nil
		}},
		{"ResetPassword", func() error {
			// alice's e-mail is not verified: the server refuses to send a code.
			if _, err := c.ResetPassword(nilCtx, testUser, auth.ResetPasswordOptions{}); !auth.IsServiceError(err, "InvalidParameterException") {
				return fmt.Errorf("want InvalidParameterException from the server, got %v", err)
			}
			return nil
		}},
		{"ConfirmResetPassword", func() error {
			err := c.ConfirmResetPassword(nilCtx, testUser, "New-Passw0rd!", "000000", auth.ConfirmResetPasswordOptions{})
			if _, ok := auth.ServiceErrorCode(err); !ok {
				return fmt.Errorf("want an answer from the server (no code was sent), got %v", err)
			}
			return nil
		}},
		{"SignIn", func() error {
			r, err := c.SignIn(nilCtx, testUser, testPassword, auth.SignInOptions{})
			if err == nil && !r.SignedIn {
				return errors.New("not signed in")
			}
			return err
		}},
		{"CurrentUser", func() error {
			u, err := c.CurrentUser(nilCtx)
			if err == nil && u.Username != testUser {
				return fmt.Errorf("user %q", u.Username)
			}
			return err
		}},
		{"FetchAuthSession", func() error {
			s, err := c.FetchAuthSession(nilCtx, auth.FetchAuthSessionOptions{ForceRefresh: true})
			if err == nil && !s.SignedIn {
				return errors.New("not signed in")
			}
			return err
		}},
		{"ConfirmSignIn", func() error {
			if _, err := c.ConfirmSignIn(nilCtx, "New-Passw0rd!", auth.ConfirmSignInOptions{}); !errors.Is(err, auth.ErrInvalidState) {
				return fmt.Errorf("want ErrInvalidState (no challenge pending), got %v", err)
			}
			return nil
		}},
		{"SignInWithWebUI", func() error {
			if _, err := c.SignInWithWebUI(nilCtx, auth.WebUISignInOptions{}); !errors.Is(err, auth.ErrInvalidParameter) {
				return fmt.Errorf("want ErrInvalidParameter (no hosted UI configured), got %v", err)
			}
			return nil
		}},
		{"UpdatePassword", func() error { return c.UpdatePassword(nilCtx, testPassword, testPassword) }},
		{"SetUpTOTP", func() error {
			d, err := c.SetUpTOTP(nilCtx)
			if err == nil && len(d.SharedSecret) != 32 {
				return fmt.Errorf("secret of %d characters", len(d.SharedSecret))
			}
			return err
		}},
		{"VerifyTOTPSetup", func() error {
			if err := c.VerifyTOTPSetup(nilCtx, "000000", auth.VerifyTOTPSetupOptions{}); !auth.IsServiceError(err, "EnableSoftwareTokenMFAException") {
				return fmt.Errorf("want EnableSoftwareTokenMFAException from the server, got %v", err)
			}
			return nil
		}},
		{"UpdateMFAPreference", func() error {
			return c.UpdateMFAPreference(nilCtx, auth.UpdateMFAPreferenceInput{TOTP: auth.MFAPreferenceDisabled})
		}},
		{"FetchMFAPreference", func() error {
			p, err := c.FetchMFAPreference(nilCtx)
			if err == nil && (len(p.Enabled) != 0 || p.Preferred != "") {
				return fmt.Errorf("preferences %+v", p)
			}
			return err
		}},
		{"FetchUserAttributes", func() error {
			a, err := c.FetchUserAttributes(nilCtx)
			if err == nil && a["email"] != testUser+"@example.com" {
				return fmt.Errorf("attributes %v", a)
			}
			return err
		}},
		{"UpdateUserAttributes", func() error {
			_, err := c.UpdateUserAttributes(nilCtx, map[string]string{"name": "Alice"}, auth.UpdateUserAttributesOptions{})
			return err
		}},
		{"UpdateUserAttribute", func() error {
			_, err := c.UpdateUserAttribute(nilCtx, "name", "Alice A.", auth.UpdateUserAttributesOptions{})
			return err
		}},
		{"DeleteUserAttributes", func() error { return c.DeleteUserAttributes(nilCtx, []string{"name"}) }},
		{"ListSessions", func() error {
			list, err := c.ListSessions(nilCtx)
			if err == nil && len(list) == 0 {
				return errors.New("no sessions")
			}
			return err
		}},
		{"RevokeSession", func() error {
			// Another session's id: this one stays signed in for the steps after.
			if err := c.RevokeSession(nilCtx, "00000000-0000-4000-8000-000000000000"); !auth.IsServiceError(err, "ResourceNotFoundException") {
				return fmt.Errorf("want ResourceNotFoundException, got %v", err)
			}
			return nil
		}},
		// This pool tracks no devices (devices_test.go covers those that do).
		{"FetchDevices", func() error {
			_, err := c.FetchDevices(nilCtx)
			return err
		}},
		{"RememberDevice", func() error {
			if err := c.RememberDevice(nilCtx); !errors.Is(err, auth.ErrInvalidState) {
				return fmt.Errorf("want ErrInvalidState (no device), got %v", err)
			}
			return nil
		}},
		{"ForgetDevice", func() error {
			if err := c.ForgetDevice(nilCtx, ""); !errors.Is(err, auth.ErrInvalidState) {
				return fmt.Errorf("want ErrInvalidState (no device), got %v", err)
			}
			return nil
		}},
		{"SendUserAttributeVerificationCode", func() error {
			d, err := c.SendUserAttributeVerificationCode(nilCtx, "email")
			if err == nil && d.AttributeName != "email" {
				return fmt.Errorf("delivery %+v", d)
			}
			return err
		}},
		{"ConfirmUserAttribute", func() error {
			if err := c.ConfirmUserAttribute(nilCtx, "email", "000000x"); !auth.IsServiceError(err, "CodeMismatchException") {
				return fmt.Errorf("want CodeMismatchException from the server, got %v", err)
			}
			return nil
		}},
		{"SignOut", func() error { return c.SignOut(nilCtx, auth.SignOutOptions{}).Err() }},
		{"DeleteUser", func() error {
			if _, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{}); err != nil {
				return err
			}
			return c.DeleteUser(nilCtx)
		}},
	}
	var covered []string
	for _, s := range steps {
		covered = append(covered, s.method)
		run(t, s.method, s.fn)
	}
	want := ctxMethods()
	sort.Strings(covered)
	sort.Strings(want)
	if !slices.Equal(covered, want) {
		t.Fatalf("steps cover %v; the context-taking methods are %v", covered, want)
	}

	// The exported browsers follow the same rule.
	var gotCtx atomic.Value
	noBrowser := func(string) error { return errors.New("no browser here") }
	redirect := deadAddress(t) + "/callback"
	run(t, "LoopbackBrowser.OpenSignIn", func() error {
		_, err := auth.LoopbackBrowser{Open: noBrowser}.OpenSignIn(nilCtx, "https://auth.example.test/oauth2/authorize?state=s", redirect)
		if !errors.Is(err, auth.ErrBrowserUnavailable) {
			return fmt.Errorf("want ErrBrowserUnavailable, got %v", err)
		}
		return nil
	})
	run(t, "LoopbackBrowser.OpenSignOut", func() error {
		err := auth.LoopbackBrowser{Open: noBrowser}.OpenSignOut(nilCtx, "https://auth.example.test/logout", redirect)
		if !errors.Is(err, auth.ErrBrowserUnavailable) {
			return fmt.Errorf("want ErrBrowserUnavailable, got %v", err)
		}
		return nil
	})
	run(t, "PrintURLBrowser.OpenSignOut", func() error {
		err := auth.PrintURLBrowser{W: failingWriter{}}.OpenSignOut(nilCtx, "https://auth.example.test/logout", redirect)
		if !errors.Is(err, auth.ErrBrowserUnavailable) {
			return fmt.Errorf("want ErrBrowserUnavailable, got %v", err)
		}
		return nil
	})
	run(t, "PrintURLBrowser.OpenSignIn", func() error {
		_, err := auth.PrintURLBrowser{W: failingWriter{}}.OpenSignIn(nilCtx, "https://auth.example.test/oauth2/authorize", redirect)
		if !errors.Is(err, auth.ErrBrowserUnavailable) {
			return fmt.Errorf("want ErrBrowserUnavailable, got %v", err)
		}
		return nil
	})
	run(t, "BrowserFunc.OpenSignOut", func() error {
		return auth.BrowserFunc(func(ctx context.Context, _, _ string) error {
			gotCtx.Store(ctx != nil)
			return nil
		}).OpenSignOut(nilCtx, "u", "r")
	})
	if got, _ := gotCtx.Load().(bool); !got {
		t.Error("BrowserFunc passed a nil context on")
	}
	gotCtx.Store(false)
	run(t, "SignInBrowserFunc.OpenSignIn", func() error {
		_, err := auth.SignInBrowserFunc(func(ctx context.Context, _, _ string) (string, error) {
			gotCtx.Store(ctx != nil)
			return "", nil
		}).OpenSignIn(nilCtx, "u", "r")
		return err
	})
	if got, _ := gotCtx.Load().(bool); !got {
		t.Error("SignInBrowserFunc passed a nil context on")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// settledGoroutines waits until the goroutine count is at most limit, polling
// for up to returnBound (goroutines that were told to stop need a moment to be
// scheduled and exit), and returns the last count.
func settledGoroutines(limit int) int {
	deadline := time.Now().Add(returnBound)
	n := runtime.NumGoroutine()
	for n > limit && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// stableGoroutines returns the goroutine count once it has stopped falling.
func stableGoroutines() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m >= n {
			return m
		}
		n = m
	}
	return n
}

// Rule: Close ends a Client's background work. 20 clients that subscribed and
// signed in leave no goroutine behind once closed (subscriber goroutines and
// kept-alive connections, on the client's side and the server's, used to stay:
// 72 goroutines for 20 clients). After Close the methods fail with ErrClosed,
// subscriptions are over, and the stored session is left for the next Client.
func TestClose_EndsBackgroundWork(t *testing.T) {
	e := newEnv(t)
	newClient := func() *auth.Client {
		return e.client(t, func(c *auth.Config) { c.Store = credstore.NewMemory() }) // one user per client
	}
	// Warm up, so that the baseline holds what the server and the proxy keep
	// for themselves (the proxy's connection to the server, say).
	warm := newClient()
	if _, err := warm.SignIn(bg(), testUser, testPassword, auth.SignInOptions{AuthFlow: auth.AuthFlowUserPassword}); err != nil {
		t.Fatal(err)
	}
	if err := warm.Close(); err != nil {
		t.Fatal(err)
	}
	baseline := stableGoroutines()

	const n = 20
	clients := make([]*auth.Client, n)
	var delivered atomic.Int32
	for i := range clients {
		c := newClient()
		c.Subscribe(func(auth.Event) { delivered.Add(1) })
		if _, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{AuthFlow: auth.AuthFlowUserPassword}); err != nil {
			t.Fatalf("client %d: SignIn: %v", i, err)
		}
		clients[i] = c
	}
	deadline := time.Now().Add(returnBound)
	for delivered.Load() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := delivered.Load(); got != n {
		t.Fatalf("%d SignedIn events delivered, want %d", got, n)
	}
	open := runtime.NumGoroutine()
	for i, c := range clients {
		if err := c.Close(); err != nil {
			t.Fatalf("client %d: Close: %v", i, err)
		}
	}
	// A small tolerance for goroutines of the test machinery itself (timers,
	// the race detector's), not per client.
	const tolerance = 3
	if left := settledGoroutines(baseline + tolerance); left > baseline+tolerance {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before the clients, %d with them open, %d left %v after closing them:\n%s",
			baseline, open, left, returnBound, buf[:runtime.Stack(buf, true)])
	} else {
		t.Logf("goroutines: %d before the clients, %d with them open, %d after Close", baseline, open, left)
	}

	// After Close: ErrClosed everywhere, nothing delivered, the session kept.
	c := clients[0]
	if _, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{}); !errors.Is(err, auth.ErrClosed) {
		t.Errorf("SignIn after Close = %v", err)
	}
	if _, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{}); !errors.Is(err, auth.ErrClosed) {
		t.Errorf("FetchAuthSession after Close = %v", err)
	}
	if r, ok := c.SignOut(bg(), auth.SignOutOptions{}).(auth.FailedSignOut); !ok || !errors.Is(r.Cause, auth.ErrClosed) {
		t.Errorf("SignOut after Close = %#v", r)
	}
	if err := c.Close(); !errors.Is(err, auth.ErrClosed) {
		t.Errorf("second Close = %v", err)
	}
	before := delivered.Load()
	c.Subscribe(func(auth.Event) { delivered.Add(1) })()
	if delivered.Load() != before {
		t.Error("an event was delivered after Close")
	}
	if left := settledGoroutines(baseline + tolerance); left > baseline+tolerance {
		t.Errorf("calls after Close left goroutines: %d, baseline %d", left, baseline)
	}
}

// Rule: Close cancels what is waiting: a SignInWithWebUI waiting for the
// browser (its loopback listener is closed) and an operation waiting for the
// lock; both return errors matching ErrClosed.
func TestClose_CancelsWaitingOperations(t *testing.T) {
	w := newWebEnv(t)
	c := w.client(t)
	opened := make(chan struct{})
	browser := auth.LoopbackBrowser{Open: func(string) error { close(opened); return nil }} // the browser never comes back
	signIn := make(chan error, 1)
	go func() {
		_, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: browser, Timeout: time.Minute})
		signIn <- err
	}()
	<-opened
	waiting := make(chan error, 1)
	go func() {
		_, err := c.CurrentUser(bg()) // waits for the sign-in's lock
		waiting <- err
	}()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]chan error{"SignInWithWebUI": signIn, "CurrentUser": waiting} {
		select {
		case err := <-ch:
			if !errors.Is(err, auth.ErrClosed) {
				t.Errorf("%s = %v, want ErrClosed", name, err)
			}
		case <-time.After(returnBound): // the sign-in's own deadline is a minute
			t.Fatalf("%s still waiting %v after Close", name, returnBound)
		}
	}
	addr := strings.TrimPrefix(strings.TrimSuffix(w.callback, "/callback"), "http://")
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("the loopback listener is still open after Close")
	}
}
