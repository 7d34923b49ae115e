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

// stageSpec is what one Arc stage type requires beyond name and
// environments, which every stage requires.
type stageSpec struct {
	required []string
	// oneOf groups: exactly one field of each group must be set.
	oneOf [][]string
	// sqlFields hold SQL text, or a URI of a SQL file.
	sql bool
}

var (
	inputOrView = []string{"inputURI", "inputView"}
	sqlOrURI    = []string{"sql", "inputURI"}
)

// stageSpecs lists the Arc stage types (core and the Delta Lake plugin) and
// their required fields, from the Arc documentation (arc.tripl.ai: extract,
// transform, load, execute, validate).
var stageSpecs = map[string]stageSpec{
	// extract
	"AvroExtract":      {required: []string{"inputURI", "outputView"}},
	"BytesExtract":     {required: []string{"outputView"}, oneOf: [][]string{inputOrView}},
	"DelimitedExtract": {required: []string{"outputView"}, oneOf: [][]string{inputOrView}},
	"DeltaLakeExtract": {required: []string{"inputURI", "outputView"}},
	"HTTPExtract":      {required: []string{"outputView"}, oneOf: [][]string{inputOrView}},
	"ImageExtract":     {required: []string{"inputURI", "outputView"}},
	"JDBCExtract":      {required: []string{"jdbcURL", "tableName", "outputView"}},
	"JSONExtract":      {required: []string{"outputView"}, oneOf: [][]string{inputOrView}},
	"KafkaExtract":     {required: []string{"outputView", "bootstrapServers", "topic", "groupID"}},
	"ORCExtract":       {required: []string{"inputURI", "outputView"}},
	"ParquetExtract":   {required: []string{"inputURI", "outputView"}},
	"RateExtract":      {required: []string{"outputView"}},
	"TextExtract":      {required: []string{"inputURI", "outputView"}},
	"XMLExtract":       {required: []string{"outputView"}, oneOf: [][]string{inputOrView}},
	// transform
	"DiffTransform":              {required: []string{"inputLeftView", "inputRightView"}},
	"HTTPTransform":              {required: []string{"inputView", "outputView", "uri"}},
	"JSONTransform":              {required: []string{"inputView", "outputView"}},
	"MetadataFilterTransform":    {required: []string{"inputView", "outputView"}, oneOf: [][]string{sqlOrURI}, sql: true},
	"MetadataTransform":          {required: []string{"inputView", "outputView"}, oneOf: [][]string{{"schemaURI", "schemaView"}}},
	"MLTransform":                {required: []string{"inputURI", "inputView", "outputView"}},
	"SQLTransform":               {required: []string{"outputView"}, oneOf: [][]string{sqlOrURI}, sql: true},
	"TensorFlowServingTransform": {required: []string{"inputView", "outputView", "uri"}},
	"TypingTransform":            {required: []string{"inputView", "outputView"}, oneOf: [][]string{{"schemaURI", "schemaView", "inputURI"}}},
	// load
	"AvroLoad":           {required: []string{"inputView", "outputURI"}},
	"ConsoleLoad":        {required: []string{"inputView"}},
	"DelimitedLoad":      {required: []string{"inputView", "outputURI"}},
	"DeltaLakeLoad":      {required: []string{"inputView", "outputURI"}},
	"DeltaLakeMergeLoad": {required: []string{"inputView", "outputURI", "condition"}},
	"ElasticsearchLoad":  {required: []string{"inputView", "output"}},
	"HTTPLoad":           {required: []string{"inputView", "outputURI"}},
	"JDBCLoad":           {required: []string{"inputView", "jdbcURL", "tableName"}},
	"JSONLoad":           {required: []string{"inputView", "outputURI"}},
	"KafkaLoad":          {required: []string{"inputView", "bootstrapServers", "topic"}},
	"ORCLoad":            {required: []string{"inputView", "outputURI"}},
	"ParquetLoad":        {required: []string{"inputView", "outputURI"}},
	"TextLoad":           {required: []string{"inputView", "outputURI"}},
	"XMLLoad":            {required: []string{"inputView", "outputURI"}},
	// execute
	"ConfigExecute":      {oneOf: [][]string{sqlOrURI}, sql: true},
	"HTTPExecute":        {required: []string{"uri"}},
	"JDBCExecute":        {required: []string{"jdbcURL"}, oneOf: [][]string{sqlOrURI}, sql: true},
	"KafkaCommitExecute": {required: []string{"inputView", "bootstrapServers", "groupID"}},
	"LogExecute":         {oneOf: [][]string{sqlOrURI}, sql: true},
	"PipelineExecute":    {required: []string{"uri"}},
	// validate
	"EqualityValidate": {required: []string{"leftView", "rightView"}},
	"MetadataValidate": {required: []string{"inputView"}, oneOf: [][]string{sqlOrURI}, sql: true},
	"SQLValidate":      {oneOf: [][]string{sqlOrURI}, sql: true},
}

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
	names := make([]string, 0, len(stageSpecs))
	for k := range stageSpecs {
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
