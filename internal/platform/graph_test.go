package platform

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

func TestRunGraphOrdersByDependencies(t *testing.T) {
	nodes := []string{"network", "data", "analytics", "cluster"}
	deps := map[string][]string{"analytics": {"data"}, "cluster": {"network", "data", "analytics"}}
	var mu sync.Mutex
	var order []string
	err := runGraph(context.Background(), nodes, deps, func(_ context.Context, n string) error {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pos := func(n string) int { return slices.Index(order, n) }
	if pos("analytics") < pos("data") || pos("cluster") < pos("analytics") || pos("cluster") < pos("network") || len(order) != 4 {
		t.Errorf("order = %v", order)
	}

	// Reversed for deletion: cluster first, data last.
	order = nil
	if err := runGraph(context.Background(), nodes, reverse(nodes, deps), func(_ context.Context, n string) error {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, n)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if order[0] != "cluster" || pos("data") < pos("analytics") {
		t.Errorf("reverse order = %v", order)
	}
}

func TestRunGraphStopsDependentsOnFailure(t *testing.T) {
	boom := errors.New("boom")
	var ran []string
	var mu sync.Mutex
	err := runGraph(context.Background(), []string{"a", "b"}, map[string][]string{"b": {"a"}}, func(_ context.Context, n string) error {
		mu.Lock()
		ran = append(ran, n)
		mu.Unlock()
		if n == "a" {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || slices.Contains(ran, "b") {
		t.Errorf("err=%v ran=%v", err, ran)
	}
}

// A node that fails while a sibling is running: the sibling stops with the
// context runGraph cancels, and only the failure comes back, so the CLI
// prints it instead of "Cancelled." (exit 130).
func TestRunGraphReturnsTheFailureNotTheSiblingsCancel(t *testing.T) {
	boom := errors.New("deleting stack net: DELETE_FAILED")
	started := make(chan struct{})
	err := runGraph(context.Background(), []string{"net", "analytics"}, nil, func(ctx context.Context, n string) error {
		if n == "net" {
			<-started
			return boom
		}
		close(started)
		<-ctx.Done()
		return fmt.Errorf("waiting for %s: %w", n, ctx.Err())
	})
	if !errors.Is(err, boom) || errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want the failure alone", err)
	}

	// The caller's own cancel is still reported as a cancel.
	ctx, cancel := context.WithCancel(context.Background())
	err = runGraph(ctx, []string{"a"}, nil, func(ctx context.Context, _ string) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("caller cancelled: err = %v, want context.Canceled", err)
	}
}
