package driver

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/wire"
)

const now = uint64(1_000_000_000)

// v12 is req in wire v1.2, asking for node id desired (wire.NullU32: none).
func v12(req wire.ShmAttachRequest, desired uint32) wire.ShmAttachRequest {
	req.Version, req.DesiredNodeID = wire.V1_2, desired
	return req
}

// TestWireSpec_1_2_DriverAnswersInTheVersionAsked: one driver serves v1.1 and v1.2
// clients at once, each answered in the layout of its request, grants and refusals alike
// (a v1.2 client reads a v1.1 response's nodeId from bytes that are not there, and the
// reverse).
func TestWireSpec_1_2_DriverAnswersInTheVersionAsked(t *testing.T) {
	c := newTestCore(t)
	old := attach(t, c, request(camStream, 1, wire.RoleProducer), now)
	require.Equal(t, wire.V1_1, old.Version)
	fresh := attach(t, c, v12(request(camStream, 2, wire.RoleConsumer), wire.NullU32), now)
	require.Equal(t, wire.V1_2, fresh.Version)
	require.Equal(t, old.Epoch, fresh.Epoch, "both lease the same stream and epoch")

	refused, ok := response(c.Attach(v12(request(camStream, 3, wire.RoleProducer), wire.NullU32), now), 307)
	require.True(t, ok)
	require.Equal(t, wire.CodeRejected, refused.Code)
	require.Equal(t, wire.V1_2, refused.Version, "a refusal too is in the version asked")
	_, nodeOK := refused.Node()
	require.False(t, nodeOK, "a refusal carries no nodeId")

	refused, _ = response(c.Attach(request(camStream, 4, wire.RoleProducer), now), 407)
	require.Equal(t, wire.V1_1, refused.Version)

	buf := make([]byte, 1024)
	n, err := fresh.Encode(buf)
	require.NoError(t, err)
	h, err := wire.PeekHeader(buf[:n])
	require.NoError(t, err)
	require.Equal(t, uint16(54), h.BlockLength, "v1.2 ShmAttachResponse block")
}

// TestDriverSpec_4_2_NodeIDs: a v1.2 lease gets a TraceLink node id, the one it asked for
// when free, unique among live leases and stable for the lease; a desired id another
// lease holds is REJECTED without a nodeId; a v1.1 lease gets none; a node id returns to
// the pool with its lease.
func TestDriverSpec_4_2_NodeIDs(t *testing.T) {
	c := newTestCore(t)
	consumer := attach(t, c, v12(request(camStream, 1, wire.RoleConsumer), 42), now)
	node, ok := consumer.Node()
	require.True(t, ok)
	require.Equal(t, uint32(42), node, "the desired node id, free")

	producer := attach(t, c, v12(request(camStream, 2, wire.RoleProducer), wire.NullU32), now)
	other, ok := producer.Node()
	require.True(t, ok, "assigned without being asked")
	require.NotEqual(t, node, other)
	require.NotZero(t, other)

	taken, _ := response(c.Attach(v12(request(camStream, 3, wire.RoleConsumer), 42), now), 307)
	require.Equal(t, wire.CodeRejected, taken.Code)
	require.Equal(t, NodeIDUnavailable, taken.ErrorMessage)
	require.Equal(t, uint32(wire.NullU32), taken.NodeID, "MUST NOT set nodeId")

	legacy := attach(t, c, request(camStream, 4, wire.RoleConsumer), now)
	l, _ := c.Lease(legacy.LeaseID)
	require.Equal(t, uint32(wire.NullU32), l.NodeID, "a v1.1 lease has no node id")

	l, _ = c.Lease(consumer.LeaseID)
	require.Equal(t, uint32(42), l.NodeID, "stable for the lease")
	detached, _ := c.Detach(wire.ShmDetachRequest{CorrelationID: 9, LeaseID: consumer.LeaseID, StreamID: camStream, ClientID: 1, Role: wire.RoleConsumer}, now)
	require.Equal(t, wire.CodeOK, detached.Code)
	again := attach(t, c, v12(request(camStream, 5, wire.RoleConsumer), 42), now)
	node, _ = again.Node()
	require.Equal(t, uint32(42), node, "free again once its lease ended")
}

// TestDriverSpec_B_2_ClientIDTakenText: the refusal of a client id that holds a lease
// carries exactly the text the reference's clients match to pick another id.
func TestDriverSpec_B_2_ClientIDTakenText(t *testing.T) {
	c := newTestCore(t)
	attach(t, c, request(camStream, 1, wire.RoleConsumer), now)
	for _, req := range []wire.ShmAttachRequest{request(camStream, 1, wire.RoleConsumer), v12(request(camStream, 1, wire.RoleConsumer), wire.NullU32)} {
		req.CorrelationID++
		r, ok := response(c.Attach(req, now), req.CorrelationID)
		require.True(t, ok)
		require.Equal(t, wire.CodeRejected, r.Code)
		require.Equal(t, "client_id already attached", r.ErrorMessage)
	}
}
