package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/cognate-dev/cognate/store"
)

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
		return nil, required("clientId")
	}
	c, err := s.pools.GetClient(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && poolID != "" && c.PoolID != poolID) {
		return nil, caused(KindNotFound, CauseClientNotFound, clientID)
	}
	if err != nil {
		return nil, internal("get client", err)
	}
	cl, err := s.toClient(c)
	if err == nil {
		noteClient(ctx, cl)
	}
	return cl, err
}

// ClientInput is what Create/UpdateUserPoolClient take.
type ClientInput struct {
	PoolID         string
	ClientID       string // update: the client; create: a caller-chosen id (Cognate's extension), "" for a random one
	Name           string
	GenerateSecret bool
	Secret         string // a caller-chosen secret (24–64 characters)
	Config         ClientConfig
}

var secretRE = regexp.MustCompile(`^[\w+=,.@-]{24,64}$`)

// CreateUserPoolClient creates an app client, with the id in.ClientID when
// it is set (Cognate's extension; see fixedids.go), else a random one.
func (s *Service) CreateUserPoolClient(ctx context.Context, in ClientInput) (*Client, error) {
	if _, err := s.pool(ctx, in.PoolID); err != nil {
		return nil, err
	}
	if len(in.Name) < 1 || len(in.Name) > 128 || !nameRE.MatchString(in.Name) {
		return nil, clientNameViolation()
	}
	if err := in.Config.normalize(); err != nil {
		return nil, err
	}
	if err := s.checkClientScopes(ctx, in.PoolID, in.Config.AllowedOAuthScopes); err != nil { // resourceservers.go
		return nil, err
	}
	id := in.ClientID
	if id == "" {
		id = newClientID()
	} else if err := checkFixedClientID(id); err != nil {
		return nil, err
	}
	secret := ""
	switch {
	case in.Secret != "":
		if !secretRE.MatchString(in.Secret) {
			return nil, invalidf("ClientSecret must be 24 to 64 characters of [\\w+=,.@-]")
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
	c := &store.Client{ID: id, PoolID: in.PoolID, Name: in.Name, Secret: secret, Settings: settings, CreatedAt: now, UpdatedAt: now}
	if err := s.pools.CreateClient(ctx, c); err != nil {
		return nil, takenErr("App client", in.ClientID, "create client", err)
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
		return nil, clientNameViolation()
	}
	if err := in.Config.normalize(); err != nil {
		return nil, err
	}
	if err := s.checkClientScopes(ctx, in.PoolID, in.Config.AllowedOAuthScopes); err != nil { // resourceservers.go
		return nil, err
	}
	settings, err := json.Marshal(in.Config)
	if err != nil {
		return nil, internal("encode client settings", err)
	}
	c := &store.Client{ID: cur.ID, PoolID: cur.PoolID, Name: name, Secret: cur.Secret, Settings: settings,
		CreatedAt: cur.CreationDate, UpdatedAt: s.now().UTC()}
	if err := s.pools.UpdateClient(ctx, c); err != nil {
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
	if err := s.pools.DeleteClient(ctx, poolID, clientID); err != nil {
		return internal("delete client", err)
	}
	s.feed.committed(poolID)
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
		return nil, "", maxResultsViolation(maxResults)
	}
	after, err := decodeNext(next)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pools.ListClients(ctx, poolID, after, maxResults+1)
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

// clientNameViolation is the error for a client name out of Cognito's rules.
func clientNameViolation() *Error {
	return violation(Violation{Member: "clientName", Rule: RuleLengthPattern, Min: 1, Max: 128})
}
