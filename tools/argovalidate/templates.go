package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v4/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v4/workflow/templateresolution"
)

type nsName struct{ namespace, name string }

// templateSet holds the WorkflowTemplates and ClusterWorkflowTemplates among
// the files given, so templateRef and workflowTemplateRef resolve offline,
// as `argo lint --offline` resolves them.
type templateSet struct {
	wfts  map[nsName]*wfv1.WorkflowTemplate
	cwfts map[string]*wfv1.ClusterWorkflowTemplate
}

// newTemplateSet indexes the templates in objs; a second template with the
// same (namespace, name) is a problem, as it is for the API server.
func newTemplateSet(objs []object) (*templateSet, []Problem) {
	s := &templateSet{wfts: map[nsName]*wfv1.WorkflowTemplate{}, cwfts: map[string]*wfv1.ClusterWorkflowTemplate{}}
	seen := map[string]object{}
	var problems []Problem
	for _, o := range objs {
		var key string
		switch v := o.obj.(type) {
		case *wfv1.WorkflowTemplate:
			key = "WorkflowTemplate " + o.namespace + "/" + o.name
			if _, dup := seen[key]; !dup {
				s.wfts[nsName{o.namespace, o.name}] = v
			}
		case *wfv1.ClusterWorkflowTemplate:
			key = "ClusterWorkflowTemplate " + o.name
			if _, dup := seen[key]; !dup {
				s.cwfts[o.name] = v
			}
		default:
			continue
		}
		if first, dup := seen[key]; dup {
			problems = append(problems, Problem{File: o.file, Line: o.line, Kind: o.kind, Name: o.name,
				Message: fmt.Sprintf("duplicate %s %q: also defined at %s:%d; template names must be unique per namespace", o.kind, o.name, first.file, first.line)})
			continue
		}
		seen[key] = o
	}
	return s, problems
}

func (s *templateSet) namespaced(namespace string) templateresolution.WorkflowTemplateNamespacedGetter {
	return wftGetter{set: s, namespace: namespace}
}

func (s *templateSet) cluster() templateresolution.ClusterWorkflowTemplateGetter {
	return cwftGetter{set: s}
}

// wftGetter implements templateresolution.WorkflowTemplateNamespacedGetter.
// A document without metadata.namespace lands in whatever namespace it is
// applied to, so it matches any namespace; an explicit namespace must match.
type wftGetter struct {
	set       *templateSet
	namespace string
}

func (g wftGetter) Get(_ context.Context, name string) (*wfv1.WorkflowTemplate, error) {
	if t, ok := g.set.wfts[nsName{g.namespace, name}]; ok {
		return t.DeepCopy(), nil
	}
	if g.namespace != "" {
		if t, ok := g.set.wfts[nsName{"", name}]; ok {
			return t.DeepCopy(), nil
		}
	} else {
		var found []nsName
		for k := range g.set.wfts {
			if k.name == name {
				found = append(found, k)
			}
		}
		if len(found) == 1 {
			return g.set.wfts[found[0]].DeepCopy(), nil
		}
		if len(found) > 1 {
			var nss []string
			for _, k := range found {
				nss = append(nss, k.namespace)
			}
			sort.Strings(nss)
			return nil, fmt.Errorf("workflow template %q is defined in several namespaces (%s); set metadata.namespace on the referring object", name, strings.Join(nss, ", "))
		}
	}
	return nil, fmt.Errorf("couldn't find workflow template %q in namespace %q among the files given; pass the file that defines it too", name, g.namespace)
}

// cwftGetter implements templateresolution.ClusterWorkflowTemplateGetter.
type cwftGetter struct{ set *templateSet }

func (g cwftGetter) Get(_ context.Context, name string) (*wfv1.ClusterWorkflowTemplate, error) {
	if t, ok := g.set.cwfts[name]; ok {
		return t.DeepCopy(), nil
	}
	return nil, fmt.Errorf("couldn't find cluster workflow template %q among the files given; pass the file that defines it too", name)
}
