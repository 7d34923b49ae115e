package critpath

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/sqletl/blueprint/internal/assembly"
)

// References returns the logical IDs res needs first, within its own
// template: every Ref, Fn::GetAtt, Fn::Sub ${X} / ${X.Attr} and DependsOn.
// Names that are not resources of the template (parameters, pseudo
// parameters such as AWS::Region, Fn::Sub variables) are dropped. The
// result is sorted and has no duplicates.
func References(tpl assembly.Template, res assembly.Resource) ([]string, error) {
	var props any
	if len(res.Properties) > 0 {
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			return nil, fmt.Errorf("properties: %w", err)
		}
	}
	names := map[string]bool{}
	walkRefs(props, func(name string) { names[name] = true })
	deps, err := dependsOn(res.DependsOn)
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		names[d] = true
	}
	out := make([]string, 0, len(names))
	for n := range names {
		if _, ok := tpl.Resources[n]; ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// dependsOn reads DependsOn, which CloudFormation allows as a string or a
// list of strings.
func dependsOn(v any) ([]string, error) {
	switch d := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{d}, nil
	case []any:
		out := make([]string, 0, len(d))
		for _, x := range d {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("DependsOn entry %v is not a string", x)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("DependsOn is %T, want a string or a list of strings", v)
	}
}

// walkRefs calls fn with every name an intrinsic function in v refers to.
func walkRefs(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				switch k {
				case "Ref":
					if s, ok := arg.(string); ok {
						fn(s)
						return
					}
				case "Fn::GetAtt":
					switch a := arg.(type) {
					case []any:
						if len(a) > 0 {
							if s, ok := a[0].(string); ok {
								fn(s)
							}
						}
						// The attribute name may itself be a Ref.
						for _, rest := range a[1:] {
							walkRefs(rest, fn)
						}
						return
					case string: // "Resource.Attribute"
						fn(strings.SplitN(a, ".", 2)[0])
						return
					}
				case "Fn::Sub":
					subRefs(arg, fn)
					return
				}
			}
		}
		for _, e := range x {
			walkRefs(e, fn)
		}
	case []any:
		for _, e := range x {
			walkRefs(e, fn)
		}
	}
}

// subRefs handles Fn::Sub's two forms: "string" and ["string", {vars}].
// Variables defined in the map are not resources; their values are walked.
func subRefs(arg any, fn func(string)) {
	var (
		body string
		vars map[string]any
	)
	switch a := arg.(type) {
	case string:
		body = a
	case []any:
		if len(a) > 0 {
			body, _ = a[0].(string)
		}
		if len(a) > 1 {
			vars, _ = a[1].(map[string]any)
		}
	default:
		return
	}
	for _, v := range vars {
		walkRefs(v, fn)
	}
	for _, name := range subVariables(body) {
		if _, local := vars[name]; !local {
			fn(name)
		}
	}
}

// subVariables returns the resource names of ${X} and ${X.Attr} in an
// Fn::Sub string. ${!Literal} is an escaped literal, not a reference.
func subVariables(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return out
		}
		v := s[:j]
		s = s[j+1:]
		if v == "" || strings.HasPrefix(v, "!") {
			continue
		}
		out = append(out, strings.SplitN(v, ".", 2)[0])
	}
}

// imports returns the export names a resource reads with Fn::ImportValue
// (literal names only, which is what the CDK writes).
func imports(res assembly.Resource) ([]string, error) {
	var props any
	if len(res.Properties) > 0 {
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			return nil, fmt.Errorf("properties: %w", err)
		}
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if arg, ok := x["Fn::ImportValue"]; ok && len(x) == 1 {
				if s, ok := arg.(string); ok {
					out = append(out, s)
					return
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(props)
	sort.Strings(out)
	return out, nil
}
