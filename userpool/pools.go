package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// Pool is a user pool as the API shows it.
type Pool struct {
	ID               string
	Name             string
	Arn              string
	CreationDate     time.Time
	LastModifiedDate time.Time
	Config           PoolConfig
	// Domain and CustomDomain name the pool's domains (DescribeUserPool
	// only; domains.go).
	Domain       string
	CustomDomain string
}

var nameRE = regexp.MustCompile(`^[\w\s+=,.@-]+$`)

func (s *Service) arn(poolID string) string {
	return "arn:aws:cognito-idp:" + s.region + ":" + accountID + ":userpool/" + poolID
}

func (s *Service) toPool(p *store.Pool) (*Pool, error) {
	out := &Pool{ID: p.ID, Name: p.Name, Arn: s.arn(p.ID), CreationDate: p.CreatedAt, LastModifiedDate: p.UpdatedAt}
	if err := json.Unmarshal(p.Settings, &out.Config); err != nil {
		return nil, fmt.Errorf("pool %s settings: %w", p.ID, err)
	}
	if pp := out.Config.Policies; pp != nil && pp.SignInPolicy == nil { // a pool stored before SignInPolicy (userauth.go)
		pp.SignInPolicy = &SignInPolicy{AllowedFirstAuthFactors: []string{FactorPassword}}
	}
	if out.Config.UserPoolTier == "" { // a pool stored before UserPoolTier (poolsettings.go)
		out.Config.UserPoolTier = "ESSENTIALS"
	}
	return out, nil
}

// pool loads a pool or answers ResourceNotFoundException.
func (s *Service) pool(ctx context.Context, id string) (*Pool, error) {
	if id == "" {
		return nil, required("userPoolId")
	}
	p, err := s.pools.GetPool(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, caused(KindNotFound, CausePoolNotFound, id)
	}
	if err != nil {
		return nil, internal("get pool", err)
	}
	notePool(ctx, p.ID)
	return s.toPool(p)
}

// CreateUserPool creates a pool with its signing and sealing keys. cfg.SchemaAttributes
// holds the attributes the caller declares (CreateUserPool's Schema); the
// pool's schema is the standard attributes with those declarations. A
// PoolIDTag tag in cfg.UserPoolTags chooses the pool's id (see fixedids.go).
func (s *Service) CreateUserPool(ctx context.Context, name string, cfg PoolConfig) (*Pool, error) {
	if len(name) < 1 || len(name) > 128 || !nameRE.MatchString(name) {
		return nil, poolNameViolation()
	}
	cfg.MFAFactors = nil
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if err := checkTags(cfg.UserPoolTags); err != nil { // tags.go
		return nil, err
	}
	fixedID, err := s.fixedPoolID(cfg.UserPoolTags)
	if err != nil {
		return nil, err
	}
	schema, err := BuildSchema(cfg.SchemaAttributes, cfg.UsernameAttributes)
	if err != nil {
		return nil, schemaErr(err)
	}
	cfg.SchemaAttributes = schema
	settings, err := json.Marshal(cfg)
	if err != nil {
		return nil, internal("encode pool settings", err)
	}
	now := s.now().UTC()
	id := fixedID
	if id == "" {
		id = newPoolID(s.region)
	}
	p := &store.Pool{ID: id, Name: name, Settings: settings, CreatedAt: now, UpdatedAt: now}
	keys, err := newKeys(p.ID, now)
	if err != nil {
		return nil, internal("create pool keys", err)
	}
	// One transaction: no replica ever sees the pool without all its keys
	// (and caches a partial key set).
	if err := s.pools.CreatePool(ctx, p, keys...); err != nil {
		return nil, takenErr("User pool", fixedID, "create pool", err)
	}
	s.log.Info("user pool created", "pool", p.ID, "name", name)
	return s.toPool(p)
}

// DescribeUserPool returns a pool, with the names of its domains.
func (s *Service) DescribeUserPool(ctx context.Context, id string) (*Pool, error) {
	p, err := s.pool(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Domain, p.CustomDomain, err = s.poolDomainNames(ctx, id); err != nil { // domains.go
		return nil, err
	}
	return p, nil
}

// DeleteUserPool deletes a pool and everything in it.
func (s *Service) DeleteUserPool(ctx context.Context, id string) error {
	p, err := s.pool(ctx, id)
	if err != nil {
		return err
	}
	if p.Config.DeletionProtection == "ACTIVE" {
		return invalidf("The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.")
	}
	if prefix, custom, err := s.poolDomainNames(ctx, id); err != nil {
		return err
	} else if prefix != "" || custom != "" { // Cognito's refusal: the domain goes first
		return invalidf("User pool cannot be deleted. It has a domain configured that should be deleted first.")
	}
	if err := s.pools.DeletePool(ctx, id); err != nil {
		return internal("delete pool", err)
	}
	s.forgetKeys(id)
	s.verified.clear()
	s.log.Info("user pool deleted", "pool", id)
	return nil
}

// ListUserPools pages through pools. maxResults must be 1–60.
func (s *Service) ListUserPools(ctx context.Context, maxResults int, next string) ([]*Pool, string, error) {
	if maxResults < 1 || maxResults > 60 {
		return nil, "", maxResultsViolation(maxResults)
	}
	after, err := decodeNext(next)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pools.ListPools(ctx, after, maxResults+1)
	if err != nil {
		return nil, "", internal("list pools", err)
	}
	var out []*Pool
	for i, r := range rows {
		if i == maxResults {
			break
		}
		p, err := s.toPool(r)
		if err != nil {
			return nil, "", internal("list pools", err)
		}
		out = append(out, p)
	}
	if len(rows) > maxResults {
		return out, encodeNext(rows[maxResults-1].ID), nil
	}
	return out, "", nil
}

// poolNameViolation is the error for a pool name out of Cognito's rules.
func poolNameViolation() *Error {
	return violation(Violation{Member: "poolName", Rule: RuleLengthPattern, Min: 1, Max: 128, Pattern: `[\w\s+=,.@-]+`})
}

// maxResultsViolation is the error for a page size out of 1–60.
func maxResultsViolation(n int) *Error {
	return violation(Violation{Member: "maxResults", Rule: RuleRange, Value: strconv.Itoa(n), Shown: true, Min: 1, Max: 60})
}

// UpdatePoolInput is what UpdateUserPool takes: the pool's new mutable
// settings, and optionally a new name.
type UpdatePoolInput struct {
	PoolID string
	Name   string // empty keeps the name
	Config PoolConfig
}

// UpdateUserPool replaces the pool's mutable settings, Cognito's way:
// settings left out return to their defaults. The sign-in identifiers
// (UsernameAttributes, AliasAttributes, UsernameConfiguration) and the
// schema are fixed at creation (AddCustomAttributes extends the schema) and
// kept, and so are the tags when UserPoolTags is left out (TagResource and
// UntagResource manage them; sent, it replaces them). The pool is read and
// written in one transaction, so a concurrent TagResource is not lost.
func (s *Service) UpdateUserPool(ctx context.Context, in UpdatePoolInput) error {
	if _, err := s.pool(ctx, in.PoolID); err != nil {
		return err
	}
	if in.Name != "" && (len(in.Name) > 128 || !nameRE.MatchString(in.Name)) {
		return poolNameViolation()
	}
	if err := checkTags(in.Config.UserPoolTags); err != nil {
		return err
	}
	err := s.poolEdits.EditPool(ctx, in.PoolID, func(p *store.Pool) error {
		cur, err := s.toPool(p)
		if err != nil {
			return internal("update pool", err)
		}
		cfg := in.Config
		cfg.UsernameAttributes = cur.Config.UsernameAttributes
		cfg.AliasAttributes = cur.Config.AliasAttributes
		cfg.UsernameConfiguration = cur.Config.UsernameConfiguration
		cfg.SchemaAttributes = cur.Config.SchemaAttributes
		cfg.MFAFactors = cur.Config.MFAFactors
		if cfg.UserPoolTags == nil {
			cfg.UserPoolTags = cur.Config.UserPoolTags
		}
		if err := cfg.normalize(); err != nil {
			return err
		}
		settings, err := json.Marshal(cfg)
		if err != nil {
			return internal("encode pool settings", err)
		}
		if in.Name != "" {
			p.Name = in.Name
		}
		p.Settings, p.UpdatedAt = settings, s.now().UTC()
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return caused(KindNotFound, CausePoolNotFound, in.PoolID)
	}
	if err != nil {
		return internal("update pool", err)
	}
	s.log.Info("user pool updated", "pool", in.PoolID)
	return nil
}

// AddCustomAttributes declares custom attributes on a pool.
func (s *Service) AddCustomAttributes(ctx context.Context, poolID string, attrs []SchemaAttribute) error {
	cur, err := s.pool(ctx, poolID)
	if err != nil {
		return err
	}
	if len(attrs) == 0 {
		return required("customAttributes")
	}
	schema, err := AddCustomAttributes(cur.schema(), attrs)
	if err != nil {
		return schemaErr(err)
	}
	cfg := cur.Config
	cfg.SchemaAttributes = schema
	settings, err := json.Marshal(cfg)
	if err != nil {
		return internal("encode pool settings", err)
	}
	p := &store.Pool{ID: cur.ID, Name: cur.Name, Settings: settings, CreatedAt: cur.CreationDate, UpdatedAt: s.now().UTC()}
	if err := s.pools.UpdatePool(ctx, p); err != nil {
		return internal("add custom attributes", err)
	}
	return nil
}
