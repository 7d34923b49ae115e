package etl

import (
	"slices"
	"sort"
	"strings"

	"github.com/sqletl/blueprint/internal/textdist"
)

// magic is an Arc Jupyter cell magic (the first word of a cell).
type magic struct {
	// stage: the cell body becomes an Arc stage when the notebook runs as a
	// job (Arc's ConfigUtils.parseIPYNBCells); other magics are interactive
	// only and are skipped by the job runner.
	stage bool
	// stageType is the Arc stage a SQL-style magic turns into.
	stageType string
}

// magics are the cell magics arc-jupyter knows (ArcInterpreter.execute and
// ConfigUtils.parseIPYNBCells). Arc matches them by prefix, so a misspelled
// magic such as %sqlvaildate silently runs as %sql: lint insists on exact
// names.
var magics = map[string]magic{
	"%arc":              {stage: true},
	"%sql":              {stage: true, stageType: "SQLTransform"},
	"%sqlvalidate":      {stage: true, stageType: "SQLValidate"},
	"%log":              {stage: true, stageType: "LogExecute"},
	"%metadatafilter":   {stage: true, stageType: "MetadataFilterTransform"},
	"%metadatavalidate": {stage: true, stageType: "MetadataValidate"},
	"%configexecute":    {stage: true, stageType: "ConfigExecute"},
	"%configplugin":     {},
	"%lifecycleplugin":  {},
	"%env":              {},
	"%secret":           {},
	"%conf":             {},
	"%schema":           {},
	"%printschema":      {},
	"%metadata":         {},
	"%printmetadata":    {},
	"%summary":          {},
	"%list":             {},
	"%version":          {},
	"%help":             {},
	"%cypher":           {},
}

// arcStage is what one Arc stage type's instantiate method enforces, read
// from Arc's source (arcstages_gen.go, written by ./cmd/arcstages).
type arcStage struct {
	// Source is repo@tag and the Scala file the rules come from.
	Source string
	// Keys are the stage's expectedKeys: ConfigUtils.checkValidKeys
	// rejects every other key ("Invalid attribute").
	Keys []string
	// Required keys have no default (ConfigReader.getConfigValue:
	// "Missing required attribute").
	Required []string
	// OneOf groups: exactly one key must be set (ConfigUtils.checkOneOf).
	OneOf [][]string
	// AnyOf groups: the first key is used when set, else the second is
	// required (SQL stages: inputURI, else sql).
	AnyOf [][]string
	// RequiredWhen: Key is required when Field's value (set, or its
	// default) is Value.
	RequiredWhen []arcCond
	// Defaults are the values Arc uses when a key is unset (Scala text).
	Defaults map[string]string
	// Valid lists the values a key accepts, compared exactly.
	Valid map[string][]string
}

type arcCond struct{ Key, Field, Value string }

// arcVersion is the Arc release arcStages was read from; the runtime table
// (internal/runtime) pins the same release in both images.
const arcVersion = "4.2.0"

// resolutionValues: Plugins.resolveConfigPlugins reads "resolution" for
// every stage (default strict) and removes it before instantiate
// (tripl-ai/arc 4.2.0 src/main/scala/ai/tripl/arc/config/Plugins.scala).
var resolutionValues = []string{"strict", "lazy"}

// sqlStage: the stage reads SQL from sql or inputURI with sqlParams.
func (s arcStage) sqlStage() bool {
	return slices.Contains(s.Keys, "sqlParams") && slices.Contains(s.Keys, "inputURI")
}

// removedStages are stage types older Arc releases had and 4.2.0 does not.
var removedStages = map[string]string{
	// arc-deltalake-pipeline-plugin removed it in 3.0.0 (commit f1f0d74,
	// "Update to Arc 3.13.2"); 3.1.0, the plugin for Arc 4.2.0, has only
	// DeltaLakeExtract and DeltaLakeLoad.
	"DeltaLakeMergeLoad": "Arc 4.2.0's Delta Lake plugin (3.1.0) has no DeltaLakeMergeLoad; write the MERGE INTO delta.`<path>` statement in a SQLTransform",
}

// stageTypeName is the simple name of a stage type: Arc also accepts the
// class name and a :version suffix (Plugins.resolvePluginName).
func stageTypeName(t string) string {
	t, _, _ = strings.Cut(t, ":")
	if i := strings.LastIndex(t, "."); i >= 0 {
		t = t[i+1:]
	}
	return t
}

func (s arcStage) hasKey(k string) bool { return slices.Contains(s.Keys, k) || k == "resolution" }

// suggest returns the candidate closest to s by edit distance, if it is
// close enough to be a plausible typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	sorted := slices.Clone(candidates)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := textdist.Distance(strings.ToLower(s), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= max(2, len(s)/4) {
		return best
	}
	return ""
}

func magicNames() []string {
	names := make([]string, 0, len(magics))
	for k := range magics {
		names = append(names, k)
	}
	return names
}

func stageTypeNames() []string {
	names := make([]string, 0, len(arcStages))
	for k := range arcStages {
		names = append(names, k)
	}
	return names
}

// prefixMagic is the magic Arc would run for an unknown one: the longest
// known magic it starts with.
func prefixMagic(m string) string {
	best := ""
	for k := range magics {
		if strings.HasPrefix(m, k) && len(k) > len(best) {
			best = k
		}
	}
	return best
}
