// Command argovalidate runs Argo Workflows' own offline validation on
// workflow files: every Workflow, WorkflowTemplate, ClusterWorkflowTemplate
// and CronWorkflow is decoded strictly into Argo's v1alpha1 types (unknown
// and duplicate fields are errors) and checked with the workflow/validate
// package of github.com/argoproj/argo-workflows/v4, with templateRefs
// resolved against the templates among the files given.
//
// It is its own Go module so Argo's dependency graph stays out of
// blueprint's go.mod; hack/argovalidate.sh builds it into bin/argovalidate
// and internal/argo runs it.
//
// Usage: argovalidate [--json] [-v] FILE|DIR...   ("-" reads standard input)
//
// Exit status: 0 no problems, 1 problems found, 2 usage error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

const (
	exitOK       = 0
	exitProblems = 1
	exitUsage    = 2
)

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("argovalidate", flag.ContinueOnError)
	fl.SetOutput(stderr)
	asJSON := fl.Bool("json", false, "print problems as a JSON array on stdout")
	verbose := fl.Bool("v", false, "list skipped (non-Argo) documents on stderr")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: argovalidate [--json] [-v] FILE|DIR...\n\nValidates Argo Workflow, WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow\nmanifests with Argo's own validation. Directories are searched for *.yaml and *.yml.\nExit status: 0 valid, 1 problems found, 2 usage error.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "argovalidate: no files given")
		fl.Usage()
		return exitUsage
	}

	inputs, problems := readInputs(fl.Args(), stdin)
	res := Validate(ctx, inputs, stderr)
	res.Problems = append(problems, res.Problems...)

	if *asJSON {
		out := res.Problems
		if out == nil {
			out = []Problem{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "argovalidate: writing output: %v\n", err)
			return exitUsage
		}
	} else {
		for _, p := range res.Problems {
			fmt.Fprintln(stdout, p.String())
		}
	}
	if *verbose {
		for _, s := range res.Skipped {
			fmt.Fprintf(stderr, "%s:%d: skipped %s %s/%s (not an Argo workflow object)\n", s.File, s.Line, s.APIVersion, s.Kind, s.Name)
		}
	}
	fmt.Fprintf(stderr, "argovalidate: %d files, %d Argo documents validated, %d other documents skipped, %d problems\n",
		len(inputs), res.Validated, len(res.Skipped), len(res.Problems))
	if len(res.Problems) > 0 {
		return exitProblems
	}
	return exitOK
}

// readInputs reads every file argument; directories contribute their YAML
// files in lexical order. A path that cannot be read is a problem, not a
// usage error, so the other files are still checked.
func readInputs(args []string, stdin io.Reader) ([]Input, []Problem) {
	var inputs []Input
	var problems []Problem
	add := func(path string) {
		var data []byte
		var err error
		if path == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			problems = append(problems, Problem{File: path, Message: fmt.Sprintf("cannot read: %v", err)})
			return
		}
		inputs = append(inputs, Input{Name: path, Data: data})
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		if arg == "-" || err != nil || !st.IsDir() {
			add(arg)
			continue
		}
		var files []string
		walkErr := filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != arg && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml": // .json there is usually data (Arc schemas), not manifests
				if !d.IsDir() {
					files = append(files, path)
				}
			}
			return nil
		})
		if walkErr != nil {
			problems = append(problems, Problem{File: arg, Message: fmt.Sprintf("cannot read directory: %v", walkErr)})
		}
		if walkErr == nil && len(files) == 0 {
			problems = append(problems, Problem{File: arg, Message: "directory holds no .yaml or .yml files"})
		}
		sort.Strings(files)
		for _, f := range files {
			add(f)
		}
	}
	return inputs, problems
}
