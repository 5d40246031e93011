package producer

import (
	"bytes"
	"math"
	"slices"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/wire"
)

// maxAttributes is the largest numInGroup SBE encodes (65535 is its null).
const maxAttributes = 65534

// metadata is the producer's data-source description and its versioned attributes.
type metadata struct {
	name, summary string
	announced     bool // SetDataSource was called: there is something to announce
	version       uint32
	attrs         []wire.Attribute
	dirty         bool // changed since the last DataSourceMeta
	buf           []byte
}

// bump moves to the next meta_version, skipping the null value 0xFFFF_FFFF (§10.1).
func (m *metadata) bump() uint32 {
	m.version++
	if m.version == math.MaxUint32 {
		m.version = 0
	}
	m.dirty = true
	return m.version
}

// SetDataSource sets the name and the dtype/shape summary DataSourceAnnounce carries
// (§10.3.1) and bumps meta_version, which later frames then reference.
func (p *Controller) SetDataSource(name, summary string) {
	p.meta.name, p.meta.summary, p.meta.announced = name, summary, true
	p.SetMetaVersion(p.meta.bump())
}

// SetAttribute adds or replaces the attribute with a's key, copying its value, and bumps
// meta_version (§10.3.2). More than 65534 attributes is an error: SBE cannot count them.
func (p *Controller) SetAttribute(a wire.Attribute) error {
	a.Value = bytes.Clone(a.Value)
	i := slices.IndexFunc(p.meta.attrs, func(b wire.Attribute) bool { return b.Key == a.Key })
	switch {
	case i >= 0:
		p.meta.attrs[i] = a
	case len(p.meta.attrs) >= maxAttributes:
		return configError("10.3.2", "attributes", len(p.meta.attrs), "more attributes than an SBE group holds")
	default:
		p.meta.attrs = append(p.meta.attrs, a)
	}
	p.SetMetaVersion(p.meta.bump())
	return nil
}

// DeleteAttribute removes the attribute named key and bumps meta_version; it reports
// false, and changes nothing, when there is no such attribute.
func (p *Controller) DeleteAttribute(key string) bool {
	i := slices.IndexFunc(p.meta.attrs, func(b wire.Attribute) bool { return b.Key == key })
	if i < 0 {
		return false
	}
	p.meta.attrs = slices.Delete(p.meta.attrs, i, i+1)
	p.SetMetaVersion(p.meta.bump())
	return true
}

// MetaVersion returns the current meta_version, 0xFFFF_FFFF while there is none. Any
// goroutine may call it: the frame path stamps it on every claim.
func (p *Controller) MetaVersion() uint32 { return atomic.LoadUint32(&p.metaVersion) }

// SetMetaVersion sets the meta_version later frames carry (§10.3), without changing the
// metadata.
func (p *Controller) SetMetaVersion(v uint32) { atomic.StoreUint32(&p.metaVersion, v) }

// sendMetadata publishes DataSourceAnnounce and, when it changed or on the periodic
// refresh, DataSourceMeta on the metadata publication (§10.3).
func (p *Controller) sendMetadata(nowNs int64, refresh bool) Result {
	m := &p.meta
	if m.announced {
		a := wire.DataSourceAnnounce{StreamID: p.streamID, ProducerID: p.cfg.ProducerID, Epoch: p.cur.epoch,
			MetaVersion: m.version, Name: m.name, Summary: m.summary}
		if r := p.sendEncoded(&a); r != OK {
			return r
		}
		p.counters.add(&p.counters.DataSourceAnnounces, 1)
	}
	if m.dirty || (refresh && len(m.attrs) > 0) {
		md := wire.DataSourceMeta{StreamID: p.streamID, MetaVersion: m.version, TimestampNs: uint64(nowNs), Attributes: m.attrs}
		if r := p.sendEncoded(&md); r != OK {
			return r
		}
		m.dirty = false
		p.counters.add(&p.counters.DataSourceMetas, 1)
	}
	return OK
}

// sendEncoded encodes a metadata message into the metadata buffer and offers it. A
// message its encoding cannot carry (a string over a gigabyte) is a DropInvalidSize.
func (p *Controller) sendEncoded(msg interface {
	EncodedLength() int
	Encode([]byte) (int, error)
}) Result {
	m := &p.meta
	m.buf = grow(m.buf, msg.EncodedLength())
	n, err := msg.Encode(m.buf)
	if err != nil {
		return p.fail(DropInvalidSize)
	}
	if r := offer(p.cfg.Metadata, m.buf[:n]); r != OK {
		return p.fail(r)
	}
	return OK
}

func grow(buf []byte, n int) []byte {
	if len(buf) < n {
		return make([]byte, n)
	}
	return buf
}

// ReplaceAttributes replaces every attribute with attrs (values copied; a later
// duplicate key wins) and bumps meta_version once (§10.3.2).
func (p *Controller) ReplaceAttributes(attrs []wire.Attribute) error {
	if len(attrs) > maxAttributes {
		return configError("10.3.2", "attributes", len(attrs), "more attributes than an SBE group holds")
	}
	next := make([]wire.Attribute, 0, len(attrs))
	for _, a := range attrs {
		a.Value = bytes.Clone(a.Value)
		if i := slices.IndexFunc(next, func(b wire.Attribute) bool { return b.Key == a.Key }); i >= 0 {
			next[i] = a
		} else {
			next = append(next, a)
		}
	}
	p.meta.attrs = next
	p.SetMetaVersion(p.meta.bump())
	return nil
}
