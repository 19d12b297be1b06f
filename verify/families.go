package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// familyInfo is what the feed's family lookup says of a family. A family's
// generation never changes, so answers are kept.
type familyInfo struct {
	gen     int64
	revoked bool // unknown to the server (404) or revoked when asked
}

// maxFamilies bounds the family cache; past it the cache starts over.
const maxFamilies = 100_000

// familyCache answers GET {issuer}/revocations/families/{id}, once per
// family: concurrent askers of one family share one request.
type familyCache struct {
	ctx    context.Context // ends with the Verifier
	base   string
	feed   *feedClient
	mu     sync.Mutex
	known  map[string]familyInfo
	flight map[string]*familyCall
}

type familyCall struct {
	done chan struct{}
	info familyInfo
	err  error
}

func newFamilyCache(ctx context.Context, issuer string, feed *feedClient) *familyCache {
	return &familyCache{ctx: ctx, base: issuer + "/revocations/families/", feed: feed, known: map[string]familyInfo{},
		flight: map[string]*familyCall{}}
}

func (f *familyCache) get(ctx context.Context, id string) (familyInfo, error) {
	f.mu.Lock()
	if info, ok := f.known[id]; ok {
		f.mu.Unlock()
		return info, nil
	}
	call, ok := f.flight[id]
	if !ok {
		call = &familyCall{done: make(chan struct{})}
		f.flight[id] = call
		go f.lookup(id, call)
	}
	f.mu.Unlock()
	select {
	case <-call.done:
		return call.info, call.err
	case <-ctx.Done():
		return familyInfo{}, ctx.Err()
	}
}

// lookup runs one request, detached from any one caller's context.
func (f *familyCache) lookup(id string, call *familyCall) {
	ctx, cancel := context.WithTimeout(f.ctx, 5*time.Second)
	defer cancel()
	call.info, call.err = f.fetch(ctx, id)
	f.mu.Lock()
	delete(f.flight, id)
	if call.err == nil {
		if len(f.known) >= maxFamilies {
			f.known = map[string]familyInfo{}
		}
		f.known[id] = call.info
	}
	f.mu.Unlock()
	close(call.done)
}

func (f *familyCache) fetch(ctx context.Context, id string) (familyInfo, error) {
	resp, err := f.feed.get(ctx, f.base+url.PathEscape(id), "application/json")
	if err != nil {
		return familyInfo{}, fmt.Errorf("family lookup: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return familyInfo{}, fmt.Errorf("family lookup: read: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return familyInfo{revoked: true}, nil
	default:
		return familyInfo{}, fmt.Errorf("family lookup: %s", resp.Status)
	}
	var out struct {
		Gen     int64  `json:"gen"`
		Revoked string `json:"revoked"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return familyInfo{}, fmt.Errorf("family lookup: decode: %w", err)
	}
	return familyInfo{gen: out.Gen, revoked: out.Revoked != ""}, nil
}
