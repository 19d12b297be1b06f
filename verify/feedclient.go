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

func (c *feedClient) get(ctx context.Context, url, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Accept", accept)
	if c.id != "" {
		req.SetBasicAuth(c.id, c.secret)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	return resp, nil
}
