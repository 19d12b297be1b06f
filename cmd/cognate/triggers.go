package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/spf13/pflag"

	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/trigger"
)

// triggerFlags are the serve flags that say how the pools' Lambda triggers
// are invoked: the Lambda Invoke API (AWS Lambda, or any endpoint that
// speaks it), or a signed webhook per function.
type triggerFlags struct {
	lambdaEndpoint string
	webhooks       []string
	webhookSecret  string

	getenv func(string) string // os.Getenv; tests replace it
}

func addTriggerFlags(f *pflag.FlagSet) *triggerFlags {
	t := &triggerFlags{getenv: os.Getenv}
	f.StringVar(&t.lambdaEndpoint, "lambda-endpoint", "",
		"invoke trigger functions through the Lambda Invoke API at this URL, e.g. http://127.0.0.1:3001 for "+
			"`sam local start-lambda` or http://127.0.0.1:4566 for LocalStack (default: AWS Lambda, with the AWS "+
			"credentials of the environment)")
	f.StringArrayVar(&t.webhooks, "trigger-webhook", nil,
		"FUNCTION=URL: invoke this trigger function (its ARN, or its name for every ARN with that name) by "+
			"POSTing its event as signed JSON to URL instead of Lambda (repeatable)")
	f.StringVar(&t.webhookSecret, "trigger-webhook-secret", "",
		"the HMAC-SHA256 key that signs the trigger webhooks' requests (default: env COGNATE_TRIGGER_WEBHOOK_SECRET). "+
			"Shows the secret in the process list: prefer the environment")
	return t
}

// apply sets cfg.Triggers.
func (t *triggerFlags) apply(ctx context.Context, cfg *server.Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	secret, secretFlag := t.webhookSecret, t.webhookSecret != ""
	if !secretFlag {
		secret = t.getenv("COGNATE_TRIGGER_WEBHOOK_SECRET")
	}
	hooks := map[string]*trigger.Webhook{}
	for _, v := range t.webhooks {
		name, u, err := trigger.ParseWebhook(v)
		if err != nil {
			return fmt.Errorf("--trigger-webhook %s: %w", v, err)
		}
		if _, dup := hooks[name]; dup {
			return fmt.Errorf("--trigger-webhook: %s is given twice", name)
		}
		if secret == "" {
			return errors.New("--trigger-webhook needs a secret to sign with: $COGNATE_TRIGGER_WEBHOOK_SECRET or --trigger-webhook-secret")
		}
		if pu, err := url.Parse(u); err != nil || pu.Host == "" {
			return fmt.Errorf("--trigger-webhook %s: want an http:// or https:// URL", v)
		} else if pu.Scheme == "http" && !isLoopback(pu.Hostname()) {
			log.Warn("--trigger-webhook is http:// to a host that is not loopback: events (attributes, and passwords for UserMigration) travel in clear text", "host", pu.Host)
		}
		hooks[name] = &trigger.Webhook{URL: u, Secret: secret}
	}
	if secretFlag {
		if len(hooks) == 0 {
			return errors.New("--trigger-webhook-secret needs --trigger-webhook")
		}
		log.Warn("--trigger-webhook-secret shows the secret in the process list; prefer $COGNATE_TRIGGER_WEBHOOK_SECRET")
	}
	lo := trigger.LambdaOptions{Endpoint: t.lambdaEndpoint, Region: cfg.Region}
	if t.lambdaEndpoint != "" {
		u, err := url.Parse(t.lambdaEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("--lambda-endpoint: want an http:// or https:// URL")
		}
		// A local endpoint (sam local, LocalStack) takes any signature: sign
		// with the environment's keys when there are some, else anonymously.
		if id, key := t.getenv("AWS_ACCESS_KEY_ID"), t.getenv("AWS_SECRET_ACCESS_KEY"); id != "" && key != "" {
			lo.Credentials = credentials.NewStaticCredentialsProvider(id, key, t.getenv("AWS_SESSION_TOKEN"))
		}
	} else {
		awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(cfg.Region))
		if err != nil {
			return fmt.Errorf("AWS configuration for Lambda triggers: %w", err)
		}
		if awsCfg.Credentials != nil {
			lo.Credentials = aws.NewCredentialsCache(awsCfg.Credentials)
		}
	}
	cfg.Triggers = &trigger.Router{Webhooks: hooks, Lambda: trigger.NewLambda(lo)}
	via := "AWS Lambda"
	if t.lambdaEndpoint != "" {
		via = t.lambdaEndpoint
	}
	log.Info("lambda triggers", "lambda", via, "webhooks", len(hooks))
	return nil
}
