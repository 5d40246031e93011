package driver

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/counters"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

func producerRequest(corr int64, stream, client uint32) wire.ShmAttachRequest {
	return wire.ShmAttachRequest{CorrelationID: corr, StreamID: stream, ClientID: client, Role: wire.RoleProducer, PublishMode: wire.PublishModeNull}
}

func consumerRequest(corr int64, stream, client uint32) wire.ShmAttachRequest {
	r := producerRequest(corr, stream, client)
	r.Role = wire.RoleConsumer
	return r
}

// requireGrant checks every field §4.2 requires of an OK response and that
// the regions it names exist with matching superblocks.
func requireGrant(t *testing.T, d *testDriver, r wire.ShmAttachResponse, stream uint32) {
	t.Helper()
	require.Equal(t, wire.CodeOK, r.Code, r.ErrorMessage)
	require.NotEqual(t, uint64(wire.NullU64), r.LeaseID)
	require.Equal(t, stream, r.StreamID)
	require.NotEqual(t, uint64(wire.NullU64), r.Epoch)
	require.NotZero(t, r.Epoch)
	require.Equal(t, uint32(shm.LayoutVersion), r.LayoutVersion)
	require.Equal(t, uint32(16), r.HeaderNslots)
	require.Equal(t, uint16(256), r.HeaderSlotBytes)
	require.Equal(t, uint8(8), r.MaxDims)
	require.Greater(t, r.LeaseExpiryTimestampNs, uint64(clock.Now()))
	require.Empty(t, r.ErrorMessage)
	require.Len(t, r.PayloadPools, 2)
	policy, err := shm.NewPathPolicy(d.cfg.Shm.BaseDir)
	require.NoError(t, err)
	hdr, err := shm.OpenURI(policy, r.HeaderRegionURI, shm.OpenOptions{Expect: shm.HeaderRingSuperblock(r.Epoch, stream, 16)})
	require.NoError(t, err)
	hdr.Close()
	for _, p := range r.PayloadPools {
		require.Equal(t, r.HeaderNslots, p.PoolNslots)
		m, err := shm.OpenURI(policy, p.RegionURI, shm.OpenOptions{Expect: shm.PayloadPoolSuperblock(r.Epoch, stream, p.PoolID, 16, p.StrideBytes)})
		require.NoError(t, err)
		m.Close()
	}
}

func requireRejection(t *testing.T, r wire.ShmAttachResponse, code wire.ResponseCode, fragment string) {
	t.Helper()
	require.Equal(t, code, r.Code, r.ErrorMessage)
	require.Contains(t, r.ErrorMessage, fragment)
	require.Equal(t, uint64(wire.NullU64), r.LeaseID)
	require.Equal(t, uint64(wire.NullU64), r.Epoch)
	require.Equal(t, uint32(wire.NullU32), r.StreamID)
	require.Equal(t, uint8(wire.NullU8), r.MaxDims)
	require.Empty(t, r.PayloadPools)
	require.Empty(t, r.HeaderRegionURI)
}

// Checklist 33, 37; Driver spec §4.2, §4.4, §4.9, §6, §8.
func TestAgent_AttachKeepaliveDetach_EndToEnd(t *testing.T) {
	d := startTestDriver(t, "")
	prod := d.attach(producerRequest(11, 10000, 7))
	requireGrant(t, d, prod, 10000)
	ann := d.awaitAnnounce(10000, 0)
	require.Equal(t, prod.Epoch, ann.Epoch)
	require.Equal(t, uint32(7), ann.ProducerID, "§8 producerId is the producer's clientId")
	require.Equal(t, prod.HeaderRegionURI, ann.HeaderRegionURI)

	cons := d.attach(consumerRequest(12, 10000, 8))
	requireGrant(t, d, cons, 10000)
	require.Equal(t, prod.Epoch, cons.Epoch, "a consumer joins the current epoch")

	// Keepalives past a lease lifetime (2 s) keep both leases.
	for range 40 {
		d.probe.sendKeepalive(wire.ShmLeaseKeepalive{LeaseID: prod.LeaseID, StreamID: 10000, ClientID: 7, Role: wire.RoleProducer})
		d.probe.sendKeepalive(wire.ShmLeaseKeepalive{LeaseID: cons.LeaseID, StreamID: 10000, ClientID: 8, Role: wire.RoleConsumer})
		d.run(60 * time.Millisecond)
	}
	require.Empty(t, d.probe.revoked)
	require.GreaterOrEqual(t, d.agent.Metrics().Keepalives.Load(), uint64(16))

	// A detach that names the wrong client is refused; the right one ends the lease.
	bad := d.detach(wire.ShmDetachRequest{CorrelationID: 13, LeaseID: prod.LeaseID, StreamID: 10000, ClientID: 99, Role: wire.RoleProducer})
	require.Equal(t, wire.CodeRejected, bad.Code)
	ok := d.detach(wire.ShmDetachRequest{CorrelationID: 14, LeaseID: prod.LeaseID, StreamID: 10000, ClientID: 7, Role: wire.RoleProducer})
	require.Equal(t, wire.CodeOK, ok.Code)
	rev := d.awaitRevoked(prod.LeaseID)
	require.Equal(t, wire.RevokeDetached, rev.Reason)
	next := d.awaitAnnounce(10000, prod.Epoch)
	require.Zero(t, next.ProducerID)
	requireRevokeBeforeAnnounce(t, d.probe.order)
}

// requireRevokeBeforeAnnounce checks §4.9: the notice precedes the
// announce of the bumped epoch.
func requireRevokeBeforeAnnounce(t *testing.T, order []string) {
	t.Helper()
	i := strings.Index(strings.Join(order, ","), "revoked,announce")
	require.GreaterOrEqual(t, i, 0, "ShmLeaseRevoked then ShmPoolAnnounce, got %v", order)
}

// Checklist 34, 35, 36; Driver spec §4.3, §4.6, §4.8, §5.
func TestAgent_AttachRefusalsCarryTheRightCode(t *testing.T) {
	d := startTestDriver(t, "")
	prod := d.attach(producerRequest(1, 10000, 1))
	requireGrant(t, d, prod, 10000)

	wrongLayout := consumerRequest(2, 10000, 2)
	wrongLayout.ExpectedLayoutVersion = 9
	hugepages := consumerRequest(3, 10000, 3)
	hugepages.RequireHugepages = wire.HugepagesRequired
	unknownMode := consumerRequest(4, 10000, 4)
	unknownMode.PublishMode = 7
	unknownRole := consumerRequest(5, 10000, 5)
	unknownRole.Role = 9
	createOutsideRange := consumerRequest(6, 55555, 6)
	createOutsideRange.PublishMode = wire.PublishModeExistingOrCreate
	badHugepagePolicy := consumerRequest(10, 10000, 10)
	badHugepagePolicy.RequireHugepages = 77

	// permanent: a client gives up at once (driverclient.RefusedError.Permanent), which
	// holds these messages to the texts it looks for; the others can pass, and it retries.
	cases := []struct {
		name      string
		req       wire.ShmAttachRequest
		code      wire.ResponseCode
		fragment  string
		permanent bool
	}{
		{"duplicate producer §5", producerRequest(7, 10000, 70), wire.CodeRejected, "already has a producer", false},
		{"client id already attached §4.8", consumerRequest(8, 10000, 1), wire.CodeRejected, ClientIDTaken, false},
		{"unknown stream, REQUIRE_EXISTING §4.2", consumerRequest(9, 4242, 9), wire.CodeRejected, "not provisioned (publishMode REQUIRE_EXISTING); no producer can create it", true},
		{"dynamic stream not created yet, REQUIRE_EXISTING §4.2", consumerRequest(11, 20005, 11), wire.CodeRejected, "not provisioned", false},
		{"wrong layout version §4.3", wrongLayout, wire.CodeRejected, "expectedLayoutVersion 9", true},
		{"hugepages unavailable §4.3", hugepages, wire.CodeRejected, "hugepage", true},
		{"unknown publish mode §4.6", unknownMode, wire.CodeUnsupported, "publishMode 7", true},
		{"unknown role", unknownRole, wire.CodeInvalidParams, "role 9", true},
		{"create outside stream_id_range §11", createOutsideRange, wire.CodeInvalidParams, "outside driver.stream_id_range", true},
		{"unknown hugepages policy", badHugepagePolicy, wire.CodeInvalidParams, "requireHugepages 77", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := d.attach(c.req)
			requireRejection(t, r, c.code, c.fragment)
			refused := driverclient.RefusedError{Code: r.Code, Message: r.ErrorMessage}
			require.Equal(t, c.permanent, refused.Permanent(), r.ErrorMessage)
		})
	}
	require.Equal(t, uint64(len(cases)), d.agent.Metrics().AttachRejections())

	// Dynamic stream creation hands out an id from the range (§11).
	dyn := producerRequest(20, 0, 20)
	dyn.PublishMode = wire.PublishModeExistingOrCreate
	r := d.attach(dyn)
	require.Equal(t, wire.CodeOK, r.Code, r.ErrorMessage)
	require.GreaterOrEqual(t, r.StreamID, uint32(20000))
	require.LessOrEqual(t, r.StreamID, uint32(20009))
}

// Checklist 49; Driver spec §4.4, §4.7a, §6.
func TestAgent_LeaseExpiresWithoutKeepalivesAndProducerEpochMovesOn(t *testing.T) {
	d := startShortLeaseDriver(t, connect(t))
	prod := d.attach(producerRequest(1, 10000, 1))
	require.Equal(t, wire.CodeOK, prod.Code)
	cons := d.attach(consumerRequest(2, 10000, 2))
	require.Equal(t, wire.CodeOK, cons.Code)
	// Only the consumer keeps its lease alive.
	deadline := time.Now().Add(waitTimeout)
	expired := false
	for !expired && time.Now().Before(deadline) {
		d.probe.sendKeepalive(wire.ShmLeaseKeepalive{LeaseID: cons.LeaseID, StreamID: 10000, ClientID: 2, Role: wire.RoleConsumer})
		d.run(50 * time.Millisecond)
		for _, r := range d.probe.revoked {
			expired = expired || r.LeaseID == prod.LeaseID
		}
	}
	rev := d.awaitRevoked(prod.LeaseID)
	require.Equal(t, wire.RevokeExpired, rev.Reason)
	require.Equal(t, wire.RoleProducer, rev.Role)
	ann := d.awaitAnnounce(10000, prod.Epoch)
	require.Zero(t, ann.ProducerID)
	requireRevokeBeforeAnnounce(t, d.probe.order)
	for _, r := range d.probe.revoked {
		require.NotEqual(t, cons.LeaseID, r.LeaseID, "the consumer kept its lease")
	}
	// A new producer gets an epoch above the expired one (§7).
	again := d.attach(producerRequest(3, 10000, 3))
	require.Equal(t, wire.CodeOK, again.Code)
	require.Greater(t, again.Epoch, prod.Epoch)
}

// encodeBridgeChunk builds a bridge-schema message whose template id (1)
// is ShmAttachRequest's in the driver schema.
func encodeBridgeChunk() []byte {
	c := wire.BridgeFrameChunk{StreamID: 10000}
	return encoded(make([]byte, c.EncodedLength()), &c)
}

// Checklist 54-adjacent gating; Driver spec §4.4a, §4.5; inventory §8 (schema checks).
func TestAgent_MixedSchemasAndHostileInputAreGatedAndCounted(t *testing.T) {
	d := startTestDriver(t, "")
	m := d.agent.Metrics()

	// A bridge message (schema 902, template 1 = ShmAttachRequest's id) must not be taken for an attach.
	d.probe.sendBytes(encodeBridgeChunk())
	// A wire-schema FrameDescriptor (template 4 = ShmDetachRequest's id) is not the driver's either.
	d.probe.sendBytes(encoded(make([]byte, wire.FrameDescriptorLength), &wire.FrameDescriptor{StreamID: 10000}))
	// Garbage, a bare header, and a truncated attach request.
	d.probe.sendBytes([]byte{1, 2, 3})
	truncated := encoded(d.probe.buf, &wire.ShmAttachRequest{CorrelationID: 5, StreamID: 10000, ClientID: 5, Role: wire.RoleConsumer})
	d.probe.sendBytes(append([]byte(nil), truncated[:len(truncated)-6]...))
	// A shutdown request with an oversized token, and a hello with an oversized channel.
	huge := strings.Repeat("x", wire.MaxChannelBytes+1)
	d.probe.send(&wire.ShmDriverShutdownRequest{CorrelationID: 6, Token: huge})
	d.probe.send(&wire.ConsumerHello{StreamID: 10000, ConsumerID: 5, DescriptorStreamID: 31000, DescriptorChannel: huge})

	d.waitFor("gating counters", func() bool {
		return m.DroppedForeign.Load() >= 2 && m.DroppedMalformed.Load() >= 3 && m.NotForDriver.Load() >= 1
	})
	require.Zero(t, m.AttachResponses(), "nothing above was answered as an attach")
	require.Zero(t, m.DetachResponses.Load())
	require.Equal(t, Running, d.agent.core.State())

	// The driver still serves a well-formed attach.
	requireGrant(t, d, d.attach(consumerRequest(7, 10000, 7)), 10000)
}

// Driver spec §4.4a: a newer driver schema version of an attach gets UNSUPPORTED.
func TestAgent_NewerSchemaVersionAttachIsUnsupported(t *testing.T) {
	d := startTestDriver(t, "")
	newer := encoded(make([]byte, 64), &wire.ShmAttachRequest{CorrelationID: 77, StreamID: 10000, ClientID: 3, Role: wire.RoleConsumer})
	binary.LittleEndian.PutUint16(newer[6:], wire.DriverSchemaVersion+1)
	d.probe.sendBytes(newer)
	var resp wire.ShmAttachResponse
	d.waitFor("UNSUPPORTED", func() bool {
		r, ok := d.probe.attaches[77]
		resp = r
		return ok
	})
	requireRejection(t, resp, wire.CodeUnsupported, "version 2")

	// A newer keepalive is dropped, not applied.
	k := wire.ShmLeaseKeepalive{LeaseID: 1, StreamID: 10000, ClientID: 3, Role: wire.RoleConsumer}
	newer = encoded(make([]byte, 64), &k)
	binary.LittleEndian.PutUint16(newer[6:], wire.DriverSchemaVersion+1)
	d.probe.sendBytes(newer)
	d.waitFor("newer keepalive dropped", func() bool { return d.agent.Metrics().DroppedNewer.Load() == 1 })
}

// Checklist 43, 42; Driver spec §4.13.
func TestAgent_ShutdownRequestNeedsTheToken(t *testing.T) {
	d := startTestDriver(t, "")
	prod := d.attach(producerRequest(1, 10000, 1))
	require.Equal(t, wire.CodeOK, prod.Code)

	d.probe.send(&wire.ShmDriverShutdownRequest{CorrelationID: 2, Reason: wire.ShutdownAdmin, Token: "guess"})
	d.probe.send(&wire.ShmDriverShutdownRequest{CorrelationID: 3, Reason: wire.ShutdownAdmin})
	d.waitFor("bad tokens counted", func() bool { return d.agent.Metrics().ShutdownsRejected.Load() == 2 })
	d.run(150 * time.Millisecond)
	require.Empty(t, d.probe.shutdowns)
	require.Equal(t, Running, d.agent.core.State())

	d.probe.send(&wire.ShmDriverShutdownRequest{CorrelationID: 4, Reason: wire.ShutdownAdmin, Token: "let-me-stop", ErrorMessage: "maintenance"})
	d.waitFor("ShmDriverShutdown", func() bool { return len(d.probe.shutdowns) == 1 })
	require.Equal(t, wire.ShutdownAdmin, d.probe.shutdowns[0].Reason)
	require.Equal(t, "maintenance", d.probe.shutdowns[0].ErrorMessage)
	rev := d.awaitRevoked(prod.LeaseID)
	require.Equal(t, wire.RevokeRevoked, rev.Reason)
	require.Equal(t, Stopped, d.agent.core.State())
	select {
	case <-d.agent.Done():
	default:
		t.Fatal("Done not closed after ShmDriverShutdown")
	}
	// Stopped: attaches get no answer.
	d.probe.sendAttach(consumerRequest(5, 10000, 5))
	d.run(100 * time.Millisecond)
	require.NotContains(t, d.probe.attaches, int64(5))
}

// Local shutdown (signal) drains, revokes and announces shutdown.
func TestAgent_LocalShutdownDrains(t *testing.T) {
	d := startTestDriver(t, "")
	cons := d.attach(consumerRequest(1, 10000, 1))
	require.Equal(t, wire.CodeOK, cons.Code)
	d.agent.Shutdown()
	d.waitFor("drain", func() bool { return d.agent.core.State() != Running })
	// Draining refuses attaches.
	requireRejection(t, d.attach(consumerRequest(2, 10000, 2)), wire.CodeRejected, "draining")
	d.waitFor("ShmDriverShutdown", func() bool { return len(d.probe.shutdowns) == 1 })
	require.Equal(t, wire.ShutdownNormal, d.probe.shutdowns[0].Reason)
	require.Equal(t, wire.RevokeRevoked, d.awaitRevoked(cons.LeaseID).Reason)
}

// Checklist 57; 100 clients attach at once.
func TestAgent_HundredClientsAttachAtOnce(t *testing.T) {
	d := startTestDriver(t, "")
	const clients = 100
	for i := range clients {
		d.probe.sendAttach(consumerRequest(int64(1000+i), 10000, uint32(100+i)))
	}
	d.waitFor("100 attach responses", func() bool { return len(d.probe.attaches) == clients })
	leases := map[uint64]bool{}
	var epoch uint64
	for i := range clients {
		r := d.probe.attaches[int64(1000+i)]
		require.Equal(t, wire.CodeOK, r.Code, r.ErrorMessage)
		require.False(t, leases[r.LeaseID], "lease ids are unique (§4.8)")
		leases[r.LeaseID] = true
		if epoch == 0 {
			epoch = r.Epoch
		}
		require.Equal(t, epoch, r.Epoch)
	}
}

// Checklist 39, 40; Wire spec §10.1.2, Driver spec §11.
func TestAgent_ConsumerHelloGetsPerConsumerStreams(t *testing.T) {
	d := startTestDriver(t, "")
	cons := d.attach(consumerRequest(1, 10000, 5))
	require.Equal(t, wire.CodeOK, cons.Code)
	d.probe.send(&wire.ConsumerHello{
		StreamID: 10000, ConsumerID: 5,
		DescriptorStreamID: 1, DescriptorChannel: "aeron:ipc",
		ControlStreamID: 1, ControlChannel: "aeron:ipc", SupportsShm: true, Mode: wire.ModeStream,
	})
	d.waitFor("ConsumerConfig", func() bool { return len(d.probe.configs) == 1 })
	c := d.probe.configs[0]
	require.Equal(t, uint32(5), c.ConsumerID)
	require.True(t, c.UseShm)
	require.Equal(t, uint32(31000), c.DescriptorStreamID)
	require.Equal(t, uint32(32000), c.ControlStreamID)
	require.Equal(t, "aeron:ipc", c.DescriptorChannel)

	// A client without a consumer lease gets nothing.
	d.probe.send(&wire.ConsumerHello{StreamID: 10000, ConsumerID: 6, DescriptorStreamID: 1, DescriptorChannel: "aeron:ipc"})
	d.run(100 * time.Millisecond)
	require.Len(t, d.probe.configs, 1)
}

// Checklist 48; Driver spec §10: a restarted driver issues a higher epoch.
func TestAgent_RestartedDriverMovesEpochForward(t *testing.T) {
	first := startTestDriver(t, "")
	r1 := first.attach(producerRequest(1, 10000, 1))
	require.Equal(t, wire.CodeOK, r1.Code)
	first.invoker.Close()

	second := startTestDriverWith(t, first.cfg)
	r2 := second.attach(producerRequest(2, 10000, 1))
	require.Equal(t, wire.CodeOK, r2.Code)
	require.Greater(t, r2.Epoch, r1.Epoch)
}

// Checklist 46: cleanup_shm_on_exit removes the current epoch on close.
func TestAgent_CleanupShmOnExit(t *testing.T) {
	d := startTestDriver(t, "cleanup_shm_on_exit = true")
	r := d.attach(producerRequest(1, 10000, 1))
	require.Equal(t, wire.CodeOK, r.Code)
	u, err := shm.ParseURI(r.HeaderRegionURI)
	require.NoError(t, err)
	d.invoker.Close()
	_, err = os.Stat(u.Path)
	require.True(t, os.IsNotExist(err), "header ring removed on exit: %v", err)
}

// policies.mlock_shm promises locked memory: a failed mlock answers the
// attach INTERNAL_ERROR and stops the driver with reason ERROR.
func TestAgent_MlockFailureIsFatal(t *testing.T) {
	d := startTestDriver(t, "mlock_shm = true")
	d.agent.prov.lock = func([]byte) error { return syscall.ENOMEM }
	r := d.attach(producerRequest(1, 10000, 1))
	requireRejection(t, r, wire.CodeInternalError, "mlock")
	d.waitFor("ShmDriverShutdown", func() bool { return len(d.probe.shutdowns) == 1 })
	require.Equal(t, wire.ShutdownError, d.probe.shutdowns[0].Reason)
	require.Contains(t, d.probe.shutdowns[0].ErrorMessage, "mlock")
	require.Equal(t, uint64(1), d.agent.Metrics().ProvisionFailures.Load())
}

// Back pressure never blocks the driver: answers it cannot publish wait in
// order and go out once the stream moves again.
func TestAgent_BackPressuredAnswersAreRetriedInOrder(t *testing.T) {
	d := startTestDriver(t, "")
	// A subscriber that never polls holds every log of the control stream
	// back once a window (half the 64 KiB term) of it is unread.
	lagging := added(t, d.client.AddSubscription(d.cfg.Driver.ControlChannel, int32(d.cfg.Driver.ControlStreamID)))
	// Requests travel in their own (exclusive) log: at 64 bytes a frame they
	// fill it three times slower than the 192-byte answers fill the driver's.
	requests := added(t, d.client.AddExclusivePublication(d.cfg.Driver.ControlChannel, int32(d.cfg.Driver.ControlStreamID)))
	d.waitFor("connected", func() bool { return lagging.IsConnected() && requests.IsConnected() })

	sent := 0
	d.waitFor("driver back-pressured", func() bool {
		req := consumerRequest(int64(1+sent), 4242, uint32(100+sent))
		if requests.Offer(encoded(d.probe.buf, &req)) > 0 {
			sent++
		}
		return d.agent.Metrics().PublishRetries.Load() > 0
	})
	// More requests while stuck: their answers queue behind the first.
	for range 20 {
		req := consumerRequest(int64(1+sent), 4242, uint32(100+sent))
		if requests.Offer(encoded(d.probe.buf, &req)) > 0 {
			sent++
		}
		d.run(5 * time.Millisecond)
	}
	require.Less(t, len(d.probe.attaches), sent, "answers are waiting")

	require.NoError(t, lagging.Close())
	d.waitFor("every request answered", func() bool { return len(d.probe.attaches) == sent })
	require.Zero(t, d.agent.Metrics().PublishDrops.Load())
	// Answers went out in request order.
	var got []int64
	for corr := range int64(sent) {
		got = append(got, d.probe.attaches[corr+1].CorrelationID)
	}
	require.Equal(t, d.probe.attachOrder, got)
}

// ShmPoolAnnounce goes to driver.announce_stream_id when it differs from
// the control stream; everything else stays on the control stream (§4.5).
func TestAgent_AnnouncesOnTheAnnounceStream(t *testing.T) {
	stream := nextControlStream.Add(2)
	cfg := agentConfig(t, t.TempDir(), stream, "")
	cfg.Driver.AnnounceStreamID = uint32(stream + 1)
	d := startTestDriverWith(t, cfg)
	announces := newProbe(t, d.client, cfg.Driver.AnnounceChannel, stream+1)

	r := d.attach(producerRequest(1, 10000, 1))
	require.Equal(t, wire.CodeOK, r.Code)
	d.waitFor("announce on the announce stream", func() bool {
		announces.poll()
		return len(announces.announces) > 0
	})
	require.Equal(t, r.Epoch, announces.announces[0].Epoch)
	require.Empty(t, d.probe.announces, "none on the control stream")
}

// Driver spec §3 and Wire spec §15.1: while no producer holds a stream, the driver
// keeps its regions' activity timestamp fresh, so a consumer that attaches before the
// producer maps live regions.
func TestDriverSpec_3_DriverRefreshesActivityWithoutProducer(t *testing.T) {
	cfg := agentConfig(t, t.TempDir(), nextControlStream.Add(2), "")
	cfg.Policies.AnnouncePeriodMs = 50
	d := startTestDriverWith(t, cfg)
	r := d.attach(consumerRequest(1, 10000, 7))
	require.Equal(t, wire.CodeOK, r.Code)
	path, err := shm.ParseURI(r.HeaderRegionURI)
	require.NoError(t, err)
	activity := func() uint64 {
		b, err := os.ReadFile(path.Path)
		require.NoError(t, err)
		sb, err := shm.DecodeSuperblock(b)
		require.NoError(t, err)
		return sb.ActivityTimestampNs
	}
	first := activity()
	d.waitFor("a fresher activity timestamp", func() bool { return activity() > first })
}

// A keepalive naming a lease of an earlier driver run (another instance
// nonce) is answered with ShmLeaseRevoked for exactly that lease; a flood
// of them gets one notice per client per keepalive interval.
func TestAgent_KeepaliveForAnotherRunsLeaseIsRevoked(t *testing.T) {
	d := startTestDriver(t, "")
	stale := wire.ShmLeaseKeepalive{LeaseID: uint64(d.agent.instance+1)<<32 | 1, StreamID: 10000, ClientID: 77, Role: wire.RoleConsumer}
	for range 50 {
		d.probe.sendKeepalive(stale)
	}
	rev := d.awaitRevoked(stale.LeaseID)
	require.Equal(t, wire.ShmLeaseRevoked{TimestampNs: rev.TimestampNs, LeaseID: stale.LeaseID, StreamID: 10000, ClientID: 77,
		Role: wire.RoleConsumer, Reason: wire.RevokeRevoked, ErrorMessage: UnknownLeaseMessage}, rev)
	d.waitFor("every keepalive handled", func() bool { return d.agent.Metrics().KeepalivesIgnored() == 50 })
	d.run(20 * time.Millisecond)
	require.Len(t, d.probe.revoked, 1, "one notice for the flood (the interval is 100 ms)")
}

// docs/trust.md: the driver answers from an exclusive publication, a session
// of its own that clients can pin, never the session a client's concurrent
// publication on the control stream shares.
func TestAgent_RespondsFromItsOwnSession(t *testing.T) {
	d := startTestDriver(t, "")
	client := added(t, d.client.AddPublication(d.cfg.Driver.ControlChannel, int32(d.cfg.Driver.ControlStreamID)))
	require.Equal(t, d.probe.pub.SessionID(), client.SessionID(), "concurrent publications of a stream share a session")
	prod := d.attach(producerRequest(1, 10000, 1))
	require.Equal(t, wire.CodeOK, prod.Code)
	d.awaitAnnounce(10000, 0)
	d.detach(wire.ShmDetachRequest{CorrelationID: 2, LeaseID: prod.LeaseID, StreamID: 10000, ClientID: 1, Role: wire.RoleProducer})
	d.awaitRevoked(prod.LeaseID)
	require.Len(t, d.probe.sessions, 1, "every driver message from one session: %v", d.probe.sessions)
	require.NotContains(t, d.probe.sessions, client.SessionID())
}

// Issue 14, counters: the driver's metrics are Aeron counters (type ids
// 1000-1029, labelled, keyed by the run's nonce) that AeronStat lists: read
// back here from the CnC file, as another process would.
func TestAgent_MetricsAreAeronCounters(t *testing.T) {
	d := startTestDriverOn(t, agentConfig(t, t.TempDir(), nextControlStream.Add(2), ""), connectAeron(t))
	requireGrant(t, d, d.attach(consumerRequest(1, 10000, 1)), 10000)
	requireRejection(t, d.attach(consumerRequest(2, 4242, 2)), wire.CodeRejected, "not provisioned")
	d.probe.sendBytes([]byte{1, 2, 3})
	d.waitFor("the garbage dropped", func() bool { return d.agent.Metrics().DroppedForeign.Load() == 1 })

	file, err := cnc.Open(drivertest.Dir(t), 5*time.Second)
	require.NoError(t, err)
	defer file.Close()
	reader, err := counters.NewReader(file.CountersMetadata, file.CountersValues)
	require.NoError(t, err)
	got := map[int32]counters.Counter{}
	reader.ForEach(func(c counters.Counter) bool {
		if c.TypeID >= 1000 && c.TypeID < 1100 && binary.LittleEndian.Uint32(c.Key) == d.agent.instance {
			got[c.TypeID] = c
		}
		return true
	})
	require.Len(t, got, len(MetricInfos()), "one counter per metric")
	want := map[int32]int64{}
	d.agent.Metrics().Each(func(info MetricInfo, v uint64) { want[info.TypeID] = int64(v) })
	for _, info := range MetricInfos() {
		c := got[info.TypeID]
		require.Equal(t, want[info.TypeID], c.Value, info.Name)
		require.Equal(t, info.CounterLabel("itest", d.agent.instance), c.Label)
	}
	require.Equal(t, int64(1), got[1000].Value, "attaches outcome=ok")
	require.Equal(t, int64(1), got[1001].Value, "attaches outcome=rejected")
	require.Equal(t, int64(1), got[1013].Value, "leases active")
	require.Equal(t, int64(1), got[1024].Value, "dropped reason=foreign_schema")
	require.Equal(t, "tp_driver_attaches_total outcome=ok: instance=itest lease_id_prefix="+fmt.Sprintf("%08x", d.agent.instance), got[1000].Label)
}

// Issue 13, drop counts: drops and ignored keepalives are logged at WARN,
// at most once per interval, as what they gained since.
func TestAgent_DropsAreLoggedRateLimited(t *testing.T) {
	logs := &lockedBuffer{}
	cfg := agentConfig(t, t.TempDir(), nextControlStream.Add(2), "")
	client := connect(t)
	a, err := NewAgent(context.Background(), cfg, client, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	require.NoError(t, err)
	a.dropLogEvery = 200 * time.Millisecond
	d := &testDriver{t: t, cfg: cfg, client: client, agent: a, invoker: agent.NewInvoker(a, nil, nil)}
	t.Cleanup(d.invoker.Close)
	d.probe = newProbe(t, client, cfg.Driver.ControlChannel, int32(cfg.Driver.ControlStreamID))
	for range 30 {
		d.probe.sendBytes([]byte{1, 2, 3})
		d.probe.sendKeepalive(wire.ShmLeaseKeepalive{LeaseID: uint64(a.instance)<<32 | 77, StreamID: 10000, ClientID: 5, Role: wire.RoleConsumer})
	}
	d.waitFor("every message counted", func() bool {
		return a.Metrics().DroppedForeign.Load() == 30 && a.Metrics().KeepaliveUnknownLease.Load() == 30
	})
	d.run(250 * time.Millisecond) // one interval: what is left is logged
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.LessOrEqual(t, len(lines), 2, "the burst took at most two intervals: %v", lines)
	sum := func(key string) int {
		total := 0
		for _, l := range lines {
			require.Contains(t, l, "level=WARN")
			require.Contains(t, l, "dropped or ignored")
			var n int
			if _, rest, ok := strings.Cut(l, key+"="); ok {
				fmt.Sscanf(rest, "%d", &n)
			}
			total += n
		}
		return total
	}
	require.Equal(t, 30, sum("foreign_schema"))
	require.Equal(t, 30, sum("keepalive_unknown_lease"))
	d.run(300 * time.Millisecond)
	require.Len(t, strings.Split(strings.TrimSpace(logs.String()), "\n"), len(lines), "nothing new, nothing logged")
}

// lockedBuffer collects log output written from the agent's goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Driver spec §4.4 after a stall of the driver itself (a loaded machine, SIGSTOP): a lease
// whose keepalives wait in the control log, behind more messages than one duty cycle reads,
// is not expired by the first lease check after the stall, and the stall is counted.
func TestDriverSpec_4_4_KeepalivesWaitingInTheLogOutliveADriverStall(t *testing.T) {
	d := startShortLeaseDriver(t, connect(t))
	cons := d.attach(consumerRequest(2, 10000, 2))
	require.Equal(t, wire.CodeOK, cons.Code)
	keepalive := wire.ShmLeaseKeepalive{LeaseID: cons.LeaseID, StreamID: 10000, ClientID: 2, Role: wire.RoleConsumer}
	d.probe.sendKeepalive(keepalive)
	d.run(50 * time.Millisecond)

	// The driver stalls past the lease's expiry while the client keeps sending, and
	// other traffic fills the log ahead of its last keepalive.
	stall := d.cfg.Policies.LeaseExpiry() + 500*time.Millisecond
	for end := time.Now().Add(stall); time.Now().Before(end); time.Sleep(d.cfg.Policies.KeepaliveInterval()) {
		d.probe.sendKeepalive(keepalive)
	}
	for range 2 * fragmentLimit {
		d.probe.sendBytes([]byte{1, 2, 3})
	}
	d.probe.sendKeepalive(keepalive)
	d.invoker.Invoke()
	d.run(50 * time.Millisecond)
	for _, r := range d.probe.revoked {
		require.NotEqual(t, cons.LeaseID, r.LeaseID, "a lease whose keepalives waited in the log was expired: %+v", r)
	}
	require.Positive(t, d.agent.Metrics().Stalls.Load())
	require.Positive(t, d.agent.Metrics().Keepalives.Load(), "the waiting keepalives extended the lease")
}
