package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// LambdaOptions configure NewLambda.
type LambdaOptions struct {
	// Endpoint is the Lambda Invoke API's base URL (e.g.
	// http://127.0.0.1:3001 for `sam local start-lambda`); empty means AWS
	// Lambda itself, in the region of each function's ARN.
	Endpoint string
	// Region signs requests to Endpoint, and is used for a function whose
	// ARN names no region; default us-east-1.
	Region string
	// Credentials sign the requests; nil means anonymous, which `sam local`
	// and LocalStack accept.
	Credentials aws.CredentialsProvider
	// HTTPClient sends the requests; default a client of its own.
	HTTPClient *http.Client
}

// Lambda invokes functions through the Lambda Invoke API, synchronously
// (RequestResponse), with aws-sdk-go-v2's Lambda client.
type Lambda struct {
	client *lambda.Client
	region string
}

// NewLambda returns an Invoker on the Lambda Invoke API.
func NewLambda(o LambdaOptions) *Lambda {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Credentials == nil {
		o.Credentials = aws.AnonymousCredentials{}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	cfg := aws.Config{Region: o.Region, Credentials: o.Credentials, HTTPClient: o.HTTPClient,
		// Cognito calls a trigger once: a retried sign-up hook could run its
		// side effects twice, and the caller's deadline is short anyway.
		RetryMaxAttempts: 1}
	if o.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(o.Endpoint)
	}
	return &Lambda{client: lambda.NewFromConfig(cfg), region: o.Region}
}

// Invoke implements Invoker.
func (l *Lambda) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	region := Region(fn)
	if region == "" {
		region = l.region
	}
	out, err := l.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(fn),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	}, func(o *lambda.Options) { o.Region = region })
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, ErrTimeout
		}
		var api smithy.APIError
		if errors.As(err, &api) {
			return nil, &InvokeError{Code: api.ErrorCode(), Err: fmt.Errorf("%s", api.ErrorMessage())}
		}
		return nil, &InvokeError{Err: err}
	}
	if out.FunctionError != nil {
		return nil, functionError(*out.FunctionError, out.Payload)
	}
	return out.Payload, nil
}

// functionError reads the error a function raised from its payload
// ({"errorMessage": ..., "errorType": ...}, as every Lambda runtime writes
// it); kind is X-Amz-Function-Error (Handled or Unhandled).
func functionError(kind string, payload []byte) *FunctionError {
	if fe, ok := raisedError(payload); ok {
		return fe
	}
	return &FunctionError{Type: kind, Message: "function error (" + kind + ")"}
}

// raisedError reads {"errorMessage": ..., "errorType": ...} from payload;
// ok is false when payload holds no error message.
func raisedError(payload []byte) (*FunctionError, bool) {
	var e struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if json.Unmarshal(payload, &e) != nil || e.Message == "" {
		return nil, false
	}
	return &FunctionError{Type: e.Type, Message: e.Message}, true
}
