// Package platform is blueprint's action library: Plan, Up, Down and
// Status, each an options struct with a Run method. Long operations are
// ordered lists of named, idempotent steps that check state before they
// act, so re-running after any failure continues where it stopped.
package platform

import (
	"context"
	"fmt"
)

// Step is one named, idempotent unit of work.
type Step struct {
	Name string
	Run  func(ctx context.Context) error
}

// Progress receives what the steps do; the CLI prints it on stderr.
type Progress interface {
	StepStarted(name string)
	StepDone(name string, detail string)
	Info(format string, args ...any)
}

// NoProgress discards progress.
type NoProgress struct{}

func (NoProgress) StepStarted(string)      {}
func (NoProgress) StepDone(string, string) {}
func (NoProgress) Info(string, ...any)     {}

// runSteps runs steps in order, stopping at the first error, which names
// the step.
func runSteps(ctx context.Context, p Progress, steps []Step) error {
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.StepStarted(s.Name)
		if err := s.Run(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		p.StepDone(s.Name, "")
	}
	return nil
}

// StepNames lists step names, for --dry-run and plan.
func StepNames(steps []Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Name
	}
	return out
}
