package tp

import (
	"sync"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// MaxQosEntries is how many producers, and separately how many consumers, a QosMonitor
// keeps (the reference C client's TP_MAX_QOS_ENTRIES).
const MaxQosEntries = tableCapacity

// QosNoWatermark is QosProducerSnapshot.Watermark when the producer reported none (the
// field's SBE null value).
const QosNoWatermark = wire.NullU32

// QosProducerSnapshot is the newest QosProducer of one producer (Wire §10.4.2); Watermark
// is QosNoWatermark when absent.
type QosProducerSnapshot = wire.QosProducer

// QosConsumerSnapshot is the newest QosConsumer of one consumer (Wire §10.4.1); its Mode
// is STREAM or RATE_LIMITED: a QosConsumer with any other value is malformed.
type QosConsumerSnapshot = wire.QosConsumer

// QosMonitorStats are a QosMonitor's totals.
type QosMonitorStats struct {
	// Producers and Consumers count the QosProducer and QosConsumer messages taken.
	Producers, Consumers uint64
	// Malformed counts messages ignored because they failed validation (Err says why).
	Malformed uint64
	// Evicted counts entries dropped to make room for a new id (see QosMonitor).
	Evicted uint64
}

// QosMonitor keeps the newest QosProducer per producer id and QosConsumer per consumer
// id seen on one stream (Wire §10.4), for dashboards and supervisors. It holds at most
// MaxQosEntries of each; when full, a new id evicts the one updated least recently, so
// ids of departed clients (a restarted process comes back under a new id) age out
// instead of locking newcomers out. Other messages sharing the stream are skipped.
//
// Its methods are safe for concurrent use; snapshots are copies.
type QosMonitor struct {
	client     *Client
	sub        transport.Subscription
	onFragment transport.Handler

	mu        sync.Mutex
	closed    bool
	producers newestTable[QosProducerSnapshot]
	consumers newestTable[QosConsumerSnapshot]
	stats     QosMonitorStats
	err       error
}

// NewQosMonitor subscribes to the QoS messages on channel and streamID.
func (c *Client) NewQosMonitor(channel string, streamID int32) (*QosMonitor, error) {
	m := &QosMonitor{client: c}
	var err error
	if m.sub, m.onFragment, err = c.subscribeMessages(channel, streamID, m.handle); err != nil {
		return nil, err
	}
	if err := c.track(m); err != nil {
		m.sub.Close()
		return nil, err
	}
	return m, nil
}

// Poll reads up to limit fragments and returns how many it read. It never blocks.
func (m *QosMonitor) Poll(limit int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0
	}
	return m.sub.Poll(m.onFragment, limit)
}

// handle takes one message (with m.mu held). Messages of other schemas and templates are
// skipped: QoS may share its stream with other traffic.
func (m *QosMonitor) handle(msg []byte) {
	h, err := wire.PeekHeader(msg)
	if err != nil {
		m.fail(decodeFailure("QoS message", "Wire §10.4", err))
		return
	}
	switch h.ID() {
	case wire.QosProducerID:
		var q wire.QosProducer
		if err := q.Decode(msg); err != nil {
			m.fail(decodeFailure("QosProducer", "Wire §10.4.2", err))
			return
		}
		s, _, evicted := m.producers.slot(q.ProducerID)
		*s = q
		m.taken(&m.stats.Producers, evicted)
	case wire.QosConsumerID:
		// A mode the schema does not define fails here too (Wire §15.8: reject unknown
		// enum values rather than misread them).
		var q wire.QosConsumer
		if err := q.Decode(msg); err != nil {
			m.fail(decodeFailure("QosConsumer", "Wire §10.4.1", err))
			return
		}
		s, _, evicted := m.consumers.slot(q.ConsumerID)
		*s = q
		m.taken(&m.stats.Consumers, evicted)
	}
}

func (m *QosMonitor) taken(count *uint64, evicted bool) {
	*count++
	if evicted {
		m.stats.Evicted++
	}
}

func (m *QosMonitor) fail(err *MessageError) {
	m.stats.Malformed++
	m.err = err
}

// Producer returns the newest QosProducer of producerID.
func (m *QosMonitor) Producer(producerID uint32) (QosProducerSnapshot, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.producers.get(producerID); ok {
		return *s, true
	}
	return QosProducerSnapshot{}, false
}

// Consumer returns the newest QosConsumer of consumerID.
func (m *QosMonitor) Consumer(consumerID uint32) (QosConsumerSnapshot, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.consumers.get(consumerID); ok {
		return *s, true
	}
	return QosConsumerSnapshot{}, false
}

// Stats returns the monitor's totals.
func (m *QosMonitor) Stats() QosMonitorStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// Err returns and clears the reason the latest malformed message was ignored: a
// *MessageError, matching ErrMalformed.
func (m *QosMonitor) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.err
	m.err = nil
	return err
}

// Close removes the subscription. Later Polls read nothing; the snapshots stay readable.
func (m *QosMonitor) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	err := m.sub.Close()
	m.mu.Unlock()
	m.client.untrack(m)
	return err
}
