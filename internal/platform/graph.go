package platform

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// runGraph runs fn for every node once all of the node's dependencies have
// finished, as many at a time as the graph allows. A failure stops nodes
// not yet started; the errors of every failed node are joined.
// deps maps each node to the nodes it needs first.
func runGraph(parent context.Context, nodes []string, deps map[string][]string, fn func(ctx context.Context, node string) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	done := make(map[string]chan struct{}, len(nodes))
	for _, n := range nodes {
		done[n] = make(chan struct{})
	}
	for n, ds := range deps {
		for _, d := range ds {
			if _, ok := done[d]; !ok {
				return fmt.Errorf("%s depends on unknown %s", n, d)
			}
		}
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return len(errs) > 0 }
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[n])
			for _, d := range deps[n] {
				select {
				case <-done[d]:
				case <-ctx.Done():
					return
				}
			}
			if failed() || ctx.Err() != nil {
				return
			}
			if err := fn(ctx, n); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(ownFailures(parent, errs)...)
	}
	return context.Cause(ctx)
}

// ownFailures drops, when the caller's context is still live, the
// context.Canceled of nodes that stopped only because another node failed
// (runGraph cancels the rest on the first failure): those are not failures
// of their own, and joined with the real one they made the CLI print
// "Cancelled." instead of the error. When the caller cancelled, or when
// every error is a cancellation, errs is returned as is.
func ownFailures(parent context.Context, errs []error) []error {
	if parent.Err() != nil {
		return errs
	}
	var own []error
	for _, err := range errs {
		if !errors.Is(err, context.Canceled) {
			own = append(own, err)
		}
	}
	if len(own) == 0 {
		return errs
	}
	return own
}

// reverse returns the dependency graph with every edge turned around: for
// deleting, a stack waits for the stacks that depend on it.
func reverse(nodes []string, deps map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, n := range nodes {
		for _, d := range deps[n] {
			out[d] = append(out[d], n)
		}
	}
	return out
}
