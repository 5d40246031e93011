package shm

import (
	"sync/atomic"

	"github.com/tensorpool/tensorpool/internal/ordered"
)

// seq_commit seqlock (§8.3). The word is (logical_sequence << 1) | commit_bit:
// bit 0 clear = write in progress, bit 0 set = committed.
//
// Ordering. The header and payload bytes are plain accesses; the seq_commit word carries
// the order between writer and readers:
//   - Commit is a release store (internal/ordered): every earlier header and payload store
//     is visible before the committed word. On amd64 that is a plain MOV, not the XCHG of
//     sync/atomic's store, so the producer does not wait for its store buffer to drain
//     into cache lines a consumer on another core is reading.
//   - BeginWrite must also keep the writer's later stores from becoming visible before
//     the in-progress word, which a release store does not promise. Where stores are
//     never reordered with later stores (ordered.StoreStoreOrdered: amd64) the release
//     store is enough; elsewhere it is an atomic swap, which Go implements as a full
//     barrier.
//   - Readers load the word with sync/atomic (an acquire load). ReadEnd must keep the
//     reader's earlier plain loads from being satisfied after its second load of
//     seq_commit; readFence (seqlock_fence_*.go) orders them.

// InProgress is the seq_commit value while sequence seq is being written.
func InProgress(seq uint64) uint64 { return seq << 1 }

// Committed is the seq_commit value once sequence seq is complete.
func Committed(seq uint64) uint64 { return seq<<1 | 1 }

// IsCommitted reports whether a seq_commit value has the commit bit set.
func IsCommitted(word uint64) bool { return word&1 == 1 }

// SequenceOf is the logical sequence carried by a seq_commit value.
func SequenceOf(word uint64) uint64 { return word >> 1 }

// BeginWrite marks the slot as being written for seq (producer step 1). Every header and
// payload store for the frame must come after it.
func (s HeaderSlot) BeginWrite(seq uint64) {
	if ordered.StoreStoreOrdered {
		ordered.StoreUint64(s.seqWord(), InProgress(seq))
	} else {
		atomic.SwapUint64(s.seqWord(), InProgress(seq))
	}
}

// Commit publishes seq (producer step 4) after all header and payload stores.
func (s HeaderSlot) Commit(seq uint64) {
	ordered.StoreUint64(s.seqWord(), Committed(seq))
}

// ReadBegin loads seq_commit (consumer step 1) and checks it holds the committed frame
// expected. On DropNone the caller may read the header and payload, then must call
// ReadEnd with the returned word before trusting anything it read.
func (s HeaderSlot) ReadBegin(expectedSeq uint64) (uint64, DropReason) {
	word := atomic.LoadUint64(s.seqWord())
	if !IsCommitted(word) {
		return word, DropNotCommitted
	}
	if SequenceOf(word) != expectedSeq {
		return word, DropSequenceMismatch
	}
	return word, DropNone
}

// ReadEnd re-loads seq_commit (consumer step 4) and accepts what was read since ReadBegin
// only if the word is unchanged.
func (s HeaderSlot) ReadEnd(first uint64) DropReason {
	if !SeqCommitUnchanged(s.seqWord(), first) {
		return DropChanged
	}
	return DropNone
}

// SeqCommitUnchanged is ReadEnd on a seq_commit word kept by its address
// (HeaderSlot.SeqCommitWord): whether it still holds first, loaded after every earlier
// load of the calling goroutine.
func SeqCommitUnchanged(word *uint64, first uint64) bool {
	readFence()
	return atomic.LoadUint64(word) == first
}

// TryRead runs the consumer flow of §8.3 on the header alone: check the commit word,
// decode the header into h and t, re-check the word, then validate the embedded message
// header. It does not read the payload; a caller that copies payload bytes must do so
// with ReadBegin and ReadEnd around both. It never allocates or blocks.
func (s HeaderSlot) TryRead(expectedSeq uint64, h *SlotHeader, t *TensorHeader) DropReason {
	first, r := s.ReadBegin(expectedSeq)
	if r != DropNone {
		return r
	}
	s.DecodeHeader(h, t)
	embedded := s.embeddedHeader()
	if r := s.ReadEnd(first); r != DropNone {
		return r
	}
	h.SeqCommit = first
	return embedded.validate()
}
