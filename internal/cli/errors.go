package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/platform"
)

// Exit codes. Scripts and CI may rely on them; docs/exit-codes.md lists
// the same table.
const (
	ExitOK            = 0   // success
	ExitError         = 1   // any other failure: AWS, CDK, Kubernetes, files
	ExitUsage         = 2   // bad command line: unknown command or flag, bad flag value, conflicting flags
	ExitInvalidConfig = 3   // blueprint.yaml (with --region) failed validation; nothing was changed
	ExitCancelled     = 130 // interrupted (Ctrl-C, SIGTERM) or a confirmation was declined
)

// ExitCode maps an error returned by a command to the process exit code.
// It is the only place that does:
//
//	nil                            → 0
//	*UsageError                    → 2
//	*config.ValidationError        → 3
//	ErrCancelled, context.Canceled → 130
//	anything else                  → 1
//
// Errors are matched through wrapping (errors.As / errors.Is).
func ExitCode(err error) int {
	var usage *UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage):
		return ExitUsage
	case config.IsValidation(err):
		return ExitInvalidConfig
	case isCancelled(err):
		return ExitCancelled
	default:
		return ExitError
	}
}

// UsageError is a problem with the command line itself: the user should
// change the flags or arguments, not the environment.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usageErrorf builds a *UsageError. Name the flags involved, e.g.
// "--path and --config name different files; pass only one".
func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ErrCancelled is returned when the user declines a confirmation prompt
// (down's declined confirmation is platform.ErrAborted, mapped the same).
var ErrCancelled = errors.New("cancelled")

// isCancelled says the command stopped only because it was cancelled: every
// error joined into err is a cancellation. A step that failed while others
// were stopped because of it (a parallel stack deletion, a Helm release)
// comes back joined with their context.Canceled; that is a failure, and its
// message must reach the user instead of "Cancelled.".
func isCancelled(err error) bool {
	switch e := err.(type) {
	case nil:
		return false
	case interface{ Unwrap() []error }: // errors.Join, fmt.Errorf with several %w
		errs := e.Unwrap()
		for _, x := range errs {
			if !isCancelled(x) {
				return false
			}
		}
		return len(errs) > 0
	case interface{ Unwrap() error }:
		if inner := e.Unwrap(); inner != nil {
			return isCancelled(inner)
		}
	}
	return err == ErrCancelled || err == context.Canceled || err == platform.ErrAborted
}
