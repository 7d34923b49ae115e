// Package kube is blueprint's edge to Kubernetes: connecting to the EKS
// cluster with a token generated in Go (no aws CLI, no
// aws-iam-authenticator), writing kubeconfigs whose user runs
// `blueprint token`, summarising nodes for `status`, and port-forwarding to
// the platform's web UIs for `open`.
package kube

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientauthv1 "k8s.io/client-go/pkg/apis/clientauthentication/v1"
)

const (
	// TokenPrefix starts every EKS bearer token.
	TokenPrefix = "k8s-aws-v1."
	// ClusterIDHeader names the cluster in the signed request, so a token
	// for one cluster is not accepted by another.
	ClusterIDHeader = "x-k8s-aws-id"
	// presignExpiry is the X-Amz-Expires of the presigned URL. EKS accepts
	// tokens up to 15 minutes after signing whatever the value says;
	// aws-iam-authenticator and `aws eks get-token` send 60.
	presignExpiry = "60"
	// TokenLifetime is how long a token is used: one minute short of the
	// 15 minutes EKS accepts, as `aws eks get-token` reports.
	TokenLifetime = 14 * time.Minute
	// refreshMargin renews a cached token this long before it expires, so
	// a request never leaves with a token about to lapse.
	refreshMargin = time.Minute
)

// Token is an EKS bearer token and when to stop using it.
type Token struct {
	Value      string
	Expiration time.Time
}

// String hides the token from any accidental %v.
func (t Token) String() string {
	return fmt.Sprintf("Token{***, expires %s}", t.Expiration.UTC().Format(time.RFC3339))
}

// Presigner is the STS call a token is made of.
type Presigner interface {
	PresignGetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// TokenGenerator makes EKS tokens from AWS credentials.
type TokenGenerator struct {
	Presign Presigner
	// Now is the clock the expiry is computed from; nil is time.Now.
	Now func() time.Time
}

// NewTokenGenerator returns a generator signing with cfg's credentials
// and region. It makes no AWS call: the token is a presigned URL that EKS
// calls.
func NewTokenGenerator(cfg aws.Config) *TokenGenerator {
	return &TokenGenerator{Presign: sts.NewPresignClient(sts.NewFromConfig(cfg))}
}

// Get returns a token for the named cluster.
func (g *TokenGenerator) Get(ctx context.Context, cluster string) (Token, error) {
	if cluster == "" {
		return Token{}, errors.New("generating EKS token: no cluster name")
	}
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	issued := now()
	req, err := g.Presign.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(po *sts.PresignOptions) {
		po.ClientOptions = append(po.ClientOptions, func(o *sts.Options) {
			// X-Amz-* headers other than the ones SigV4 itself needs are
			// hoisted into the query string by the presigner, which is how
			// X-Amz-Expires ends up in the URL; the cluster header stays a
			// signed header.
			o.APIOptions = append(o.APIOptions,
				smithyhttp.SetHeaderValue(ClusterIDHeader, cluster),
				smithyhttp.SetHeaderValue("X-Amz-Expires", presignExpiry))
		})
	})
	if err != nil {
		return Token{}, fmt.Errorf("generating EKS token for cluster %q: presigning sts:GetCallerIdentity: %w", cluster, err)
	}
	return Token{
		Value:      TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)),
		Expiration: issued.Add(TokenLifetime),
	}, nil
}

// DecodeToken returns the presigned URL inside an EKS token.
func DecodeToken(token string) (string, error) {
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return "", fmt.Errorf("not an EKS token: no %q prefix", TokenPrefix)
	}
	u, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return "", fmt.Errorf("not an EKS token: %w", err)
	}
	return string(u), nil
}

// TokenGetter makes a token for a cluster; *TokenGenerator is one.
type TokenGetter interface {
	Get(ctx context.Context, cluster string) (Token, error)
}

// TokenSource hands out one cluster's token, making a new one shortly
// before the cached one expires. It is safe for concurrent use.
type TokenSource struct {
	gen     TokenGetter
	cluster string
	now     func() time.Time

	mu  sync.Mutex
	cur Token
}

// NewTokenSource caches tokens of gen for cluster. now is the clock the
// cache is checked against; nil is time.Now.
func NewTokenSource(gen TokenGetter, cluster string, now func() time.Time) *TokenSource {
	if now == nil {
		now = time.Now
	}
	return &TokenSource{gen: gen, cluster: cluster, now: now}
}

// Token returns the cached token, or a new one when the cached one
// expires within a minute.
func (s *TokenSource) Token(ctx context.Context) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.Value != "" && s.now().Add(refreshMargin).Before(s.cur.Expiration) {
		return s.cur, nil
	}
	t, err := s.gen.Get(ctx, s.cluster)
	if err != nil {
		return Token{}, err
	}
	s.cur = t
	return t, nil
}

// WrapTransport is a rest.Config WrapTransport: every request carries a
// current token, so a long Helm wait or port-forward outlives any one token.
func (s *TokenSource) WrapTransport(rt http.RoundTripper) http.RoundTripper {
	return &bearerTransport{src: s, next: rt}
}

type bearerTransport struct {
	src  *TokenSource
	next http.RoundTripper
}

func (b *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t, err := b.src.Token(req.Context())
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // a RoundTripper must close the body, even on error
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+t.Value)
	return b.next.RoundTrip(r)
}

// WrappedRoundTripper lets client-go see through the wrapper (it looks
// for the transport underneath, e.g. to cancel requests).
func (b *bearerTransport) WrappedRoundTripper() http.RoundTripper { return b.next }

// ExecCredential encodes t as the client.authentication.k8s.io/v1
// ExecCredential kubectl reads from a credential plugin's stdout.
func ExecCredential(t Token) ([]byte, error) {
	exp := metav1.NewTime(t.Expiration.UTC())
	b, err := json.Marshal(&clientauthv1.ExecCredential{
		TypeMeta: metav1.TypeMeta{APIVersion: ExecAPIVersion, Kind: "ExecCredential"},
		Status:   &clientauthv1.ExecCredentialStatus{Token: t.Value, ExpirationTimestamp: &exp},
	})
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
