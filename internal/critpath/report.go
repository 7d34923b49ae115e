package critpath

import (
	"fmt"
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
	// Range models up and down at the control plane's low, typical and
	// high creation times (DefaultControlPlane).
	Range []Point `json:"range"`
	// Overhead is blueprint's own time beyond the control plane: up at the
	// typical control-plane time minus that time. Goal: OverheadGoal.
	Overhead time.Duration `json:"overhead"`
	Cuts     []Cut         `json:"cuts"`
	// Spread is the overhead again with every measured step (Duration's
	// Samples) at each Pick, for the code as it is and for each bound: it
	// shows whether the goal is out of reach because of the slowest-sample
	// choice or whatever the choice.
	Spread []SpreadRow `json:"spread"`
}

// SpreadRow is blueprint's overhead with the measured steps at one Pick.
type SpreadRow struct {
	Pick     Pick          `json:"pick"`
	Overhead time.Duration `json:"overhead"`
	// Bounds are the overheads of the Bound scenarios, in Cuts' order.
	Bounds []BoundOverhead `json:"bounds"`
}

// BoundOverhead is one bound scenario's overhead.
type BoundOverhead struct {
	Name     string        `json:"name"`
	Overhead time.Duration `json:"overhead"`
}

// OverheadGoal is the most blueprint may add to the control plane's time.
const OverheadGoal = 5 * time.Minute

// Point is the model at one control-plane creation time.
type Point struct {
	Name         string        `json:"name"`
	ControlPlane time.Duration `json:"controlPlane"`
	Up           time.Duration `json:"up"`
	Down         time.Duration `json:"down"`
}

// Cut is a what-if: the model's totals before and after one change. For
// an applied cut "after" is the baseline; otherwise "before" is.
type Cut struct {
	Name       string        `json:"name"`
	Change     string        `json:"change"`
	Status     Status        `json:"status"`
	UpBefore   time.Duration `json:"upBefore"`
	Up         time.Duration `json:"up"`
	DownBefore time.Duration `json:"downBefore"`
	Down       time.Duration `json:"down"`
}

// NewReport models asm with the default options, at each control-plane
// time, and with every cut that applies to it.
func NewReport(asm *assembly.Assembly) (*Report, error) {
	rep := &Report{Figures: Count(asm)}
	var err error
	if rep.Up, err = Up(asm, Options{}); err != nil {
		return nil, err
	}
	if rep.Down, err = Down(asm, Options{}); err != nil {
		return nil, err
	}
	cp := DefaultControlPlane
	for _, p := range []struct {
		name string
		d    time.Duration
	}{{"low", cp.Low}, {"typical", cp.Typical}, {"high", cp.High}} {
		o := Options{Durations: DefaultTable().WithControlPlane(p.d)}
		up, err := Up(asm, o)
		if err != nil {
			return nil, err
		}
		down, err := Down(asm, o)
		if err != nil {
			return nil, err
		}
		rep.Range = append(rep.Range, Point{Name: p.name, ControlPlane: p.d, Up: up.Total, Down: down.Total})
	}
	rep.Overhead = rep.Up.Total - DefaultTable()[TypeEKSCluster].Create
	scenarios := Cuts(asm)
	for _, c := range scenarios {
		up, err := Up(asm, c.Options)
		if err != nil {
			return nil, fmt.Errorf("cut %q: %w", c.Name, err)
		}
		down, err := Down(asm, c.Options)
		if err != nil {
			return nil, fmt.Errorf("cut %q: %w", c.Name, err)
		}
		cut := Cut{Name: c.Name, Change: c.Change, Status: c.Status,
			UpBefore: rep.Up.Total, Up: up.Total, DownBefore: rep.Down.Total, Down: down.Total}
		if c.Status == Applied {
			cut.UpBefore, cut.Up, cut.DownBefore, cut.Down = up.Total, rep.Up.Total, down.Total, rep.Down.Total
		}
		rep.Cuts = append(rep.Cuts, cut)
	}
	if rep.Spread, err = spread(asm, scenarios); err != nil {
		return nil, err
	}
	return rep, nil
}

// spread models the overhead at each Pick, the control plane at its
// typical time, for asm and for each Bound among scenarios.
func spread(asm *assembly.Assembly, scenarios []Scenario) ([]SpreadRow, error) {
	cp := DefaultControlPlane.Typical
	var rows []SpreadRow
	for _, p := range Picks {
		t := DefaultTable().With(p).WithControlPlane(cp)
		up, err := Up(asm, Options{Durations: t})
		if err != nil {
			return nil, err
		}
		row := SpreadRow{Pick: p, Overhead: up.Total - cp}
		for _, c := range scenarios {
			if c.Status != Bound {
				continue
			}
			o := c.Options
			o.Durations = t
			b, err := Up(asm, o)
			if err != nil {
				return nil, fmt.Errorf("%s at %s figures: %w", c.Name, p, err)
			}
			row.Bounds = append(row.Bounds, BoundOverhead{Name: c.Name, Overhead: b.Total - cp})
		}
		rows = append(rows, row)
	}
	return rows, nil
}
