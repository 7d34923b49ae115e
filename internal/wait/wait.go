// Package wait is blueprint's one way to wait until something is true:
// poll a condition with exponential backoff, bounded by a context, on an
// injectable clock so tests run instantly. Nothing else in the project
// sleeps in a loop.
package wait

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Clock is the time source; Real is the wall clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Real is the wall clock.
var Real Clock = realClock{}

// Backoff spaces polls: Initial, then ×Factor up to Max.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Factor  float64
}

// Default polls after 1s, 2s, 4s ... up to every 10s: right for
// CloudFormation and Kubernetes readiness.
var Default = Backoff{Initial: time.Second, Max: 10 * time.Second, Factor: 2}

// ErrTimeout is returned (wrapped) when the context's deadline passes first.
var ErrTimeout = errors.New("timed out")

// Condition reports whether the wait is over. A non-nil error stops the
// wait and is returned as is.
type Condition func(ctx context.Context) (done bool, err error)

// Until polls cond until it is done, it fails, or ctx ends. The first poll
// is immediate. what names the wait in the timeout error.
func Until(ctx context.Context, what string, b Backoff, clk Clock, cond Condition) error {
	if clk == nil {
		clk = Real
	}
	if b.Initial <= 0 {
		b = Default
	}
	delay := b.Initial
	for {
		done, err := cond(ctx)
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("waiting for %s: %w", what, ErrTimeout)
			}
			return ctx.Err()
		case <-clk.After(delay):
		}
		delay = time.Duration(float64(delay) * b.Factor)
		if b.Max > 0 && delay > b.Max {
			delay = b.Max
		}
	}
}
