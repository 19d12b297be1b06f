package awsjson

import (
	"context"

	"github.com/cognate-dev/cognate/userpool"
)

// userAuthOperations are the operations of choice-based sign-in.
func userAuthOperations() map[string]operation {
	return map[string]operation{
		"GetUserAuthFactors": op(false, func(ctx context.Context, s *userpool.Service, in *accessTokenIn) (any, error) {
			f, err := s.GetUserAuthFactors(ctx, in.AccessToken)
			if err != nil {
				return nil, err
			}
			return struct {
				Username                  string   `json:"Username"`
				PreferredMfaSetting       string   `json:"PreferredMfaSetting,omitempty"`
				UserMFASettingList        []string `json:"UserMFASettingList,omitempty"`
				ConfiguredUserAuthFactors []string `json:"ConfiguredUserAuthFactors"`
			}{f.Username, f.PreferredMFA, f.MFASettings, f.Configured}, nil
		}),
	}
}
