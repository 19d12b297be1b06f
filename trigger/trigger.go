// Package trigger calls a user pool's Lambda triggers. A trigger is named in
// the pool's LambdaConfig by a function ARN; an Invoker sends the function
// its event (JSON) and returns what the function answered (JSON). Two ways
// are offered: the Lambda Invoke API (NewLambda: AWS Lambda itself,
// `sam local start-lambda`, LocalStack), and a signed HTTP webhook per
// function for those without a Lambda runtime (Webhook). Router chooses
// between them by function.
//
// The invoker knows nothing of Cognito's events: package userpool builds
// them and reads the answers.
package trigger

import (
	"context"
	"errors"
	"strings"
)

// Invoker calls the function fn (an ARN, as LambdaConfig names it) with
// payload and returns the function's answer.
//
// Errors: *FunctionError when the function ran and failed (raised an
// error, or a webhook refused); ErrTimeout when ctx ended first;
// *InvokeError when the function could not be called at all.
type Invoker interface {
	Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error)
}

// FunctionError is a function that ran and failed. Message is its error
// message (Lambda's errorMessage), which Cognito passes on to the caller.
type FunctionError struct {
	Type    string // Lambda's errorType, e.g. "Error"; may be empty
	Message string
}

func (e *FunctionError) Error() string {
	if e.Type != "" {
		return "function failed: " + e.Type + ": " + e.Message
	}
	return "function failed: " + e.Message
}

// InvokeError is a function that could not be called: unknown, not
// permitted, throttled, or its endpoint unreachable. Code is the Lambda
// error code when there is one (e.g. ResourceNotFoundException).
type InvokeError struct {
	Code string
	Err  error
}

func (e *InvokeError) Error() string {
	if e.Code != "" {
		return "invoke: " + e.Code + ": " + e.Err.Error()
	}
	return "invoke: " + e.Err.Error()
}

func (e *InvokeError) Unwrap() error { return e.Err }

// ErrTimeout is a function that did not answer before the deadline
// (Cognito waits 5 seconds).
var ErrTimeout = errors.New("trigger: the function did not answer in time")

// FunctionName returns the function-name part of a Lambda function ARN
// (arn:aws:lambda:region:account:function:name[:qualifier]), or fn itself
// when it is not such an ARN.
func FunctionName(fn string) string {
	parts := strings.Split(fn, ":")
	if len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" {
		return parts[6]
	}
	return fn
}

// Region returns the region of a Lambda function ARN, or "" when fn is not
// one.
func Region(fn string) string {
	parts := strings.Split(fn, ":")
	if len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" {
		return parts[3]
	}
	return ""
}
