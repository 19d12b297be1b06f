package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/trigger"
)

// DefaultTriggerTimeout is how long a trigger may take: Cognito waits five
// seconds for a Lambda function.
const DefaultTriggerTimeout = 5 * time.Second

// TriggerName is a trigger as the pool's LambdaConfig names it (and as
// Cognito's error messages name it).
type TriggerName string

// The triggers Cognate runs.
const (
	TriggerPreSignUp           TriggerName = "PreSignUp"
	TriggerPostConfirmation    TriggerName = "PostConfirmation"
	TriggerPreAuthentication   TriggerName = "PreAuthentication"
	TriggerPostAuthentication  TriggerName = "PostAuthentication"
	TriggerPreTokenGeneration  TriggerName = "PreTokenGeneration"
	TriggerCustomMessage       TriggerName = "CustomMessage"
	TriggerUserMigration       TriggerName = "UserMigration"
	TriggerDefineAuthChallenge TriggerName = "DefineAuthChallenge"
	TriggerCreateAuthChallenge TriggerName = "CreateAuthChallenge"
	TriggerVerifyAuthChallenge TriggerName = "VerifyAuthChallengeResponse"
)

// lambdaConfig is the part of a pool's LambdaConfig that names functions
// (Cognito's member names). The rest (CustomSMSSender, KMSKeyID, ...) is
// kept as sent and not acted on.
type lambdaConfig struct {
	PreSignUp                   string `json:"PreSignUp"`
	PostConfirmation            string `json:"PostConfirmation"`
	PreAuthentication           string `json:"PreAuthentication"`
	PostAuthentication          string `json:"PostAuthentication"`
	PreTokenGeneration          string `json:"PreTokenGeneration"`
	CustomMessage               string `json:"CustomMessage"`
	UserMigration               string `json:"UserMigration"`
	DefineAuthChallenge         string `json:"DefineAuthChallenge"`
	CreateAuthChallenge         string `json:"CreateAuthChallenge"`
	VerifyAuthChallengeResponse string `json:"VerifyAuthChallengeResponse"`
	PreTokenGenerationConfig    *struct {
		LambdaVersion string `json:"LambdaVersion"` // V1_0, V2_0, V3_0
		LambdaArn     string `json:"LambdaArn"`
	} `json:"PreTokenGenerationConfig"`
}

// trigger returns the ARN of the pool's function for name and the version
// of the event it takes ("1" but for PreTokenGeneration's V2_0 and V3_0);
// fn is "" when the pool has no such trigger.
func (p *Pool) trigger(name TriggerName) (fn, version string) {
	if len(p.Config.LambdaConfig) == 0 {
		return "", ""
	}
	var c lambdaConfig
	if json.Unmarshal(p.Config.LambdaConfig, &c) != nil {
		return "", ""
	}
	switch name {
	case TriggerPreSignUp:
		fn = c.PreSignUp
	case TriggerPostConfirmation:
		fn = c.PostConfirmation
	case TriggerPreAuthentication:
		fn = c.PreAuthentication
	case TriggerPostAuthentication:
		fn = c.PostAuthentication
	case TriggerCustomMessage:
		fn = c.CustomMessage
	case TriggerUserMigration:
		fn = c.UserMigration
	case TriggerDefineAuthChallenge:
		fn = c.DefineAuthChallenge
	case TriggerCreateAuthChallenge:
		fn = c.CreateAuthChallenge
	case TriggerVerifyAuthChallenge:
		fn = c.VerifyAuthChallengeResponse
	case TriggerPreTokenGeneration:
		// PreTokenGenerationConfig, when set, wins over PreTokenGeneration
		// (Cognito keeps the two in step).
		if pc := c.PreTokenGenerationConfig; pc != nil && pc.LambdaArn != "" {
			switch pc.LambdaVersion {
			case "V2_0":
				return pc.LambdaArn, "2"
			case "V3_0":
				return pc.LambdaArn, "3"
			}
			return pc.LambdaArn, "1"
		}
		fn = c.PreTokenGeneration
	}
	if fn == "" {
		return "", ""
	}
	return fn, "1"
}

// HasTrigger reports whether the pool runs a function for name.
func (p *Pool) HasTrigger(name TriggerName) bool {
	fn, _ := p.trigger(name)
	return fn != ""
}

// triggerCall is one invocation of a trigger: the event's variable parts.
type triggerCall struct {
	Name     TriggerName
	Source   string // the event's triggerSource, e.g. PreSignUp_SignUp
	ClientID string // the app client, when the operation names one
	UserName string
	Request  any // the event's request member
	Response any // the event's response member as sent (its defaults)
}

// triggerEvent is the JSON a trigger function gets: Cognito's common
// parameters around the trigger's request and response.
type triggerEvent struct {
	Version       string        `json:"version"`
	TriggerSource string        `json:"triggerSource"`
	Region        string        `json:"region"`
	UserPoolID    string        `json:"userPoolId"`
	UserName      string        `json:"userName"`
	CallerContext callerContext `json:"callerContext"`
	Request       any           `json:"request"`
	Response      any           `json:"response"`
}

type callerContext struct {
	AWSSDKVersion string `json:"awsSdkVersion"`
	ClientID      string `json:"clientId"`
}

// runTrigger invokes the pool's function for c.Name, if it has one, and
// decodes the "response" member of its answer into out (left as it is when
// the answer has none). ran is false when the pool has no such trigger.
//
// Failures are answered as Cognito answers them: the function raised an
// error → KindLambdaValidation "<Trigger> failed with error <message>.";
// it did not answer in time or could not be called → KindLambdaUnexpected;
// its answer is not the event → KindLambdaResponse.
func (s *Service) runTrigger(ctx context.Context, p *Pool, c triggerCall, out any) (ran bool, err error) {
	fn, version := p.trigger(c.Name)
	if fn == "" {
		return false, nil
	}
	if c.Response == nil {
		c.Response = struct{}{}
	}
	if c.ClientID == "" {
		c.ClientID = clientIDOf(ctx)
	}
	payload, err := json.Marshal(triggerEvent{Version: version, TriggerSource: c.Source, Region: s.region,
		UserPoolID: p.ID, UserName: c.UserName, Request: c.Request, Response: c.Response,
		CallerContext: callerContext{AWSSDKVersion: sdkVersion(callerOf(ctx).UserAgent), ClientID: c.ClientID}})
	if err != nil {
		return true, internal("trigger event", err)
	}
	log := s.log.With("pool", p.ID, "trigger", string(c.Name), "source", c.Source, "function", fn)
	if s.triggers == nil {
		log.Warn("trigger not run: no Lambda endpoint or webhook is configured")
		return true, errorf(KindLambdaUnexpected, "%s invocation failed due to error AccessDeniedException.", c.Name)
	}
	ictx, cancel := context.WithTimeout(ctx, s.triggerTimeout)
	defer cancel()
	start := s.now()
	answer, err := s.triggers.Invoke(ictx, fn, payload)
	// Never log the event or the answer: they carry attributes, codes and,
	// for UserMigration, the password.
	var fe *trigger.FunctionError
	var ie *trigger.InvokeError
	switch {
	case err == nil:
	case errors.As(err, &fe):
		log.Info("trigger refused", "error_type", fe.Type)
		return true, errorf(KindLambdaValidation, "%s failed with error %s.", c.Name, fe.Message)
	case errors.Is(err, trigger.ErrTimeout):
		if ctx.Err() != nil { // the caller gave up, not the function
			return true, internal("trigger "+string(c.Name), ctx.Err())
		}
		log.Warn("trigger timed out", "after", s.now().Sub(start).Round(time.Millisecond))
		return true, errorf(KindLambdaUnexpected, "%s invocation failed due to error Socket timeout while invoking Lambda function.", c.Name)
	case errors.As(err, &ie):
		log.Warn("trigger could not be invoked", "err", err)
		code := ie.Code
		if code == "" || strings.HasPrefix(code, "HTTP ") {
			code = "ServiceException"
		}
		return true, errorf(KindLambdaUnexpected, "%s invocation failed due to error %s.", c.Name, code)
	default:
		log.Warn("trigger could not be invoked", "err", err)
		return true, errorf(KindLambdaUnexpected, "%s invocation failed due to error ServiceException.", c.Name)
	}
	var got struct {
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(answer, &got); err != nil {
		log.Warn("trigger answered something that is not its event")
		return true, errorf(KindLambdaResponse, "Unrecognizable lambda output")
	}
	if len(got.Response) == 0 || string(got.Response) == "null" {
		return true, nil
	}
	if err := json.Unmarshal(got.Response, out); err != nil {
		log.Warn("trigger's response does not have the trigger's shape", "err", err)
		return true, errorf(KindLambdaResponse, "Unrecognizable lambda output")
	}
	log.Debug("trigger ran", "took", s.now().Sub(start).Round(time.Millisecond))
	return true, nil
}

// sdkVersion names the caller's SDK as Cognito's callerContext does
// ("aws-sdk-js-3.600.0"), from a User-Agent such as
// "aws-sdk-js/3.600.0 ua/2.1 os/linux ...".
func sdkVersion(userAgent string) string {
	for _, field := range strings.Fields(userAgent) {
		name, version, ok := strings.Cut(field, "/")
		if ok && strings.HasPrefix(name, "aws-sdk-") && version != "" {
			return name + "-" + version
		}
	}
	return "aws-sdk-unknown-unknown"
}

type clientMetadataKey struct{}

// WithClientMetadata returns ctx carrying the request's ClientMetadata,
// which the operation's triggers get (Cognito passes it on untouched).
func WithClientMetadata(ctx context.Context, m map[string]string) context.Context {
	return context.WithValue(ctx, clientMetadataKey{}, m)
}

// clientMetadataOf is the request's ClientMetadata as a trigger's request
// carries it: an empty map when none was sent (a function may index it).
func clientMetadataOf(ctx context.Context) map[string]string {
	m, _ := ctx.Value(clientMetadataKey{}).(map[string]string)
	if m == nil {
		return map[string]string{}
	}
	return m
}
