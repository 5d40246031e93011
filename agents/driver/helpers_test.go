package driver

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

// Stream ids of the test configuration.
const (
	camStream     = 10000 // static, profile "cam"
	dynFirst      = 20000 // driver.stream_id_range 20000-20002
	dynLast       = 20002
	descFirst     = 31000 // descriptor range 31000-31001
	ctrlFirst     = 32000 // control range 32000-32001
	second        = uint64(1_000_000_000)
	leaseLifetime = 3 * second // 1000 ms × 3
)

const baseConfig = `
[driver]
stream_id_range = "20000-20002"
descriptor_stream_id_range = "31000-31001"
control_stream_id_range = "32000-32001"
[policies]
allow_dynamic_streams = true
shutdown_token = "let-me-stop"
shutdown_timeout_ms = 2000
[profiles.cam]
header_nslots = 64
payload_pools = [{ pool_id = 1, stride_bytes = 65536 }, { pool_id = 2, stride_bytes = 1048576 }]
[streams.cam]
stream_id = 10000
profile = "cam"
`

// testInstance is the instance nonce of the tests' cores: lease ids are
// testInstance<<32 | n.
const testInstance uint32 = 0x7e57_0001

// leaseID is the id of the n-th lease a test core issues.
func leaseID(n uint32) uint64 { return uint64(testInstance)<<32 | uint64(n) }

// keepalive applies k and returns the result alone, for tests of leases
// the core knows (which produce no actions).
func keepalive(c *Core, k wire.ShmLeaseKeepalive, nowNs uint64) KeepaliveResult {
	r, _ := c.Keepalive(k, nowNs)
	return r
}

func loadConfig(t *testing.T, extra string) *config.DriverConfig {
	t.Helper()
	cfg, err := config.ParseDriverConfig(strings.NewReader(baseConfig + extra))
	require.NoError(t, err)
	return cfg
}

func newTestCore(t *testing.T) *Core {
	t.Helper()
	return NewCore(loadConfig(t, ""), testInstance)
}

func request(stream, client uint32, role wire.Role) wire.ShmAttachRequest {
	return wire.ShmAttachRequest{
		CorrelationID: int64(client)*100 + 7,
		StreamID:      stream,
		ClientID:      client,
		Role:          role,
		PublishMode:   wire.PublishModeNull,
	}
}

// withCreate asks for the stream to be created if needed (EXISTING_OR_CREATE).
func withCreate(r wire.ShmAttachRequest) wire.ShmAttachRequest {
	r.PublishMode = wire.PublishModeExistingOrCreate
	return r
}

// attach applies req and, when it waits for an epoch, completes that
// provisioning at now; it fails the test unless req is granted.
func attach(t *testing.T, c *Core, req wire.ShmAttachRequest, now uint64) wire.ShmAttachResponse {
	t.Helper()
	resp, ok := response(attachAll(c, req, now), req.CorrelationID)
	require.True(t, ok, "no answer to attach %d", req.CorrelationID)
	require.Equal(t, wire.CodeOK, resp.Code, "attach rejected: %s", resp.ErrorMessage)
	return resp
}

// attachAll applies req, completes every provisioning it starts at now
// and returns every action, in order.
func attachAll(c *Core, req wire.ShmAttachRequest, now uint64) []Action {
	actions := cloneActions(c.Attach(req, now))
	return append(actions, provisionAll(c, actions, now)...)
}

// provisionAll completes the provisionings actions start, successfully at
// now, and returns what that does.
func provisionAll(c *Core, actions []Action, now uint64) []Action {
	var out []Action
	for _, a := range actions {
		if a.Kind == ActionProvisionEpoch {
			out = append(out, cloneActions(c.Provisioned(a.StreamID, a.Epoch, "", now))...)
		}
	}
	return out
}

// response finds the attach response to correlationID among actions.
func response(actions []Action, correlationID int64) (wire.ShmAttachResponse, bool) {
	for _, a := range actions {
		if a.Kind == ActionSendAttachResponse && a.Response.CorrelationID == correlationID {
			return a.Response, true
		}
	}
	return wire.ShmAttachResponse{}, false
}

func kinds(actions []Action) []ActionKind {
	out := make([]ActionKind, len(actions))
	for i, a := range actions {
		out[i] = a.Kind
	}
	return out
}

// cloneActions copies a result the core will reuse.
func cloneActions(a []Action) []Action { return slices.Clone(a) }

func keepaliveFor(r wire.ShmAttachResponse, client uint32, role wire.Role) wire.ShmLeaseKeepalive {
	return wire.ShmLeaseKeepalive{LeaseID: r.LeaseID, StreamID: r.StreamID, ClientID: client, Role: role}
}

// encoded returns m's encoding in buf.
func encoded(buf []byte, m message) []byte {
	n, err := m.Encode(buf)
	if err != nil {
		panic(err)
	}
	return buf[:n]
}
