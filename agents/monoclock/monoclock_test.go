package monoclock

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
	if now < before || now > after {
		t.Fatalf("Now() = %d, not within CLOCK_MONOTONIC reads [%d, %d]", now, before, after)
	}
	if d := time.Duration(after - before); d > time.Second {
		t.Fatalf("clock reads %v apart", d)
	}
}
