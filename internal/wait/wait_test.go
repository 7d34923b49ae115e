package wait

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeClock fires every After immediately and records the delays asked for.
type fakeClock struct{ delays []time.Duration }

func (f *fakeClock) Now() time.Time { return time.Unix(0, 0) }
func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	f.delays = append(f.delays, d)
	c := make(chan time.Time, 1)
	c <- time.Unix(0, 0)
	return c
}

func TestUntilBacksOffUpToMax(t *testing.T) {
	clk := &fakeClock{}
	polls := 0
	err := Until(context.Background(), "x", Backoff{Initial: time.Second, Max: 5 * time.Second, Factor: 2}, clk,
		func(context.Context) (bool, error) { polls++; return polls == 6, nil })
	if err != nil || polls != 6 {
		t.Fatalf("err=%v polls=%d", err, polls)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if len(clk.delays) != len(want) {
		t.Fatalf("delays %v", clk.delays)
	}
	for i := range want {
		if clk.delays[i] != want[i] {
			t.Errorf("delay %d = %v, want %v", i, clk.delays[i], want[i])
		}
	}
}

func TestUntilStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	err := Until(context.Background(), "x", Default, &fakeClock{}, func(context.Context) (bool, error) { return false, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

func TestUntilTimesOut(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	block := make(chan time.Time)
	clk := blockingClock{block}
	err := Until(ctx, "the stack", Default, clk, func(context.Context) (bool, error) { return false, nil })
	if !errors.Is(err, ErrTimeout) || err.Error() != "waiting for the stack: timed out" {
		t.Fatalf("err = %v", err)
	}
}

type blockingClock struct{ c chan time.Time }

func (b blockingClock) Now() time.Time                       { return time.Unix(0, 0) }
func (b blockingClock) After(time.Duration) <-chan time.Time { return b.c }
