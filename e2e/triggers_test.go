package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/srp"
	"github.com/cognate-dev/cognate/trigger"
	"github.com/cognate-dev/cognate/trigger/triggertest"
)

// triggerEvent is a trigger's event as the function received it.
type triggerEvent struct {
	Version       string `json:"version"`
	TriggerSource string `json:"triggerSource"`
	Region        string `json:"region"`
	UserPoolID    string `json:"userPoolId"`
	UserName      string `json:"userName"`
	CallerContext struct {
		AWSSDKVersion string `json:"awsSdkVersion"`
		ClientID      string `json:"clientId"`
	} `json:"callerContext"`
	Request  map[string]any `json:"request"`
	Response map[string]any `json:"response"`
}

// triggerEnv is a server whose pool runs functions of an in-test Lambda
// Invoke API.
type triggerEnv struct {
	t      *testing.T
	srv    *testserver.Server
	lambda *triggertest.Server
	pool   string
	client string
}

// newTriggerEnv starts the Lambda server with funcs and a server invoking
// it; the pool (e-mail verified automatically) runs the functions lc names
// (by function name: "PreSignUp": "pre" runs funcs["pre"]).
func newTriggerEnv(t *testing.T, funcs map[string]triggertest.Func, lc map[string]string, o testserver.Options, opts ...testserver.PoolOption) *triggerEnv {
	t.Helper()
	l := triggertest.Start(t, funcs)
	o.Triggers = l.Invoker()
	srv := testserver.StartWith(t, o)
	pool, client, _ := srv.NewPool(t, opts...)
	setTriggers(t, srv, pool, lc)
	return &triggerEnv{t: t, srv: srv, lambda: l, pool: pool, client: client}
}

// setTriggers sets the pool's LambdaConfig (and AutoVerifiedAttributes
// email) with UpdateUserPool.
func setTriggers(t *testing.T, srv *testserver.Server, pool string, lc map[string]string) {
	t.Helper()
	arn := func(k string) *string {
		if lc[k] == "" {
			return nil
		}
		return aws.String(triggertest.ARN(lc[k]))
	}
	if _, err := srv.Admin.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: aws.String(pool),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		LambdaConfig: &types.LambdaConfigType{PreSignUp: arn("PreSignUp"), PostConfirmation: arn("PostConfirmation"),
			PreAuthentication: arn("PreAuthentication"), PostAuthentication: arn("PostAuthentication"),
			CustomMessage: arn("CustomMessage"), UserMigration: arn("UserMigration")}}); err != nil {
		t.Fatalf("UpdateUserPool LambdaConfig: %v", err)
	}
}

// events are the events function name received, oldest first.
func (e *triggerEnv) events(name string) []triggerEvent {
	e.t.Helper()
	var out []triggerEvent
	for _, raw := range e.lambda.Calls(name) {
		var ev triggerEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			e.t.Fatalf("%s's event: %v", name, err)
		}
		out = append(out, ev)
	}
	return out
}

// last is the last event of function name, which must have been called
// want times in all.
func (e *triggerEnv) last(name string, want int) triggerEvent {
	e.t.Helper()
	evs := e.events(name)
	if len(evs) != want {
		e.t.Fatalf("%s called %d times, want %d", name, len(evs), want)
	}
	return evs[len(evs)-1]
}

// common checks an event's common members.
func (e *triggerEnv) common(ev triggerEvent, source, clientID, userName string) {
	e.t.Helper()
	if ev.Version != "1" || ev.TriggerSource != source || ev.Region != "us-east-1" || ev.UserPoolID != e.pool ||
		ev.CallerContext.ClientID != clientID || (userName != "" && ev.UserName != userName) {
		e.t.Fatalf("event %+v, want version 1, %s, us-east-1, pool %s, client %s, user %q", ev, source, e.pool, clientID, userName)
	}
	if !strings.HasPrefix(ev.CallerContext.AWSSDKVersion, "aws-sdk-") {
		e.t.Fatalf("awsSdkVersion = %q", ev.CallerContext.AWSSDKVersion)
	}
}

// member reads request.<path...> of an event as a string.
func member(ev triggerEvent, path ...string) string {
	var v any = ev.Request
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// echo answers the event as it came.
func echo(_ context.Context, ev json.RawMessage) (any, error) { return triggertest.Raw(ev), nil }

func attr(name, value string) types.AttributeType {
	return types.AttributeType{Name: aws.String(name), Value: aws.String(value)}
}

// TestTriggerPreSignUp: SignUp and AdminCreateUser run PreSignUp with the
// attributes, ValidationData and ClientMetadata; autoConfirmUser confirms
// without a code (PostConfirmation runs), autoVerifyEmail verifies the
// address, a refusal creates no user, autoVerifyPhone without a phone
// number is refused.
func TestTriggerPreSignUp(t *testing.T) {
	e := newTriggerEnv(t, map[string]triggertest.Func{
		"pre": func(ctx context.Context, raw json.RawMessage) (any, error) {
			var ev triggerEvent
			_ = json.Unmarshal(raw, &ev)
			switch member(ev, "validationData", "invite") {
			case "yes":
				return triggertest.Respond(raw, map[string]any{"autoConfirmUser": true, "autoVerifyEmail": true})
			case "no":
				return nil, errors.New("Invalid invite")
			case "phone":
				return triggertest.Respond(raw, map[string]any{"autoConfirmUser": true, "autoVerifyPhone": true})
			}
			return echo(ctx, raw)
		},
		"post": echo,
	}, map[string]string{"PreSignUp": "pre", "PostConfirmation": "post"}, testserver.Options{})
	c := e.srv.Admin

	t.Run("auto-confirmed", func(t *testing.T) {
		out, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &e.client, Username: aws.String("ann"), Password: aws.String(password),
			UserAttributes: []types.AttributeType{attr("email", "ann@example.com")},
			ValidationData: []types.AttributeType{attr("invite", "yes")}, ClientMetadata: map[string]string{"app": "web"}})
		if err != nil {
			t.Fatal(err)
		}
		if !out.UserConfirmed || out.CodeDeliveryDetails != nil {
			t.Fatalf("UserConfirmed %v, delivery %+v: want confirmed and no code", out.UserConfirmed, out.CodeDeliveryDetails)
		}
		ev := e.last("pre", 1)
		e.common(ev, "PreSignUp_SignUp", e.client, "ann")
		if member(ev, "userAttributes", "email") != "ann@example.com" || member(ev, "clientMetadata", "app") != "web" {
			t.Fatalf("request %v", ev.Request)
		}
		if ev.Response["autoConfirmUser"] != false || ev.Response["autoVerifyEmail"] != false || ev.Response["autoVerifyPhone"] != false {
			t.Fatalf("response as sent %v, want the three flags false", ev.Response)
		}
		post := e.last("post", 1)
		e.common(post, "PostConfirmation_ConfirmSignUp", e.client, "ann")
		if member(post, "userAttributes", "email_verified") != "true" || member(post, "userAttributes", "cognito:user_status") != "CONFIRMED" ||
			member(post, "clientMetadata", "app") != "web" {
			t.Fatalf("PostConfirmation request %v", post.Request)
		}
		if n := len(e.srv.Outbox.List(e.pool, "ann@example.com")); n != 0 {
			t.Fatalf("%d messages sent to an auto-confirmed user", n)
		}
		u, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &e.pool, Username: aws.String("ann")})
		if err != nil || u.UserStatus != types.UserStatusTypeConfirmed {
			t.Fatalf("AdminGetUser: %v %v", u, err)
		}
		signIn(t, c, e.client, "ann", password)
	})

	t.Run("refused", func(t *testing.T) {
		_, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &e.client, Username: aws.String("bob"), Password: aws.String(password),
			ValidationData: []types.AttributeType{attr("invite", "no")}})
		wantAPIError[*types.UserLambdaValidationException](t, err, "PreSignUp failed with error Invalid invite.")
		_, err = c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &e.pool, Username: aws.String("bob")})
		wantAPIError[*types.UserNotFoundException](t, err, "")
	})

	t.Run("auto-verify needs the attribute", func(t *testing.T) {
		_, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &e.client, Username: aws.String("cid"), Password: aws.String(password),
			UserAttributes: []types.AttributeType{attr("email", "cid@example.com")}, ValidationData: []types.AttributeType{attr("invite", "phone")}})
		wantAPIError[*types.InvalidParameterException](t, err, "")
		_, err = c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &e.pool, Username: aws.String("cid")})
		wantAPIError[*types.UserNotFoundException](t, err, "")
	})

	t.Run("not confirmed: the code, then PostConfirmation", func(t *testing.T) {
		out, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &e.client, Username: aws.String("dee"), Password: aws.String(password),
			UserAttributes: []types.AttributeType{attr("email", "dee@example.com")}})
		if err != nil || out.UserConfirmed || out.CodeDeliveryDetails == nil {
			t.Fatalf("SignUp: %+v %v", out, err)
		}
		posts := len(e.events("post"))
		if _, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &e.client, Username: aws.String("dee"),
			ConfirmationCode: aws.String(devCode(t, e.srv, e.pool, "dee")), ClientMetadata: map[string]string{"step": "confirm"}}); err != nil {
			t.Fatal(err)
		}
		post := e.last("post", posts+1)
		e.common(post, "PostConfirmation_ConfirmSignUp", e.client, "dee")
		if member(post, "clientMetadata", "step") != "confirm" {
			t.Fatalf("PostConfirmation request %v", post.Request)
		}
	})

	t.Run("AdminCreateUser and AdminConfirmSignUp", func(t *testing.T) {
		if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &e.pool, Username: aws.String("eve"),
			MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{attr("email", "eve@example.com")},
			ValidationData: []types.AttributeType{attr("invite", "yes")}}); err != nil {
			t.Fatal(err)
		}
		ev := e.events("pre")
		last := ev[len(ev)-1]
		e.common(last, "PreSignUp_AdminCreateUser", "CLIENT_ID_NOT_APPLICABLE", "eve")
		u, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &e.pool, Username: aws.String("eve")})
		if err != nil || u.UserStatus != types.UserStatusTypeForceChangePassword {
			t.Fatalf("an administrator's user is not confirmed by PreSignUp: %v %v", u, err)
		}
		verified := false
		for _, a := range u.UserAttributes {
			verified = verified || (aws.ToString(a.Name) == "email_verified" && aws.ToString(a.Value) == "true")
		}
		if !verified {
			t.Fatalf("autoVerifyEmail did not verify: %v", u.UserAttributes)
		}
		if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &e.client, Username: aws.String("fay"), Password: aws.String(password)}); err != nil {
			t.Fatal(err)
		}
		posts := len(e.events("post"))
		if _, err := c.AdminConfirmSignUp(bg, &cip.AdminConfirmSignUpInput{UserPoolId: &e.pool, Username: aws.String("fay")}); err != nil {
			t.Fatal(err)
		}
		e.common(e.last("post", posts+1), "PostConfirmation_ConfirmSignUp", "CLIENT_ID_NOT_APPLICABLE", "fay")
	})
}

// TestTriggerPostConfirmationFailureKeepsTheUserConfirmed: a
// PostConfirmation function that raises fails ConfirmSignUp, as in Cognito,
// but the confirmation stands; ConfirmForgotPassword runs it as
// PostConfirmation_ConfirmForgotPassword.
func TestTriggerPostConfirmationFailureKeepsTheUserConfirmed(t *testing.T) {
	e := newTriggerEnv(t, map[string]triggertest.Func{
		"post": func(ctx context.Context, raw json.RawMessage) (any, error) {
			var ev triggerEvent
			_ = json.Unmarshal(raw, &ev)
			if ev.TriggerSource == "PostConfirmation_ConfirmSignUp" {
				return nil, errors.New("CRM is down")
			}
			return echo(ctx, raw)
		},
	}, map[string]string{"PostConfirmation": "post"}, testserver.Options{})
	c := e.srv.Admin
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &e.client, Username: aws.String("gus"), Password: aws.String(password),
		UserAttributes: []types.AttributeType{attr("email", "gus@example.com")}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &e.client, Username: aws.String("gus"),
		ConfirmationCode: aws.String(devCode(t, e.srv, e.pool, "gus"))})
	wantAPIError[*types.UserLambdaValidationException](t, err, "PostConfirmation failed with error CRM is down.")
	u, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &e.pool, Username: aws.String("gus")})
	if err != nil || u.UserStatus != types.UserStatusTypeConfirmed {
		t.Fatalf("after a failed PostConfirmation: %v %v, want CONFIRMED", u, err)
	}
	signIn(t, c, e.client, "gus", password)

	if _, err := c.ForgotPassword(bg, &cip.ForgotPasswordInput{ClientId: &e.client, Username: aws.String("gus")}); err != nil {
		t.Fatal(err)
	}
	code := e.srv.Outbox.List(e.pool, "gus@example.com")[0].Code // newest first
	if _, err := c.ConfirmForgotPassword(bg, &cip.ConfirmForgotPasswordInput{ClientId: &e.client, Username: aws.String("gus"),
		ConfirmationCode: aws.String(code), Password: aws.String(password + "x")}); err != nil {
		t.Fatal(err)
	}
	e.common(e.last("post", 2), "PostConfirmation_ConfirmForgotPassword", e.client, "gus")
}

// TestTriggerAuthentication: PreAuthentication runs before the password is
// checked on every sign-in flow, with the ClientMetadata as its
// validationData, and refuses a sign-in with its message; PostAuthentication
// runs after every successful sign-in (not a refresh) and a refusal there
// issues no tokens.
func TestTriggerAuthentication(t *testing.T) {
	e := newTriggerEnv(t, map[string]triggertest.Func{
		"pre": func(ctx context.Context, raw json.RawMessage) (any, error) {
			var ev triggerEvent
			_ = json.Unmarshal(raw, &ev)
			if ev.UserName == "blocked" {
				return nil, errors.New("Blocked")
			}
			return echo(ctx, raw)
		},
		"post": func(ctx context.Context, raw json.RawMessage) (any, error) {
			var ev triggerEvent
			_ = json.Unmarshal(raw, &ev)
			if member(ev, "clientMetadata", "deny") == "yes" {
				return nil, errors.New("not today")
			}
			return echo(ctx, raw)
		},
	}, map[string]string{"PreAuthentication": "pre", "PostAuthentication": "post"}, testserver.Options{})
	c := e.srv.Admin
	e.srv.NewUser(t, e.pool, "hal", password)
	e.srv.NewUser(t, e.pool, "blocked", password)
	pre, post := 0, 0
	check := func(flow string) {
		t.Helper()
		pre++
		post++
		ev := e.last("pre", pre)
		e.common(ev, "PreAuthentication_Authentication", e.client, "hal")
		if member(ev, "validationData", "flow") != flow || member(ev, "userAttributes", "email") != "hal@example.com" {
			t.Fatalf("%s: PreAuthentication request %v", flow, ev.Request)
		}
		pev := e.last("post", post)
		e.common(pev, "PostAuthentication_Authentication", e.client, "hal")
		if member(pev, "newDeviceUsed") != "false" || member(pev, "clientMetadata", "flow") != flow {
			t.Fatalf("%s: PostAuthentication request %v", flow, pev.Request)
		}
	}

	out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &e.client,
		AuthParameters: map[string]string{"USERNAME": "hal", "PASSWORD": password}, ClientMetadata: map[string]string{"flow": "password"}})
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("USER_PASSWORD_AUTH: %v", err)
	}
	check("password")

	if _, err := c.AdminInitiateAuth(bg, &cip.AdminInitiateAuthInput{AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, UserPoolId: &e.pool,
		ClientId: &e.client, AuthParameters: map[string]string{"USERNAME": "hal", "PASSWORD": password},
		ClientMetadata: map[string]string{"flow": "admin"}}); err != nil {
		t.Fatalf("ADMIN_USER_PASSWORD_AUTH: %v", err)
	}
	check("admin")

	cl, ch := srpChallengeMeta(t, c, e.client, "hal", map[string]string{"flow": "srp"})
	if _, err := c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &e.client, ChallengeName: ch.ChallengeName,
		Session: ch.Session, ChallengeResponses: srpAnswer(t, cl, e.pool, password, ch, time.Now()),
		ClientMetadata: map[string]string{"flow": "srp"}}); err != nil {
		t.Fatalf("USER_SRP_AUTH: %v", err)
	}
	check("srp")

	// A refresh runs neither.
	if _, err := refresh(c, e.client, aws.ToString(out.AuthenticationResult.RefreshToken)); err != nil {
		t.Fatal(err)
	}
	e.last("pre", pre)
	e.last("post", post)

	// PreAuthentication refuses before the password is looked at.
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &e.client,
		AuthParameters: map[string]string{"USERNAME": "blocked", "PASSWORD": "wrong"}})
	wantAPIError[*types.UserLambdaValidationException](t, err, "PreAuthentication failed with error Blocked.")
	pre++
	e.last("post", post)

	// PostAuthentication refuses: no tokens.
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &e.client,
		AuthParameters: map[string]string{"USERNAME": "hal", "PASSWORD": password}, ClientMetadata: map[string]string{"deny": "yes"}})
	wantAPIError[*types.UserLambdaValidationException](t, err, "PostAuthentication failed with error not today.")
	pre++
	post++
	e.last("pre", pre)
	e.last("post", post)

	// A client that hides unknown users runs PreAuthentication for them
	// too, with userNotFound; the sign-in fails as for a wrong password.
	pool2, client2, _ := e.srv.NewPool(t, testserver.WithPreventUserExistenceErrors())
	setTriggers(t, e.srv, pool2, map[string]string{"PreAuthentication": "pre", "PostAuthentication": "post"})
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &client2,
		AuthParameters: map[string]string{"USERNAME": "ghost", "PASSWORD": password}})
	wantAPIError[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
	ev := e.last("pre", pre+1)
	if ev.UserName != "ghost" || member(ev, "userNotFound") != "true" || ev.UserPoolID != pool2 {
		t.Fatalf("PreAuthentication for a hidden unknown user: %+v", ev)
	}
	e.last("post", post)
}

// srpChallengeMeta is srpChallenge with ClientMetadata on InitiateAuth.
func srpChallengeMeta(t *testing.T, c *cip.Client, clientID, username string, meta map[string]string) (*srp.Client, *cip.InitiateAuthOutput) {
	t.Helper()
	cl, err := srp.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": username, "SRP_A": cl.A()}, ClientMetadata: meta})
	if err != nil {
		t.Fatal(err)
	}
	return cl, out
}

// TestTriggerFailures: a function that raises, one slower than the
// trigger timeout, and one that answers what is not JSON give Cognito's
// three exceptions, with its messages.
func TestTriggerFailures(t *testing.T) {
	e := newTriggerEnv(t, map[string]triggertest.Func{
		"pre": func(ctx context.Context, raw json.RawMessage) (any, error) {
			var ev triggerEvent
			_ = json.Unmarshal(raw, &ev)
			switch ev.UserName {
			case "raise":
				return nil, errors.New("Email domain not allowed")
			case "slow":
				select {
				case <-ctx.Done():
				case <-time.After(3 * time.Second):
				}
				return echo(ctx, raw)
			case "garbage":
				return triggertest.Raw("<html>not json</html>"), nil
			}
			return echo(ctx, raw)
		},
	}, map[string]string{"PreSignUp": "pre"}, testserver.Options{TriggerTimeout: 300 * time.Millisecond})
	signUp := func(name string) error {
		_, err := e.srv.Admin.SignUp(bg, &cip.SignUpInput{ClientId: &e.client, Username: aws.String(name), Password: aws.String(password)})
		return err
	}
	wantAPIError[*types.UserLambdaValidationException](t, signUp("raise"), "PreSignUp failed with error Email domain not allowed.")
	start := time.Now()
	wantAPIError[*types.UnexpectedLambdaException](t, signUp("slow"),
		"PreSignUp invocation failed due to error Socket timeout while invoking Lambda function.")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the timeout took %s, want about 300ms", d)
	}
	wantAPIError[*types.InvalidLambdaResponseException](t, signUp("garbage"), "Unrecognizable lambda output")
	if err := signUp("fine"); err != nil {
		t.Fatal(err)
	}
}

// TestTriggerWebhook: the real server invokes a function through its
// webhook (trigger.Router), which verifies the signature with
// message.VerifyWebhook; a 4xx {"errorMessage"} is the function's refusal,
// anything else an UnexpectedLambdaException.
func TestTriggerWebhook(t *testing.T) {
	const secret = "webhook-secret-for-tests"
	seen := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := message.VerifyWebhook(secret, r, time.Minute)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var ev triggerEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		seen <- r.Header.Get(trigger.FunctionHeader) + " " + ev.TriggerSource + " " + ev.UserName
		w.Header().Set("Content-Type", "application/json")
		switch ev.UserName {
		case "refused":
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"errorMessage":"no sign-ups from here"}`))
		case "broken":
			http.Error(w, "oops", http.StatusBadGateway)
		default:
			var full map[string]any
			_ = json.Unmarshal(body, &full)
			full["response"] = map[string]any{"autoConfirmUser": true}
			_ = json.NewEncoder(w).Encode(full)
		}
	}))
	t.Cleanup(hook.Close)
	fn := triggertest.ARN("pre-signup")
	srv := testserver.StartWith(t, testserver.Options{Triggers: &trigger.Router{
		Webhooks: map[string]*trigger.Webhook{"pre-signup": {URL: hook.URL, Secret: secret}}}})
	pool, client, _ := srv.NewPool(t)
	setTriggers(t, srv, pool, map[string]string{"PreSignUp": "pre-signup"})
	signUp := func(name string) (*cip.SignUpOutput, error) {
		return srv.Admin.SignUp(bg, &cip.SignUpInput{ClientId: &client, Username: aws.String(name), Password: aws.String(password)})
	}
	out, err := signUp("ivy")
	if err != nil || !out.UserConfirmed {
		t.Fatalf("SignUp through the webhook: %+v %v", out, err)
	}
	if got := <-seen; got != fn+" PreSignUp_SignUp ivy" {
		t.Fatalf("webhook saw %q", got)
	}
	signIn(t, srv.Admin, client, "ivy", password)
	_, err = signUp("refused")
	wantAPIError[*types.UserLambdaValidationException](t, err, "PreSignUp failed with error no sign-ups from here.")
	_, err = signUp("broken")
	wantAPIError[*types.UnexpectedLambdaException](t, err, "PreSignUp invocation failed due to error ServiceException.")
}

// TestTriggersAmplifyJS: Amplify JS (e2e/js/triggers.mjs) signs up a user
// whom PreSignUp auto-confirms (signUp's nextStep is DONE, the sign-in
// needs no code) and signs in a user whom UserMigration imports on the
// first USER_PASSWORD_AUTH sign-in; the functions run in this test and
// what they received is checked here.
func TestTriggersAmplifyJS(t *testing.T) {
	node := requireJSClients(t)
	e := newTriggerEnv(t, map[string]triggertest.Func{
		"pre": func(ctx context.Context, raw json.RawMessage) (any, error) {
			var ev triggerEvent
			_ = json.Unmarshal(raw, &ev)
			if member(ev, "validationData", "invite") != "yes" {
				return nil, errors.New("invite required")
			}
			return triggertest.Respond(raw, map[string]any{"autoConfirmUser": true, "autoVerifyEmail": true})
		},
		"mig": migrationFunc,
	}, map[string]string{"PreSignUp": "pre", "UserMigration": "mig"}, testserver.Options{})
	ctx, cancel := context.WithTimeout(bg, jsRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "triggers.mjs")
	cmd.Dir = jsDir
	cmd.Env = append(os.Environ(), "COGNATE_URL="+e.srv.URL, "POOL_ID="+e.pool, "CLIENT_ID="+e.client,
		"NEW_USER=amy", "NEW_PASSWORD="+password, "LEGACY_USER=old", "LEGACY_PASSWORD=Legacy-pass1!")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RESULT ok") {
		t.Fatalf("node triggers.mjs: %v\n%s", err, out)
	}
	pre := e.last("pre", 1)
	e.common(pre, "PreSignUp_SignUp", e.client, "amy")
	// Amplify names no SDK in its User-Agent: Cognito's events then say
	// aws-sdk-unknown-unknown, as here.
	if member(pre, "clientMetadata", "app") != "amplify" || member(pre, "validationData", "invite") != "yes" ||
		member(pre, "userAttributes", "email") != "amy@example.com" || pre.CallerContext.AWSSDKVersion != "aws-sdk-unknown-unknown" {
		t.Fatalf("PreSignUp from Amplify: %+v", pre)
	}
	mig := e.last("mig", 1)
	e.common(mig, "UserMigration_Authentication", e.client, "old")
	if member(mig, "password") != "Legacy-pass1!" {
		t.Fatal("UserMigration did not get the password Amplify sent")
	}
	u, err := e.srv.Admin.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &e.pool, Username: aws.String("amy")})
	if err != nil || u.UserStatus != types.UserStatusTypeConfirmed {
		t.Fatalf("amy: %v %v", u, err)
	}
}
