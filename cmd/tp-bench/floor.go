package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
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

// floorRate measures the traffic floor for the run's geometry with inFlight messages
// in flight at most, the receiver running where mode puts the consumer. The sender's
// plain stores are published by the message's commit (a release store of its frame
// length), which the receiver's poll reads with acquire semantics before the words.
func (b *bench) floorRate(mode string, nslots, stride uint32, inFlight int64) (float64, error) {
	b.floorRuns++
	headerPath, poolPath := floorPaths(b.baseDir, b.floorRuns)
	defer os.Remove(headerPath)
	defer os.Remove(poolPath)
	regions, err := openFloor(headerPath, poolPath, nslots, stride, true)
	if err != nil {
		return 0, err
	}
	defer regions.close()
	stream := b.streams(1)
	pub, err := addPublication(b.client, stream, true)
	if err != nil {
		return 0, err
	}
	defer pub.Close()
	rx, err := b.startReceiver(mode, job{Role: roleFloor, Stream: stream,
		FloorHeader: headerPath, FloorPool: poolPath, Nslots: nslots, Stride: stride})
	if err != nil {
		return 0, err
	}
	defer rx.abort()
	if err := rx.awaitReady(func() {}); err != nil {
		return 0, err
	}
	if err := awaitConnected(pub.IsConnected); err != nil {
		return 0, err
	}
	consumerPosition, err := b.subscriberPosition(pub)
	if err != nil {
		return 0, err
	}
	w := b.newWindow(b.o.baselineDuration)
	if err := rx.send(w); err != nil {
		return 0, err
	}
	limit := inFlightLimit{pub: pub, consumerPosition: consumerPosition, budget: inFlight * descriptorFrameLength}
	var claim transport.Claim
	idle := newIdle(b.o.idle)
	idled := false
	for n := uint64(0); ; {
		if n%1024 == 0 && clock.Now().Nanos() >= w.End {
			break
		}
		if !limit.ready() {
			idle.Idle(0)
			idled = true
			if clock.Now().Nanos() >= w.End {
				break
			}
			continue
		}
		binary.LittleEndian.PutUint64(regions.headerWord(n), n)
		binary.LittleEndian.PutUint64(regions.payloadWord(n), n)
		r := pub.TryClaim(wire.FrameDescriptorLength, &claim)
		if r < 0 {
			if r == transport.NotConnected && clock.Now().Nanos() >= w.End {
				break // the receiver left at the end of the window
			}
			if fatalResult(r) {
				return 0, fmt.Errorf("try-claim: %d", r)
			}
			idle.Idle(0)
			idled = true
			continue
		}
		if idled {
			idle.Reset()
			idled = false
		}
		binary.LittleEndian.PutUint64(claim.Buffer(), n)
		claim.Commit()
		limit.sent()
		n++
	}
	rr, err := rx.wait()
	if err != nil {
		return 0, err
	}
	if rr.Corrupt != 0 {
		return 0, fmt.Errorf("the receiver read %d messages whose slot words were not theirs", rr.Corrupt)
	}
	return float64(rr.Frames) * 1e9 / float64(w.End-w.Start), nil
}

// floorSink receives the floor's messages and reads each one's header and payload
// words, which must be the message's number: with fewer messages in flight than
// slots, the sender never laps the receiver.
func floorSink(j job, client transport.Client, ready func(), windows <-chan window) (*receiverResult, error) {
	regions, err := openFloor(j.FloorHeader, j.FloorPool, j.Nslots, j.Stride, false)
	if err != nil {
		return nil, err
	}
	defer regions.close()
	sub, err := addSubscription(client, j.Stream)
	if err != nil {
		return nil, err
	}
	defer sub.Close()
	ready()
	w, ok := <-windows
	if !ok {
		return nil, errNoWindow
	}
	var res receiverResult
	var read uint64
	handler := func(msg []byte, _ *transport.Header) {
		n := binary.LittleEndian.Uint64(msg)
		if binary.LittleEndian.Uint64(regions.headerWord(n)) != n || binary.LittleEndian.Uint64(regions.payloadWord(n)) != n {
			res.Corrupt++
		}
		read++
	}
	idle := newIdle(j.Idle)
	for {
		before := read
		n := sub.Poll(handler, fragmentLimit)
		now := clock.Now().Nanos()
		if now >= w.End+linger {
			break
		}
		if now >= w.Start && now < w.End {
			res.Frames += read - before
		}
		idle.Idle(n)
	}
	return &res, nil
}
