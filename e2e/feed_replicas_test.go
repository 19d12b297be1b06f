package e2e

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// TestFeedAcrossReplicas: two replicas of the real binary on one
// PostgreSQL database; a revocation-feed stream open on replica B gets every
// revocation made through replica A within a second, in order, with no gap.
func TestFeedAcrossReplicas(t *testing.T) {
	dsn := testserver.PostgresDSN(t)
	c := startCluster(t, dsn)
	A := testserver.Remote(c.a.url)
	pool, client, secret := A.NewPool(t, testserver.WithSecret())
	A.NewUser(t, pool, "fay", password)
	hash := func(name string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(name + client))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}

	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.b.url+"/"+pool+"/revocations?after=0", nil)
	req.SetBasicAuth(client, secret)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stream on B: %v, %v", resp, err)
	}
	defer resp.Body.Close()
	type got struct {
		seq  int64
		kind string
		at   time.Time
	}
	events := make(chan got, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev struct {
					Seq  int64  `json:"seq"`
					Kind string `json:"kind"`
				}
				if json.Unmarshal([]byte(data), &ev) == nil {
					events <- got{ev.Seq, ev.Kind, time.Now()}
				}
			}
		}
	}()

	for i := range 5 {
		out, err := c.ca.InitiateAuth(bg, &cip.InitiateAuthInput{ClientId: &client, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": "fay", "PASSWORD": password, "SECRET_HASH": hash("fay")}})
		if err != nil {
			t.Fatal(err)
		}
		committed := time.Now()
		kind := "family"
		if i%2 == 0 {
			_, err = c.ca.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &client, ClientSecret: &secret,
				Token: out.AuthenticationResult.RefreshToken})
		} else {
			kind = "user"
			_, err = c.ca.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: out.AuthenticationResult.AccessToken})
		}
		if err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-events:
			if ev.seq != int64(i+1) || ev.kind != kind {
				t.Fatalf("event %d on B: seq %d kind %s, want %d %s", i, ev.seq, ev.kind, i+1, kind)
			}
			if d := ev.at.Sub(committed); d > time.Second {
				t.Errorf("revocation %d on A reached B's stream after %v", i+1, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("revocation %d on A never reached B's stream", i+1)
		}
	}
}
