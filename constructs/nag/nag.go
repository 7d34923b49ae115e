// Package nag applies the cdk-nag AwsSolutions rules to the app and holds
// the one helper for suppressions, which always carry a reason.
package nag

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Rule is one suppression: the rule ID, why it does not apply, and
// optionally which findings it covers: exact ("Resource::*") or, written
// between slashes, an ECMA-262 regex ("/^Resource::<CodeBucket[0-9A-F]+\\.Arn>\\/\\*$/"),
// needed where a finding names a hashed logical ID.
type Rule struct {
	ID        string
	Reason    string
	AppliesTo []string
}

// Apply adds the AwsSolutions pack as an Aspect of scope: every error it
// finds fails synthesis, in `blueprint synth` and `cdk synth` alike.
func Apply(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true),
	}), nil)
}

// Suppress records rules that do not apply to c and its children.
func Suppress(c constructs.IConstruct, rules ...Rule) {
	s := make([]*cdknag.NagPackSuppression, 0, len(rules))
	for _, r := range rules {
		ns := &cdknag.NagPackSuppression{Id: jsii.String(r.ID), Reason: jsii.String(r.Reason)}
		if len(r.AppliesTo) > 0 {
			applies := make([]any, len(r.AppliesTo))
			for i, a := range r.AppliesTo {
				if len(a) > 2 && strings.HasPrefix(a, "/") && strings.HasSuffix(a, "/") {
					applies[i] = &cdknag.RegexAppliesTo{Regex: jsii.String(a)}
				} else {
					applies[i] = a
				}
			}
			ns.AppliesTo = &applies
		}
		s = append(s, ns)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &s, jsii.Bool(true))
}
