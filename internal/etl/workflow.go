package etl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The arc-job WorkflowTemplate (charts/platform) and its parameters; see
// jobs/README.md.
const (
	arcJobTemplate = "arc-job"
	jobFileParam   = "jobFile"
)

var argoKinds = map[string]bool{
	"Workflow": true, "WorkflowTemplate": true, "ClusterWorkflowTemplate": true, "CronWorkflow": true,
}

type wfDoc struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		wfSpec       `yaml:",inline"`
		WorkflowSpec *wfSpec `yaml:"workflowSpec"` // CronWorkflow
	} `yaml:"spec"`
}

type wfSpec struct {
	Templates []wfTemplate `yaml:"templates"`
}

type wfTemplate struct {
	Name string `yaml:"name"`
	DAG  *struct {
		Tasks []wfTask `yaml:"tasks"`
	} `yaml:"dag"`
	Steps     [][]wfTask `yaml:"steps"`
	Container *struct {
		Env []struct {
			Name string `yaml:"name"`
		} `yaml:"env"`
	} `yaml:"container"`
}

type wfTask struct {
	Name        string `yaml:"name"`
	Template    string `yaml:"template"`
	TemplateRef *struct {
		Name     string `yaml:"name"`
		Template string `yaml:"template"`
	} `yaml:"templateRef"`
	Arguments struct {
		Parameters []struct {
			Name  string `yaml:"name"`
			Value string `yaml:"value"`
		} `yaml:"parameters"`
	} `yaml:"arguments"`
}

// lintWorkflow reads a YAML file; for Argo documents it records which
// notebooks the workflow runs and what variables they get, and checks that
// those notebooks exist. It reports whether the file holds Argo documents,
// to be passed to Argo's validator.
func (l *linter) lintWorkflow(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		l.errorf(path, 0, "make the file readable", "cannot read: %v", err)
		return false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	isArgo := false
	for {
		var doc wfDoc
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			l.errorf(path, 0, "fix the YAML syntax", "not valid YAML: %v", err)
			return false
		}
		if !strings.HasPrefix(doc.APIVersion, "argoproj.io/") || !argoKinds[doc.Kind] {
			continue
		}
		isArgo = true
		specs := []*wfSpec{&doc.Spec.wfSpec}
		if doc.Spec.WorkflowSpec != nil {
			specs = append(specs, doc.Spec.WorkflowSpec)
		}
		for _, s := range specs {
			l.workflowJobs(path, doc.Kind+" "+doc.Metadata.Name, s)
		}
	}
	return isArgo
}

func (l *linter) workflowJobs(path, what string, s *wfSpec) {
	local := map[string]wfTemplate{}
	for _, t := range s.Templates {
		local[t.Name] = t
	}
	var tasks []wfTask
	for _, t := range s.Templates {
		if t.DAG != nil {
			tasks = append(tasks, t.DAG.Tasks...)
		}
		for _, group := range t.Steps {
			tasks = append(tasks, group...)
		}
	}
	for _, task := range tasks {
		for _, p := range task.Arguments.Parameters {
			if p.Name != jobFileParam {
				continue
			}
			nb, ok := jobFilePath(p.Value, path)
			if !ok {
				continue
			}
			if !exists(nb) {
				l.errorf(path, 0, fmt.Sprintf("create %s or correct the jobFile of task %s", nb, task.Name),
					"%s: task %s runs %s, which does not exist", what, task.Name, nb)
				continue
			}
			vars := l.supplied[cleanAbs(nb)]
			if vars == nil {
				vars = map[string]string{}
				l.supplied[cleanAbs(nb)] = vars
			}
			from := fmt.Sprintf("%s task %s", filepath.Base(path), task.Name)
			if t, ok := local[task.Template]; ok && t.Container != nil {
				for _, e := range t.Container.Env {
					vars[e.Name] = from
				}
			}
		}
	}
}

// jobFilePath maps a jobFile argument to the repository notebook it names:
// "$(ETL_CONF_CODE_URL)/jobs/<pipeline>/<file>" (expanded by Kubernetes from
// the container's env), "{{workflow.parameters.x}}/<pipeline>/<file>" or
// "s3a://<bucket>/jobs/<pipeline>/<file>" is <jobs root>/<pipeline>/<file>.
func jobFilePath(value, workflowFile string) (string, bool) {
	rest := value
	if i := strings.LastIndex(rest, "}}"); i >= 0 {
		rest = rest[i+2:]
	} else if strings.HasPrefix(rest, "$(") && strings.Contains(rest, ")") {
		_, rest, _ = strings.Cut(rest, ")")
	} else if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
		_, rest, _ = strings.Cut(rest, "/") // drop the bucket
	}
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, "/"), "jobs/")
	if rest == "" || strings.Contains(rest, "{{") {
		return "", false
	}
	return filepath.Join(jobsRoot(workflowFile), filepath.FromSlash(rest)), true
}

func cleanAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}
