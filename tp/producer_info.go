package tp

import (
	"errors"

	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/agents/producer"
)

// Attribute is one item of a producer's metadata (Wire spec §10.3.2): a key, the
// format (MIME type) of the value, and the value's bytes.
type Attribute = producer.Attribute

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
		buf := make([]byte, producer.DataSourceAnnounceLength(name, summary))
		producer.EncodeDataSourceAnnounce(buf, p.lease.streamID(), p.lease.clientID, pr.Epoch(), metaVersion, name, summary)
		return offerErr(p.meta.Offer(buf))
	})
}

// SendDataSourceMeta sends one DataSourceMeta with the given fields now.
func (p *Producer) SendDataSourceMeta(metaVersion uint32, timestampNs uint64, attrs []Attribute) error {
	if p.meta == nil {
		return ErrNoMetadataStream
	}
	return p.withMapped(func(pr *producer.Producer) error {
		buf := make([]byte, producer.DataSourceMetaLength(attrs))
		if producer.EncodeDataSourceMeta(buf, p.lease.streamID(), metaVersion, timestampNs, attrs) == 0 {
			return ErrInvalidOptions
		}
		return offerErr(p.meta.Offer(buf))
	})
}

// SendQos sends one QosProducer with the given sequence and watermark now (Wire spec
// §10.4.2); the producer also sends them on its own every Options.QosInterval.
func (p *Producer) SendQos(currentSeq uint64, watermark uint32) error {
	if p.qos == nil {
		return ErrNoQosStream
	}
	return p.withMapped(func(pr *producer.Producer) error {
		var buf [producer.QosProducerLength]byte
		producer.EncodeQos(buf[:], &producer.Qos{StreamID: p.lease.streamID(), ProducerID: p.lease.clientID,
			Epoch: pr.Epoch(), CurrentSeq: currentSeq, Watermark: watermark})
		return offerErr(p.qos.Offer(buf[:]))
	})
}

// IsConnected reports whether some subscriber listens on the descriptor stream.
func (p *Producer) IsConnected() bool { return p.desc.IsConnected() }

// ID is the producer id: the driver client id its lease was granted to.
func (p *Producer) ID() uint32 { return p.lease.clientID }

// StreamID is the stream the producer publishes.
func (p *Producer) StreamID() uint32 { return p.lease.streamID() }

// LeaseID is the id of the current lease, 0 while not attached.
func (p *Producer) LeaseID() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lease.id()
}

// Attached reports whether the producer holds a lease and has its regions mapped.
func (p *Producer) Attached() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.closed && p.p != nil && p.lease.dc.State() == driverclient.Attached
}

// ReplaceAttributes replaces every metadata attribute, bumping meta_version once.
func (p *Producer) ReplaceAttributes(attrs []Attribute) error {
	return p.withMapped(func(pr *producer.Producer) error { return pr.ReplaceAttributes(attrs) })
}
