package tp

import (
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Attribute is one item of a producer's metadata (Wire spec §10.3.2): a key, the
// format (MIME type) of the value, and the value's bytes.
type Attribute = wire.Attribute

// ErrNoMetadataStream reports a metadata send without Options.MetadataChannel.
var ErrNoMetadataStream = errors.New("tp: no metadata channel configured")

// ErrNoQosStream reports a QoS send without Options.QosChannel.
var ErrNoQosStream = errors.New("tp: no QoS channel configured")

// SetDataSource names the data source and summarises its tensors in
// DataSourceAnnounce (Wire spec §10.3.1), bumping meta_version.
func (p *Producer) SetDataSource(name, summary string) error {
	return p.control(func(r *producerRole) error { r.ctl.SetDataSource(name, summary); return nil })
}

// SetAttribute adds or replaces one metadata attribute, bumping meta_version.
func (p *Producer) SetAttribute(a Attribute) error {
	return p.control(func(r *producerRole) error { return r.ctl.SetAttribute(a) })
}

// DeleteAttribute removes the attribute named key, bumping meta_version; it reports
// false when there is none.
func (p *Producer) DeleteAttribute(key string) (bool, error) {
	var found bool
	err := p.control(func(r *producerRole) error { found = r.ctl.DeleteAttribute(key); return nil })
	return found, err
}

// MetaVersion is the meta_version frames reference, 0xFFFF_FFFF before any metadata.
func (p *Producer) MetaVersion() (uint32, error) {
	if p.closed.Load() {
		return 0, ErrClosed
	}
	return p.role.ctl.MetaVersion(), nil
}

// SendDataSourceAnnounce sends one DataSourceAnnounce with the given fields now.
func (p *Producer) SendDataSourceAnnounce(metaVersion uint32, name, summary string) error {
	if p.role.meta == nil {
		return ErrNoMetadataStream
	}
	return p.control(func(r *producerRole) error {
		a := wire.DataSourceAnnounce{StreamID: r.streamID, ProducerID: r.clientID, Epoch: r.epoch.Load(),
			MetaVersion: metaVersion, Name: name, Summary: summary}
		return offerMessage(r.meta, &a)
	})
}

// SendDataSourceMeta sends one DataSourceMeta with the given fields now.
func (p *Producer) SendDataSourceMeta(metaVersion uint32, timestampNs uint64, attrs []Attribute) error {
	if p.role.meta == nil {
		return ErrNoMetadataStream
	}
	return p.control(func(r *producerRole) error {
		md := wire.DataSourceMeta{StreamID: r.streamID, MetaVersion: metaVersion, TimestampNs: timestampNs, Attributes: attrs}
		return offerMessage(r.meta, &md)
	})
}

// SendQos sends one QosProducer with the given sequence and watermark now (Wire spec
// §10.4.2); the producer also sends them on its own every Options.QosInterval.
func (p *Producer) SendQos(currentSeq uint64, watermark uint32) error {
	if p.role.qos == nil {
		return ErrNoQosStream
	}
	return p.control(func(r *producerRole) error {
		q := wire.QosProducer{StreamID: r.streamID, ProducerID: r.clientID, Epoch: r.epoch.Load(),
			CurrentSeq: currentSeq, Watermark: watermark}
		return offerMessage(r.qos, &q)
	})
}

// offerMessage encodes m and offers it on pub. A message its encoding cannot carry (too
// many attributes, a string over a gigabyte) is ErrInvalidOptions.
func offerMessage(pub transport.Publication, m interface {
	EncodedLength() int
	Encode([]byte) (int, error)
}) error {
	buf := make([]byte, m.EncodedLength())
	if _, err := m.Encode(buf); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	return offerErr(pub.Offer(buf))
}

// IsConnected reports whether some subscriber listens on the descriptor stream.
func (p *Producer) IsConnected() bool {
	pub := p.role.descPub.Load()
	return pub != nil && (*pub).IsConnected()
}

// ID is the producer id: the driver client id its lease was granted to.
func (p *Producer) ID() uint32 { return p.role.clientID }

// StreamID is the stream the producer publishes.
func (p *Producer) StreamID() uint32 { return p.streamID }

// LeaseID is the id of the current lease, 0 while not attached.
func (p *Producer) LeaseID() uint64 {
	if l := p.role.leaseRef.Load(); l != nil {
		return l.ID()
	}
	return 0
}

// NodeID is the TraceLink node id the driver assigned the live lease (Driver spec §4.2),
// unique among the driver's leases while this one lives: the node part of the trace ids
// this producer mints (TraceLink spec §6.2). ok is false without a lease or when the
// Client speaks wire v1.1, whose attach response has no node id.
func (p *Producer) NodeID() (id uint32, ok bool) {
	if l := p.role.leaseRef.Load(); l != nil {
		return l.NodeID()
	}
	return 0, false
}

// Attached reports whether the producer holds a lease and has its regions mapped.
func (p *Producer) Attached() bool {
	return !p.closed.Load() && p.role.attached.Load() && p.LeaseID() != 0
}

// ReplaceAttributes replaces every metadata attribute, bumping meta_version once.
func (p *Producer) ReplaceAttributes(attrs []Attribute) error {
	return p.control(func(r *producerRole) error { return r.ctl.ReplaceAttributes(attrs) })
}
