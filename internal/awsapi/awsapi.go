// Package awsapi is blueprint's edge to AWS: it loads the SDK config once
// (profile, region, retries) and nothing else. Endpoints follow the SDK's
// own settings (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), which is how
// tests reach moto with no special code. Packages that call AWS declare a
// small interface of the operations they use and take a client built from
// the aws.Config returned here.
package awsapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// Options select the credentials and region.
type Options struct {
	// Region overrides the profile's region; blueprint passes the config's.
	Region string
	// Profile names a shared-config profile; empty uses the default chain.
	Profile string
	// MaxAttempts per call, including retries of throttling and 5xx. Default 10.
	MaxAttempts int
	// WrapTransport wraps the SDK's HTTP transport (tests inject faults
	// here). The SDK's own transport stays underneath, so settings such as
	// AWS_CA_BUNDLE keep working.
	WrapTransport func(http.RoundTripper) http.RoundTripper
}

// Load builds the SDK config. It does not call AWS.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 10
	}
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer {
			// Standard mode retries throttling and 5xx with jittered
			// exponential backoff; CloudFormation polling can be throttled
			// during long deploys, so allow more attempts than the default 3.
			// The client-side retry quota is off: a deploy polls for tens
			// of minutes and must not stop retrying because earlier polls
			// were throttled; MaxAttempts still bounds each call.
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = o.MaxAttempts
				so.RateLimiter = ratelimit.None
			})
		}),
	}
	if o.Region != "" {
		opts = append(opts, awsconfig.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if o.WrapTransport != nil {
		bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
		if !ok {
			return aws.Config{}, fmt.Errorf("wrapping the AWS transport: unexpected client %T", cfg.HTTPClient)
		}
		cfg.HTTPClient = &http.Client{Transport: o.WrapTransport(bc.GetTransport()), Timeout: bc.GetTimeout()}
	}
	return cfg, nil
}
