// Package tptest holds test doubles shared by the producer and consumer tests: an Aeron
// log in ordinary memory that stands in for a publication/subscription pair, and heap
// regions laid out like a producer's SHM.
package tptest

import (
	"sync/atomic"
	"unsafe"

	"github.com/tensorpool/tensorpool/aeron/logbuffer"
	"github.com/tensorpool/tensorpool/shm"
)

// LogPipe is one Aeron stream in heap memory: a real log buffer written by Aeron's
// exclusive publisher and read by Aeron's term reader, with the two duties the media
// driver would perform done inline: the publisher limit follows the subscriber (a window
// of half a term, so a slow reader back-pressures the writer) and terms the reader has
// left are cleaned for reuse. The writer and the reader may be different goroutines.
type LogPipe struct {
	log    *logbuffer.LogBuffers
	pub    *logbuffer.ExclusivePublisher
	limit  int64 // publisher limit, atomic
	subPos int64 // subscriber position, atomic; written only by Poll
	header *logbuffer.Header
	window int64
	// cleanedTerm is the last term count whose predecessor Poll has cleaned.
	cleanedTerm int64
}

// NewLogPipe makes a connected pipe with the given term length (a power of two ≥ 64 KiB).
func NewLogPipe(termLength int) (*LogPipe, error) {
	const pageSize = 4096
	size := logbuffer.ComputeLogLength(int64(termLength), pageSize)
	words := make([]uint64, size/8)
	file := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), size)
	if err := logbuffer.InitLog(file, logbuffer.LogConfig{
		TermLength: termLength, PageSize: pageSize, MTULength: 1408, InitialTermID: 7, SessionID: 1, StreamID: 1,
	}); err != nil {
		return nil, err
	}
	log, err := logbuffer.NewLogBuffers(file)
	if err != nil {
		return nil, err
	}
	log.SetIsConnected(true)
	p := &LogPipe{log: log, window: int64(termLength / 2)}
	p.limit = p.window
	p.pub = logbuffer.NewExclusivePublisher(log, &p.limit)
	p.header = logbuffer.NewHeader(log.InitialTermID(), log.PositionBitsToShift())
	return p, nil
}

// TryClaim and Offer make the pipe a publication.
func (p *LogPipe) TryClaim(length int, claim *logbuffer.BufferClaim) int64 {
	return p.pub.TryClaim(length, claim)
}

func (p *LogPipe) Offer(msg []byte) int64 { return p.pub.Offer(msg) }

// Poll makes the pipe a subscription: it delivers up to limit fragments, then moves the
// publisher limit and cleans the term the reader has finished.
func (p *LogPipe) Poll(handler logbuffer.FragmentHandler, limit int) int {
	n := logbuffer.PollImage(p.log, &p.subPos, handler, limit, p.header)
	pos := atomic.LoadInt64(&p.subPos)
	shift := p.log.PositionBitsToShift()
	if termCount := pos >> shift; termCount > p.cleanedTerm {
		// The writer can be at most half a term ahead, so the partition behind the reader's
		// is not touched again until the reader is in the next term.
		clear(p.log.Term(int((termCount - 1) % logbuffer.PartitionCount)))
		p.cleanedTerm = termCount
	}
	atomic.StoreInt64(&p.limit, pos+p.window)
	return n
}

// Drain polls until nothing is left, discarding what it reads.
func (p *LogPipe) Drain() {
	for p.Poll(discard, 1<<20) > 0 {
	}
}

func discard([]byte, int, int, *logbuffer.Header) {}

// HeapRegion is a heap region whose superblock is already written, as CreateRegion would.
func HeapRegion(sb shm.Superblock) (*shm.HeapRegion, error) {
	size, err := sb.RegionSize()
	if err != nil {
		return nil, err
	}
	r := shm.NewHeapRegion(size)
	if err := shm.EncodeSuperblock(r.Bytes(), &sb); err != nil {
		return nil, err
	}
	return r, nil
}
