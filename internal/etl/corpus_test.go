package etl

import (
	"github.com/sqletl/blueprint/internal/arcruntime"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// corpusStages parses a file of comma-separated stage objects, the way
// Arc's ConfigUtilsSuite wraps them: {"stages": [<file>]}.
func corpusStages(t *testing.T, path string) []*hValue {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := parseHOCON(`{"stages": [` + strings.TrimSpace(string(data)) + `]}`)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v.get("stages").items
}

// lintStageObject lints one stage with every variable it uses supplied
// (Arc's own test passes JOB_RUN_DATE and ETL_CONF_BASE_URL).
func lintStageObject(v *hValue) []Finding {
	l := &linter{linted: map[string]bool{}}
	st := &nbState{path: "corpus.ipynb", vars: map[string]string{}, envOnly: map[string]int{}}
	for _, s := range v.substitutions() {
		st.vars[s.subst] = "corpus"
	}
	l.lintStageValue(st, 1, v)
	return l.findings
}

func corpusFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"valid", "delta"} {
		got, err := filepath.Glob(filepath.Join("testdata", "arc-corpus", dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, got...)
	}
	if len(files) < 80 {
		t.Fatalf("corpus has %d files; expected Arc's documentation examples", len(files))
	}
	return files
}

// Every documented Arc example lints clean: no false positives on valid Arc.
func TestArcCorpusValid(t *testing.T) {
	covered := map[string]bool{}
	for _, f := range corpusFiles(t) {
		for i, stage := range corpusStages(t, f) {
			covered[stageTypeName(stage.get("type").str())] = true
			for _, fd := range lintStageObject(stage) {
				t.Errorf("%s stage %d: %s (%s)", filepath.Base(f), i+1, fd.Message, fd.Fix)
			}
		}
	}
	// The corpus exercises every stage type in the table.
	for name := range arcStages {
		if !covered[name] {
			t.Errorf("no valid example of %s in testdata/arc-corpus", name)
		}
	}
}

// Breaking one Arc rule in a valid example makes lint fail, naming the rule.
func TestArcCorpusBroken(t *testing.T) {
	type mutation struct {
		name string
		// apply edits a copy of a stage's fields; false when it does not
		// apply to this stage.
		apply func(spec arcStage, v *hValue) bool
		want  string
	}
	str := func(s string) *hValue { return &hValue{kind: hString, parts: []hPart{{text: s}}, quoted: true} }
	mutations := []mutation{
		{"misspelled key", func(_ arcStage, v *hValue) bool {
			for i, f := range v.fields {
				if f.key == "outputView" || f.key == "inputView" {
					v.fields[i].key = strings.ToLower(f.key[:1]) + strings.ToUpper(f.key[1:2]) + f.key[2:]
					return true
				}
			}
			return false
		}, "Arc rejects the key"},
		{"drop a required key", func(spec arcStage, v *hValue) bool {
			for i, f := range v.fields {
				if f.key != "name" && slices.Contains(spec.Required, f.key) {
					v.fields = slices.Delete(v.fields, i, i+1)
					return true
				}
			}
			return false
		}, "missing required field"},
		{"invalid value", func(spec arcStage, v *hValue) bool {
			for i, f := range v.fields {
				if _, ok := spec.Valid[f.key]; ok {
					v.fields[i].val = str(strings.ToLower(f.val.str()) + "x")
					return true
				}
			}
			return false
		}, "is not a valid value"},
		{"two of a one-of group", func(spec arcStage, v *hValue) bool {
			for _, g := range spec.OneOf {
				for _, k := range g {
					if v.get(k) == nil {
						v.fields = append(v.fields, hField{key: k, val: str("x")})
						return true
					}
				}
			}
			return false
		}, "Arc allows only one"},
		{"drop both of an any-of group", func(spec arcStage, v *hValue) bool {
			if len(spec.AnyOf) == 0 {
				return false
			}
			g := spec.AnyOf[0]
			v.fields = slices.DeleteFunc(v.fields, func(f hField) bool { return slices.Contains(g, f.key) })
			return true
		}, "stage needs"},
	}
	applied := map[string]int{}
	for _, f := range corpusFiles(t) {
		for i, stage := range corpusStages(t, f) {
			spec, ok := arcStages[stageTypeName(stage.get("type").str())]
			if !ok {
				t.Fatalf("%s stage %d: type %q not in arcStages", f, i+1, stage.get("type").str())
			}
			for _, m := range mutations {
				c := *stage
				c.fields = slices.Clone(stage.fields)
				if !m.apply(spec, &c) {
					continue
				}
				applied[m.name]++
				got := lintStageObject(&c)
				if !slices.ContainsFunc(got, func(fd Finding) bool { return strings.Contains(fd.Message, m.want) }) {
					t.Errorf("%s stage %d, %s: want a finding containing %q, got %v", filepath.Base(f), i+1, m.name, m.want, got)
				}
			}
		}
	}
	for _, m := range mutations {
		if applied[m.name] == 0 {
			t.Errorf("mutation %q applied to no corpus stage", m.name)
		}
	}
}

// Stage types Arc 4.2.0 no longer has, and an unknown one, are errors.
func TestArcUnknownStageTypes(t *testing.T) {
	for _, text := range []string{
		`{"type": "DeltaLakeMergeLoad", "name": "m", "environments": ["test"], "inputView": "v", "outputURI": "s3a://b/t"}`,
		`{"type": "KafkaExtract", "name": "k", "environments": ["test"], "outputView": "v"}`,
		`{"type": "SQLTransfrom", "name": "s", "environments": ["test"], "sql": "SELECT 1", "outputView": "v"}`,
	} {
		v, err := parseHOCON(text)
		if err != nil {
			t.Fatal(err)
		}
		got := lintStageObject(v)
		if len(got) != 1 || !strings.Contains(got[0].Message, "unknown stage type") {
			t.Errorf("%s: want one unknown-stage finding, got %v", text, got)
		}
	}
	// Arc also accepts the class name and a :version suffix.
	v, _ := parseHOCON(`{"type": "ai.tripl.arc.transform.SQLTransform:4.2.0", "name": "s", "environments": ["test"], "sql": "SELECT 1", "outputView": "v"}`)
	if got := lintStageObject(v); len(got) != 0 {
		t.Errorf("class-name type: %v", got)
	}
}

// The stage rules were read from the Arc release both images run.
func TestArcStagesMatchRuntime(t *testing.T) {
	if arcVersion != arcruntime.Job().Arc || arcVersion != arcruntime.Notebook().Arc {
		t.Errorf("arcstages_gen.go was read from Arc %s; the runtime table pins job %s, notebook %s: regenerate with ./cmd/arcstages",
			arcVersion, arcruntime.Job().Arc, arcruntime.Notebook().Arc)
	}
}
