package tp

import (
	"sync/atomic"

	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/shm"
)

// TensorHeader is the full tensor header a frame carries (Wire spec §8.2), for callers
// that set the major order, progress unit or padding that Shape leaves at defaults.
type TensorHeader = shm.TensorHeader

// ClaimPool opens the next frame in the payload pool with id poolID; its Payload is the
// pool's whole stride, and SetLength trims it to the bytes written. Like Claim, it must
// be committed or aborted before the producer is used again.
func (p *Producer) ClaimPool(poolID uint16) (*Claim, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	c, r := p.cur.ClaimPool(poolID)
	if r == producer.DropNoPoolFits {
		p.leave()
		return nil, ErrNoSuchPool
	}
	return p.opened(c, r)
}

// OpenClaim is the producer's open claim, nil when none is open. A caller that holds no
// claim of its own must not Commit or Abort it but to end it on the claimer's behalf.
func (p *Producer) OpenClaim() *Claim {
	if atomic.LoadInt32(&p.state) != frameClaimed {
		return nil
	}
	return &p.claim
}

// HeaderIndex is the header slot (and payload slot) the frame occupies.
func (c *Claim) HeaderIndex() uint32 { return c.c.HeaderIndex() }

// PoolID is the payload pool the frame lives in.
func (c *Claim) PoolID() uint16 { return c.p.cur.PoolID(c.c) }

// Capacity is the stride of the claim's pool: the most bytes the frame can carry.
func (c *Claim) Capacity() int { return c.c.Capacity() }

// SetLength sets the number of payload bytes the frame carries, at most Capacity.
func (c *Claim) SetLength(n int) error {
	if !c.c.SetLength(n) {
		return ErrTooLarge
	}
	return nil
}

// SetMetaVersion sets the meta_version the frame references, by default the producer's.
func (c *Claim) SetMetaVersion(v uint32) { c.c.SetMetaVersion(v) }

// SetTraceID sets the frame's trace id (TraceLink spec §8.1; 0, the default, is none),
// carried by a v1.2 FrameDescriptor to the consumer's Frame.TraceID. A producer speaking
// v1.1 (Options.WireVersion) has no field for it and drops it.
func (c *Claim) SetTraceID(id uint64) { c.c.SetTraceID(id) }

// SetCaptureTimeNs sets the slot header's timestamp, the time the frame's data was
// captured on CLOCK_MONOTONIC (Wire spec v1.2 §10.2.1); by default the commit time.
func (c *Claim) SetCaptureTimeNs(ns uint64) { c.c.SetCaptureTimeNs(ns) }

// Progress reports that the first filled payload bytes are written (FrameProgress, Wire
// spec §10.2.2); it is sent only while some consumer asked for progress.
func (c *Claim) Progress(filled uint64) error {
	if atomic.LoadInt32(&c.p.state) != frameClaimed {
		return ErrClaimState
	}
	return c.p.frameErr(c.p.cur.Progress(c.c, filled))
}

// CommitHeader publishes the claimed frame with a full tensor header.
func (c *Claim) CommitHeader(h *TensorHeader) error {
	if !c.close() {
		return ErrClaimState
	}
	defer c.p.leave()
	return c.p.frameErr(c.p.cur.Commit(c.c, h))
}

// CommitHeaderAndClaim is CommitHeader, then the producer's Claim(size), with the frame
// path held from one to the other instead of given back and taken again: a producer that
// claims each frame as it publishes the last (the C library's
// tp_producer_commit_and_claim_next) saves an atomic store and a compare-and-swap a
// frame. It returns CommitHeader's error and Claim's results; the claim is tried
// whatever the commit returned, and picks up a new epoch as Claim would.
func (c *Claim) CommitHeaderAndClaim(h *TensorHeader, size int) (commitErr error, next *Claim, claimErr error) {
	p := c.p
	if !c.close() {
		next, claimErr = p.Claim(size)
		return ErrClaimState, next, claimErr
	}
	commitErr = p.frameErr(p.cur.Commit(c.c, h))
	if err := p.admit(); err != nil {
		return commitErr, nil, err
	}
	next, claimErr = p.opened(p.cur.Claim(size))
	return commitErr, next, claimErr
}
