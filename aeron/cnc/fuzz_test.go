package cnc

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzMapForeignFile maps arbitrary file contents as a CnC file: the result
// is a usable file or an error, never a panic.
func FuzzMapForeignFile(f *testing.F) {
	f.Add(make([]byte, 200))
	valid := make([]byte, MetadataLength+fakeToDriver+fakeToClients+fakeMetadata+fakeValues+fakeErrorLog)
	copy(valid, []byte{0, 2, 0, 0, 0x00, 0x07, 0, 0, 0x80, 0x04, 0, 0, 0, 8, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0})
	f.Add(valid)
	path := filepath.Join(f.TempDir(), FileName)
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Map(path)
		if err != nil {
			return
		}
		_ = c.DriverHeartbeatMs()
		_ = c.ToDriverRing().NextCorrelationID()
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
