package cost

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Step is one Spark step of a scheduled sample job.
type Step struct {
	Job  string `json:"job"`
	Task string `json:"task"`
	// Size is the arc-job template it runs (small, medium, large, local).
	Size         string  `json:"size"`
	RunsPerMonth float64 `json:"runsPerMonth"`
	// ExecutorNodes its executors take (0 for local: Spark in the driver).
	ExecutorNodes int `json:"executorNodes"`
}

// daysPerMonth is 365/12.
const daysPerMonth = 365.0 / 12

// arcJobTemplate is the platform chart's WorkflowTemplate of Spark sizes.
const arcJobTemplate = "arc-job"

type argoDoc struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Schedules    []string `yaml:"schedules"`
		Schedule     string   `yaml:"schedule"`
		WorkflowSpec struct {
			WorkflowTemplateRef struct {
				Name string `yaml:"name"`
			} `yaml:"workflowTemplateRef"`
		} `yaml:"workflowSpec"`
		Templates []struct {
			DAG struct {
				Tasks []argoTask `yaml:"tasks"`
			} `yaml:"dag"`
			Steps [][]argoTask `yaml:"steps"`
		} `yaml:"templates"`
	} `yaml:"spec"`
}

type argoTask struct {
	Name        string `yaml:"name"`
	TemplateRef struct {
		Name     string `yaml:"name"`
		Template string `yaml:"template"`
	} `yaml:"templateRef"`
}

// SampleSteps reads every CronWorkflow under fsys and lists the arc-job
// steps of the WorkflowTemplate it runs, with how often per month.
func SampleSteps(fsys fs.FS) ([]Step, error) {
	var docs []argoDoc
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".yaml" {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc argoDoc
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
			docs = append(docs, doc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	templates := map[string]argoDoc{}
	for _, d := range docs {
		if d.Kind == "WorkflowTemplate" {
			templates[d.Metadata.Name] = d
		}
	}
	var out []Step
	for _, d := range docs {
		if d.Kind != "CronWorkflow" {
			continue
		}
		schedules := d.Spec.Schedules
		if d.Spec.Schedule != "" {
			schedules = append(schedules, d.Spec.Schedule)
		}
		var runs float64
		for _, s := range schedules {
			r, err := RunsPerMonth(s)
			if err != nil {
				return nil, fmt.Errorf("CronWorkflow %s: %w", d.Metadata.Name, err)
			}
			runs += r
		}
		ref := d.Spec.WorkflowSpec.WorkflowTemplateRef.Name
		wt, ok := templates[ref]
		if !ok {
			return nil, fmt.Errorf("CronWorkflow %s runs WorkflowTemplate %q, which is not among the samples", d.Metadata.Name, ref)
		}
		for _, t := range wt.Spec.Templates {
			tasks := t.DAG.Tasks
			for _, group := range t.Steps {
				tasks = append(tasks, group...)
			}
			for _, task := range tasks {
				if task.TemplateRef.Name == arcJobTemplate {
					out = append(out, Step{Job: ref, Task: task.Name, Size: task.TemplateRef.Template, RunsPerMonth: runs})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Job < out[j].Job })
	return out, nil
}

// RunsPerMonth counts how often a five-field cron schedule fires in an
// average month: minutes × hours of a firing day × firing days. Day of
// month and day of week follow cron's rule: when both are restricted, a
// day matching either fires.
func RunsPerMonth(schedule string) (float64, error) {
	f := strings.Fields(schedule)
	if len(f) != 5 {
		return 0, fmt.Errorf("schedule %q: want five fields (minute hour day-of-month month day-of-week)", schedule)
	}
	bounds := [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	var n [5]int
	for i, field := range f {
		c, err := cronCount(field, bounds[i][0], bounds[i][1], i == 4)
		if err != nil {
			return 0, fmt.Errorf("schedule %q: %w", schedule, err)
		}
		n[i] = c
	}
	perDay := float64(n[0] * n[1])
	months := float64(n[3]) / 12
	domAll, dowAll := f[2] == "*", f[4] == "*"
	var days float64
	switch {
	case domAll && dowAll:
		days = daysPerMonth
	case dowAll:
		days = float64(n[2])
	case domAll:
		days = daysPerMonth * float64(n[4]) / 7
	default:
		days = float64(n[2]) + daysPerMonth*float64(n[4])/7 - float64(n[2])*float64(n[4])/7
	}
	return perDay * days * months, nil
}

// cronCount is how many values a cron field (*, lists, ranges, steps)
// selects.
func cronCount(field string, lo, hi int, dow bool) (int, error) {
	seen := map[int]bool{}
	for _, part := range strings.Split(field, ",") {
		rng, step := part, 1
		if r, s, ok := strings.Cut(part, "/"); ok {
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 {
				return 0, fmt.Errorf("step %q is not a positive number", s)
			}
			rng, step = r, v
		}
		from, to := lo, hi
		if dow && rng == "*" {
			to = 6 // 0 and 7 are both Sunday
		}
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			x, err := strconv.Atoi(a)
			if err != nil {
				return 0, fmt.Errorf("%q is not a number (names such as MON are not supported here)", a)
			}
			from, to = x, x
			if isRange {
				if to, err = strconv.Atoi(b); err != nil {
					return 0, fmt.Errorf("%q is not a number", b)
				}
			} else if step > 1 {
				to = hi
			}
		}
		if from < lo || to > hi || from > to {
			return 0, fmt.Errorf("%q is outside %d-%d", part, lo, hi)
		}
		for v := from; v <= to; v += step {
			k := v
			if dow {
				k = v % 7 // 0 and 7 are both Sunday
			}
			seen[k] = true
		}
	}
	return len(seen), nil
}
