package iampolicy

import "testing"

// The rules checked are IAM's documented policy evaluation logic for one
// account (IAM User Guide, "Policy evaluation logic"): explicit deny >
// allow > implicit deny; wildcards * and ? in actions (case-insensitive)
// and resources; condition keys ANDed, values ORed; a missing key fails a
// condition unless the operator ends in IfExists or is negated
// ("IAM JSON policy elements: Condition operators").
func TestEvaluate(t *testing.T) {
	v := Values{Partition: "aws", Account: "123456789012", Region: "us-east-1"}
	sts, err := v.Statements(map[string]any{"Statement": []any{
		map[string]any{"Sid": "A", "Effect": "Allow", "Action": []any{"s3:Get*", "iam:PassRole"},
			"Resource": map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":s3:::etl-*"}}}},
		map[string]any{"Sid": "P", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/x",
			"Condition": map[string]any{"StringEquals": map[string]any{"iam:PassedToService": []any{"a.amazonaws.com", "b.amazonaws.com"}}}},
		map[string]any{"Sid": "D", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::etl-secret*"},
		map[string]any{"Sid": "N", "Effect": "Deny", "Action": "sts:AssumeRole", "NotResource": "arn:aws:iam::123456789012:role/ok"},
		map[string]any{"Sid": "O", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
		// A permissions-boundary guard: allow with the key, deny when the
		// key is another value or missing (negated operator).
		map[string]any{"Sid": "B", "Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{"iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/pb"}}},
		map[string]any{"Sid": "NB", "Effect": "Deny", "Action": "iam:CreateRole", "Resource": "*",
			"Condition": map[string]any{"StringNotEquals": map[string]any{"iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/pb"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		req  Request
		want bool
		by   string
	}{
		{Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::etl-data/a/b"}, true, "A"},
		{Request{Action: "S3:getobject", Resource: "arn:aws:s3:::etl-data"}, true, "A"},
		{Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::etl-data"}, false, ""},
		{Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::other"}, false, ""},
		{Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::etl-secrets"}, false, "D"},
		{Request{Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/x", Context: map[string]string{"iam:PassedToService": "b.amazonaws.com"}}, true, "P"},
		{Request{Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/x", Context: map[string]string{"iam:PassedToService": "c.amazonaws.com"}}, false, ""},
		{Request{Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/x"}, false, ""},
		{Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/ok"}, true, "O"},
		{Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/other"}, false, "N"},
		{Request{Action: "iam:CreateRole", Resource: "r", Context: map[string]string{"iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/pb"}}, true, "B"},
		{Request{Action: "iam:CreateRole", Resource: "r", Context: map[string]string{"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}}, false, "NB"},
		// The key missing: StringEquals is false, StringNotEquals is true.
		{Request{Action: "iam:CreateRole", Resource: "r"}, false, "NB"},
	}
	for _, tc := range tests {
		d, err := Evaluate(sts, tc.req)
		if err != nil || d.Allowed != tc.want || d.By != tc.by {
			t.Errorf("%s on %s %v = %+v, %v; want allowed=%v by %q", tc.req.Action, tc.req.Resource, tc.req.Context, d, err, tc.want, tc.by)
		}
	}
	if _, err := Evaluate([]Statement{{Effect: "Allow", Actions: []string{"*"}, Resources: []string{"*"},
		Conditions: map[string]map[string][]string{"NumericLessThan": {"x": {"1"}}}}}, Request{Action: "a:b", Resource: "r", Context: map[string]string{"x": "0"}}); err == nil {
		t.Error("an unsupported operator must be an error, not a guess")
	}
}
