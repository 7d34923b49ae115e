// Package iampolicy is a small IAM policy evaluator for tests: it reads the
// policy documents of a synthesized CloudFormation template (resolving the
// pseudo parameters and intrinsic functions CDK emits) and decides requests
// the way IAM's identity-policy logic does within one account: an explicit
// Deny wins, otherwise any matching Allow, otherwise an implicit deny. It
// supports Action/NotAction, Resource/NotResource and the String*/Arn*
// condition operators with IfExists; anything else is an error rather than
// a guess. It is a leaf package.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// Statement is one normalised policy statement.
type Statement struct {
	Sid                 string
	Effect              string
	Actions, NotActions []string
	Resources, NotRes   []string
	// Conditions: operator → key → values.
	Conditions map[string]map[string][]string
}

// Request is one API call to decide.
type Request struct {
	Action   string
	Resource string
	// Context holds condition keys (iam:PassedToService, aws:RequestTag/k...).
	Context map[string]string
}

// Decision is the outcome and the statement that made it.
type Decision struct {
	Allowed bool
	By      string // Sid of the deciding statement; "" for an implicit deny
}

// Evaluate decides req against statements.
func Evaluate(statements []Statement, req Request) (Decision, error) {
	var allow *Statement
	for i := range statements {
		s := &statements[i]
		ok, err := s.matches(req)
		if err != nil {
			return Decision{}, fmt.Errorf("statement %q: %w", s.Sid, err)
		}
		if !ok {
			continue
		}
		if s.Effect == "Deny" {
			return Decision{Allowed: false, By: s.Sid}, nil
		}
		if allow == nil {
			allow = s
		}
	}
	if allow != nil {
		return Decision{Allowed: true, By: allow.Sid}, nil
	}
	return Decision{}, nil
}

func (s *Statement) matches(req Request) (bool, error) {
	if len(s.Actions) > 0 && !anyGlob(s.Actions, req.Action, true) {
		return false, nil
	}
	if len(s.NotActions) > 0 && anyGlob(s.NotActions, req.Action, true) {
		return false, nil
	}
	if len(s.Resources) > 0 && !anyGlob(s.Resources, req.Resource, false) {
		return false, nil
	}
	if len(s.NotRes) > 0 && anyGlob(s.NotRes, req.Resource, false) {
		return false, nil
	}
	for op, keys := range s.Conditions {
		for key, want := range keys {
			ok, err := condition(op, req.Context, key, want)
			if err != nil || !ok {
				return false, err
			}
		}
	}
	return true, nil
}

func condition(op string, ctx map[string]string, key string, want []string) (bool, error) {
	base, ifExists := strings.CutSuffix(op, "IfExists")
	got, present := ctx[key]
	if !present {
		// IAM User Guide, "IAM JSON policy elements: Condition operators": a
		// key missing from the request makes the condition false, except
		// that a negated operator (StringNotEquals, ArnNotLike, ...) is then
		// true, and ...IfExists is true.
		return ifExists || negated[base], nil
	}
	switch base {
	case "StringEquals", "ArnEquals":
		return contains(want, got, false), nil
	case "StringEqualsIgnoreCase":
		return contains(want, got, true), nil
	case "StringNotEqualsIgnoreCase":
		return !contains(want, got, true), nil
	case "StringLike", "ArnLike":
		return anyGlob(want, got, false), nil
	case "StringNotEquals", "ArnNotEquals":
		return !contains(want, got, false), nil
	case "StringNotLike", "ArnNotLike":
		return !anyGlob(want, got, false), nil
	}
	return false, fmt.Errorf("condition operator %s is not supported by this evaluator", op)
}

var negated = map[string]bool{
	"StringNotEquals": true, "StringNotEqualsIgnoreCase": true, "StringNotLike": true, "ArnNotEquals": true, "ArnNotLike": true,
}

func contains(list []string, s string, fold bool) bool {
	for _, x := range list {
		if x == s || (fold && strings.EqualFold(x, s)) {
			return true
		}
	}
	return false
}

// anyGlob matches IAM wildcards: * any run of characters (including
// "/" and ":"), ? one character. Actions compare case-insensitively.
func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if glob(p, s) {
			return true
		}
	}
	return false
}

func glob(p, s string) bool {
	// path.Match treats "/" specially; IAM does not. Replace "/" in both
	// with a byte that cannot occur in ARNs.
	p, s = strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(s, "/", "\x00")
	p = strings.NewReplacer("[", "\\[", "]", "\\]").Replace(p)
	ok, err := path.Match(p, s)
	return err == nil && ok
}

// Values resolves what CDK writes for strings: plain strings, Ref of
// pseudo parameters and resources, Fn::Join, Fn::GetAtt, Fn::ImportValue
// and Fn::Sub without variables map.
type Values struct {
	Partition, Account, Region string
}

// Resolve turns a template value into a string.
func (v Values) Resolve(x any) (string, error) {
	switch t := x.(type) {
	case string:
		return t, nil
	case map[string]any:
		for fn, arg := range t {
			switch fn {
			case "Ref":
				switch arg {
				case "AWS::Partition":
					return v.Partition, nil
				case "AWS::AccountId":
					return v.Account, nil
				case "AWS::Region":
					return v.Region, nil
				case "AWS::URLSuffix":
					return "amazonaws.com", nil
				}
				return fmt.Sprintf("${%v}", arg), nil
			case "Fn::GetAtt":
				parts, _ := arg.([]any)
				ss := make([]string, len(parts))
				for i, p := range parts {
					ss[i] = fmt.Sprint(p)
				}
				return "${" + strings.Join(ss, ".") + "}", nil
			case "Fn::ImportValue":
				s, err := v.Resolve(arg)
				return "${import:" + s + "}", err
			case "Fn::Join":
				parts, _ := arg.([]any)
				if len(parts) != 2 {
					return "", fmt.Errorf("Fn::Join: %v", arg)
				}
				items, _ := parts[1].([]any)
				out := make([]string, 0, len(items))
				for _, it := range items {
					s, err := v.Resolve(it)
					if err != nil {
						return "", err
					}
					out = append(out, s)
				}
				return strings.Join(out, fmt.Sprint(parts[0])), nil
			case "Fn::Sub":
				s, ok := arg.(string)
				if !ok {
					return "", fmt.Errorf("Fn::Sub with variables is not supported")
				}
				return strings.NewReplacer("${AWS::Partition}", v.Partition, "${AWS::AccountId}", v.Account, "${AWS::Region}", v.Region).Replace(s), nil
			}
			return "", fmt.Errorf("intrinsic %s is not supported", fn)
		}
	}
	return "", fmt.Errorf("cannot resolve %v", x)
}

func (v Values) list(x any) ([]string, error) {
	if x == nil {
		return nil, nil
	}
	items, ok := x.([]any)
	if !ok {
		items = []any{x}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, err := v.Resolve(it)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Statements reads a PolicyDocument ({"Statement": [...]}).
func (v Values) Statements(doc any) ([]Statement, error) {
	m, _ := doc.(map[string]any)
	raw, _ := m["Statement"].([]any)
	var out []Statement
	for _, r := range raw {
		st, _ := r.(map[string]any)
		s := Statement{Effect: fmt.Sprint(st["Effect"]), Conditions: map[string]map[string][]string{}}
		s.Sid, _ = st["Sid"].(string)
		var err error
		for _, f := range []struct {
			key string
			dst *[]string
		}{{"Action", &s.Actions}, {"NotAction", &s.NotActions}, {"Resource", &s.Resources}, {"NotResource", &s.NotRes}} {
			if *f.dst, err = v.list(st[f.key]); err != nil {
				return nil, fmt.Errorf("%s %s: %w", s.Sid, f.key, err)
			}
		}
		if _, ok := st["Principal"]; ok {
			return nil, fmt.Errorf("%s: resource policies (Principal) are not evaluated here", s.Sid)
		}
		cond, _ := st["Condition"].(map[string]any)
		for op, kv := range cond {
			s.Conditions[op] = map[string][]string{}
			for k, val := range kv.(map[string]any) {
				if s.Conditions[op][k], err = v.list(val); err != nil {
					return nil, fmt.Errorf("%s condition %s: %w", s.Sid, k, err)
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// RolePolicies returns, for every AWS::IAM::Role in template (logical ID),
// the statements of its inline policies and of AWS::IAM::Policy resources
// attached to it. Managed policies are not followed (blueprint's CI roles
// use none).
func (v Values) RolePolicies(template []byte) (map[string][]Statement, error) {
	var doc struct {
		Resources map[string]struct {
			Type       string         `json:"Type"`
			Properties map[string]any `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(template, &doc); err != nil {
		return nil, err
	}
	out := map[string][]Statement{}
	ids := make([]string, 0, len(doc.Resources))
	for id := range doc.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := doc.Resources[id]
		switch r.Type {
		case "AWS::IAM::Role":
			if _, ok := out[id]; !ok {
				out[id] = nil
			}
			pols, _ := r.Properties["Policies"].([]any)
			for _, p := range pols {
				st, err := v.Statements(p.(map[string]any)["PolicyDocument"])
				if err != nil {
					return nil, fmt.Errorf("%s: %w", id, err)
				}
				out[id] = append(out[id], st...)
			}
		case "AWS::IAM::Policy":
			st, err := v.Statements(r.Properties["PolicyDocument"])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", id, err)
			}
			roles, _ := r.Properties["Roles"].([]any)
			for _, ref := range roles {
				m, _ := ref.(map[string]any)
				role := fmt.Sprint(m["Ref"])
				out[role] = append(out[role], st...)
			}
		}
	}
	return out, nil
}
