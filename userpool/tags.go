package userpool

// Tags of user pools, by ARN (TagResource, UntagResource,
// ListTagsForResource), kept with the pool's settings (UserPoolTags) and
// changed in one transaction each (store.PoolEdits), so concurrent tagging
// loses nothing.

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/store"
)

const maxTags = 50

var (
	tagRE         = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	resourceArnRE = regexp.MustCompile(`^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:[\w+=/,.@-]*:[0-9]*:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$`)
)

// checkTags validates tag keys and values as Cognito does.
func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return violation(Violation{Member: "tags", Rule: RuleMaxLength, Max: maxTags})
	}
	for k, v := range tags {
		if err := checkTagKey(k); err != nil {
			return err
		}
		if utf8.RuneCountInString(v) > 256 || !tagRE.MatchString(v) {
			return violation(Violation{Member: "tags", Rule: RuleLengthPattern, Min: 0, Max: 256, Pattern: `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`})
		}
	}
	return nil
}

func checkTagKey(k string) error {
	if n := utf8.RuneCountInString(k); n < 1 || n > 128 || !tagRE.MatchString(k) {
		return violation(Violation{Member: "tagKeys", Rule: RuleLengthPattern, Min: 1, Max: 128, Pattern: `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`})
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return invalidf("Tag keys starting with aws: are reserved for AWS use.")
	}
	return nil
}

// poolOfArn returns the id of the pool an ARN names: the ARN must be this
// server's (region, account) user pool ARN.
func (s *Service) poolOfArn(arn string) (string, error) {
	if arn == "" {
		return "", required("resourceArn")
	}
	if len(arn) < 20 || len(arn) > 2048 || !resourceArnRE.MatchString(arn) {
		return "", violation(Violation{Member: "resourceArn", Rule: RuleLengthPattern, Value: arn, Shown: true, Min: 20, Max: 2048, Pattern: arnPattern})
	}
	id, ok := strings.CutPrefix(arn, "arn:aws:cognito-idp:"+s.region+":"+accountID+":userpool/")
	if !ok || id == "" {
		return "", errorf(KindNotFound, "Resource %s does not exist.", arn)
	}
	return id, nil
}

// editTags changes a pool's tags in one transaction.
func (s *Service) editTags(ctx context.Context, poolID string, edit func(tags map[string]string) error) error {
	err := s.poolEdits.EditPool(ctx, poolID, func(p *store.Pool) error {
		var cfg PoolConfig
		if err := json.Unmarshal(p.Settings, &cfg); err != nil {
			return internal("pool settings", err)
		}
		tags := maps.Clone(cfg.UserPoolTags)
		if tags == nil {
			tags = map[string]string{}
		}
		if err := edit(tags); err != nil {
			return err
		}
		if len(tags) > maxTags {
			// InvalidParameterException: TagResource's model declares no
			// LimitExceededException (and SDKs retry that one).
			return invalidf("The number of tags of a user pool cannot exceed %d.", maxTags)
		}
		cfg.UserPoolTags = tags
		if len(tags) == 0 {
			cfg.UserPoolTags = nil
		}
		b, err := json.Marshal(cfg)
		if err != nil {
			return internal("encode pool settings", err)
		}
		p.Settings = b
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return caused(KindNotFound, CausePoolNotFound, poolID)
	}
	return internal("edit pool tags", err)
}

// TagResource adds tags to a pool, replacing the values of keys it has.
func (s *Service) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	id, err := s.poolOfArn(arn)
	if err != nil {
		return err
	}
	if tags == nil {
		return required("tags")
	}
	if err := checkTags(tags); err != nil {
		return err
	}
	return s.editTags(ctx, id, func(cur map[string]string) error {
		maps.Copy(cur, tags)
		return nil
	})
}

// UntagResource removes tags from a pool; keys it lacks are ignored.
func (s *Service) UntagResource(ctx context.Context, arn string, keys []string) error {
	id, err := s.poolOfArn(arn)
	if err != nil {
		return err
	}
	if keys == nil {
		return required("tagKeys")
	}
	if len(keys) > maxTags {
		return violation(Violation{Member: "tagKeys", Rule: RuleMaxLength, Max: maxTags})
	}
	for _, k := range keys {
		if err := checkTagKey(k); err != nil {
			return err
		}
	}
	return s.editTags(ctx, id, func(cur map[string]string) error {
		for _, k := range keys {
			delete(cur, k)
		}
		return nil
	})
}

// ListTagsForResource returns a pool's tags.
func (s *Service) ListTagsForResource(ctx context.Context, arn string) (map[string]string, error) {
	id, err := s.poolOfArn(arn)
	if err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Config.UserPoolTags == nil {
		return map[string]string{}, nil
	}
	return p.Config.UserPoolTags, nil
}
