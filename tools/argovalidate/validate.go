package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/argoproj/argo-workflows/v4/pkg/apis/workflow"
	wfv1 "github.com/argoproj/argo-workflows/v4/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v4/util/logging"
	"github.com/argoproj/argo-workflows/v4/workflow/validate"
	k8svalidation "k8s.io/apimachinery/pkg/util/validation"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Problem is one finding. The JSON form is what internal/argo decodes.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Name    string `json:"name,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Kind != "" {
		b.WriteString(p.Kind)
		if p.Name != "" {
			b.WriteString("/" + p.Name)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Skipped is a document that is not an Argo workflow object and was not validated.
type Skipped struct {
	File, APIVersion, Kind, Name string
	Line                         int
}

// Input is one file's content under the name problems are reported with.
type Input struct {
	Name string
	Data []byte
}

// Result is the outcome of Validate.
type Result struct {
	Problems  []Problem
	Skipped   []Skipped
	Validated int // Argo documents that went through Argo's validation
}

// argoKinds are the kinds validated, in the group argoproj.io.
var argoKinds = []string{workflow.WorkflowKind, workflow.WorkflowTemplateKind, workflow.ClusterWorkflowTemplateKind, workflow.CronWorkflowKind}

const argoAPIVersion = "argoproj.io/v1alpha1"

// object is a decoded Argo document waiting for validation.
type object struct {
	file      string
	line      int
	kind      string
	name      string
	namespace string
	obj       any // *wfv1.Workflow, *wfv1.WorkflowTemplate, ...
}

// Validate decodes every document strictly into Argo's types and runs Argo's
// offline validation (the same as `argo lint --offline --strict`), resolving
// templateRefs and workflowTemplateRefs against the templates among inputs.
func Validate(ctx context.Context, inputs []Input, log io.Writer) Result {
	var res Result
	var objs []object
	for _, in := range inputs {
		found := 0 // Argo documents or broken documents in this file
		for _, doc := range splitDocuments(string(in.Data)) {
			o, skipped, problem := decode(in.Name, doc)
			switch {
			case problem != nil:
				res.Problems = append(res.Problems, *problem)
				found++
			case skipped != nil:
				res.Skipped = append(res.Skipped, *skipped)
			default:
				objs = append(objs, *o)
				found++
			}
		}
		if found == 0 {
			// Silently passing a file with nothing to check would hide a
			// wrong path or an apiVersion typo.
			res.Problems = append(res.Problems, Problem{File: in.Name, Message: "no Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow (" + argoAPIVersion + ") in this file; pass only Argo workflow files"})
		}
	}

	set, dupes := newTemplateSet(objs)
	res.Problems = append(res.Problems, dupes...)

	logger := logging.NewSlogLoggerCustom(logging.Error, logging.Text, log)
	ctx = logging.WithLogger(ctx, logger)
	for _, o := range objs {
		res.Validated++
		if msg := validateObject(ctx, set, o); msg != "" {
			res.Problems = append(res.Problems, Problem{File: o.file, Line: o.line, Kind: o.kind, Name: o.name, Message: msg})
		}
	}
	return res
}

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
		Namespace    string `json:"namespace"`
	} `json:"metadata"`
}

var yamlLine = regexp.MustCompile(`\bline (\d+)\b`)

// decode turns one document into an object, a skip, or a problem.
func decode(file string, doc document) (*object, *Skipped, *Problem) {
	problem := func(kind, name, format string, args ...any) (*object, *Skipped, *Problem) {
		return nil, nil, &Problem{File: file, Line: doc.line, Kind: kind, Name: name, Message: fmt.Sprintf(format, args...)}
	}
	if m := helmMarker(doc.text); m != "" {
		kind, name := sniffKindName(doc.text)
		return problem(kind, name, "document %d is a Helm template (it contains %q), not a manifest: render it first (helm template / blueprint render) and validate the output", doc.index, m)
	}
	js, err := yaml.YAMLToJSONStrict([]byte(doc.text))
	if err != nil {
		kind, name := sniffKindName(doc.text)
		return problem(kind, name, "document %d is not valid YAML: %s", doc.index, absoluteLines(err.Error(), doc.line))
	}
	var tm typeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		// A list or a scalar: not a Kubernetes object.
		kind, name := sniffKindName(doc.text)
		return problem(kind, name, "document %d is not a Kubernetes object (a YAML mapping with apiVersion and kind)", doc.index)
	}
	name := tm.Metadata.Name
	if name == "" {
		name = tm.Metadata.GenerateName
	}
	group, _, _ := strings.Cut(tm.APIVersion, "/")
	kind := tm.Kind
	if !slices.Contains(argoKinds, kind) {
		if group == "argoproj.io" || tm.APIVersion == "" {
			if near := nearKind(kind); near != "" {
				return problem(kind, name, "kind %q is not an Argo kind; did you mean %q?", kind, near)
			}
		}
		if tm.APIVersion == "" && kind == "" {
			return problem("", name, "document %d has neither apiVersion nor kind", doc.index)
		}
		return nil, &Skipped{File: file, Line: doc.line, APIVersion: tm.APIVersion, Kind: kind, Name: name}, nil
	}
	if tm.APIVersion == "" {
		return problem(kind, name, "apiVersion is missing; set apiVersion: %s", argoAPIVersion)
	}
	if group != "argoproj.io" {
		// Some other API's resource that happens to share the kind name.
		return nil, &Skipped{File: file, Line: doc.line, APIVersion: tm.APIVersion, Kind: kind, Name: name}, nil
	}
	if tm.APIVersion != argoAPIVersion {
		return problem(kind, name, "apiVersion %q is not served by Argo Workflows; use %s", tm.APIVersion, argoAPIVersion)
	}

	var obj any
	switch kind {
	case workflow.WorkflowKind:
		obj = &wfv1.Workflow{}
	case workflow.WorkflowTemplateKind:
		obj = &wfv1.WorkflowTemplate{}
	case workflow.ClusterWorkflowTemplateKind:
		obj = &wfv1.ClusterWorkflowTemplate{}
	case workflow.CronWorkflowKind:
		obj = &wfv1.CronWorkflow{}
	}
	strictErrs, err := kjson.UnmarshalStrict(js, obj)
	if err != nil {
		return problem(kind, name, "cannot decode into Argo's %s type: %s", kind, err)
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = e.Error()
		}
		return problem(kind, name, "%s (Argo's %s has no such field: check the indentation and spelling)", strings.Join(msgs, "; "), kind)
	}
	if msg := validateMeta(kind, tm.Metadata.Name, tm.Metadata.GenerateName); msg != "" {
		return problem(kind, name, "%s", msg)
	}
	return &object{file: file, line: doc.line, kind: kind, name: name, namespace: tm.Metadata.Namespace, obj: obj}, nil, nil
}

// validateMeta applies the API server's object-name rules, which Argo's
// validate package leaves to the API server (it checks only the length).
func validateMeta(kind, name, generateName string) string {
	if name == "" {
		if kind != workflow.WorkflowKind {
			return "metadata.name is required for a " + kind
		}
		if generateName == "" {
			return "metadata.name or metadata.generateName is required"
		}
		// The API server validates the prefix with a trailing dash masked.
		prefix := strings.TrimSuffix(generateName, "-") + "a"
		if errs := k8svalidation.IsDNS1123Subdomain(prefix); len(errs) > 0 {
			return fmt.Sprintf("metadata.generateName: Invalid value %q: %s", generateName, strings.Join(errs, "; "))
		}
		return ""
	}
	if errs := k8svalidation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Sprintf("metadata.name: Invalid value %q: %s", name, strings.Join(errs, "; "))
	}
	return ""
}

// validateObject runs Argo's validation for one object. Lint options match
// `argo lint`: spec.arguments may lack values (they come at submission).
func validateObject(ctx context.Context, set *templateSet, o object) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("Argo's validator panicked on this document (a bug in Argo or a very malformed spec): %v", r)
		}
	}()
	wftGetter := set.namespaced(o.namespace)
	cwftGetter := set.cluster()
	opts := validate.ValidateOpts{Lint: true}
	var err error
	switch v := o.obj.(type) {
	case *wfv1.Workflow:
		err = validate.ValidateWorkflow(ctx, wftGetter, cwftGetter, v, nil, opts)
	case *wfv1.WorkflowTemplate:
		err = validate.ValidateWorkflowTemplate(ctx, wftGetter, cwftGetter, v, nil, opts)
	case *wfv1.ClusterWorkflowTemplate:
		err = validate.ValidateClusterWorkflowTemplate(ctx, wftGetter, cwftGetter, v, nil, opts)
	case *wfv1.CronWorkflow:
		err = validate.ValidateCronWorkflow(ctx, wftGetter, cwftGetter, v, nil)
	default:
		return fmt.Sprintf("internal error: unexpected type %T", v)
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// absoluteLines rewrites "line N" in a YAML parser message, which counts from
// the start of the document, to count from the start of the file.
func absoluteLines(msg string, docLine int) string {
	return yamlLine.ReplaceAllStringFunc(msg, func(s string) string {
		n, err := strconv.Atoi(strings.TrimPrefix(s, "line "))
		if err != nil {
			return s
		}
		return "line " + strconv.Itoa(n+docLine-1)
	})
}

var (
	sniffKind = regexp.MustCompile(`(?m)^kind:\s*["']?([A-Za-z0-9]+)`)
	sniffName = regexp.MustCompile(`(?m)^  (?:name|generateName):\s*["']?([A-Za-z0-9.\-]+)`)
)

// sniffKindName finds kind and metadata.name in text that does not parse,
// so the problem can still say which object it is about.
func sniffKindName(text string) (kind, name string) {
	if m := sniffKind.FindStringSubmatch(text); m != nil {
		kind = m[1]
	}
	if m := sniffName.FindStringSubmatch(text); m != nil {
		name = m[1]
	}
	return kind, name
}

// nearKind returns the Argo kind that kind is probably a misspelling of.
func nearKind(kind string) string {
	if kind == "" {
		return ""
	}
	for _, k := range argoKinds {
		if strings.EqualFold(k, kind) || editDistance(strings.ToLower(k), strings.ToLower(kind)) <= 2 {
			return k
		}
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
