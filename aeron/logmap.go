package aeron

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/tensorpool/tensorpool/aeron/logbuffer"
)

// mappedLog is a log buffer file the driver created for a publication or an
// image, mapped shared and read/write (publishers append to it).
type mappedLog struct {
	path    string
	mapping []byte
	buffers *logbuffer.LogBuffers
}

// mapLog maps the log file at path and checks its metadata (term length,
// page size, file length, MTU) so a foreign or truncated file is an error,
// never a fault later.
func mapLog(path string) (*mappedLog, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("aeron: open log buffer: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("aeron: stat log buffer: %w", err)
	}
	if info.Size() < logbuffer.LogMetaDataLength || info.Size() > 1<<40 {
		return nil, fmt.Errorf("aeron: log buffer %s has implausible length %d", path, info.Size())
	}
	mapping, err := unix.Mmap(int(f.Fd()), 0, int(info.Size()), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("aeron: mmap log buffer %s: %w", path, err)
	}
	buffers, err := logbuffer.NewLogBuffers(mapping)
	if err != nil {
		_ = unix.Munmap(mapping)
		return nil, fmt.Errorf("aeron: log buffer %s: %w", path, err)
	}
	return &mappedLog{path: path, mapping: mapping, buffers: buffers}, nil
}

func (m *mappedLog) unmap() error {
	if m == nil || m.mapping == nil {
		return nil
	}
	err := unix.Munmap(m.mapping)
	m.mapping, m.buffers = nil, nil
	return err
}
