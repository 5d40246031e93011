package tp

import (
	"github.com/tensorpool/tensorpool/wire"
)

// FrameValid reports whether the frame with sequence seq in header slot headerIndex,
// which must be the one most recently handed to the handler, is still intact: nothing
// overwrote its slot and its mapping is still the current one. It is false for any
// other frame.
func (cs *Consumer) FrameValid(seq uint64, headerIndex uint32) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed || cs.last.Seq != seq || cs.last.HeaderIndex != headerIndex || cs.lastMaps != cs.c.MapGeneration() {
		return false
	}
	if epoch, ok := cs.c.Mapped(); !ok || epoch != cs.last.Epoch {
		return false
	}
	valid := cs.c.FrameValid(&cs.last) // a truncated header ring faults here
	if err := cs.c.ControlError(); err != nil {
		cs.err = err
	}
	return valid
}

// SendQos sends one QosConsumer with the given fields now (Wire spec §10.4.1); the
// consumer also sends them on its own every Options.QosInterval.
func (cs *Consumer) SendQos(mode wire.Mode, lastSeqSeen, dropsGap, dropsLate uint64) error {
	if cs.qos == nil {
		return ErrNoQosStream
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return ErrClosed
	}
	epoch, _ := cs.c.Mapped()
	q := wire.QosConsumer{StreamID: cs.streamID, ConsumerID: cs.role.clientID, Epoch: epoch, LastSeqSeen: lastSeqSeen,
		DropsGap: dropsGap, DropsLate: dropsLate, Mode: mode}
	var buf [wire.QosConsumerLength]byte
	q.Encode(buf[:]) // cannot fail: buf is QosConsumerLength bytes
	return offerErr(cs.qos.Offer(buf[:]))
}

// IsConnected reports whether some producer publishes on the descriptor stream the
// consumer reads: its per-consumer one while assigned, else the shared one.
func (cs *Consumer) IsConnected() bool { return (*cs.reading.Load()).IsConnected() }

// ID is the consumer id: the driver client id its lease was granted to.
func (cs *Consumer) ID() uint32 { return cs.role.clientID }

// StreamID is the stream the consumer reads.
func (cs *Consumer) StreamID() uint32 { return cs.streamID }

// LeaseID is the id of the current lease, 0 while not attached. It takes no lock, so
// the frame handler may call it too.
func (cs *Consumer) LeaseID() uint64 { return cs.role.lease.id.Load() }

// Attached reports whether the consumer holds a lease and has the regions mapped.
func (cs *Consumer) Attached() bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.attached()
}

// Status is Attached and Err under one lock, for a loop that checks both after each
// Poll: whether the consumer is attached, and the last control-path problem, cleared.
func (cs *Consumer) Status() (attached bool, err error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	err, cs.err = cs.err, nil
	return cs.attached(), err
}

// attached is Attached with cs.mu held.
func (cs *Consumer) attached() bool {
	_, mapped := cs.c.Mapped()
	return !cs.closed && mapped && cs.role.lease.id.Load() != 0
}

// HeaderIndex is the header slot (and payload slot) the frame occupies.
func (f *Frame) HeaderIndex() uint32 { return f.f.HeaderIndex }

// PoolID is the payload pool the frame's bytes live in.
func (f *Frame) PoolID() uint16 { return f.f.PoolID }

// MetaVersion is the metadata version the frame references (Wire spec §10.3).
func (f *Frame) MetaVersion() uint32 { return f.f.MetaVersion }

// Header is the frame's full tensor header, as written.
func (f *Frame) Header() *TensorHeader { return &f.f.Tensor }

// Progress is the newest valid FrameProgress (Wire spec §10.2.2), a hint about a frame
// still being written; false when none arrived or Options.Consumer.Progress is off.
func (cs *Consumer) Progress() (wire.FrameProgress, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.c.Progress()
}
