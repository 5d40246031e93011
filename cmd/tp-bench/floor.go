package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
)

// The traffic floor is what a frame must move between the cores, and nothing else: the
// raw Aeron baseline's descriptor-sized message, plus one word written into the first
// line of a header slot and one into the first line of a payload slot, in scratch
// regions of the run's geometry (256-byte header slots, the pool's stride), which the
// receiver reads back for every message. The sender keeps as many messages in flight
// as the system run keeps frames. No seqlock, clock, encoding or checks: the system's
// rate over the floor's is the share of a frame's time spent on tensorpool's own work,
// and the floor's over raw Aeron's is what the two extra lines cost on this machine.

// floorRegions are the scratch header ring and pool of a floor run: two files in the
// run's base directory, mapped shared in each process that opens them.
type floorRegions struct {
	header, pool []byte
	nslots       uint32
	stride       uint32
}

// floorPaths names the scratch files of the floor run numbered run.
func floorPaths(baseDir string, run int) (header, pool string) {
	return filepath.Join(baseDir, fmt.Sprintf("floor-%d-header", run)), filepath.Join(baseDir, fmt.Sprintf("floor-%d-pool", run))
}

// openFloor maps the scratch files, creating them when create is set, and then faults in
// the page of every word the run touches, as a producer's regions are faulted in before
// they are announced.
func openFloor(headerPath, poolPath string, nslots, stride uint32, create bool) (*floorRegions, error) {
	f := &floorRegions{nslots: nslots, stride: stride}
	var err error
	if f.header, err = mapScratch(headerPath, int(nslots)*shm.HeaderSlotSize, create); err != nil {
		return nil, err
	}
	if f.pool, err = mapScratch(poolPath, int(nslots)*int(stride), create); err != nil {
		_ = unix.Munmap(f.header)
		return nil, err
	}
	if create {
		for n := range uint64(nslots) {
			binary.LittleEndian.PutUint64(f.headerWord(n), ^uint64(0))
			binary.LittleEndian.PutUint64(f.payloadWord(n), ^uint64(0))
		}
	}
	return f, nil
}

func mapScratch(path string, size int, create bool) ([]byte, error) {
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE | os.O_EXCL
	}
	file, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if create {
		if err := file.Truncate(int64(size)); err != nil {
			return nil, err
		}
	}
	b, err := unix.Mmap(int(file.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	return b, nil
}

func (f *floorRegions) close() {
	_ = unix.Munmap(f.header)
	_ = unix.Munmap(f.pool)
}

// The words of message n: the first of its header slot and of its payload slot. Both
// sides reach them in the same order as the system's frame (header, then payload).
func (f *floorRegions) headerWord(n uint64) []byte {
	i := n & uint64(f.nslots-1)
	return f.header[i*shm.HeaderSlotSize:]
}

func (f *floorRegions) payloadWord(n uint64) []byte {
	i := n & uint64(f.nslots-1)
	return f.pool[i*uint64(f.stride):]
}

// floorRun is what messageRate needs of a floor run: the scratch regions, their paths
// for a receiver in a child process, and the in-flight limit.
type floorRun struct {
	regions              *floorRegions
	headerPath, poolPath string
	inFlight             int64
}

// floorRate measures the traffic floor for the run's geometry with inFlight messages
// in flight at most, the receiver running where mode puts the consumer. The sender's
// plain stores are published by the message's commit (a release store of its frame
// length), which the receiver's poll reads with acquire semantics before the words.
func (b *bench) floorRate(mode string, nslots, stride uint32, inFlight int64) (float64, error) {
	headerPath, poolPath := floorPaths(b.baseDir, b.runs)
	defer os.Remove(headerPath)
	defer os.Remove(poolPath)
	regions, err := openFloor(headerPath, poolPath, nslots, stride, true)
	if err != nil {
		return 0, err
	}
	defer regions.close()
	return b.messageRate(mode, &floorRun{regions: regions, headerPath: headerPath, poolPath: poolPath, inFlight: inFlight})
}

// checkFloorWords returns the sink's message handler for a floor run: it reads each
// message's header and payload words, which must be the message's number (with fewer
// messages in flight than slots, the sender never laps the receiver), and counts those
// that are not as corrupt.
func checkFloorWords(regions *floorRegions, res *receiverResult) transport.Handler {
	return func(msg []byte, _ *transport.Header) {
		n := binary.LittleEndian.Uint64(msg)
		if binary.LittleEndian.Uint64(regions.headerWord(n)) != n || binary.LittleEndian.Uint64(regions.payloadWord(n)) != n {
			res.Corrupt++
		}
	}
}
