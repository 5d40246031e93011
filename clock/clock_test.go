package clock

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestNowIsClockMonotonic(t *testing.T) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	before := ts.Nano()
	now := Now()
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	after := ts.Nano()
	if now.Nanos() < before || now.Nanos() > after {
		t.Fatalf("Now() = %d, not within CLOCK_MONOTONIC reads [%d, %d]", now, before, after)
	}
	if d := time.Duration(after - before); d > time.Second {
		t.Fatalf("clock reads %v apart", d)
	}
}

func TestMonoArithmetic(t *testing.T) {
	t0 := Mono(1_000)
	t1 := t0.Add(250 * time.Nanosecond)
	if t1 != 1_250 || t1.Sub(t0) != 250*time.Nanosecond || t0.Sub(t1) != -250*time.Nanosecond {
		t.Fatalf("Add/Sub: %d, %v", t1, t1.Sub(t0))
	}
	if !t0.Before(t1) || t1.Before(t0) || !t1.After(t0) || t0.After(t0) {
		t.Fatal("Before/After")
	}
	if d := Since(Now()); d < 0 || d > time.Second {
		t.Fatalf("Since(Now()) = %v", d)
	}
}

var nowSink Mono

// BenchmarkNow is one read of CLOCK_MONOTONIC, which a producer makes for every frame
// (its timestamp): on a VM whose kernel reads the TSC through the hypervisor's clock
// page it is a sizeable part of a small frame's cost.
func BenchmarkNow(b *testing.B) {
	for range b.N {
		nowSink = Now()
	}
}
