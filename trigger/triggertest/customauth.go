package triggertest

import (
	"context"
	"encoding/json"
	"fmt"
)

// ChallengeFuncs returns the three functions of a custom authentication
// flow, named "define", "create" and "verify" (serve them and name
// ARN("define") and so on in the pool's LambdaConfig). They follow AWS's
// documented example: when the client sent SRP_A the password comes first
// (PASSWORD_VERIFIER), then a question whose public parameters are
// {"question": question} and whose right answer is answer; a right answer
// issues tokens, the third wrong one fails the sign-in. Each challenge's
// metadata is "CHALLENGE-<n>", n the length of the session when it was
// created.
func ChallengeFuncs(question, answer string) map[string]Func {
	type session []struct {
		ChallengeName   string `json:"challengeName"`
		ChallengeResult bool   `json:"challengeResult"`
	}
	type event struct {
		Request struct {
			Session                    session           `json:"session"`
			PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
			ChallengeAnswer            string            `json:"challengeAnswer"`
		} `json:"request"`
	}
	decode := func(raw json.RawMessage) (event, error) {
		var ev event
		err := json.Unmarshal(raw, &ev)
		return ev, err
	}
	return map[string]Func{
		"define": func(_ context.Context, raw json.RawMessage) (any, error) {
			ev, err := decode(raw)
			if err != nil {
				return nil, err
			}
			s := ev.Request.Session
			wrong := 0
			for _, r := range s {
				if r.ChallengeName == "CUSTOM_CHALLENGE" && !r.ChallengeResult {
					wrong++
				}
			}
			resp := map[string]any{"issueTokens": false, "failAuthentication": false}
			switch {
			case len(s) == 0:
				resp["challengeName"] = "CUSTOM_CHALLENGE"
			case s[len(s)-1].ChallengeName == "SRP_A":
				resp["challengeName"] = "PASSWORD_VERIFIER"
			case s[len(s)-1].ChallengeName == "PASSWORD_VERIFIER" && s[len(s)-1].ChallengeResult:
				resp["challengeName"] = "CUSTOM_CHALLENGE"
			case s[len(s)-1].ChallengeName == "CUSTOM_CHALLENGE" && s[len(s)-1].ChallengeResult:
				resp["issueTokens"] = true
			case wrong >= 3:
				resp["failAuthentication"] = true
			default:
				resp["challengeName"] = "CUSTOM_CHALLENGE"
			}
			return Respond(raw, resp)
		},
		"create": func(_ context.Context, raw json.RawMessage) (any, error) {
			ev, err := decode(raw)
			if err != nil {
				return nil, err
			}
			return Respond(raw, map[string]any{
				"publicChallengeParameters":  map[string]string{"question": question},
				"privateChallengeParameters": map[string]string{"answer": answer},
				"challengeMetadata":          fmt.Sprintf("CHALLENGE-%d", len(ev.Request.Session)),
			})
		},
		"verify": func(_ context.Context, raw json.RawMessage) (any, error) {
			ev, err := decode(raw)
			if err != nil {
				return nil, err
			}
			return Respond(raw, map[string]any{
				"answerCorrect": ev.Request.ChallengeAnswer == ev.Request.PrivateChallengeParameters["answer"]})
		},
	}
}
