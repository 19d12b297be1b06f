package awsjson_test

import (
	"strings"
	"testing"
)

var mfaTargets = []string{
	"SetUserPoolMfaConfig", "GetUserPoolMfaConfig", "SetUserMFAPreference", "AdminSetUserMFAPreference",
	"AssociateSoftwareToken", "VerifySoftwareToken", "RespondToAuthChallenge", "AdminRespondToAuthChallenge",
}

// FuzzMFAHandler feeds arbitrary bodies to the MFA operations: never a 5xx,
// every error Cognito-shaped.
func FuzzMFAHandler(f *testing.F) {
	h, ids := newHandler(f)
	seeds := []string{
		`{}`, `null`, `{"UserPoolId":"POOL"}`,
		`{"UserPoolId":"POOL","MfaConfiguration":"ON"}`, `{"UserPoolId":"POOL","MfaConfiguration":"SOMETIMES"}`,
		`{"UserPoolId":"POOL","MfaConfiguration":"OPTIONAL","SoftwareTokenMfaConfiguration":{"Enabled":true}}`,
		`{"UserPoolId":"POOL","MfaConfiguration":"OFF","EmailMfaConfiguration":{"Message":"x"}}`,
		`{"UserPoolId":"POOL","MfaConfiguration":"ON","SmsMfaConfiguration":{"SmsConfiguration":null}}`,
		`{"UserPoolId":"POOL","MfaConfiguration":"ON","SmsMfaConfiguration":{"SmsAuthenticationMessage":"{####}","SmsConfiguration":{"SnsCallerArn":"a"}}}`,
		`{"UserPoolId":"POOL","Username":"nobody","SoftwareTokenMfaSettings":{"Enabled":true,"PreferredMfa":true}}`,
		`{"AccessToken":"a.b.c","SMSMfaSettings":{"Enabled":true}}`,
		`{"Session":"` + strings.Repeat("A", 3000) + `"}`, `{"Session":"nope","UserCode":"123456"}`,
		`{"AccessToken":"x","UserCode":"12345x"}`, `{"Session":"s","UserCode":"` + strings.Repeat("1", 500) + `"}`,
		`{"ClientId":"CLIENT","ChallengeName":"SOFTWARE_TOKEN_MFA","Session":"abc","ChallengeResponses":{"SOFTWARE_TOKEN_MFA_CODE":"1"}}`,
		`{"ClientId":"CLIENT","ChallengeName":"SELECT_MFA_TYPE","Session":"abc","ChallengeResponses":{"ANSWER":"X"}}`,
		`{"UserPoolId":"POOL","ClientId":"CLIENT","ChallengeName":"MFA_SETUP","Session":"","ChallengeResponses":{}}`,
		`{"ClientId":"CLIENT","ChallengeName":"EMAIL_OTP","Session":"abc","ChallengeResponses":null}`,
	}
	for i, body := range seeds {
		for j := range mfaTargets {
			f.Add(uint8(i*len(mfaTargets)+j), strings.NewReplacer("POOL", ids["pool"], "CLIENT", ids["client"]).Replace(body))
		}
	}
	f.Fuzz(func(t *testing.T, target uint8, body string) {
		answersLikeCognito(t, h, mfaTargets[int(target)%len(mfaTargets)], body)
	})
}
