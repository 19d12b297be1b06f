package userpool

// The pool settings CreateUserPool and UpdateUserPool take that this server
// keeps as sent (Lambda triggers, the feature plan, issuer and key
// configuration): their validation, as Cognito's, and their defaults.

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
)

// lambdaTriggers are LambdaConfig's members that take a Lambda function
// ARN.
var lambdaTriggers = []string{"PreSignUp", "CustomMessage", "PostConfirmation", "PreAuthentication",
	"PostAuthentication", "DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse",
	"PreTokenGeneration", "UserMigration"}

// lambdaVersioned are LambdaConfig's members of {LambdaVersion, LambdaArn},
// with the versions each takes.
var lambdaVersioned = map[string][]string{
	"PreTokenGenerationConfig": {"V1_0", "V2_0", "V3_0"},
	"CustomSMSSender":          {"V1_0"},
	"CustomEmailSender":        {"V1_0"},
	"InboundFederation":        {"V1_0"},
}

var (
	lambdaArnRE = regexp.MustCompile(`^arn:[\w+=/,.@-]+:lambda:[\w+=/,.@-]*:[0-9]*:function:[\w+=/,.@-]+(:[\w+=/,.@-]+)?$`)
	kmsArnRE    = regexp.MustCompile(`^arn:[\w+=/,.@-]+:kms:[\w+=/,.@-]*:[0-9]*:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$`)
)

const arnPattern = `arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?`

// normalizeStoredSettings validates LambdaConfig and fills the defaults of
// UserPoolTier and EmailConfiguration. LambdaConfig is kept byte for byte
// as sent.
func (c *PoolConfig) normalizeStoredSettings() error {
	if c.UserPoolTier == "" {
		c.UserPoolTier = "ESSENTIALS"
	}
	if !slices.Contains([]string{"LITE", "ESSENTIALS", "PLUS"}, c.UserPoolTier) {
		return violation(Violation{Member: "userPoolTier", Rule: RuleEnum, Value: c.UserPoolTier, Shown: true,
			Values: []string{"LITE", "ESSENTIALS", "PLUS"}})
	}
	if isNullJSON(c.EmailConfiguration) {
		c.EmailConfiguration = json.RawMessage(`{"EmailSendingAccount":"COGNITO_DEFAULT"}`)
	}
	if isNullJSON(c.LambdaConfig) {
		c.LambdaConfig = nil
		return nil
	}
	return checkLambdaConfig(c.LambdaConfig, c.UserPoolTier)
}

func isNullJSON(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

type lambdaVersionConfig struct {
	LambdaVersion *string `json:"LambdaVersion"`
	LambdaArn     *string `json:"LambdaArn"`
}

// checkLambdaConfig validates a LambdaConfig as Cognito does: each trigger a
// Lambda function ARN, the versioned ones with a known LambdaVersion, a
// KMS key ARN wherever a custom sender is set.
func checkLambdaConfig(raw json.RawMessage, tier string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return invalidf("LambdaConfig must be an object")
	}
	for name, v := range m {
		member := "lambdaConfig." + lowerFirst(name)
		switch {
		case slices.Contains(lambdaTriggers, name):
			var arn string
			if err := json.Unmarshal(v, &arn); err != nil {
				return invalidf("%s must be a string", name)
			}
			if err := checkLambdaArn(member, arn); err != nil {
				return err
			}
		case lambdaVersioned[name] != nil:
			var vc lambdaVersionConfig
			if err := json.Unmarshal(v, &vc); err != nil {
				return invalidf("%s must be an object of LambdaVersion and LambdaArn", name)
			}
			if vc.LambdaVersion == nil {
				return required(member + ".lambdaVersion")
			}
			if !slices.Contains(lambdaVersioned[name], *vc.LambdaVersion) {
				return violation(Violation{Member: member + ".lambdaVersion", Rule: RuleEnum, Value: *vc.LambdaVersion,
					Shown: true, Values: lambdaVersioned[name]})
			}
			if vc.LambdaArn == nil {
				return required(member + ".lambdaArn")
			}
			if err := checkLambdaArn(member+".lambdaArn", *vc.LambdaArn); err != nil {
				return err
			}
		case name == "KMSKeyID":
			var arn string
			if err := json.Unmarshal(v, &arn); err != nil || len(arn) < 20 || len(arn) > 2048 || !kmsArnRE.MatchString(arn) {
				return violation(Violation{Member: "lambdaConfig.kMSKeyID", Rule: RulePattern, Value: string(v), Shown: true, Pattern: arnPattern})
			}
		default:
			return invalidf("LambdaConfig has no member %s", name)
		}
	}
	_, sms := m["CustomSMSSender"]
	_, email := m["CustomEmailSender"]
	if _, kms := m["KMSKeyID"]; (sms || email) && !kms {
		return invalidf("KMSKeyID must be provided when CustomSMSSender or CustomEmailSender is set.")
	}
	if v, ok := m["PreTokenGenerationConfig"]; ok {
		var vc lambdaVersionConfig
		_ = json.Unmarshal(v, &vc) // checked above
		if legacy, ok := m["PreTokenGeneration"]; ok {
			var arn string
			_ = json.Unmarshal(legacy, &arn)
			if arn != *vc.LambdaArn {
				return invalidf("PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must be the same function.")
			}
		}
		if *vc.LambdaVersion != "V1_0" && tier == "LITE" {
			return invalidf("Pre token generation trigger event %s requires the ESSENTIALS or PLUS feature plan.", *vc.LambdaVersion)
		}
	}
	return nil
}

func checkLambdaArn(member, arn string) error {
	if len(arn) < 20 || len(arn) > 2048 || !lambdaArnRE.MatchString(arn) {
		return violation(Violation{Member: member, Rule: RuleLengthPattern, Value: arn, Shown: true, Min: 20, Max: 2048, Pattern: arnPattern})
	}
	return nil
}
