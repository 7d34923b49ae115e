// Package assembly reads a synthesized CDK cloud assembly (cdk.out) in
// plain Go: stacks, their templates, dependencies and the annotations
// (errors, warnings) recorded at synthesis. Reading it needs no jsii.
package assembly

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Assembly is a read cloud assembly.
type Assembly struct {
	Dir    string
	Stacks []*Stack
}

// Stack is one CloudFormation stack artifact.
type Stack struct {
	// ID is the artifact ID; Name the CloudFormation stack name.
	ID, Name     string
	TemplateFile string
	TemplateSize int64
	Template     Template
	// Resources is the number of resources in Template.
	Resources int
	// DependsOn lists artifact IDs of stacks this one needs first.
	DependsOn []string
	// Messages are annotations from synthesis, with their construct path.
	Messages []Message
	// TerminationProtection as declared.
	TerminationProtection bool
}

// Message is one synthesis annotation.
type Message struct {
	Level string // "error", "warning" or "info"
	Path  string
	Text  string
}

// Template is the parts of a CloudFormation template blueprint inspects.
type Template struct {
	Parameters map[string]json.RawMessage `json:"Parameters"`
	Resources  map[string]Resource        `json:"Resources"`
	Outputs    map[string]json.RawMessage `json:"Outputs"`
}

// Resource is one template resource.
type Resource struct {
	Type           string          `json:"Type"`
	Properties     json.RawMessage `json:"Properties,omitempty"`
	DependsOn      any             `json:"DependsOn,omitempty"`
	DeletionPolicy string          `json:"DeletionPolicy,omitempty"`
	Condition      string          `json:"Condition,omitempty"`
}

type manifest struct {
	Artifacts map[string]struct {
		Type         string   `json:"type"`
		Dependencies []string `json:"dependencies"`
		DisplayName  string   `json:"displayName"`
		Properties   struct {
			TemplateFile          string `json:"templateFile"`
			StackName             string `json:"stackName"`
			TerminationProtection bool   `json:"terminationProtection"`
		} `json:"properties"`
		Metadata               metadata `json:"metadata"`
		AdditionalMetadataFile string   `json:"additionalMetadataFile"`
	} `json:"artifacts"`
}

// metadata maps construct paths to their entries.
type metadata map[string][]struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// Read loads the assembly in dir. Stacks come in dependency order (each
// after the stacks it depends on), ties broken by name.
func Read(dir string) (*Assembly, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("reading cloud assembly: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("parsing %s/manifest.json: %w", dir, err)
	}
	a := &Assembly{Dir: dir}
	byID := map[string]*Stack{}
	for id, art := range m.Artifacts {
		if art.Type != "aws:cloudformation:stack" {
			continue
		}
		s := &Stack{ID: id, Name: art.Properties.StackName, TemplateFile: art.Properties.TemplateFile,
			TerminationProtection: art.Properties.TerminationProtection}
		if s.Name == "" {
			s.Name = id
		}
		path := filepath.Join(dir, s.TemplateFile)
		body, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading template of %s: %w", s.Name, err)
		}
		s.TemplateSize = int64(len(body))
		if err := json.Unmarshal(body, &s.Template); err != nil {
			return nil, fmt.Errorf("parsing template of %s: %w", s.Name, err)
		}
		s.Resources = len(s.Template.Resources)
		for _, d := range art.Dependencies {
			if dep, ok := m.Artifacts[d]; ok && dep.Type == "aws:cloudformation:stack" {
				s.DependsOn = append(s.DependsOn, d)
			}
		}
		sort.Strings(s.DependsOn)
		meta := art.Metadata
		if art.AdditionalMetadataFile != "" {
			// Newer CDK versions keep metadata beside the manifest.
			extra, err := os.ReadFile(filepath.Join(dir, art.AdditionalMetadataFile))
			if err != nil {
				return nil, fmt.Errorf("reading metadata of %s: %w", s.Name, err)
			}
			if err := json.Unmarshal(extra, &meta); err != nil {
				return nil, fmt.Errorf("parsing metadata of %s: %w", s.Name, err)
			}
		}
		for path, entries := range meta {
			for _, e := range entries {
				level := map[string]string{"aws:cdk:error": "error", "aws:cdk:warning": "warning", "aws:cdk:info": "info"}[e.Type]
				if level == "" {
					continue
				}
				s.Messages = append(s.Messages, Message{Level: level, Path: path, Text: fmt.Sprint(e.Data)})
			}
		}
		sort.Slice(s.Messages, func(i, j int) bool {
			if s.Messages[i].Path != s.Messages[j].Path {
				return s.Messages[i].Path < s.Messages[j].Path
			}
			return s.Messages[i].Text < s.Messages[j].Text
		})
		byID[id] = s
	}
	order, err := topoOrder(byID)
	if err != nil {
		return nil, err
	}
	a.Stacks = order
	return a, nil
}

// Errors returns every error annotation across stacks.
func (a *Assembly) Errors() []Message {
	var out []Message
	for _, s := range a.Stacks {
		for _, m := range s.Messages {
			if m.Level == "error" {
				out = append(out, m)
			}
		}
	}
	return out
}

// Stack returns the stack with artifact ID or stack name id, or nil.
func (a *Assembly) Stack(id string) *Stack {
	for _, s := range a.Stacks {
		if s.ID == id || s.Name == id {
			return s
		}
	}
	return nil
}

// ResourcesOfType counts resources of type t across stacks.
func (a *Assembly) ResourcesOfType(match func(string) bool) map[string]int {
	out := map[string]int{}
	for _, s := range a.Stacks {
		for _, r := range s.Template.Resources {
			if match(r.Type) {
				out[r.Type]++
			}
		}
	}
	return out
}

func topoOrder(byID map[string]*Stack) ([]*Stack, error) {
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []*Stack
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(id string) error
	visit = func(id string) error {
		switch state[id] {
		case 1:
			return fmt.Errorf("stack dependency cycle at %s", id)
		case 2:
			return nil
		}
		state[id] = 1
		for _, d := range byID[id].DependsOn {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[id] = 2
		out = append(out, byID[id])
		return nil
	}
	for _, id := range ids {
		if err := visit(id); err != nil {
			return nil, err
		}
	}
	return out, nil
}
