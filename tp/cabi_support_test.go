package tp

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// Wire spec §9: a claim in a named pool carries that pool's stride and is trimmed to
// the bytes written; the frame arrives with the full header and meta_version given.
func TestWireSpec_9_ClaimPoolCommitHeader(t *testing.T) {
	c := startClient(t, nil)
	var got []received
	var pools []uint16
	var metas []uint32
	p, cs := attachBoth(t, c, func(f *Frame) {
		recorder(&got)(f)
		pools, metas = append(pools, f.PoolID()), append(metas, f.MetaVersion())
	})
	sameEpoch(t, p, cs)
	if _, err := p.ClaimPool(99); !errors.Is(err, ErrNoSuchPool) {
		t.Fatalf("ClaimPool(99): %v, want ErrNoSuchPool", err)
	}
	eventually(t, "frame committed", cs, func() bool {
		claim, err := p.ClaimPool(2)
		if err != nil {
			t.Fatal(err)
		}
		if claim.Capacity() != 64<<10 || claim.PoolID() != 2 {
			t.Fatalf("capacity %d pool %d", claim.Capacity(), claim.PoolID())
		}
		if err := claim.SetLength(claim.Capacity() + 1); err == nil {
			t.Fatal("SetLength beyond the stride accepted")
		}
		if err := claim.SetLength(100); err != nil {
			t.Fatal(err)
		}
		copy(claim.Payload(), pattern(100, 3))
		claim.SetMetaVersion(7)
		h := TensorHeader{Dtype: shm.DtypeUint8, MajorOrder: shm.MajorOrderRow, Ndims: 2, Dims: [8]int32{10, 10}}
		err = claim.CommitHeader(&h)
		if err != nil && !errors.Is(err, ErrNoSubscriber) && !errors.Is(err, ErrBackPressured) {
			t.Fatal(err)
		}
		return err == nil
	})
	eventually(t, "frame received", cs, func() bool { return len(got) > 0 })
	if pools[0] != 2 || metas[0] != 7 || len(got[0].payload) != 100 || got[0].dims[1] != 10 {
		t.Fatalf("pool %d meta %d len %d dims %v", pools[0], metas[0], len(got[0].payload), got[0].dims)
	}
}

// Wire spec §9: CommitHeaderAndClaim publishes the claimed frame and opens the next one,
// further on in sequence, whatever the commit returned; the frames arrive intact. Once
// the claim is no longer open it refuses the commit (ErrClaimState) and still claims.
func TestWireSpec_9_CommitHeaderAndClaim(t *testing.T) {
	c := startClient(t, nil)
	var got []received
	p, cs := attachBoth(t, c, recorder(&got))
	sameEpoch(t, p, cs)
	h := TensorHeader{Dtype: shm.DtypeUint8, MajorOrder: shm.MajorOrderRow, Ndims: 1, Dims: [8]int32{16}}
	var claim *Claim
	eventually(t, "first claim", cs, func() bool {
		var err error
		claim, err = p.Claim(16)
		return err == nil
	})
	var sent [][]byte
	eventually(t, "frames committed", cs, func() bool {
		data := pattern(16, byte(len(sent)))
		copy(claim.Payload(), data)
		seq := claim.Seq()
		commitErr, next, err := claim.CommitHeaderAndClaim(&h, 16)
		if err != nil {
			t.Fatalf("next claim: %v", err)
		}
		if next.Seq() <= seq {
			t.Fatalf("next claim seq %d after %d", next.Seq(), seq)
		}
		switch {
		case commitErr == nil:
			sent = append(sent, data)
		case !errors.Is(commitErr, ErrNoSubscriber) && !errors.Is(commitErr, ErrBackPressured):
			t.Fatalf("commit: %v", commitErr)
		}
		claim = next
		return len(sent) == 3
	})
	if err := claim.Abort(); err != nil {
		t.Fatal(err)
	}
	commitErr, next, err := claim.CommitHeaderAndClaim(&h, 16)
	if !errors.Is(commitErr, ErrClaimState) || err != nil || next == nil {
		t.Fatalf("after Abort: commit %v, next %v, %v; want ErrClaimState and a claim", commitErr, next, err)
	}
	if err := next.Abort(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "frames received", cs, func() bool { return len(got) >= len(sent) })
	for i, r := range got[len(got)-len(sent):] {
		if !bytes.Equal(r.payload, sent[i]) || r.dims[0] != 16 {
			t.Fatalf("frame %d: payload %x dims %v, want %x", i, r.payload, r.dims, sent[i])
		}
	}
}

// Wire spec §10.3: metadata set through the producer bumps meta_version.
func TestWireSpec_10_3_ProducerMetadata(t *testing.T) {
	c := startClient(t, nil)
	p, cs := attachBoth(t, c, func(*Frame) {})
	sameEpoch(t, p, cs)
	if err := p.SetDataSource("cam0", "uint8[10,10]"); err != nil {
		t.Fatal(err)
	}
	v1, _ := p.MetaVersion()
	if err := p.ReplaceAttributes([]Attribute{{Key: "k", Format: "text/plain", Value: []byte("v")}}); err != nil {
		t.Fatal(err)
	}
	if found, err := p.DeleteAttribute("missing"); err != nil || found {
		t.Fatalf("DeleteAttribute(missing) = %v, %v", found, err)
	}
	v2, _ := p.MetaVersion()
	if v2 != v1+1 {
		t.Fatalf("meta_version %d after replace, want %d", v2, v1+1)
	}
	if err := p.SendDataSourceAnnounce(v2, "cam0", ""); !errors.Is(err, ErrNoMetadataStream) {
		t.Fatalf("send without a metadata channel: %v", err)
	}
	if err := p.SendQos(1, 0); !errors.Is(err, ErrNoQosStream) {
		t.Fatalf("QoS without a channel: %v", err)
	}
}

// Driver spec §4.6: Detach ends a lease by reference; the holder sees it go.
func TestDriverSpec_4_6_DetachByReference(t *testing.T) {
	c := startClient(t, nil)
	p, cs := attachBoth(t, c, func(*Frame) {})
	sameEpoch(t, p, cs)
	if p.ID() == 0 || p.StreamID() != testStream || !p.Attached() || cs.ID() == 0 || !cs.Attached() {
		t.Fatalf("ids %d %d attached %v %v", p.ID(), cs.ID(), p.Attached(), cs.Attached())
	}
	lease := cs.LeaseID()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ref := LeaseRef{LeaseID: lease, StreamID: testStream, ClientID: cs.ID(), Role: wire.RoleConsumer}
	if err := c.Keepalive(ref); err != nil {
		t.Fatalf("Keepalive: %v", err)
	}
	if err := c.Detach(ctx, ref); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	eventually(t, "the consumer losing its lease", cs, func() bool { return cs.LeaseID() != lease })
}

// FrameValid holds for the frame just handled and fails once its slot is rewritten.
func TestFrameValidTracksTheLastFrame(t *testing.T) {
	c := startClient(t, nil)
	var seqs []uint64
	var slots []uint32
	p, cs := attachBoth(t, c, func(f *Frame) { seqs, slots = append(seqs, f.Seq()), append(slots, f.HeaderIndex()) })
	sameEpoch(t, p, cs)
	offer(t, p, cs, Tensor{Shape: Shape{DType: Uint8, Dims: []int32{16}}, Data: pattern(16, 1)})
	eventually(t, "frame received", cs, func() bool { return len(seqs) == 1 })
	if !cs.FrameValid(seqs[0], slots[0]) || cs.FrameValid(seqs[0]+1, slots[0]) {
		t.Fatal("FrameValid of the last frame")
	}
	for range 16 { // the ring has 16 slots: this rewrites the first one
		offer(t, p, nil, Tensor{Shape: Shape{DType: Uint8, Dims: []int32{16}}, Data: pattern(16, 2)})
	}
	if cs.FrameValid(seqs[0], slots[0]) {
		t.Fatal("FrameValid after the slot was rewritten")
	}
}

// LeaseID takes no lock, so the handler may call it from inside Poll; Status is Attached
// and Err at once.
func TestConsumerHandlerReadsLeaseID(t *testing.T) {
	c := startClient(t, nil)
	var cs *Consumer
	var inside []uint64
	p, got := attachBoth(t, c, func(*Frame) { inside = append(inside, cs.LeaseID()) })
	cs = got
	sameEpoch(t, p, cs)
	if attached, err := cs.Status(); !attached || err != nil {
		t.Fatalf("Status() = %v, %v while attached", attached, err)
	}
	lease := cs.LeaseID()
	if lease == 0 {
		t.Fatal("no lease id while attached")
	}
	offer(t, p, cs, Tensor{Shape: Shape{DType: Uint8, Dims: []int32{16}}, Data: pattern(16, 1)})
	eventually(t, "frame received", cs, func() bool { return len(inside) > 0 })
	if inside[0] != lease {
		t.Fatalf("LeaseID() in the handler %d, outside %d", inside[0], lease)
	}
	cs.Close()
	if attached, err := cs.Status(); attached || err != nil {
		t.Fatalf("Status() = %v, %v after Close", attached, err)
	}
}
