package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
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
}

// Client is an app client as the API shows it.
type Client struct {
	ID               string
	PoolID           string
	Name             string
	Secret           string
	CreationDate     time.Time
	LastModifiedDate time.Time
	Config           ClientConfig
}

var nameRE = regexp.MustCompile(`^[\w\s+=,.@-]+$`)

func (s *Service) arn(poolID string) string {
	return "arn:aws:cognito-idp:" + s.region + ":000000000000:userpool/" + poolID
}

func (s *Service) toPool(p *store.Pool) (*Pool, error) {
	out := &Pool{ID: p.ID, Name: p.Name, Arn: s.arn(p.ID), CreationDate: p.CreatedAt, LastModifiedDate: p.UpdatedAt}
	if err := json.Unmarshal(p.Settings, &out.Config); err != nil {
		return nil, fmt.Errorf("pool %s settings: %w", p.ID, err)
	}
	return out, nil
}

// pool loads a pool or answers ResourceNotFoundException.
func (s *Service) pool(ctx context.Context, id string) (*Pool, error) {
	if id == "" {
		return nil, invalidParam("1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null")
	}
	p, err := s.st.GetPool(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, newErr(CodeResourceNotFound, "User pool %s does not exist.", id)
	}
	if err != nil {
		return nil, internal("get pool", err)
	}
	return s.toPool(p)
}

// CreateUserPool creates a pool with its signing keys.
func (s *Service) CreateUserPool(ctx context.Context, name string, cfg PoolConfig) (*Pool, error) {
	if len(name) < 1 || len(name) > 128 || !nameRE.MatchString(name) {
		return nil, invalidParam("1 validation error detected: Value at 'poolName' failed to satisfy constraint: Member must have length between 1 and 128 and match [\\w\\s+=,.@-]+")
	}
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	settings, err := json.Marshal(cfg)
	if err != nil {
		return nil, internal("encode pool settings", err)
	}
	now := s.now().UTC()
	p := &store.Pool{ID: newPoolID(s.region), Name: name, Settings: settings, CreatedAt: now, UpdatedAt: now}
	if err := s.st.CreatePool(ctx, p); err != nil {
		return nil, internal("create pool", err)
	}
	if err := s.createKeys(ctx, p.ID); err != nil {
		_ = s.st.DeletePool(ctx, p.ID)
		return nil, internal("create pool keys", err)
	}
	s.log.Info("user pool created", "pool", p.ID, "name", name)
	return s.toPool(p)
}

// DescribeUserPool returns a pool.
func (s *Service) DescribeUserPool(ctx context.Context, id string) (*Pool, error) {
	return s.pool(ctx, id)
}

// DeleteUserPool deletes a pool and everything in it.
func (s *Service) DeleteUserPool(ctx context.Context, id string) error {
	p, err := s.pool(ctx, id)
	if err != nil {
		return err
	}
	if p.Config.DeletionProtection == "ACTIVE" {
		return invalidParam("The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.")
	}
	if err := s.st.DeletePool(ctx, id); err != nil {
		return internal("delete pool", err)
	}
	s.mu.Lock()
	delete(s.keys, id)
	s.mu.Unlock()
	s.verified.clear()
	s.log.Info("user pool deleted", "pool", id)
	return nil
}

// ListUserPools pages through pools. maxResults must be 1–60.
func (s *Service) ListUserPools(ctx context.Context, maxResults int, next string) ([]*Pool, string, error) {
	if maxResults < 1 || maxResults > 60 {
		return nil, "", invalidParam("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 60", maxResults)
	}
	after, err := decodeNext(next)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.st.ListPools(ctx, after, maxResults+1)
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

func encodeNext(after string) string { return base64.RawURLEncoding.EncodeToString([]byte(after)) }

func decodeNext(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) > 256 {
		return "", invalidParam("Invalid pagination token")
	}
	return string(b), nil
}

func (s *Service) toClient(c *store.Client) (*Client, error) {
	out := &Client{ID: c.ID, PoolID: c.PoolID, Name: c.Name, Secret: c.Secret, CreationDate: c.CreatedAt, LastModifiedDate: c.UpdatedAt}
	if err := json.Unmarshal(c.Settings, &out.Config); err != nil {
		return nil, fmt.Errorf("client %s settings: %w", c.ID, err)
	}
	return out, nil
}

// client loads an app client; a client of another pool than poolID (when
// given) does not exist.
func (s *Service) client(ctx context.Context, poolID, clientID string) (*Client, error) {
	if clientID == "" {
		return nil, invalidParam("1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null")
	}
	c, err := s.st.GetClient(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && poolID != "" && c.PoolID != poolID) {
		return nil, newErr(CodeResourceNotFound, "User pool client %s does not exist.", clientID)
	}
	if err != nil {
		return nil, internal("get client", err)
	}
	return s.toClient(c)
}

// ClientInput is what Create/UpdateUserPoolClient take.
type ClientInput struct {
	PoolID         string
	ClientID       string // update only
	Name           string
	GenerateSecret bool
	Secret         string // a caller-chosen secret (24–64 characters)
	Config         ClientConfig
}

var secretRE = regexp.MustCompile(`^[\w+=,.@-]{24,64}$`)

// CreateUserPoolClient creates an app client.
func (s *Service) CreateUserPoolClient(ctx context.Context, in ClientInput) (*Client, error) {
	if _, err := s.pool(ctx, in.PoolID); err != nil {
		return nil, err
	}
	if len(in.Name) < 1 || len(in.Name) > 128 || !nameRE.MatchString(in.Name) {
		return nil, invalidParam("1 validation error detected: Value at 'clientName' failed to satisfy constraint: Member must have length between 1 and 128")
	}
	if err := in.Config.normalize(); err != nil {
		return nil, err
	}
	secret := ""
	switch {
	case in.Secret != "":
		if !secretRE.MatchString(in.Secret) {
			return nil, invalidParam("ClientSecret must be 24 to 64 characters of [\\w+=,.@-]")
		}
		secret = in.Secret
	case in.GenerateSecret:
		secret = newClientSecret()
	}
	settings, err := json.Marshal(in.Config)
	if err != nil {
		return nil, internal("encode client settings", err)
	}
	now := s.now().UTC()
	c := &store.Client{ID: newClientID(), PoolID: in.PoolID, Name: in.Name, Secret: secret, Settings: settings, CreatedAt: now, UpdatedAt: now}
	if err := s.st.CreateClient(ctx, c); err != nil {
		return nil, internal("create client", err)
	}
	s.log.Info("app client created", "pool", in.PoolID, "client", c.ID)
	return s.toClient(c)
}

// DescribeUserPoolClient returns an app client of the pool.
func (s *Service) DescribeUserPoolClient(ctx context.Context, poolID, clientID string) (*Client, error) {
	if _, err := s.pool(ctx, poolID); err != nil {
		return nil, err
	}
	return s.client(ctx, poolID, clientID)
}

// UpdateUserPoolClient replaces the client's whole configuration (Cognito's
// semantics: omitted settings return to their defaults).
func (s *Service) UpdateUserPoolClient(ctx context.Context, in ClientInput) (*Client, error) {
	if _, err := s.pool(ctx, in.PoolID); err != nil {
		return nil, err
	}
	cur, err := s.client(ctx, in.PoolID, in.ClientID)
	if err != nil {
		return nil, err
	}
	name := in.Name
	if name == "" {
		name = cur.Name
	}
	if len(name) > 128 || !nameRE.MatchString(name) {
		return nil, invalidParam("1 validation error detected: Value at 'clientName' failed to satisfy constraint: Member must have length between 1 and 128")
	}
	if err := in.Config.normalize(); err != nil {
		return nil, err
	}
	settings, err := json.Marshal(in.Config)
	if err != nil {
		return nil, internal("encode client settings", err)
	}
	c := &store.Client{ID: cur.ID, PoolID: cur.PoolID, Name: name, Secret: cur.Secret, Settings: settings,
		CreatedAt: cur.CreationDate, UpdatedAt: s.now().UTC()}
	if err := s.st.UpdateClient(ctx, c); err != nil {
		return nil, internal("update client", err)
	}
	return s.toClient(c)
}

// DeleteUserPoolClient deletes an app client and its sessions.
func (s *Service) DeleteUserPoolClient(ctx context.Context, poolID, clientID string) error {
	if _, err := s.pool(ctx, poolID); err != nil {
		return err
	}
	if _, err := s.client(ctx, poolID, clientID); err != nil {
		return err
	}
	if err := s.st.DeleteClient(ctx, poolID, clientID); err != nil {
		return internal("delete client", err)
	}
	return nil
}

// ListUserPoolClients pages through a pool's clients (maxResults 1–60, 0 = 60).
func (s *Service) ListUserPoolClients(ctx context.Context, poolID string, maxResults int, next string) ([]*Client, string, error) {
	if _, err := s.pool(ctx, poolID); err != nil {
		return nil, "", err
	}
	if maxResults == 0 {
		maxResults = 60
	}
	if maxResults < 1 || maxResults > 60 {
		return nil, "", invalidParam("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 60", maxResults)
	}
	after, err := decodeNext(next)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.st.ListClients(ctx, poolID, after, maxResults+1)
	if err != nil {
		return nil, "", internal("list clients", err)
	}
	var out []*Client
	for i, r := range rows {
		if i == maxResults {
			break
		}
		c, err := s.toClient(r)
		if err != nil {
			return nil, "", internal("list clients", err)
		}
		out = append(out, c)
	}
	if len(rows) > maxResults {
		return out, encodeNext(rows[maxResults-1].ID), nil
	}
	return out, "", nil
}
