package critpath

import (
	"strings"
	"time"

	"github.com/sqletl/blueprint/internal/assembly"
)

// Figures are counts taken from the assembly's templates.
type Figures struct {
	Stacks          int   `json:"stacks"`
	Resources       int   `json:"resources"`
	CustomResources int   `json:"customResources"`
	LambdaFunctions int   `json:"lambdaFunctions"`
	TemplateBytes   int64 `json:"templateBytes"`
}

// Count returns the figures of asm.
func Count(asm *assembly.Assembly) Figures {
	f := Figures{Stacks: len(asm.Stacks)}
	for _, s := range asm.Stacks {
		f.Resources += len(s.Template.Resources)
		f.TemplateBytes += s.TemplateSize
		for _, r := range s.Template.Resources {
			switch {
			case strings.HasPrefix(r.Type, "Custom::"), r.Type == "AWS::CloudFormation::CustomResource":
				f.CustomResources++
			case r.Type == "AWS::Lambda::Function", r.Type == "AWS::Serverless::Function":
				f.LambdaFunctions++
			}
		}
	}
	return f
}

// Report is everything hack/bench.sh prints about an assembly.
type Report struct {
	Figures Figures `json:"figures"`
	Up      *Result `json:"up"`
	Down    *Result `json:"down"`
	Cuts    []Cut   `json:"cuts"`
}

// Cut is a what-if: the model's totals with one change applied.
type Cut struct {
	Name   string        `json:"name"`
	Change string        `json:"change"`
	Up     time.Duration `json:"up"`
	Down   time.Duration `json:"down"`
}

// NewReport models asm with the default options and every cut that
// applies to it.
func NewReport(asm *assembly.Assembly) (*Report, error) {
	rep := &Report{Figures: Count(asm)}
	var err error
	if rep.Up, err = Up(asm, Options{}); err != nil {
		return nil, err
	}
	if rep.Down, err = Down(asm, Options{}); err != nil {
		return nil, err
	}
	for _, c := range Cuts(asm) {
		up, err := Up(asm, c.Options)
		if err != nil {
			return nil, err
		}
		down, err := Down(asm, c.Options)
		if err != nil {
			return nil, err
		}
		rep.Cuts = append(rep.Cuts, Cut{Name: c.Name, Change: c.Change, Up: up.Total, Down: down.Total})
	}
	return rep, nil
}
