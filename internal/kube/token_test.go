package kube

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sqletl/blueprint/internal/mototest"
)

// TestToken shares one moto_server (it takes seconds to start).
func TestToken(t *testing.T) {
	moto := mototest.Start(t)
	motoURL, cfg := moto.URL, moto.AWSConfig(t)
	t.Run("presigned GetCallerIdentity", func(t *testing.T) { testPresignedToken(t, motoURL, cfg) })
	t.Run("empty cluster", func(t *testing.T) { testEmptyCluster(t, cfg) })
	t.Run("refresh", func(t *testing.T) { testTokenSourceRefresh(t, cfg) })
	t.Run("WrapTransport", func(t *testing.T) { testWrapTransport(t, cfg) })
}

func testPresignedToken(t *testing.T, motoURL string, cfg aws.Config) {
	tests := []struct{ cluster string }{{"blueprint"}, {"etl-prod-cluster"}}
	for _, tt := range tests {
		t.Run(tt.cluster, func(t *testing.T) {
			now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
			gen := NewTokenGenerator(cfg)
			gen.Now = func() time.Time { return now }
			tok, err := gen.Get(t.Context(), tt.cluster)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok.Value, "k8s-aws-v1.") || strings.ContainsAny(tok.Value, "=+/") {
				t.Fatalf("token is not k8s-aws-v1. + unpadded base64url: %.40s...", tok.Value)
			}
			if want := now.Add(14 * time.Minute); !tok.Expiration.Equal(want) {
				t.Errorf("expiration %v, want %v", tok.Expiration, want)
			}
			if strings.Contains(tok.String(), tok.Value[11:30]) {
				t.Error("Token.String shows the token")
			}
			raw, err := DecodeToken(tok.Value)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if got := u.Scheme + "://" + u.Host; got != motoURL {
				t.Errorf("presigned URL host %q, want the configured endpoint %q", got, motoURL)
			}
			for k, want := range map[string]string{
				"Action": "GetCallerIdentity", "Version": "2011-06-15",
				"X-Amz-Expires": "60", "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
			} {
				if q.Get(k) != want {
					t.Errorf("query %s=%q, want %q", k, q.Get(k), want)
				}
			}
			signed := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
			if !slices.Contains(signed, "x-k8s-aws-id") || !slices.Contains(signed, "host") {
				t.Errorf("X-Amz-SignedHeaders = %v, want host and x-k8s-aws-id", signed)
			}
			if cr := q.Get("X-Amz-Credential"); strings.HasPrefix(cr, "/") ||
				!strings.HasSuffix(cr, "/"+mototest.Region+"/sts/aws4_request") {
				t.Errorf("X-Amz-Credential = %q", q.Get("X-Amz-Credential"))
			}
			if len(q.Get("X-Amz-Signature")) != 64 {
				t.Errorf("X-Amz-Signature = %q", q.Get("X-Amz-Signature"))
			}

			// What EKS does with the token: GET the URL with the cluster header.
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, raw, nil)
			req.Header.Set("x-k8s-aws-id", tt.cluster)
			// moto_server picks the emulated service from the Authorization
			// header's credential scope and, without one, answers as S3; so
			// repeat the presigned query's SigV4 fields there. moto checks
			// no signature either way; real STS reads them from the query.
			req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s, SignedHeaders=%s, Signature=%s",
				q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature")))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), "<Arn>arn:aws:sts::"+mototest.AccountID+":user/moto</Arn>") {
				t.Errorf("GET presigned URL: %d\n%s", resp.StatusCode, body)
			}
		})
	}
}

func testEmptyCluster(t *testing.T, cfg aws.Config) {
	if _, err := NewTokenGenerator(cfg).Get(t.Context(), ""); err == nil || !strings.Contains(err.Error(), "no cluster name") {
		t.Errorf("err = %v", err)
	}
}

func TestDecodeTokenErrors(t *testing.T) {
	for _, tok := range []string{"", "Bearer x", "k8s-aws-v1.!!!"} {
		if _, err := DecodeToken(tok); err == nil {
			t.Errorf("DecodeToken(%q) accepted", tok)
		}
	}
}

// countingGetter counts calls to a real generator.
type countingGetter struct {
	mu    sync.Mutex
	gen   TokenGetter
	calls int
}

func (c *countingGetter) Get(ctx context.Context, cluster string) (Token, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return c.gen.Get(ctx, cluster)
}

func testTokenSourceRefresh(t *testing.T, cfg aws.Config) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		after     time.Duration // clock after the first token
		wantCalls int
	}{
		{0, 1},
		{5 * time.Minute, 1},
		{12*time.Minute + 59*time.Second, 1},
		{13 * time.Minute, 2}, // within a minute of the 14-minute expiry
		{20 * time.Minute, 2},
	}
	for _, tt := range tests {
		t.Run(tt.after.String(), func(t *testing.T) {
			clock := start
			now := func() time.Time { return clock }
			gen := NewTokenGenerator(cfg)
			gen.Now = now
			counter := &countingGetter{gen: gen}
			src := NewTokenSource(counter, "blueprint", now)
			first, err := src.Token(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			clock = start.Add(tt.after)
			second, err := src.Token(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if counter.calls != tt.wantCalls {
				t.Errorf("generator called %d times, want %d", counter.calls, tt.wantCalls)
			}
			if refreshed := tt.wantCalls == 2; refreshed != !second.Expiration.Equal(first.Expiration) {
				t.Errorf("expiration %v after %v (first %v)", second.Expiration, tt.after, first.Expiration)
			}
		})
	}
}

func testWrapTransport(t *testing.T, cfg aws.Config) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer srv.Close()

	clock := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	gen := NewTokenGenerator(cfg)
	gen.Now = now
	counter := &countingGetter{gen: gen}
	src := NewTokenSource(counter, "blueprint", now)
	client := &http.Client{Transport: src.WrapTransport(http.DefaultTransport)}
	get := func() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer stale")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	get()
	get()
	clock = clock.Add(15 * time.Minute)
	get()
	if len(seen) != 3 {
		t.Fatalf("%d requests", len(seen))
	}
	for i, h := range seen {
		if !strings.HasPrefix(h, "Bearer k8s-aws-v1.") {
			t.Errorf("request %d: Authorization %.30q", i, h)
		}
	}
	// Presigning uses the real clock, so two tokens made in the same
	// second are equal strings: count generations instead.
	if counter.calls != 2 {
		t.Errorf("%d tokens generated for 3 requests 15 minutes apart, want 2", counter.calls)
	}
}
