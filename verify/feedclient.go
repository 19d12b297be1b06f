package verify

import (
	"context"
	"fmt"
	"net/http"
)

// feedClient makes the feed's requests, with the feed credentials when set.
type feedClient struct {
	http       *http.Client
	id, secret string
}

// request builds a GET of url with Accept and the credentials.
func (c *feedClient) request(ctx context.Context, url, accept string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Accept", accept)
	if c.id != "" {
		req.SetBasicAuth(c.id, c.secret)
	}
	return req, nil
}

// get sends a GET of url.
func (c *feedClient) get(ctx context.Context, url, accept string) (*http.Response, error) {
	req, err := c.request(ctx, url, accept)
	if err != nil {
		return nil, err
	}
	return c.http.Do(req)
}
