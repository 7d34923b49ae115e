// Command arcstages writes internal/etl/arcstages_gen.go, the table of Arc
// stage rules jobs lint checks, by reading each stage's instantiate method
// in Arc's own source at a pinned tag:
//
//	go run ./internal/etl/cmd/arcstages \
//	  -arc <git dir of tripl-ai/arc> -arc-tag 4.2.0 \
//	  -delta <git dir of tripl-ai/arc-deltalake-pipeline-plugin> -delta-tag 3.1.0 \
//	  -o internal/etl/arcstages_gen.go
//
// The stage list is the plugin registry each jar ships
// (src/main/resources/META-INF/services/ai.tripl.arc.plugins.PipelineStagePlugin),
// so the table covers exactly the stage types Arc can instantiate. For each
// stage it records what ConfigReader and ConfigUtils enforce:
//   - keys: expectedKeys, which checkValidKeys compares every key against
//     (ConfigUtils.checkValidKeys: any other key is "Invalid attribute");
//   - required: `val x = getValue[T]("k")` with no default
//     (ConfigReader.getConfigValue: "Missing required attribute");
//   - defaults and validValues of getValue calls;
//   - oneOf: checkOneOf(c)(Seq(...)) (exactly one);
//   - anyOf: `if (!c.hasPath("a")) getValue("b")` (one of a, b; a wins);
//   - requiredWhen: a getValue inside `case Right(X.Value) =>` of a match on
//     another key, and TextLoad's outputURI-unless-singleFile rule.
//
// It reads Scala with regular expressions, which works because Arc writes
// every instantiate in the same shape; a stage it cannot read fails the
// run rather than being skipped.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

const servicesPath = "src/main/resources/META-INF/services/ai.tripl.arc.plugins.PipelineStagePlugin"

// skipped are registered plugins that are not stage types a user writes.
var skipped = map[string]string{
	// Plugins.resolveConfigPlugins instantiates it for "resolution": "lazy".
	"ai.tripl.arc.plugins.pipeline.LazyEvaluator": "internal: wraps a stage whose resolution is lazy",
}

type source struct {
	repo, gitDir, tag, commit string
}

type cond struct{ key, field, value string }

type stage struct {
	name, file    string
	src           *source
	keys          []string
	strict        bool
	required      []string
	oneOf, anyOf  [][]string
	defaults      map[string]string
	valid         map[string][]string
	requiredWhen  []cond
	optionalNoDef []string
}

func main() {
	arcDir := flag.String("arc", "", "git dir of tripl-ai/arc")
	arcTag := flag.String("arc-tag", "4.2.0", "Arc tag")
	deltaDir := flag.String("delta", "", "git dir of tripl-ai/arc-deltalake-pipeline-plugin")
	deltaTag := flag.String("delta-tag", "3.1.0", "Delta Lake plugin tag")
	out := flag.String("o", "arcstages_gen.go", "output file")
	flag.Parse()
	if *arcDir == "" || *deltaDir == "" {
		fmt.Fprintln(os.Stderr, "arcstages: -arc and -delta are required")
		os.Exit(2)
	}
	var stages []*stage
	for _, s := range []*source{
		{repo: "tripl-ai/arc", gitDir: *arcDir, tag: *arcTag},
		{repo: "tripl-ai/arc-deltalake-pipeline-plugin", gitDir: *deltaDir, tag: *deltaTag},
	} {
		got, err := readSource(s)
		if err != nil {
			fmt.Fprintf(os.Stderr, "arcstages: %s@%s: %v\n", s.repo, s.tag, err)
			os.Exit(1)
		}
		stages = append(stages, got...)
	}
	code, err := render(stages)
	if err != nil {
		fmt.Fprintln(os.Stderr, "arcstages:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "arcstages:", err)
		os.Exit(1)
	}
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"--git-dir", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

func readSource(s *source) ([]*stage, error) {
	commit, err := git(s.gitDir, "rev-parse", s.tag+"^{commit}")
	if err != nil {
		return nil, err
	}
	s.commit = strings.TrimSpace(commit)
	services, err := git(s.gitDir, "show", s.tag+":"+servicesPath)
	if err != nil {
		return nil, err
	}
	var stages []*stage
	for _, class := range strings.Fields(services) {
		if _, skip := skipped[class]; skip {
			continue
		}
		file := "src/main/scala/" + strings.ReplaceAll(class, ".", "/") + ".scala"
		text, err := git(s.gitDir, "show", s.tag+":"+file)
		if err != nil {
			return nil, err
		}
		st, err := parseStage(path.Base(strings.ReplaceAll(class, ".", "/")), file, text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		st.src = s
		stages = append(stages, st)
	}
	return stages, nil
}

var (
	expectedRE  = regexp.MustCompile(`val expectedKeys = (.+?)\s*::\s*Nil`)
	quotedRE    = regexp.MustCompile(`"([^"]*)"`)
	valRE       = regexp.MustCompile(`^\s*val (\w+) = (.*)$`)
	getValueRE  = regexp.MustCompile(`get(Optional)?Value\[[^\]]+\]\("(\w+)"`)
	hasPathVar  = regexp.MustCompile(`^\s*val (\w+) = c\.hasPath\("(\w+)"\)\s*$`)
	notHasPath  = regexp.MustCompile(`if\s*\(\s*!\s*(?:c\.hasPath\("(\w+)"\)|(\w+))\s*\)\s*getValue\[[^\]]+\]\("(\w+)"\)`)
	checkOneOf  = regexp.MustCompile(`checkOneOf\(c\)\(Seq\(([^)]*)\)\)`)
	matchRE     = regexp.MustCompile(`^\s*val (\w+) = (\w+) match \{`)
	caseRightRE = regexp.MustCompile(`case Right\(\w+\.(\w+)\) => getValue\[[^\]]+\]\("(\w+)"\)`)
	// TextLoad: case (Right(None), Right(singleFile)) if (singleFile == false) => Left(ConfigError("outputURI", ...
	unlessRE = regexp.MustCompile(`case \(Right\(None\), Right\((\w+)\)\) if \(\w+ == (\w+)\) => Left\(ConfigError\("(\w+)"`)
)

func parseStage(name, file, text string) (*stage, error) {
	start := strings.Index(text, "def instantiate(")
	if start < 0 {
		return nil, fmt.Errorf("no instantiate method")
	}
	body := text[start:]
	st := &stage{name: name, file: file, defaults: map[string]string{}, valid: map[string][]string{}}
	m := expectedRE.FindStringSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("no expectedKeys")
	}
	for _, q := range quotedRE.FindAllStringSubmatch(m[1], -1) {
		st.keys = append(st.keys, q[1])
	}
	end := strings.Index(body, "val invalidKeys = checkValidKeys(c)(expectedKeys)")
	st.strict = end >= 0
	if end < 0 {
		return nil, fmt.Errorf("instantiate does not call checkValidKeys")
	}
	body = body[:end]

	boolVars := map[string]string{}
	varKey := map[string]string{}
	matchOn := ""
	seen := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if hv := hasPathVar.FindStringSubmatch(line); hv != nil {
			boolVars[hv[1]] = hv[2]
			continue
		}
		if mm := matchRE.FindStringSubmatch(line); mm != nil {
			matchOn = varKey[mm[2]]
		}
		if cr := caseRightRE.FindStringSubmatch(line); cr != nil && matchOn != "" {
			st.requiredWhen = append(st.requiredWhen, cond{key: cr[2], field: matchOn, value: cr[1]})
			seen[cr[2]] = true
		}
		if u := unlessRE.FindStringSubmatch(line); u != nil {
			st.requiredWhen = append(st.requiredWhen, cond{key: u[3], field: u[1], value: u[2]})
		}
		if co := checkOneOf.FindStringSubmatch(line); co != nil {
			var g []string
			for _, q := range quotedRE.FindAllStringSubmatch(co[1], -1) {
				g = append(g, q[1])
			}
			st.oneOf = append(st.oneOf, g)
		}
		if nh := notHasPath.FindStringSubmatch(line); nh != nil {
			other := nh[1]
			if other == "" {
				other = boolVars[nh[2]]
			}
			if other == "" {
				return nil, fmt.Errorf("cannot resolve condition in %q", strings.TrimSpace(line))
			}
			st.anyOf = append(st.anyOf, []string{other, nh[3]})
		}
		v := valRE.FindStringSubmatch(line)
		for _, loc := range getValueRE.FindAllStringSubmatchIndex(line, -1) {
			optional := loc[2] >= 0
			key := line[loc[4]:loc[5]]
			args, ok := callArgs(line, loc[1])
			if !ok {
				return nil, fmt.Errorf("unbalanced getValue call in %q", strings.TrimSpace(line))
			}
			if d, ok := someArg(args); ok {
				st.defaults[key] = unquote(d)
			}
			if vv := validValues(args); vv != nil {
				st.valid[key] = vv
			}
			atStart := v != nil && loc[0] == len(line)-len(v[2])
			if v != nil && atStart {
				varKey[v[1]] = key
			}
			if optional || seen[key] {
				continue
			}
			if atStart && args == "" {
				st.required = append(st.required, key)
				seen[key] = true
			}
		}
	}
	return st, nil
}

// callArgs returns what follows the key in a getValue call, up to its
// closing parenthesis: `, default = Some(false)`.
func callArgs(line string, from int) (string, bool) {
	depth, inStr := 1, false
	for i := from; i < len(line); i++ {
		c := line[i]
		switch {
		case inStr:
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line[from:i]), ",")), true
			}
		}
	}
	return "", false
}

// someArg finds the Some(...) default in a getValue call's arguments.
func someArg(args string) (string, bool) {
	i := strings.Index(args, "Some(")
	if i < 0 {
		return "", false
	}
	inner, ok := callArgs(args, i+len("Some("))
	return inner, ok
}

func validValues(args string) []string {
	i := strings.Index(args, "validValues")
	if i < 0 {
		return nil
	}
	var out []string
	for _, q := range quotedRE.FindAllStringSubmatch(args[i:], -1) {
		out = append(out, q[1])
	}
	return out
}

// unquote turns a Scala string literal into its value; other defaults
// (false, Nil, 200 :: 201 :: Nil) stay as Scala text.
func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

func render(stages []*stage) ([]byte, error) {
	sort.Slice(stages, func(i, j int) bool { return stages[i].name < stages[j].name })
	var b bytes.Buffer
	b.WriteString("// Code generated by internal/etl/cmd/arcstages; DO NOT EDIT.\n//\n// Read from:\n")
	srcs := map[*source]bool{}
	for _, s := range stages {
		if !srcs[s.src] {
			srcs[s.src] = true
			fmt.Fprintf(&b, "//   %s %s (commit %s)\n", s.src.repo, s.src.tag, s.src.commit)
		}
	}
	b.WriteString("\npackage etl\n\n")
	b.WriteString("// arcStages are the stage types Arc can instantiate, each with the rules\n// its instantiate method enforces.\nvar arcStages = map[string]arcStage{\n")
	for _, s := range stages {
		if _, dup := dupCheck(stages, s.name); dup {
			return nil, fmt.Errorf("stage %s defined twice", s.name)
		}
		fmt.Fprintf(&b, "%q: {\n", s.name)
		fmt.Fprintf(&b, "Source: %q,\n", s.src.repo+"@"+s.src.tag+" "+s.file)
		fmt.Fprintf(&b, "Keys: %#v,\n", s.keys)
		if len(s.required) > 0 {
			fmt.Fprintf(&b, "Required: %#v,\n", s.required)
		}
		if len(s.oneOf) > 0 {
			fmt.Fprintf(&b, "OneOf: %#v,\n", s.oneOf)
		}
		if len(s.anyOf) > 0 {
			fmt.Fprintf(&b, "AnyOf: %#v,\n", s.anyOf)
		}
		if len(s.requiredWhen) > 0 {
			b.WriteString("RequiredWhen: []arcCond{")
			for _, c := range s.requiredWhen {
				fmt.Fprintf(&b, "{Key: %q, Field: %q, Value: %q},", c.key, c.field, c.value)
			}
			b.WriteString("},\n")
		}
		if len(s.defaults) > 0 {
			fmt.Fprintf(&b, "Defaults: %#v,\n", s.defaults)
		}
		if len(s.valid) > 0 {
			fmt.Fprintf(&b, "Valid: %#v,\n", s.valid)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

func dupCheck(stages []*stage, name string) (int, bool) {
	n := 0
	for _, s := range stages {
		if s.name == name {
			n++
		}
	}
	return n, n > 1
}
