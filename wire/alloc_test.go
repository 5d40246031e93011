//go:build !race

package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// TestHotPathV1_2MessagesAllocateNothing: the v1.2 FrameDescriptor and FrameProgress encode
// and decode, the descriptor stamp in both layouts, and their refused encodes allocate nothing.
func TestHotPathV1_2MessagesAllocateNothing(t *testing.T) {
	fd := &FrameDescriptor{Version: V1_2, StreamID: 1, Epoch: 2, Seq: 3, TimestampNs: NullU64, MetaVersion: 4, TraceID: 5}
	fp := &FrameProgress{Version: V1_2, StreamID: 1, Epoch: 2, FrameID: 3, PayloadBytesFilled: 4, State: ProgressStateComplete}
	buf := make([]byte, FrameDescriptorMaxLength)
	for _, pair := range [][2]typedMessage{{fd, new(FrameDescriptor)}, {fp, new(FrameProgress)}} {
		m, got := pair[0], pair[1]
		if allocs := testing.AllocsPerRun(1000, func() {
			if _, err := m.Encode(buf); err != nil {
				t.Fatal(err)
			}
			if err := got.Decode(buf); err != nil {
				t.Fatal(err)
			}
		}); allocs != 0 {
			t.Errorf("%T: %v allocations per v1.2 encode+decode", m, allocs)
		}
		if allocs := testing.AllocsPerRun(1000, func() {
			if _, err := m.Encode(buf[:m.EncodedLength()-1]); err == nil {
				t.Fatal("short buffer accepted")
			}
		}); allocs != 0 {
			t.Errorf("%T: %v allocations per refused encode", m, allocs)
		}
	}
	for _, v := range []Version{V1_1, V1_2, 9} {
		fd.Version = v
		if allocs := testing.AllocsPerRun(1000, func() {
			if _, err := fd.Encode(buf); (err == nil) != v.Valid() {
				t.Fatal(err)
			}
			StampFrameDescriptor(buf, 77)
		}); allocs != 0 {
			t.Errorf("version %v: %v allocations per encode+stamp", v, allocs)
		}
	}
	var kept EncodedFrameDescriptor
	for _, v := range []Version{V1_1, V1_2} {
		fd.Version = v
		if err := kept.Init(fd); err != nil {
			t.Fatal(err)
		}
		if allocs := testing.AllocsPerRun(1000, func() {
			_ = kept.SetFrame(1, 2, 3, 4)
			kept.Stamp(77)
		}); allocs != 0 {
			t.Errorf("version %v: %v allocations per kept descriptor's frame", v, allocs)
		}
	}
}

// A bridge sends and receives chunks on its data path: neither allocates.
func TestBridgeFrameChunkAllocatesNothing(t *testing.T) {
	c := BridgeFrameChunk{StreamID: 1, ChunkCount: 1, HeaderIncluded: true, HeaderBytes: []byte("hdr"), PayloadBytes: make([]byte, 1024)}
	buf := make([]byte, c.EncodedLength())
	var got BridgeFrameChunk
	if allocs := testing.AllocsPerRun(1000, func() {
		c.Seq++
		if _, err := c.Encode(buf); err != nil {
			t.Fatal(err)
		}
		if err := got.Decode(buf); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Fatalf("%v allocations per chunk encode+decode", allocs)
	}
}

// TestHotPathMessagesAllocateNothing: the messages a producer or consumer sends per frame
// or per period encode, and decode, without allocating; so does the driver's announce.
func TestHotPathMessagesAllocateNothing(t *testing.T) {
	msgs := controlMessages()
	for _, name := range []string{"descriptor", "progress", "qos_consumer", "qos_producer"} {
		m := msgs[name]
		buf := make([]byte, m.EncodedLength())
		got := newTyped["control."+map[string]string{"descriptor": "FrameDescriptor", "progress": "FrameProgress",
			"qos_consumer": "QosConsumer", "qos_producer": "QosProducer"}[name]]()
		if allocs := testing.AllocsPerRun(1000, func() {
			if _, err := m.Encode(buf); err != nil {
				t.Fatal(err)
			}
			if err := got.Decode(buf); err != nil {
				t.Fatal(err)
			}
		}); allocs != 0 {
			t.Errorf("%s: %v allocations per encode+decode", name, allocs)
		}
	}
	announce := msgs["announce_pools"].(*ShmPoolAnnounce)
	buf := make([]byte, announce.EncodedLength())
	if allocs := testing.AllocsPerRun(1000, func() {
		announce.AnnounceTimestampNs++
		if _, err := announce.Encode(buf); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("ShmPoolAnnounce: %v allocations per encode", allocs)
	}
	d := msgs["descriptor"].(*FrameDescriptor)
	if allocs := testing.AllocsPerRun(1000, func() {
		if _, err := d.Encode(buf[:FrameDescriptorLength-1]); err == nil {
			t.Fatal("short buffer accepted")
		}
	}); allocs != 0 {
		t.Errorf("FrameDescriptor: %v allocations per refused encode", allocs)
	}
}

// The lease keepalive goes from every client to the driver every interval: neither side
// allocates for it.
func TestCodec_KeepaliveAllocatesNothing(t *testing.T) {
	k := ShmLeaseKeepalive{LeaseID: 3, StreamID: 10000, ClientID: 7, Role: RoleProducer, ClientTimestampNs: 99}
	buf := make([]byte, k.EncodedLength())
	var got ShmLeaseKeepalive
	if allocs := testing.AllocsPerRun(1000, func() {
		if _, err := k.Encode(buf); err != nil {
			t.Fatal(err)
		}
		if err := got.Decode(buf); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Fatalf("%v allocations per keepalive encode+decode", allocs)
	}
	require.Equal(t, k, got)
}

// TestGateAllocatesNothing: the consumer's descriptor gate is on the hot path.
func TestGateAllocatesNothing(t *testing.T) {
	g := mustGate(t, control.FrameDescriptorSbeSchemaID, control.FrameDescriptorSbeTemplateID)
	buf := sample(t, "control", "FrameDescriptor", 0)
	h, err := PeekHeader(buf)
	if err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(1000, func() {
		if !g.Is(h) {
			t.Fatal("not a FrameDescriptor")
		}
		if n, err := g.Validate(buf, h); err != nil || n != len(buf) {
			t.Fatalf("Gate.Validate = %d, %v", n, err)
		}
	}); allocs != 0 {
		t.Fatalf("%v allocations per Is+Validate, want 0", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() {
		if _, ok := GateFor(control.FrameDescriptorSbeSchemaID, control.FrameDescriptorSbeTemplateID); !ok {
			t.Fatal("no gate")
		}
	}); allocs != 0 {
		t.Fatalf("%v allocations per GateFor, want 0", allocs)
	}
}

func TestValidateDoesNotAllocate(t *testing.T) {
	for _, name := range []string{"FrameDescriptor", "ShmPoolAnnounce"} {
		buf := sample(t, "control", name, 2)
		if allocs := testing.AllocsPerRun(100, func() {
			if _, err := ValidateSchema(buf, ControlSchemaID); err != nil {
				t.Fatal(err)
			}
		}); allocs != 0 {
			t.Errorf("%s: %v allocations per validation, want 0", name, allocs)
		}
	}
}

func TestDiscoveryRequestViewDecodeAllocatesNothing(t *testing.T) {
	buf := encode(t, &DiscoveryRequest{RequestID: 1, ResponseStreamID: 2, Tags: []string{"a", "b", "c"},
		ResponseChannel: "aeron:ipc", DataSourceName: "cam"})
	var v DiscoveryRequestView
	if allocs := testing.AllocsPerRun(1000, func() {
		if err := v.Decode(buf); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Fatalf("%v allocations per view decode", allocs)
	}
}

// Encoding a response with results and tags allocates nothing, so a provider can answer
// without garbage.
func TestDiscoveryResponseEncodeAllocatesNothing(t *testing.T) {
	m := DiscoveryResponse{RequestID: 1, Results: []DiscoveryResult{{StreamID: 1, Tags: []string{"a", "b"},
		PayloadPools: []PayloadPool{{PoolID: 1, RegionURI: "shm:file?path=/x"}}, DriverControlChannel: "aeron:ipc"}}}
	buf := make([]byte, m.EncodedLength())
	if allocs := testing.AllocsPerRun(1000, func() {
		if _, err := m.Encode(buf); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Fatalf("%v allocations per response encode", allocs)
	}
}
