package driver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/internal/tmpfstest"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// TestRegionsLost: files lost under a ready epoch end its producer lease
// (which bumps the epoch), or provision a new epoch for its consumers, or
// leave a stream without leases to provision on its next attach.
func TestRegionsLost(t *testing.T) {
	t.Run("producer lease is revoked and the epoch bumped", func(t *testing.T) {
		c := newTestCore(t)
		prod := attach(t, c, request(camStream, 1, wire.RoleProducer), second)
		actions := cloneActions(c.RegionsLost(camStream, prod.Epoch, "header.ring was deleted", 2*second))
		require.Equal(t, []ActionKind{ActionSendLeaseRevoked, ActionProvisionEpoch}, kinds(actions))
		assert.Equal(t, prod.LeaseID, actions[0].Revoked.LeaseID)
		assert.Equal(t, wire.RevokeRevoked, actions[0].Revoked.Reason)
		assert.Contains(t, actions[0].Revoked.ErrorMessage, "header.ring was deleted")
		assert.Greater(t, actions[1].Epoch, prod.Epoch)
	})
	t.Run("consumers get a new epoch to follow", func(t *testing.T) {
		c := newTestCore(t)
		cons := attach(t, c, request(camStream, 1, wire.RoleConsumer), second)
		actions := cloneActions(c.RegionsLost(camStream, cons.Epoch, "truncated", 2*second))
		require.Equal(t, []ActionKind{ActionProvisionEpoch}, kinds(actions))
		_, live := c.Lease(cons.LeaseID)
		assert.True(t, live, "consumers follow the announce of the new epoch")
		assert.Equal(t, []ActionKind{ActionSendPoolAnnounce}, kinds(provisionAll(c, actions, 3*second)))
	})
	t.Run("a stream without leases provisions on its next attach", func(t *testing.T) {
		c := newTestCore(t)
		cons := attach(t, c, request(camStream, 1, wire.RoleConsumer), second)
		c.Detach(wire.ShmDetachRequest{LeaseID: cons.LeaseID, StreamID: camStream, ClientID: 1, Role: wire.RoleConsumer}, second)
		assert.Empty(t, c.RegionsLost(camStream, cons.Epoch, "deleted", 2*second))
		assert.Empty(t, c.AppendProvisionedStreams(nil), "no longer announced")
		next := attach(t, c, request(camStream, 2, wire.RoleConsumer), 3*second)
		assert.Greater(t, next.Epoch, cons.Epoch)
	})
	t.Run("another epoch changes nothing", func(t *testing.T) {
		c := newTestCore(t)
		cons := attach(t, c, request(camStream, 1, wire.RoleConsumer), second)
		assert.Empty(t, c.RegionsLost(camStream, cons.Epoch+1, "", 2*second))
		s, _ := c.Stream(camStream)
		assert.True(t, s.Ready)
	})
}

// Issue 13, deleted files: a region file deleted (or replaced) under the
// driver is never granted again; the attach gets a new epoch whose files
// exist.
func TestAgent_DeletedOrReplacedFilesAreNotGranted(t *testing.T) {
	for _, how := range []string{"deleted", "replaced"} {
		t.Run(how, func(t *testing.T) {
			d := startTestDriver(t, "")
			first := d.attach(consumerRequest(1, 10000, 1))
			requireGrant(t, d, first, 10000)
			u, err := shm.ParseURI(first.PayloadPools[1].RegionURI)
			require.NoError(t, err)
			if how == "deleted" {
				require.NoError(t, os.RemoveAll(filepath.Dir(u.Path)))
			} else {
				data, err := os.ReadFile(u.Path)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(u.Path+".new", data, 0o600))
				require.NoError(t, os.Rename(u.Path+".new", u.Path))
			}
			start := time.Now()
			second := d.attach(consumerRequest(2, 10000, 2))
			t.Logf("%s files: the next attach granted a new epoch in %v", how, time.Since(start))
			requireGrant(t, d, second, 10000)
			require.Greater(t, second.Epoch, first.Epoch)
			d.awaitAnnounce(10000, first.Epoch)
			require.Equal(t, uint64(1), d.agent.Metrics().RegionsLost.Load())
		})
	}
}

// Issue 13, SIGBUS: a header ring truncated while its stream has no
// producer used to kill the driver at the next activity refresh. The fault
// is caught; the stream moves to a new epoch its consumers can follow.
func TestAgent_TruncatedRegionWithoutProducerDoesNotKillTheDriver(t *testing.T) {
	d := startTestDriver(t, "")
	cons := d.attach(consumerRequest(1, 10000, 1))
	requireGrant(t, d, cons, 10000)
	u, err := shm.ParseURI(cons.HeaderRegionURI)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(u.Path, 0))
	truncated := time.Now()
	next := d.awaitAnnounce(10000, cons.Epoch)
	t.Logf("truncated header ring: the new epoch announced %v later (announce period %v)", time.Since(truncated), d.cfg.Policies.AnnouncePeriod())
	require.Equal(t, uint64(1), d.agent.Metrics().RegionsLost.Load())
	policy, err := shm.NewPathPolicy(d.cfg.Shm.BaseDir)
	require.NoError(t, err)
	m, err := shm.OpenURI(policy, next.HeaderRegionURI, shm.OpenOptions{Expect: shm.HeaderRingSuperblock(next.Epoch, 10000, 16)})
	require.NoError(t, err, "the new epoch's files are whole")
	m.Close()
	require.Equal(t, Running, d.agent.core.State())
}

// The truncation fault itself, under the duty cycle's activity refresh:
// caught by the fault guard, never a crash.
func TestProvision_RefreshActivityOfTruncatedFileIsAnError(t *testing.T) {
	cfg := provisionConfig(t, t.TempDir(), "")
	p := newProvisioner(t, cfg)
	r, err := provisionNow(p, 10000, 1, cfg.Profiles["small"], 1)
	require.NoError(t, err)
	require.NoError(t, p.RefreshActivity(10000, 2))
	require.NoError(t, p.Verify(10000))
	u, err := shm.ParseURI(r.HeaderURI)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(u.Path, 0))
	err = p.RefreshActivity(10000, 3)
	require.ErrorIs(t, err, ErrRegionsLost)
	require.ErrorIs(t, err, shm.ErrRegionFault)
	require.ErrorIs(t, p.Verify(10000), ErrRegionsLost)
}

// tmpfsConfig is the test driver configuration on a tmpfs of size, with
// epoch GC kept from freeing space on its own.
func tmpfsConfig(t *testing.T, size, policies string) *config.DriverConfig {
	t.Helper()
	base := tmpfstest.Mount(t, size)
	cfg := agentConfig(t, base, nextControlStream.Add(2), "epoch_gc_keep = 16\n"+policies)
	cfg.Policies.EpochGCMinAgeNs = 1 << 62
	// About 3 MiB an epoch: 16 header slots, pools of 16 × 64 KiB and 16 × 128 KiB.
	cfg.Profiles["cam"] = config.Profile{Name: "cam", HeaderNslots: 16, PayloadPools: []config.PayloadPool{
		{PoolID: 1, StrideBytes: 64 << 10}, {PoolID: 2, StrideBytes: 128 << 10},
	}}
	require.NoError(t, cfg.Validate())
	return cfg
}

// Issue 13, space: on a full tmpfs a provisioning fails with INTERNAL_ERROR
// naming the cause, never SIGBUS, whether the space check saw it coming or
// the filesystem ran out between the check and the prefault; and with
// sparse files (prefault_shm = false) the check counts what every epoch on
// disk may still grow by, so the driver never overcommits the filesystem.
func TestAgent_FullFilesystemIsAnInternalError(t *testing.T) {
	// An epoch is 64 + 16×256 + 2×64 + 16×(64+128) KiB ≈ 3 MiB.
	epochBytes := func(cfg *config.DriverConfig) uint64 { return cfg.Profiles["cam"].EpochBytes() }

	t.Run("prefaulted, the check sees it", func(t *testing.T) {
		cfg := tmpfsConfig(t, "8m", "prefault_shm = true")
		d := startTestDriverWith(t, cfg)
		requireProducersUntilFull(t, d, "not enough free space", 2)
	})
	t.Run("prefaulted, space gone after the check", func(t *testing.T) {
		cfg := tmpfsConfig(t, "8m", "prefault_shm = true")
		d := startTestDriverWith(t, cfg)
		d.agent.prov.freeBytes = func(string) (uint64, error) { return 1 << 40, nil }
		requireProducersUntilFull(t, d, "no space left on device", 2)
	})
	t.Run("sparse, epochs on disk still count", func(t *testing.T) {
		cfg := tmpfsConfig(t, "8m", "prefault_shm = false")
		d := startTestDriverWith(t, cfg)
		requireProducersUntilFull(t, d, "may still grow by", 2)
		require.Less(t, 2*epochBytes(cfg), uint64(8<<20))
		require.Greater(t, 3*epochBytes(cfg), uint64(8<<20), "a third would overcommit 8 MiB")
	})
}

// requireProducersUntilFull attaches producers, each creating a dynamic
// stream (a new epoch each, none collected), and requires that exactly fit
// epochs are granted and the next is refused INTERNAL_ERROR with message;
// the driver then still serves.
func requireProducersUntilFull(t *testing.T, d *testDriver, message string, fit int) {
	t.Helper()
	for i := range fit + 1 {
		client := uint32(10 + i)
		req := producerRequest(int64(client), uint32(20000+i), client)
		req.PublishMode = wire.PublishModeExistingOrCreate
		start := time.Now()
		r := d.attach(req)
		if i == fit {
			t.Logf("%s: refused INTERNAL_ERROR in %v", message, time.Since(start))
			requireRejection(t, r, wire.CodeInternalError, "failed to provision SHM")
			require.Contains(t, r.ErrorMessage, message)
			break
		}
		require.Equal(t, wire.CodeOK, r.Code, "epoch %d: %s", i+1, r.ErrorMessage)
	}
	require.Equal(t, Running, d.agent.core.State())
	require.Equal(t, uint64(1), d.agent.Metrics().ProvisionFailures.Load())
	refused := d.attach(consumerRequest(999, 4242, 999))
	require.True(t, strings.Contains(refused.ErrorMessage, "not provisioned"), "still serving: %s", refused.ErrorMessage)
}
