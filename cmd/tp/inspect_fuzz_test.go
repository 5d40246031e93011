package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzInspectRegion feeds arbitrary files to inspect: whatever a file claims, inspect
// returns a report or an error, never panics or faults, and maps nothing beyond the
// file. Seeds (testdata/fuzz/FuzzInspectRegion) are a header ring with written slots,
// a payload pool, and truncated and foreign files.
func FuzzInspectRegion(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "region")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		report, err := inspectRegion(path, 4)
		if err != nil {
			return
		}
		if int64(report.RegionBytes) > report.FileBytes || report.FileBytes != int64(len(data)) {
			t.Fatalf("accepted a %d-byte file as a %d-byte region", len(data), report.RegionBytes)
		}
		if ring := report.HeaderRing; ring != nil {
			if len(ring.Slots) > 4 || ring.Written > int(report.Superblock.Nslots) {
				t.Fatalf("%d slots listed, %d written of %d", len(ring.Slots), ring.Written, report.Superblock.Nslots)
			}
			for i := 1; i < len(ring.Slots); i++ {
				if ring.Slots[i].Seq > ring.Slots[i-1].Seq {
					t.Fatalf("slots not newest first: %+v", ring.Slots)
				}
			}
		}
	})
}
