package tp

import (
	"github.com/tensorpool/tensorpool/wire"
)

// FrameValid reports whether the frame with sequence seq in header slot headerIndex,
// which must be the one most recently handed to the handler, is still intact: nothing
// overwrote its slot and its mapping is still the one frames are read from. It is false
// for any other frame. It waits for a Poll in progress, so a handler must not call it
// (Frame.Valid is the handler's).
func (cs *Consumer) FrameValid(seq uint64, headerIndex uint32) bool {
	if cs.closed.Load() {
		return false
	}
	return cs.role.FrameValid(seq, headerIndex)
}

// IsConnected reports whether some producer publishes on the descriptor stream the
// consumer reads: its per-consumer one while assigned, else the shared one.
func (cs *Consumer) IsConnected() bool { return cs.role.IsConnected() }

// ID is the consumer id: the driver client id its lease was granted to.
func (cs *Consumer) ID() uint32 { return cs.role.ClientID() }

// StreamID is the stream the consumer reads.
func (cs *Consumer) StreamID() uint32 { return cs.streamID }

// LeaseID is the id of the current lease, 0 while not attached.
func (cs *Consumer) LeaseID() uint64 { return cs.role.LeaseID() }

// Attached reports whether the consumer holds a lease and has the regions mapped, and
// the Client's transport lives.
func (cs *Consumer) Attached() bool {
	st := cs.role.Status()
	return !cs.closed.Load() && st.Mapped && st.LeaseID != 0 && cs.client.terminal.Load() == nil
}

// Status is Attached and Err together, for a loop that checks both after each Poll:
// whether the consumer is attached, and the last control-path problem, cleared. It takes
// no lock while there is no problem to report. Once the Client has a terminal error
// (ErrAeronLost) the consumer is not attached and every call reports it.
func (cs *Consumer) Status() (attached bool, err error) {
	if err := cs.client.Err(); err != nil {
		return false, err
	}
	attached = !cs.closed.Load() && cs.role.Live()
	if !cs.role.ErrPending() {
		return attached, nil
	}
	return attached, cs.Err()
}

// HeaderIndex is the header slot (and payload slot) the frame occupies.
func (f *Frame) HeaderIndex() uint32 { return f.f.HeaderIndex }

// TraceID is the frame's trace id (TraceLink spec §8.1): 0 when its producer set none,
// and always 0 from a producer speaking wire v1.1.
func (f *Frame) TraceID() uint64 { return f.f.TraceID }

// WireVersion is the wire spec version of the frame's FrameDescriptor.
func (f *Frame) WireVersion() wire.Version { return f.f.Version }

// PublishTimeNs is the FrameDescriptor's timestamp, the time the frame was published
// (Wire spec v1.2 §10.2.1), wire.NullU64 when absent; TimestampNs is the capture time.
func (f *Frame) PublishTimeNs() uint64 { return f.f.PublishTimeNs }

// PoolID is the payload pool the frame's bytes live in.
func (f *Frame) PoolID() uint16 { return f.f.PoolID }

// MetaVersion is the metadata version the frame references (Wire spec §10.3).
func (f *Frame) MetaVersion() uint32 { return f.f.MetaVersion }

// Header is the frame's full tensor header, as written.
func (f *Frame) Header() *TensorHeader { return &f.f.Tensor }

// Progress is the newest valid FrameProgress (Wire spec §10.2.2), a hint about a frame
// still being written; false when none arrived or Options.Consumer.Progress is off.
func (cs *Consumer) Progress() (wire.FrameProgress, bool) { return cs.role.Progress() }
