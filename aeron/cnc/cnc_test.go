package cnc

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	fakeToDriver  = 1024 + 768
	fakeToClients = 1024 + 128
	fakeMetadata  = 4 * 512
	fakeValues    = 4 * 128
	fakeErrorLog  = 1024
)

// writeFakeCnC writes a CnC file the way a driver lays it out, with the
// given version and driver heartbeat; edit may change the bytes first.
func writeFakeCnC(t *testing.T, version int32, heartbeatMs int64, edit func([]byte)) string {
	t.Helper()
	dir := t.TempDir()
	total := MetadataLength + fakeToDriver + fakeToClients + fakeMetadata + fakeValues + fakeErrorLog
	b := make([]byte, total)
	le := binary.LittleEndian
	le.PutUint32(b[versionOffset:], uint32(version))
	le.PutUint32(b[toDriverBufferLengthOffset:], fakeToDriver)
	le.PutUint32(b[toClientsBufferLengthOffset:], fakeToClients)
	le.PutUint32(b[countersMetadataLengthOffset:], fakeMetadata)
	le.PutUint32(b[countersValuesLengthOffset:], fakeValues)
	le.PutUint32(b[errorLogLengthOffset:], fakeErrorLog)
	le.PutUint64(b[clientLivenessTimeoutOffset:], uint64(10*time.Second))
	le.PutUint64(b[pidOffset:], 4242)
	le.PutUint32(b[filePageSizeOffset:], 4096)
	le.PutUint64(b[MetadataLength+1024+640:], uint64(heartbeatMs))
	if edit != nil {
		edit(b)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOpenValidFile(t *testing.T) {
	dir := writeFakeCnC(t, Version, time.Now().UnixMilli(), nil)
	c, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(c.ToDriver) != fakeToDriver || len(c.ToClients) != fakeToClients || len(c.CountersMetadata) != fakeMetadata ||
		len(c.CountersValues) != fakeValues || len(c.ErrorLog) != fakeErrorLog {
		t.Fatalf("buffer lengths %d %d %d %d %d", len(c.ToDriver), len(c.ToClients), len(c.CountersMetadata), len(c.CountersValues), len(c.ErrorLog))
	}
	if c.ClientLivenessTimeout != 10*time.Second || c.DriverPid != 4242 || c.FilePageSize != 4096 {
		t.Fatalf("header fields %v %d %d", c.ClientLivenessTimeout, c.DriverPid, c.FilePageSize)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMinorVersionDifferenceIsAccepted(t *testing.T) {
	dir := writeFakeCnC(t, 0<<16|9<<8|3, time.Now().UnixMilli(), nil)
	c, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestMissingFile(t *testing.T) {
	start := time.Now()
	_, err := Open(t.TempDir(), 100*time.Millisecond)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("waited far longer than the timeout")
	}
}

// OpenWithin gives up after its wait even when the liveness timeout is long, as a
// caller with a deadline of its own needs.
func TestOpenWithinWaitsOnlyAsLongAsAsked(t *testing.T) {
	start := time.Now()
	_, err := OpenWithin(t.TempDir(), time.Minute, 100*time.Millisecond)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("waited %v for a 100ms wait", time.Since(start))
	}
}

func TestWrongMajorVersionNamesBothVersions(t *testing.T) {
	dir := writeFakeCnC(t, 1<<16|2<<8, time.Now().UnixMilli(), nil)
	_, err := Open(dir, time.Second)
	var ve *VersionError
	if !errors.As(err, &ve) || !errors.Is(err, ErrVersion) {
		t.Fatalf("got %v, want a VersionError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "1.2.0") || !strings.Contains(msg, "0.2.0") {
		t.Fatalf("message does not name both versions: %s", msg)
	}
}

func TestCorruptFiles(t *testing.T) {
	le := binary.LittleEndian
	for name, edit := range map[string]func([]byte){
		"lengths beyond file":    func(b []byte) { le.PutUint32(b[countersValuesLengthOffset:], 1<<30) },
		"negative length":        func(b []byte) { le.PutUint32(b[errorLogLengthOffset:], 0xFFFFFFF0) },
		"to-driver not pow2":     func(b []byte) { le.PutUint32(b[toDriverBufferLengthOffset:], 1000+768) },
		"to-clients not pow2":    func(b []byte) { le.PutUint32(b[toClientsBufferLengthOffset:], 1000+128) },
		"to-driver only trailer": func(b []byte) { le.PutUint32(b[toDriverBufferLengthOffset:], 768) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeFakeCnC(t, Version, time.Now().UnixMilli(), edit)
			if _, err := Open(dir, time.Second); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestTruncatedAndGarbageFiles(t *testing.T) {
	for name, content := range map[string][]byte{
		"empty":     nil,
		"too short": make([]byte, 64),
		"zeros":     make([]byte, 4096),
		"text":      []byte(strings.Repeat("this is not a cnc file\n", 100)),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), content, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir, 50*time.Millisecond)
			if err == nil {
				t.Fatal("opened a garbage file")
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) && !errors.Is(err, ErrDriverInactive) {
				t.Fatalf("unexpected error kind: %v", err)
			}
		})
	}
}

func TestStaleHeartbeatIsDriverInactive(t *testing.T) {
	dir := writeFakeCnC(t, Version, time.Now().Add(-time.Minute).UnixMilli(), nil)
	_, err := Open(dir, 100*time.Millisecond)
	if !errors.Is(err, ErrDriverInactive) {
		t.Fatalf("got %v, want ErrDriverInactive", err)
	}
}

func TestShutDownDriverIsInactive(t *testing.T) {
	dir := writeFakeCnC(t, Version, -1, nil)
	if _, err := Open(dir, 50*time.Millisecond); !errors.Is(err, ErrDriverInactive) {
		t.Fatalf("got %v, want ErrDriverInactive", err)
	}
}
