// Package cnc maps and validates the media driver's command-and-control file
// (cnc.dat): a 128-byte header followed by the to-driver ring buffer, the
// to-clients broadcast buffer, the counters metadata and values buffers and
// the error log, back to back.
package cnc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tensorpool/tensorpool/aeron/concurrent"
)

// FileName is the CnC file's name inside the Aeron directory.
const FileName = "cnc.dat"

// Version is the CnC layout version this client reads: 0.2.0, composed as
// major<<16 | minor<<8 | patch. Aeron 1.51.0 and 1.52.x both write it; only
// the major part must match.
const Version int32 = 2 << 8

// Header field offsets.
const (
	MetadataLength = 128

	versionOffset                = 0
	toDriverBufferLengthOffset   = 4
	toClientsBufferLengthOffset  = 8
	countersMetadataLengthOffset = 12
	countersValuesLengthOffset   = 16
	errorLogLengthOffset         = 20
	clientLivenessTimeoutOffset  = 24
	startTimestampOffset         = 32
	pidOffset                    = 40
	filePageSizeOffset           = 48
)

// Errors. ErrNotReady is transient (the driver is still creating the file);
// the others describe a file that will not become usable by waiting.
var (
	ErrNotFound       = errors.New("cnc: file not found (is the media driver running in this aeron dir?)")
	ErrNotReady       = errors.New("cnc: file not initialised by the driver yet")
	ErrCorrupt        = errors.New("cnc: corrupt or foreign file")
	ErrVersion        = errors.New("cnc: incompatible version")
	ErrDriverInactive = errors.New("media driver is not active")
)

// VersionError reports a CnC file written for another major version.
type VersionError struct {
	Path          string
	Found, Wanted int32
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("cnc: %s has version %s, this client needs major version %d (%s)",
		e.Path, SemanticVersion(e.Found), e.Wanted>>16, SemanticVersion(e.Wanted))
}

// Is makes errors.Is(err, ErrVersion) true.
func (e *VersionError) Is(target error) bool { return target == ErrVersion }

// SemanticVersion formats a composed major.minor.patch version.
func SemanticVersion(v int32) string {
	return fmt.Sprintf("%d.%d.%d", (v>>16)&0xFF, (v>>8)&0xFF, v&0xFF)
}

// File is a mapped, validated CnC file. Its buffers alias the mapping and
// are valid until Close.
type File struct {
	Path    string
	Version int32

	ToDriver         []byte
	ToClients        []byte
	CountersMetadata []byte
	CountersValues   []byte
	ErrorLog         []byte

	ClientLivenessTimeout time.Duration
	StartTimestampMs      int64
	DriverPid             int64
	FilePageSize          int32

	mapping  []byte
	toDriver *concurrent.ManyToOneRingBuffer
}

// Path returns the CnC file path in an Aeron directory.
func Path(dir string) string { return filepath.Join(dir, FileName) }

// Map maps the CnC file at path read/write and validates its header. It does
// not wait: a file the driver is still writing gives ErrNotReady.
func Map(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
		}
		return nil, fmt.Errorf("cnc: open %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cnc: stat %s: %w", path, err)
	}
	size := info.Size()
	if size <= MetadataLength {
		return nil, fmt.Errorf("%w: %s is %d bytes", ErrNotReady, path, size)
	}
	if size > 1<<40 {
		return nil, fmt.Errorf("%w: %s is implausibly large (%d bytes)", ErrCorrupt, path, size)
	}
	mapping, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("cnc: mmap %s: %w", path, err)
	}
	c := &File{Path: path, mapping: mapping}
	if err := c.load(); err != nil {
		_ = unix.Munmap(mapping)
		return nil, err
	}
	return c, nil
}

// load checks the header and slices the buffers. The driver writes the
// version last (release), so an acquire load of a non-zero version means
// every other header field is in place.
func (c *File) load() error {
	m := c.mapping
	c.Version = concurrent.LoadInt32(m, versionOffset)
	if c.Version == 0 {
		return fmt.Errorf("%w: %s has version 0", ErrNotReady, c.Path)
	}
	if c.Version>>16 != Version>>16 {
		return &VersionError{Path: c.Path, Found: c.Version, Wanted: Version}
	}
	lengths := [5]int32{
		concurrent.LoadInt32(m, toDriverBufferLengthOffset),
		concurrent.LoadInt32(m, toClientsBufferLengthOffset),
		concurrent.LoadInt32(m, countersMetadataLengthOffset),
		concurrent.LoadInt32(m, countersValuesLengthOffset),
		concurrent.LoadInt32(m, errorLogLengthOffset),
	}
	total := int64(MetadataLength)
	for i, l := range lengths {
		if l < 0 {
			return fmt.Errorf("%w: %s buffer %d has negative length %d", ErrCorrupt, c.Path, i, l)
		}
		total += int64(l)
	}
	if total > int64(len(m)) {
		return fmt.Errorf("%w: %s is %d bytes but its header describes %d", ErrCorrupt, c.Path, len(m), total)
	}
	if !concurrent.IsPowerOfTwo(int(lengths[1]) - concurrent.BroadcastTrailerLength) {
		return fmt.Errorf("%w: %s to-clients buffer length %d", ErrCorrupt, c.Path, lengths[1])
	}
	off := MetadataLength
	next := func(l int32) []byte {
		b := m[off : off+int(l) : off+int(l)]
		off += int(l)
		return b
	}
	c.ToDriver = next(lengths[0])
	c.ToClients = next(lengths[1])
	c.CountersMetadata = next(lengths[2])
	c.CountersValues = next(lengths[3])
	c.ErrorLog = next(lengths[4])
	ring, err := concurrent.NewManyToOneRingBuffer(c.ToDriver)
	if err != nil {
		return fmt.Errorf("%w: %s to-driver buffer: %w", ErrCorrupt, c.Path, err)
	}
	c.toDriver = ring
	c.ClientLivenessTimeout = time.Duration(concurrent.LoadInt64(m, clientLivenessTimeoutOffset))
	c.StartTimestampMs = concurrent.LoadInt64(m, startTimestampOffset)
	c.DriverPid = concurrent.LoadInt64(m, pidOffset)
	c.FilePageSize = concurrent.LoadInt32(m, filePageSizeOffset)
	return nil
}

// DriverHeartbeatMs is the driver's last duty-cycle time in epoch ms (the
// to-driver buffer's consumer heartbeat): 0 before its first cycle, -1 after
// a clean shutdown.
func (c *File) DriverHeartbeatMs() int64 { return c.toDriver.ConsumerHeartbeatMs() }

// ToDriverRing is the command ring buffer inside ToDriver.
func (c *File) ToDriverRing() *concurrent.ManyToOneRingBuffer { return c.toDriver }

// Close unmaps the file. Every buffer obtained from it becomes invalid.
func (c *File) Close() error {
	if c.mapping == nil {
		return nil
	}
	err := unix.Munmap(c.mapping)
	c.mapping, c.toDriver = nil, nil
	c.ToDriver, c.ToClients, c.CountersMetadata, c.CountersValues, c.ErrorLog = nil, nil, nil, nil, nil
	return err
}

// Open waits, up to timeout, for an active driver in dir and returns its
// mapped CnC file: the file must exist, be initialised with a compatible
// version, and carry a driver heartbeat younger than timeout. It follows the
// C client's connect procedure. Corrupt files and version mismatches fail at
// once; a missing, uninitialised or stale file is retried until the deadline.
func Open(dir string, timeout time.Duration) (*File, error) {
	return OpenWithin(dir, timeout, timeout)
}

// OpenWithin is Open with the wait bounded apart from the heartbeat's age: it
// gives up after wait, while a driver counts as active while its heartbeat is
// younger than timeout.
func OpenWithin(dir string, timeout, wait time.Duration) (*File, error) {
	path := Path(dir)
	deadline := time.Now().Add(wait)
	for {
		c, err := Map(path)
		if err == nil {
			hb := c.DriverHeartbeatMs()
			now := time.Now().UnixMilli()
			switch {
			case hb > 0 && now-hb <= timeout.Milliseconds():
				return c, nil
			case hb == 0:
				err = fmt.Errorf("%w: %s has no driver heartbeat yet", ErrNotReady, path)
			case hb < 0:
				err = fmt.Errorf("%w: driver of %s has shut down", ErrDriverInactive, path)
			default:
				err = fmt.Errorf("%w: driver heartbeat in %s is %v old (timeout %v)",
					ErrDriverInactive, path, time.Duration(now-hb)*time.Millisecond, timeout)
			}
			_ = c.Close()
		}
		if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrVersion) {
			return nil, err
		}
		if time.Now().After(deadline) {
			if errors.Is(err, ErrNotReady) {
				// A file that never became ready within the timeout belongs
				// to a driver that is not running properly.
				return nil, fmt.Errorf("%w after %v: %w", ErrDriverInactive, wait, err)
			}
			return nil, err
		}
		time.Sleep(min(16*time.Millisecond, time.Until(deadline)+time.Millisecond))
	}
}
