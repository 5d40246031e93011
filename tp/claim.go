package tp

import (
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
	if p.claim.open.Load() {
		return nil, ErrClaimState
	}
	p.mu.Lock()
	if err := p.ready(); err != nil {
		p.mu.Unlock()
		return nil, err
	}
	c, r := p.p.ClaimPool(poolID)
	if r != producer.OK {
		p.mu.Unlock()
		if r == producer.DropNoPoolFits {
			return nil, ErrNoSuchPool
		}
		return nil, resultErr(r)
	}
	p.claim.c = c
	p.claim.open.open()
	return &p.claim, nil
}

// HeaderIndex is the header slot (and payload slot) the frame occupies.
func (c *Claim) HeaderIndex() uint32 { return c.c.HeaderIndex() }

// PoolID is the payload pool the frame lives in.
func (c *Claim) PoolID() uint16 { return c.p.p.PoolID(c.c) }

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

// Progress reports that the first filled payload bytes are written (FrameProgress, Wire
// spec §10.2.2); it is sent only while some consumer asked for progress.
func (c *Claim) Progress(filled uint64) error {
	if !c.open.Load() {
		return ErrClaimState
	}
	return resultErr(c.p.p.Progress(c.c, filled))
}

// CommitHeader publishes the claimed frame with a full tensor header.
func (c *Claim) CommitHeader(h *TensorHeader) error {
	if !c.open.close() {
		return ErrClaimState
	}
	p := c.p
	defer p.mu.Unlock()
	return resultErr(p.p.Commit(c.c, h))
}
