package etl

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
)

type notebook struct {
	Cells    []nbCell `json:"cells"`
	Metadata struct {
		Kernelspec *struct {
			Name string `json:"name"`
		} `json:"kernelspec"`
	} `json:"metadata"`
}

type nbCell struct {
	CellType string          `json:"cell_type"`
	Source   json.RawMessage `json:"source"`
}

// text joins a cell's source, which nbformat allows as a string or a list
// of lines.
func (c nbCell) text() string {
	var s string
	if json.Unmarshal(c.Source, &s) == nil {
		return s
	}
	var lines []string
	if json.Unmarshal(c.Source, &lines) == nil {
		return strings.Join(lines, "")
	}
	return ""
}

// nbState is what earlier cells of a notebook tell later ones.
type nbState struct {
	path string
	// vars are the supplied variables and where each comes from.
	vars map[string]string
	// envOnly are variables set by %env cells (interactive only), by cell.
	envOnly map[string]int
}

func (l *linter) lintNotebook(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		l.errorf(path, 0, "make the file readable", "cannot read: %v", err)
		return
	}
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		msg := err.Error()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + strings.Count(string(data[:min(int(se.Offset), len(data))]), "\n")
			msg = fmt.Sprintf("line %d: %v", line, err)
		}
		l.errorf(path, 0, "repair the JSON or save the notebook again from JupyterHub", "not a valid notebook: not valid JSON: %s", msg)
		return
	}
	switch {
	case nb.Metadata.Kernelspec == nil:
		l.errorf(path, 0, `set metadata.kernelspec.name to "arc" (in JupyterHub: Kernel → Change kernel → Arc)`,
			"notebook has no kernelspec; Arc runs only notebooks whose kernelspec is \"arc\"")
	case nb.Metadata.Kernelspec.Name != "arc":
		l.errorf(path, 0, `set metadata.kernelspec.name to "arc" (in JupyterHub: Kernel → Change kernel → Arc)`,
			"kernelspec is %q; Arc refuses to run a notebook whose kernelspec is not \"arc\"", nb.Metadata.Kernelspec.Name)
	}

	st := &nbState{path: path, vars: map[string]string{}, envOnly: map[string]int{}}
	for k := range DefaultVariables {
		st.vars[k] = "arc-job"
	}
	for _, k := range l.opts.Variables {
		st.vars[k] = "--var"
	}
	for k, from := range l.supplied[cleanAbs(path)] {
		st.vars[k] = from
	}
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		l.lintCell(st, i+1, c.text())
	}
}

// lintCell checks one code cell. Arc trims the cell and drops one trailing
// comma before reading it.
func (l *linter) lintCell(st *nbState, cell int, src string) {
	src = strings.TrimSuffix(strings.TrimSpace(src), ",")
	if src == "" {
		return
	}
	if !strings.HasPrefix(src, "%") {
		l.lintStage(st, cell, src, 0)
		return
	}
	header, body, _ := strings.Cut(src, "\n")
	name := strings.Fields(header)[0]
	m, ok := magics[name]
	if !ok {
		msg := fmt.Sprintf("unknown magic %s", name)
		if p := prefixMagic(name); p != "" {
			msg += fmt.Sprintf("; Arc would silently run it as %s", p)
		}
		fix := "use one of the Arc magics: " + strings.Join(sortedMagics(), " ")
		if s := suggest(name, magicNames()); s != "" {
			fix = "did you mean " + s + "?"
		}
		l.errorf(st.path, cell, fix, "%s", msg)
		return
	}
	switch {
	case name == "%arc":
		l.lintStage(st, cell, body, 1)
	case name == "%env":
		for _, kv := range strings.Fields(strings.TrimPrefix(src, "%env")) {
			if k, _, ok := strings.Cut(kv, "="); ok && k != "" {
				if _, has := st.envOnly[k]; !has {
					st.envOnly[k] = cell
				}
			}
		}
	case name == "%configplugin" || name == "%lifecycleplugin":
		v, err := parseHOCON(body)
		if err != nil {
			l.errorf(st.path, cell, "fix the HOCON syntax of the plugin", "%s body is not valid HOCON: %v", name, shift(err, 1))
			return
		}
		if v.get("type") == nil {
			l.errorf(st.path, cell, `add "type": "<plugin class>"`, "%s has no type", name)
		}
		l.checkVars(st, cell, v.substitutions())
	case m.stageType != "":
		l.lintSQLMagic(st, cell, name, m.stageType, header, body)
	}
}

func sortedMagics() []string {
	n := magicNames()
	sort.Strings(n)
	return n
}

// shift moves a HOCON error's line number by the lines before the body.
func shift(err error, lines int) error {
	var he *hoconError
	if errors.As(err, &he) {
		c := *he
		c.line += lines
		return &c
	}
	return err
}

// lintStage checks a stage written as HOCON/JSON; offset is the number of
// cell lines before text (1 after a %arc line).
func (l *linter) lintStage(st *nbState, cell int, text string, offset int) {
	v, err := parseHOCON(text)
	if err != nil {
		l.errorf(st.path, cell, "fix the syntax; Arc reads stage cells as HOCON (JSON plus comments, unquoted keys and ${VAR} substitutions)",
			"HOCON syntax error in stage: %v", shift(err, offset))
		return
	}
	l.lintStageValue(st, cell, v)
}

// lintStageValue checks one parsed stage object.
func (l *linter) lintStageValue(st *nbState, cell int, v *hValue) {
	l.checkVars(st, cell, v.substitutions())
	typ := v.get("type")
	if typ == nil || typ.kind != hString || typ.str() == "" {
		l.errorf(st.path, cell, `add "type": "<stage type>", e.g. "DelimitedExtract"`, "stage has no type")
		return
	}
	name := stageTypeName(typ.str())
	spec, ok := arcStages[name]
	if !ok {
		fix := "use a stage type Arc " + arcVersion + " or its Delta Lake plugin defines (https://arc.tripl.ai)"
		if s := suggest(name, stageTypeNames()); s != "" {
			fix = "did you mean " + s + "?"
		}
		if why, gone := removedStages[name]; gone {
			fix = why
		}
		l.errorf(st.path, cell, fix, "unknown stage type %q", name)
		return
	}
	l.checkStage(st, cell, name, spec, v)
	if env := v.get("environments"); env != nil && (env.kind != hArray || len(env.items) == 0) {
		l.errorf(st.path, cell, `list where it runs, e.g. "environments": ["production", "test"]`,
			"%s stage: environments must be a non-empty array, or Arc runs the stage in no environment", name)
	}
	for _, field := range []string{"inputURI", "schemaURI"} {
		if f := v.get(field); f != nil && f.kind == hString {
			l.checkFileRef(st, cell, name, field, f.str())
		}
	}
	if !spec.sqlStage() {
		return
	}
	params := map[string]bool{}
	if sp := v.get("sqlParams"); sp != nil && sp.kind == hObject {
		for _, f := range sp.fields {
			params[f.key] = true
		}
	}
	// Arc reads inputURI when it is set and sql only otherwise
	// (SQLTransform.instantiate: isInputURI = c.hasPath("inputURI")).
	var sql, where string
	if u := v.get("inputURI"); u != nil {
		if u.kind != hString {
			return
		}
		p, ok := localPath(u.str(), st.path)
		if !ok {
			return
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return // reported by checkFileRef
		}
		sql, where = string(data), p
		if !l.linted[p] {
			for _, pr := range checkSQLText(sql) {
				l.errorf(st.path, cell, pr.fix, "%s stage, %s: %s", name, p, pr.msg)
			}
		}
	} else if s := v.get("sql"); s != nil && s.kind == hString {
		sql, where = s.str(), "sql"
	} else {
		return
	}
	l.checkSQL(st, cell, name, where, sql, params)
}

// checkSQL applies the SQL rules shared by %sql-style cells and SQL stages.
func (l *linter) checkSQL(st *nbState, cell int, stage, where, sql string, params map[string]bool) {
	var problems []sqlProblem
	if where == "sql" {
		problems = append(problems, checkSQLText(sql)...)
	}
	problems = append(problems, checkSQLParams(sql, params)...)
	if stage == "SQLValidate" {
		problems = append(problems, checkValidateColumns(sql)...)
	}
	prefix := stage + " stage: "
	if where != "sql" {
		prefix = fmt.Sprintf("%s stage, %s: ", stage, where)
	}
	for _, p := range problems {
		l.errorf(st.path, cell, p.fix, "%s%s", prefix, p.msg)
	}
	if stage == "ConfigExecute" {
		for _, k := range configExecuteKeys(sql) {
			st.vars[k] = fmt.Sprintf("ConfigExecute in cell %d", cell)
		}
	}
}

// checkStage applies the rules Arc's instantiate enforces for the stage
// (arcStages): unknown keys, required keys, one-of groups and valid values.
func (l *linter) checkStage(st *nbState, cell int, stage string, spec arcStage, v *hValue) {
	has := func(f string) bool { return v.get(f) != nil }
	if v.kind == hObject {
		for _, f := range v.fields {
			if spec.hasKey(f.key) {
				continue
			}
			fix := fmt.Sprintf("remove %q; %s accepts %s", f.key, stage, strings.Join(spec.Keys, ", "))
			if s := suggest(f.key, spec.Keys); s != "" {
				fix = "did you mean " + s + "?"
			}
			l.errorf(st.path, cell, fix, "%s stage: Arc rejects the key %q (Invalid attribute; %s)", stage, f.key, spec.Source)
		}
	}
	for _, f := range append([]string{"environments"}, spec.Required...) {
		if !has(f) {
			l.errorf(st.path, cell, fmt.Sprintf("add %q to the stage", f), "%s stage is missing required field %s", stage, f)
		}
	}
	for _, group := range spec.AnyOf {
		var known []string
		for _, f := range group {
			if spec.hasKey(f) {
				known = append(known, f)
			}
		}
		if !slices.ContainsFunc(known, has) {
			l.errorf(st.path, cell, "add "+strings.Join(known, " or "), "%s stage needs %s", stage, strings.Join(known, " or "))
		}
	}
	for _, group := range spec.OneOf {
		n := 0
		for _, f := range group {
			if has(f) {
				n++
			}
		}
		switch {
		case n == 0:
			l.errorf(st.path, cell, "add one of them", "%s stage needs one of %s", stage, strings.Join(group, ", "))
		case n > 1:
			l.errorf(st.path, cell, "keep only one", "%s stage sets more than one of %s; Arc allows only one", stage, strings.Join(group, ", "))
		}
	}
	value := func(f string) (string, bool) {
		if x := v.get(f); x != nil {
			if x.kind != hString || !x.literal() {
				return "", false
			}
			return x.str(), true
		}
		d, ok := spec.Defaults[f]
		return d, ok
	}
	for _, c := range spec.RequiredWhen {
		if val, ok := value(c.Field); ok && val == c.Value && !has(c.Key) {
			l.errorf(st.path, cell, fmt.Sprintf("add %q, or change %s", c.Key, c.Field),
				"%s stage: %s is required when %s is %s", stage, c.Key, c.Field, c.Value)
		}
	}
	valid := spec.Valid
	if valid == nil {
		valid = map[string][]string{}
	}
	for f, allowed := range valid {
		x := v.get(f)
		if x == nil || x.kind != hString || !x.literal() {
			continue
		}
		if !slices.Contains(allowed, x.str()) {
			fix := "use one of " + strings.Join(allowed, ", ")
			if s := suggest(x.str(), allowed); s != "" {
				fix = "did you mean " + s + "? (Arc compares exactly)"
			}
			l.errorf(st.path, cell, fix, "%s stage: %s %q is not a valid value", stage, f, x.str())
		}
	}
	if x := v.get("resolution"); x != nil && x.kind == hString && !slices.Contains(resolutionValues, x.str()) {
		l.errorf(st.path, cell, "use strict or lazy", "%s stage: resolution %q is not a valid value", stage, x.str())
	}
}

// checkFileRef checks that a URI naming a repository file points at one.
func (l *linter) checkFileRef(st *nbState, cell int, stage, field, uri string) {
	p, ok := localPath(uri, st.path)
	if !ok {
		return
	}
	if !exists(p) {
		l.errorf(st.path, cell, fmt.Sprintf("create %s or correct the %s", p, field),
			"%s stage: %s %s names %s, which does not exist", stage, field, uri, p)
	}
}

// checkVars checks that every required ${VAR} is supplied.
func (l *linter) checkVars(st *nbState, cell int, subs []hPart) {
	reported := map[string]bool{}
	for _, s := range subs {
		if s.optional || reported[s.subst] {
			continue
		}
		if from := st.vars[s.subst]; l.envVars != nil && !strings.HasPrefix(from, "ConfigExecute") {
			if l.envVars[st.path] == nil {
				l.envVars[st.path] = map[string]bool{}
			}
			l.envVars[st.path][s.subst] = true
		}
		if _, ok := st.vars[s.subst]; ok {
			continue
		}
		reported[s.subst] = true
		if envCell, ok := st.envOnly[s.subst]; ok {
			l.errorf(st.path, cell, fmt.Sprintf("supply %s to the job (see jobs/README.md), or write ${?%s} if it may be unset", s.subst, s.subst),
				"${%s} is set only by %%env in cell %d, which Arc ignores when it runs the notebook as a job", s.subst, envCell)
			continue
		}
		l.errorf(st.path, cell, fmt.Sprintf("use a variable the arc-job template sets (%s), supply %s to the job, or write ${?%s} if it may be unset",
			strings.Join(sortedDefaults(), ", "), s.subst, s.subst),
			"${%s} is not supplied: no workflow running this notebook sets it and it is not a documented default", s.subst)
	}
}

func sortedDefaults() []string {
	out := make([]string, 0, len(DefaultVariables))
	for k := range DefaultVariables {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// argRE splits a magic's header like Arc's parseArgs: on spaces outside
// double quotes.
var argRE = regexp.MustCompile(`(?:[^\s"]+|"[^"]*")+`)

// parseMagicArgs reads key=value arguments of a magic header line.
func parseMagicArgs(header string) map[string]string {
	args := map[string]string{}
	for _, tok := range argRE.FindAllString(header, -1) {
		if strings.HasPrefix(tok, "%") {
			continue
		}
		if k, v, ok := strings.Cut(tok, "="); ok && k != "" && v != "" {
			args[k] = strings.Trim(v, `"`)
		}
	}
	return args
}

// lintSQLMagic checks %sql, %sqlvalidate, %log, %configexecute... cells,
// which Arc's job runner turns into stages from their header arguments.
func (l *linter) lintSQLMagic(st *nbState, cell int, magicName, stage, header, body string) {
	args := parseMagicArgs(header)
	if args["environments"] == "" {
		l.errorf(st.path, cell, fmt.Sprintf("add environments=production,test to the %s line", magicName),
			"%s cell has no environments=; as a job Arc gives it environments [\"\"] and skips it in every environment", magicName)
	}
	if (stage == "SQLTransform" || stage == "MetadataFilterTransform") && args["outputView"] == "" {
		l.errorf(st.path, cell, fmt.Sprintf("add outputView=<name> to the %s line", magicName),
			"%s cell has no outputView=, so later stages cannot use its result", magicName)
	}
	params := map[string]bool{}
	var subs []hPart
	if sp := args["sqlParams"]; sp != "" {
		for _, kv := range strings.Split(sp, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				l.errorf(st.path, cell, "write sqlParams=name=value,name2=value2", "%s cell: sqlParams entry %q is not name=value", magicName, kv)
				continue
			}
			params[k] = true
			for _, m := range regexp.MustCompile(`\$\{(\??)\s*([^}]*?)\s*\}`).FindAllStringSubmatch(v, -1) {
				subs = append(subs, hPart{subst: m[2], optional: m[1] == "?"})
			}
		}
	}
	l.checkVars(st, cell, subs)
	// Header arguments other than the notebook's own controls become keys
	// of the generated stage (ConfigUtils.parseIPYNBCells
	// dynamicArguments), where checkValidKeys rejects unknown ones.
	if spec, ok := arcStages[stage]; ok {
		for _, k := range sortedKeys(args) {
			if slices.Contains(magicControlArgs, k) || spec.hasKey(k) {
				continue
			}
			fix := fmt.Sprintf("remove %s= from the %s line", k, magicName)
			if s := suggest(k, append(slices.Clone(magicControlArgs), spec.Keys...)); s != "" {
				fix = "did you mean " + s + "?"
			}
			l.errorf(st.path, cell, fix, "%s cell: Arc turns %s= into a %s key and rejects it (Invalid attribute)", magicName, k, stage)
		}
	}
	l.checkSQL(st, cell, stage, "sql", body, params)
}

// magicControlArgs are the %sql-style header arguments parseIPYNBCells
// handles itself rather than passing on to the stage (tripl-ai/arc 4.2.0
// src/main/scala/ai/tripl/arc/config/ConfigUtils.scala).
var magicControlArgs = []string{"name", "description", "sqlParams", "outputView", "environments", "numRows",
	"truncate", "persist", "monospace", "leftAlign", "datasetLabels", "streamingDuration", "showLog"}
