package tp

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tensorpool/tensorpool/agents/consumer"
)

// TestWireSpec_15_14_TruncatedPoolSurfacesAsErr: a payload pool cut below the frame the
// handler reads is given up without a crash and reported by Err, like other mapping
// failures.
func TestWireSpec_15_14_TruncatedPoolSurfacesAsErr(t *testing.T) {
	c, base, _ := startClientWith(t, []uint32{4096}, nil, Options{})
	var got []received
	p, cs := attachBoth(t, c, recorder(&got))
	sameEpoch(t, p, cs)
	tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{64}}, Data: pattern(64, 1)}
	offer(t, p, cs, tensor)
	eventually(t, "first frame", cs, func() bool { return len(got) == 1 })
	// The second frame's payload (slot 1) lies past the pool's first page.
	for err := p.Offer(tensor); err != nil; err = p.Offer(tensor) {
		if !errors.Is(err, ErrBackPressured) {
			t.Fatal(err)
		}
	}
	var pool string
	filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".pool") {
			pool = path
		}
		return nil
	})
	if err := os.Truncate(pool, 4096); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the truncated frame read", cs, func() bool {
		return cs.role.Status().Counters.Drops[consumer.DropRegionTruncated] == 1
	})
	// The Reader stores the fault before it publishes the drop: Err reports it already,
	// whatever the control side's duty cycle is doing.
	if err := cs.Err(); !errors.Is(err, consumer.ErrRegionTruncated) {
		t.Fatalf("Err = %v, want ErrRegionTruncated", err)
	}
	if attached, _ := cs.Status(); attached || len(got) != 1 {
		t.Fatalf("attached %v with %d frames after the fault", attached, len(got))
	}
}
