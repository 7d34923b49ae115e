package etl

import (
	"context"
	"errors"
	"fmt"

	"github.com/sqletl/blueprint/internal/argo"
)

// argoValidate runs Argo's own validator over workflow files.
func argoValidate(ctx context.Context, paths ...string) ([]WorkflowProblem, error) {
	problems, err := argo.ValidateFiles(ctx, paths...)
	if errors.Is(err, argo.ErrNotInstalled) {
		return nil, fmt.Errorf("%w: %w", ErrNoWorkflowValidator, err)
	}
	if err != nil {
		return nil, err
	}
	out := make([]WorkflowProblem, len(problems))
	for i, p := range problems {
		out[i] = WorkflowProblem{File: p.File, Kind: p.Kind, Name: p.Name, Message: p.Message}
	}
	return out, nil
}
