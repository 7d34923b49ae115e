package etl

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
)

// schemaType is what ArcSchema.readField accepts for one field type
// (tripl-ai/arc 4.2.0 src/main/scala/ai/tripl/arc/schema/ArcSchema.scala,
// commit e424f8d3): every field needs name and type (id and description
// are optional, getOptionalValue) and, for every type, nullable; trim
// defaults to false. Keys outside expectedKeys + baseKeys are rejected by
// checkValidKeys.
type schemaType struct {
	required []string
	keys     []string
}

var schemaBaseKeys = []string{"id", "name", "description", "type", "metadata", "trim", "nullable", "nullReplacementValue", "nullableValues"}

var schemaTypes = map[string]schemaType{
	"string":    {keys: []string{"minLength", "maxLength", "regex"}},
	"integer":   {keys: []string{"formatters"}},
	"long":      {keys: []string{"formatters"}},
	"double":    {keys: []string{"formatters"}},
	"decimal":   {required: []string{"precision", "scale"}, keys: []string{"formatters"}},
	"boolean":   {required: []string{"trueValues", "falseValues"}},
	"date":      {required: []string{"formatters"}, keys: []string{"caseSensitive"}},
	"time":      {required: []string{"formatters"}},
	"timestamp": {required: []string{"formatters", "timezoneId"}, keys: []string{"time", "caseSensitive"}},
	"binary":    {required: []string{"encoding"}},
	"struct":    {required: []string{"fields"}},
	"array":     {required: []string{"elementType"}},
}

// lintSchema checks a .json file: an Arc metadata (schema) file is an
// array of field objects; other JSON (e.g. an Arc job) only has to parse.
func (l *linter) lintSchema(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		l.errorf(path, 0, "make the file readable", "cannot read: %v", err)
		return
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		l.errorf(path, 0, "repair the JSON", "not valid JSON: %v", err)
		return
	}
	fields, ok := doc.([]any)
	if !ok {
		return
	}
	for i, f := range fields {
		obj, ok := f.(map[string]any)
		if !ok {
			l.errorf(path, 0, "make each element a field object", "schema field %d is not an object", i+1)
			continue
		}
		name, _ := obj["name"].(string)
		label := fmt.Sprintf("schema field %d", i+1)
		if name != "" {
			label += fmt.Sprintf(" (%s)", name)
		}
		var missing []string
		for _, k := range []string{"name", "type", "nullable"} {
			if _, ok := obj[k]; !ok {
				missing = append(missing, k)
			}
		}
		typ, _ := obj["type"].(string)
		spec, known := schemaTypes[typ]
		if typ != "" && !known {
			fix := "use one of the Arc metadata types"
			if s := suggest(typ, keys(schemaTypes)); s != "" {
				fix = "did you mean " + s + "?"
			}
			l.errorf(path, 0, fix, "%s has unknown type %q", label, typ)
		}
		for _, k := range spec.required {
			if _, ok := obj[k]; !ok {
				missing = append(missing, k)
			}
		}
		if known {
			allowed := append(slices.Clone(schemaBaseKeys), spec.keys...)
			allowed = append(allowed, spec.required...)
			for _, k := range sortedKeys(obj) {
				if slices.Contains(allowed, k) {
					continue
				}
				fix := "remove it; a " + typ + " field accepts " + strings.Join(allowed, ", ")
				if s := suggest(k, allowed); s != "" {
					fix = "did you mean " + s + "?"
				}
				l.errorf(path, 0, fix, "%s: Arc rejects the attribute %q (Invalid attribute)", label, k)
			}
		}
		if len(missing) > 0 {
			l.errorf(path, 0, "add "+strings.Join(missing, ", ")+" (see https://arc.tripl.ai/metadata/)",
				"%s is missing %s", label, strings.Join(missing, ", "))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := keys(m)
	sort.Strings(out)
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
