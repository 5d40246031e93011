//go:build !race

package supervisor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// QoS aggregation allocates nothing in steady state: producer and consumer reports read
// from the QoS stream, judged by the policy, with the timers running.
func TestAgent_QosAggregationAllocatesNothing(t *testing.T) {
	cfg := testConfig()
	cfg.AeronURI = "aeron:ipc"
	r := newRig(t, cfg)
	encode := func(m interface {
		EncodedLength() int
		Encode([]byte) (int, error)
	}) []byte {
		buf := make([]byte, m.EncodedLength())
		_, err := m.Encode(buf)
		require.NoError(t, err)
		return buf
	}
	qp := &wire.QosProducer{StreamID: 10000, ProducerID: 11, Epoch: 1}
	qc := &wire.QosConsumer{StreamID: 10000, ConsumerID: 21, Epoch: 1, Mode: wire.ModeStream}
	var seq uint64
	round := func() {
		seq += 100
		qp.CurrentSeq, qc.LastSeqSeen = seq, seq
		for _, m := range [][]byte{encode(qp), encode(qc)} {
			if res := r.qos.Offer(m); res == transport.AdminAction {
				r.qos.Offer(m)
			}
		}
		r.cycle(50 * time.Millisecond)
	}
	for range 10 {
		round()
	}
	// encode allocates the test's buffers: measure the supervisor's side alone.
	pm, cm := encode(qp), encode(qc)
	measured := func() {
		seq += 100
		for _, m := range [][]byte{pm, cm} {
			if res := r.qos.Offer(m); res == transport.AdminAction {
				r.qos.Offer(m)
			}
		}
		r.cycle(50 * time.Millisecond)
	}
	require.Zero(t, testing.AllocsPerRun(500, measured))
	require.Equal(t, uint64(1), r.agent.Metrics().Consumers.Load())
}
