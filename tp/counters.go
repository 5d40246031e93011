package tp

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/agents/consumer"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// CounterInfo describes one of the Aeron counters a producer or a consumer keeps in the
// media driver's CnC file, where AeronStat and `tp stat` read them. Their type ids are
// tensorpool's (1000-1099; tp-driver has 1000-1039): a producer's 1040-1049, a
// consumer's 1050-1059. Each counter's key is the stream id and the client id
// (CounterKey) and its label names the metric, the stream and the client, e.g.
// "tp_consumer_drops_total reason=late: stream=1 client=29561857".
//
// The counters mirror the statistics the roles keep anyway (Producer.Stats,
// Consumer.Stats): the Client's duty cycle copies them in every CounterUpdatePeriod,
// so the frame path does no more work for them.
type CounterInfo struct {
	TypeID int32
	Role   wire.Role
	// Name is the metric's name; the drops of each reason share one and differ in
	// LabelValue (Label is then "reason").
	Name, Label, LabelValue string
	Help                    string
}

// CounterUpdatePeriod is how often the duty cycle copies a role's statistics into its
// Aeron counters.
const CounterUpdatePeriod = 100_000_000 // ns

// The producer's counters, in TypeID order.
const (
	counterProducerFrames int = iota
	counterProducerBytes
	counterProducerDropsNoSubscriber
	counterProducerDropsBackPressured
	counterProducerDropsTooLarge
	counterProducerDropsInvalid
	counterProducerDropsPublication
	counterProducerMisuse
	counterProducerLeaseLosses
	counterProducerPerConsumerDescriptors
	producerCounterCount
)

var producerCounterInfos = [producerCounterCount]CounterInfo{
	{TypeID: 1040, Role: wire.RoleProducer, Name: "tp_producer_frames_total", Help: "Frames published: committed and announced by a FrameDescriptor."},
	{TypeID: 1041, Role: wire.RoleProducer, Name: "tp_producer_bytes_total", Help: "Payload bytes of the frames published."},
	{TypeID: 1042, Role: wire.RoleProducer, Name: "tp_producer_drops_total", Label: "reason", LabelValue: "no_subscriber", Help: "Frames not published, by reason."},
	{TypeID: 1043, Role: wire.RoleProducer, Name: "tp_producer_drops_total", Label: "reason", LabelValue: "back_pressured"},
	{TypeID: 1044, Role: wire.RoleProducer, Name: "tp_producer_drops_total", Label: "reason", LabelValue: "too_large"},
	{TypeID: 1045, Role: wire.RoleProducer, Name: "tp_producer_drops_total", Label: "reason", LabelValue: "invalid_tensor"},
	{TypeID: 1046, Role: wire.RoleProducer, Name: "tp_producer_drops_total", Label: "reason", LabelValue: "publication_failed"},
	{TypeID: 1047, Role: wire.RoleProducer, Name: "tp_producer_misuse_total", Help: "Calls refused for misuse: a claim already open, not the open claim, progress out of order, a sequence number below the next."},
	{TypeID: 1048, Role: wire.RoleProducer, Name: "tp_producer_lease_losses_total", Help: "Leases that ended (revoked, expired, driver shutdown)."},
	{TypeID: 1049, Role: wire.RoleProducer, Name: "tp_producer_per_consumer_descriptors_total", Help: "FrameDescriptors sent on per-consumer streams besides the shared one."},
}

// producerResultCounter is the counter each producer.Result is counted in: every one
// but OK, so the drop and misuse counters sum to ProducerStats.Dropped. A region fault
// (the epoch's files failed under the mapping) is a failed publication.
var producerResultCounter = [producer.ResultCount]int{
	producer.OK:                       -1,
	producer.DropNotConnected:         counterProducerDropsNoSubscriber,
	producer.DropBackPressured:        counterProducerDropsBackPressured,
	producer.DropAdminAction:          counterProducerDropsBackPressured,
	producer.DropNoPoolFits:           counterProducerDropsTooLarge,
	producer.DropInvalidSize:          counterProducerDropsInvalid,
	producer.DropInvalidTensor:        counterProducerDropsInvalid,
	producer.DropTensorExceedsPayload: counterProducerDropsInvalid,
	producer.DropPublicationClosed:    counterProducerDropsPublication,
	producer.DropMaxPositionExceeded:  counterProducerDropsPublication,
	producer.DropPublicationError:     counterProducerDropsPublication,
	producer.ErrRegionFault:           counterProducerDropsPublication,
	producer.ErrClaimOutstanding:      counterProducerMisuse,
	producer.ErrNoClaim:               counterProducerMisuse,
	producer.ErrProgressRegressed:     counterProducerMisuse,
	producer.ErrProgressOverrun:       counterProducerMisuse,
	producer.ErrSeqRegressed:          counterProducerMisuse,
}

// The consumer's counters, in TypeID order.
const (
	counterConsumerFrames int = iota
	counterConsumerBytes
	counterConsumerDropsGap
	counterConsumerDropsLate
	counterConsumerDropsNotMapped
	counterConsumerDropsRateLimited
	counterConsumerDropsInvalid
	counterConsumerRemaps
	counterConsumerLeaseLosses
	consumerCounterCount
)

var consumerCounterInfos = [consumerCounterCount]CounterInfo{
	{TypeID: 1050, Role: wire.RoleConsumer, Name: "tp_consumer_frames_total", Help: "Frames delivered to the handler."},
	{TypeID: 1051, Role: wire.RoleConsumer, Name: "tp_consumer_bytes_total", Help: "Payload bytes of the frames delivered."},
	{TypeID: 1052, Role: wire.RoleConsumer, Name: "tp_consumer_drops_total", Label: "reason", LabelValue: "gap", Help: "Frames not delivered, by reason: never seen (gap), overwritten while read (late), no epoch mapped or another epoch's (not_mapped), thinned to max_rate_hz (rate_limited), failed validation (invalid)."},
	{TypeID: 1053, Role: wire.RoleConsumer, Name: "tp_consumer_drops_total", Label: "reason", LabelValue: "late"},
	{TypeID: 1054, Role: wire.RoleConsumer, Name: "tp_consumer_drops_total", Label: "reason", LabelValue: "not_mapped"},
	{TypeID: 1055, Role: wire.RoleConsumer, Name: "tp_consumer_drops_total", Label: "reason", LabelValue: "rate_limited"},
	{TypeID: 1056, Role: wire.RoleConsumer, Name: "tp_consumer_drops_total", Label: "reason", LabelValue: "invalid"},
	{TypeID: 1057, Role: wire.RoleConsumer, Name: "tp_consumer_remaps_total", Help: "Epochs mapped."},
	{TypeID: 1058, Role: wire.RoleConsumer, Name: "tp_consumer_lease_losses_total", Help: "Leases that ended (revoked, expired, driver shutdown)."},
}

// CounterInfos lists the counters of producers and consumers, in TypeID order.
func CounterInfos() []CounterInfo {
	infos := append([]CounterInfo{}, producerCounterInfos[:]...)
	return append(infos, consumerCounterInfos[:]...)
}

// CounterLabel is the Aeron label of the counter of a client's stream.
func (info CounterInfo) CounterLabel(streamID, clientID uint32) string {
	what := info.Name
	if info.Label != "" {
		what += " " + info.Label + "=" + info.LabelValue
	}
	return fmt.Sprintf("%s: stream=%d client=%d", what, streamID, clientID)
}

// CounterKey is the key of a client's counters: the stream id and the client id,
// little-endian u32s.
func CounterKey(streamID, clientID uint32) []byte {
	return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, streamID), clientID)
}

// ParseCounterKey reads what CounterKey wrote.
func ParseCounterKey(key []byte) (streamID, clientID uint32, ok bool) {
	if len(key) < 8 {
		return 0, 0, false
	}
	return binary.LittleEndian.Uint32(key), binary.LittleEndian.Uint32(key[4:]), true
}

// counterSet is a role's Aeron counters: added when the role starts (the adds complete
// on later duty cycles) and set from the role's statistics every CounterUpdatePeriod.
// It belongs to the role's duty cycle.
type counterSet struct {
	pending  []transport.Pending[transport.Counter]
	counters []transport.Counter
	values   []int64
	next     clock.Mono
}

func newCounterSet(t transport.Client, infos []CounterInfo, streamID, clientID uint32) *counterSet {
	key := CounterKey(streamID, clientID)
	s := &counterSet{
		pending:  make([]transport.Pending[transport.Counter], len(infos)),
		counters: make([]transport.Counter, len(infos)),
		values:   make([]int64, len(infos)),
	}
	for i, info := range infos {
		s.pending[i] = t.AddCounter(info.TypeID, key, info.CounterLabel(streamID, clientID))
	}
	return s
}

// update takes the counters whose adds completed and, once a period, sets every counter
// from fill, which writes the role's statistics into values (indexed as the infos). A
// counter the media driver refused (its counters buffer full) is left out: the
// statistics still count, in-process.
func (s *counterSet) update(now clock.Mono, fill func(values []int64)) int {
	work := 0
	for i, p := range s.pending {
		if p == nil {
			continue
		}
		c, err := p.Poll()
		if errors.Is(err, transport.ErrPending) {
			continue
		}
		s.pending[i] = nil
		if err == nil {
			s.counters[i] = c
			work++
		}
	}
	if now < s.next {
		return work
	}
	s.next = now + CounterUpdatePeriod
	fill(s.values)
	for i, c := range s.counters {
		if c != nil {
			c.Set(s.values[i])
		}
	}
	return work + 1
}

// close frees the counters and abandons the adds still pending.
func (s *counterSet) close() {
	for _, p := range s.pending {
		if p != nil {
			p.Cancel()
		}
	}
	for _, c := range s.counters {
		if c != nil {
			_ = c.Close()
		}
	}
}

// consumerCounters keeps a consumer's Aeron counters. The consumer role (consumer.Agent)
// is the agents package's and knows nothing of them, so this agent runs beside it on the
// Client's duty cycle and sets them from the role's Status, which any goroutine may read.
type consumerCounters struct {
	role     *consumer.Agent
	streamID uint32
	set      *counterSet
	fill     func([]int64)
}

func newConsumerCounters(role *consumer.Agent, streamID uint32) *consumerCounters {
	k := &consumerCounters{role: role, streamID: streamID}
	k.fill = k.values
	return k
}

// OnStart adds the counters, on the duty cycle.
func (k *consumerCounters) OnStart(p *process.Process) {
	k.set = newCounterSet(p.Transport(), consumerCounterInfos[:], k.streamID, k.role.ClientID())
}

func (k *consumerCounters) DoWork(now clock.Mono) int { return k.set.update(now, k.fill) }

// Rebind implements process.Rebinder (Client.Reconnect): the counters move to the new
// transport.
func (k *consumerCounters) Rebind(p *process.Process) {
	k.set.close()
	k.OnStart(p)
}

// OnClose frees the counters.
func (k *consumerCounters) OnClose() { k.set.close() }

func (k *consumerCounters) RoleName() string {
	return fmt.Sprintf("tp-consumer-counters:%d", k.streamID)
}

// values writes the consumer's statistics in the order of consumerCounterInfos. A late
// drop is counted in Drops too, under its SHM reason; invalid is every drop that has no
// counter of its own.
func (k *consumerCounters) values(v []int64) {
	st := k.role.Status()
	c := &st.Counters
	notMapped := c.Drops[consumer.DropNotMapped] + c.Drops[consumer.DropEpochMismatch]
	rateLimited := c.Drops[consumer.DropRateLimited]
	var drops uint64
	for _, d := range c.Drops {
		drops += d
	}
	v[counterConsumerFrames] = int64(c.Frames)
	v[counterConsumerBytes] = int64(c.Bytes)
	v[counterConsumerDropsGap] = int64(c.DropsGap)
	v[counterConsumerDropsLate] = int64(c.DropsLate)
	v[counterConsumerDropsNotMapped] = int64(notMapped)
	v[counterConsumerDropsRateLimited] = int64(rateLimited)
	v[counterConsumerDropsInvalid] = int64(drops - c.DropsLate - notMapped - rateLimited)
	v[counterConsumerRemaps] = int64(c.Remaps)
	v[counterConsumerLeaseLosses] = int64(st.LeaseLosses)
}
