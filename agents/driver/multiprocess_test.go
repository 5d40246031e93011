package driver

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
	"github.com/tensorpool/tensorpool/wire"
)

// helperClientEnv holds "<aeron dir> <channel> <control stream> <client id>"
// for a test binary that acts as one producer process: it attaches to
// stream 10000, prints "ATTACHED <lease> <epoch>" and keepalives until it
// is killed.
const helperClientEnv = "TP_DRIVER_HELPER_CLIENT"

func runHelperClient() int {
	f := strings.Fields(os.Getenv(helperClientEnv))
	if len(f) != 4 {
		fmt.Println("ERROR bad", helperClientEnv)
		return 2
	}
	stream, _ := strconv.Atoi(f[2])
	clientID, _ := strconv.Atoi(f[3])
	c, err := backend.Connect(backend.Config{Dir: f[0], IdleStrategy: agent.NewBackoff()})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := transport.Await(ctx, c.AddPublication(f[1], int32(stream)))
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	sub, err := transport.Await(ctx, c.AddSubscription(f[1], int32(stream)))
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	buf := make([]byte, 256)
	req := wire.ShmAttachRequest{CorrelationID: 1, StreamID: 10000, ClientID: uint32(clientID), Role: wire.RoleProducer, PublishMode: wire.PublishModeNull}
	var resp *wire.ShmAttachResponse
	handler := func(msg []byte, _ *transport.Header) {
		var r wire.ShmAttachResponse
		if r.Decode(msg) == nil && r.CorrelationID == req.CorrelationID {
			resp = &r
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for resp == nil && time.Now().Before(deadline) {
		if pub.IsConnected() {
			pub.Offer(encoded(buf, &req))
		}
		wait := time.Now().Add(200 * time.Millisecond)
		for resp == nil && time.Now().Before(wait) {
			if sub.Poll(handler, 16) == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}
	if resp == nil || resp.Code != wire.CodeOK {
		fmt.Println("ERROR no grant", resp)
		return 1
	}
	fmt.Println("ATTACHED", resp.LeaseID, resp.Epoch)
	k := wire.ShmLeaseKeepalive{LeaseID: resp.LeaseID, StreamID: 10000, ClientID: uint32(clientID), Role: wire.RoleProducer}
	for {
		pub.Offer(encoded(buf, &k))
		sub.Poll(handler, 16)
		time.Sleep(30 * time.Millisecond)
	}
}

// startHelperClient starts a producer process and waits for its grant.
func startHelperClient(t *testing.T, d *testDriver, clientID uint32) (*exec.Cmd, uint64, uint64) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d %d", helperClientEnv,
		drivertest.Dir(t), d.cfg.Driver.ControlChannel, d.cfg.Driver.ControlStreamID, clientID))
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	var line string
	d.waitFor("helper client attached", func() bool {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("helper client exited before attaching")
			}
			line = l
			return true
		default:
			return false
		}
	})
	var lease, epoch uint64
	_, err = fmt.Sscanf(line, "ATTACHED %d %d", &lease, &epoch)
	require.NoError(t, err, line)
	return cmd, lease, epoch
}

// A producer process that dies (SIGKILL) or stops (SIGSTOP) past its lease
// loses it as EXPIRED; the stream moves to a new epoch, announced after the
// notice (Driver spec §4.4, §4.7a, §6, §7).
func TestAgent_MultiProcess_DeadOrStoppedProducerExpires(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGSTOP} {
		t.Run(sig.String(), func(t *testing.T) {
			d := startShortLeaseDriver(t, connectAeron(t))
			cmd, lease, epoch := startHelperClient(t, d, 501)
			// Alive and keepaliving for longer than a lease lifetime.
			d.run(500 * time.Millisecond)
			require.Empty(t, d.probe.revoked)

			require.NoError(t, cmd.Process.Signal(sig))
			rev := d.awaitRevoked(lease)
			require.Equal(t, wire.RevokeExpired, rev.Reason)
			ann := d.awaitAnnounce(10000, epoch)
			require.Zero(t, ann.ProducerID)
			requireRevokeBeforeAnnounce(t, d.probe.order)

			// The stream is free for the next producer, in a newer epoch still.
			r := d.attach(producerRequest(2, 10000, 502))
			require.Equal(t, wire.CodeOK, r.Code, r.ErrorMessage)
			require.Greater(t, r.Epoch, ann.Epoch-1)
		})
	}
}

// A stopped client process does not stop the driver serving everyone else:
// several terms of control traffic pass while it is stopped. (Its unread
// subscription can hold the shared log back only until the media driver
// times the stopped Aeron client out: aeron.client.liveness.timeout.)
func TestAgent_MultiProcess_StoppedClientDoesNotStopTheDriver(t *testing.T) {
	d := startShortLeaseDriver(t, connectAeron(t))
	cmd, lease, _ := startHelperClient(t, d, 601)
	require.NoError(t, cmd.Process.Signal(syscall.SIGSTOP))
	// Several terms (64 KiB) of traffic: refused attaches and their answers.
	const requests = 800
	sent := 0
	d.waitFor("every request sent", func() bool {
		req := consumerRequest(int64(10000+sent), 4242, uint32(700+sent))
		if d.probe.pub.Offer(encoded(d.probe.buf, &req)) > 0 {
			sent++
		}
		return sent == requests
	})
	// The helper's own attach response is in probe.attaches too: count this test's.
	answered := func() int {
		n := 0
		for corr := range d.probe.attaches {
			if corr >= 10000 {
				n++
			}
		}
		return n
	}
	d.waitFor("every request answered", func() bool { return answered() == requests })
	require.Equal(t, wire.RevokeExpired, d.awaitRevoked(lease).Reason)
}

// shmBaseDir is a fresh base directory on tmpfs (/dev/shm), removed at
// cleanup, for tests whose regions should not go to disk.
func shmBaseDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "tp-driver-test-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Provisioning runs off the duty cycle: while a 1 GiB prefaulted epoch is
// provisioned for one stream, a client process keepaliving a 300 ms lease
// keeps it, and an attach to another stream is answered first.
func TestAgent_MultiProcess_LargeProvisioningDoesNotStallLeases(t *testing.T) {
	base := shmBaseDir(t)
	cfg := agentConfig(t, base, nextControlStream.Add(2), "prefault_shm = true\ncleanup_shm_on_exit = true")
	cfg.Shm.AllowedBaseDirs = []string{base}
	cfg.Policies.LeaseExpiryGraceIntervals = 3
	cfg.Profiles["big"] = config.Profile{Name: "big", HeaderNslots: 256, PayloadPools: []config.PayloadPool{{PoolID: 1, StrideBytes: 4 << 20}}}
	cfg.Streams["big"] = config.Stream{Name: "big", StreamID: 10001, Profile: "big"}
	require.NoError(t, cfg.Validate())
	require.GreaterOrEqual(t, cfg.Profiles["big"].EpochBytes(), uint64(1<<30))
	d := startTestDriverOn(t, cfg, connectAeron(t))
	_, lease, _ := startHelperClient(t, d, 801)

	start := time.Now()
	d.probe.sendAttach(producerRequest(100, 10001, 802))
	d.probe.sendAttach(consumerRequest(101, 10000, 803))
	var small time.Duration
	d.waitFor("the small attach answered", func() bool {
		_, ok := d.probe.attaches[101]
		small = time.Since(start)
		return ok
	})
	var big wire.ShmAttachResponse
	d.waitFor("the 1 GiB attach answered", func() bool {
		r, ok := d.probe.attaches[100]
		big = r
		return ok
	})
	took := time.Since(start)
	require.Greater(t, big.LeaseExpiryTimestampNs, uint64(clock.Now()), "the big lease runs from its grant")
	require.Equal(t, wire.CodeOK, big.Code, big.ErrorMessage)
	require.Equal(t, []int64{101, 100}, d.probe.attachOrder[len(d.probe.attachOrder)-2:], "the small attach did not wait for the big one")
	d.run(400 * time.Millisecond)
	for _, r := range d.probe.revoked {
		require.NotEqual(t, lease, r.LeaseID, "the keepalive-only client lost its lease during provisioning")
	}
	t.Logf("1 GiB prefaulted epoch provisioned in %v; an attach to another stream answered after %v", took, small)
}
