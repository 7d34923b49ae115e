package platform

import (
	"context"
	"errors"
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
