package etl

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// schemaTypes are Arc metadata field types and the attributes each needs
// besides the common id, name, type, trim and nullable
// (https://arc.tripl.ai/metadata/).
var schemaTypes = map[string][]string{
	"string":    nil,
	"integer":   nil,
	"long":      nil,
	"double":    nil,
	"decimal":   {"precision", "scale"},
	"boolean":   {"trueValues", "falseValues"},
	"date":      {"formatters"},
	"time":      {"formatters"},
	"timestamp": {"formatters", "timezoneId"},
	"binary":    {"encoding"},
	"struct":    {"fields"},
	"array":     {"elementType"},
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
		for _, k := range []string{"id", "name", "type", "trim", "nullable"} {
			if _, ok := obj[k]; !ok {
				missing = append(missing, k)
			}
		}
		typ, _ := obj["type"].(string)
		extra, known := schemaTypes[typ]
		if typ != "" && !known {
			fix := "use one of the Arc metadata types"
			if s := suggest(typ, keys(schemaTypes)); s != "" {
				fix = "did you mean " + s + "?"
			}
			l.errorf(path, 0, fix, "%s has unknown type %q", label, typ)
		}
		for _, k := range extra {
			if _, ok := obj[k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			l.errorf(path, 0, "add "+strings.Join(missing, ", ")+" (see https://arc.tripl.ai/metadata/)",
				"%s is missing %s", label, strings.Join(missing, ", "))
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
