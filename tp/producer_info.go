package tp

import (
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/agents/producer"
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

// withMapped runs f on the producer of the current epoch.
func (p *Producer) withMapped(f func(pr *producer.Producer) error) error {
	if p.claim.open.Load() {
		return ErrClaimState
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.ready(); err != nil {
		return err
	}
	return f(p.p)
}

// SetDataSource names the data source and summarises its tensors in
// DataSourceAnnounce (Wire spec §10.3.1), bumping meta_version.
func (p *Producer) SetDataSource(name, summary string) error {
	return p.withMapped(func(pr *producer.Producer) error { pr.SetDataSource(name, summary); return nil })
}

// SetAttribute adds or replaces one metadata attribute, bumping meta_version.
func (p *Producer) SetAttribute(a Attribute) error {
	return p.withMapped(func(pr *producer.Producer) error { return pr.SetAttribute(a) })
}

// DeleteAttribute removes the attribute named key, bumping meta_version; it reports
// false when there is none.
func (p *Producer) DeleteAttribute(key string) (bool, error) {
	var found bool
	err := p.withMapped(func(pr *producer.Producer) error { found = pr.DeleteAttribute(key); return nil })
	return found, err
}

// MetaVersion is the meta_version frames reference, 0xFFFF_FFFF before any metadata.
func (p *Producer) MetaVersion() (uint32, error) {
	var v uint32
	err := p.withMapped(func(pr *producer.Producer) error { v = pr.MetaVersion(); return nil })
	return v, err
}

// SendDataSourceAnnounce sends one DataSourceAnnounce with the given fields now.
func (p *Producer) SendDataSourceAnnounce(metaVersion uint32, name, summary string) error {
	if p.meta == nil {
		return ErrNoMetadataStream
	}
	return p.withMapped(func(pr *producer.Producer) error {
		a := wire.DataSourceAnnounce{StreamID: p.role.streamID, ProducerID: p.role.clientID, Epoch: pr.Epoch(),
			MetaVersion: metaVersion, Name: name, Summary: summary}
		return offerMessage(p.meta, &a)
	})
}

// SendDataSourceMeta sends one DataSourceMeta with the given fields now.
func (p *Producer) SendDataSourceMeta(metaVersion uint32, timestampNs uint64, attrs []Attribute) error {
	if p.meta == nil {
		return ErrNoMetadataStream
	}
	return p.withMapped(func(pr *producer.Producer) error {
		md := wire.DataSourceMeta{StreamID: p.role.streamID, MetaVersion: metaVersion, TimestampNs: timestampNs, Attributes: attrs}
		return offerMessage(p.meta, &md)
	})
}

// SendQos sends one QosProducer with the given sequence and watermark now (Wire spec
// §10.4.2); the producer also sends them on its own every Options.QosInterval.
func (p *Producer) SendQos(currentSeq uint64, watermark uint32) error {
	if p.qos == nil {
		return ErrNoQosStream
	}
	return p.withMapped(func(pr *producer.Producer) error {
		q := wire.QosProducer{StreamID: p.role.streamID, ProducerID: p.role.clientID, Epoch: pr.Epoch(),
			CurrentSeq: currentSeq, Watermark: watermark}
		return offerMessage(p.qos, &q)
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
func (p *Producer) IsConnected() bool { return p.desc.IsConnected() }

// ID is the producer id: the driver client id its lease was granted to.
func (p *Producer) ID() uint32 { return p.role.clientID }

// StreamID is the stream the producer publishes.
func (p *Producer) StreamID() uint32 { return p.role.streamID }

// LeaseID is the id of the current lease, 0 while not attached.
func (p *Producer) LeaseID() uint64 { return p.role.lease.id.Load() }

// Attached reports whether the producer holds a lease and has its regions mapped.
func (p *Producer) Attached() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.closed && p.p != nil && p.role.lease.id.Load() != 0
}

// ReplaceAttributes replaces every metadata attribute, bumping meta_version once.
func (p *Producer) ReplaceAttributes(attrs []Attribute) error {
	return p.withMapped(func(pr *producer.Producer) error { return pr.ReplaceAttributes(attrs) })
}
