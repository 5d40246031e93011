package producer

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"unsafe"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

func TestLayoutValidate(t *testing.T) {
	ok := testLayout()
	cases := []struct {
		name   string
		mutate func(*Layout)
		want   error
	}{
		{"valid", func(*Layout) {}, nil},
		{"nslots not a power of two", func(l *Layout) { l.Nslots = 6 }, shm.ErrNslots},
		{"nslots zero", func(l *Layout) { l.Nslots = 0 }, shm.ErrNslots},
		{"no pools", func(l *Layout) { l.Pools = nil }, ErrInvalidConfig},
		{"duplicate pool id", func(l *Layout) { l.Pools[1].PoolID = l.Pools[0].PoolID }, ErrInvalidConfig},
		{"stride not a power of two", func(l *Layout) { l.Pools[0].StrideBytes = 3 << 12 }, shm.ErrStrideNotPowerOfTwo},
		{"stride below a page", func(l *Layout) { l.Pools[0].StrideBytes = 1024 }, shm.ErrStridePageMultiple},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := ok
			l.Pools = append([]PoolSpec(nil), ok.Pools...)
			c.mutate(&l)
			err := l.Validate()
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Validate() = %v, want %v", err, c.want)
			}
		})
	}
}

func TestNewRegionsRejectsMismatchedSuperblock(t *testing.T) {
	l := testLayout()
	r := heapRegions(t, l)
	other := l
	other.Epoch++
	if _, err := NewRegions(other, r.header, r.pools); !errors.Is(err, shm.ErrSuperblockField) {
		t.Fatalf("NewRegions with another epoch: %v", err)
	}
}

func TestWireSpec_9_SmallestPoolThatFitsElseDrop(t *testing.T) {
	l := testLayout()
	l.Pools = append(l.Pools, PoolSpec{PoolID: 9, StrideBytes: 1 << 20})
	p, r, pipe := newTestProducer(t, l, Config{})
	cases := []struct {
		size int
		pool uint16
		want Result
	}{
		{0, 1, OK}, {1, 1, OK}, {4096, 1, OK}, {4097, 2, OK}, {64 << 10, 2, OK},
		{64<<10 + 1, 9, OK}, {1 << 20, 9, OK}, {1<<20 + 1, 0, DropNoPoolFits}, {-1, 0, DropInvalidSize},
	}
	for _, c := range cases {
		seq := p.Seq()
		var got Result
		if c.size < 0 {
			_, got = p.Claim(c.size)
		} else {
			got = p.Offer(make([]byte, c.size), vector(c.size))
		}
		if got != c.want {
			t.Fatalf("size %d: %v, want %v", c.size, got, c.want)
		}
		if c.want != OK {
			if p.Seq() != seq {
				t.Fatalf("size %d: a dropped frame advanced seq to %d", c.size, p.Seq())
			}
			continue
		}
		var h shm.SlotHeader
		var tensor shm.TensorHeader
		if d := slotOf(t, r, uint32(seq%uint64(l.Nslots))).TryRead(seq, &h, &tensor); d != shm.DropNone {
			t.Fatalf("size %d: slot read: %v", c.size, d)
		}
		if h.PoolID != c.pool || h.ValuesLenBytes != uint32(c.size) {
			t.Fatalf("size %d: pool %d len %d, want pool %d", c.size, h.PoolID, h.ValuesLenBytes, c.pool)
		}
		pipe.Drain()
	}
	cs := p.Counters()
	if cs.Results[DropNoPoolFits] != 1 || cs.Results[DropInvalidSize] != 1 || cs.Frames != 7 {
		t.Fatalf("counters %+v", cs)
	}
}

func TestWireSpec_8_3_ClaimInProgressThenCommitThenDescriptor(t *testing.T) {
	l := testLayout()
	clock := &fakeClock{now: 1000}
	p, r, pipe := newTestProducer(t, l, Config{Clock: clock.Now})
	p.ctl.SetMetaVersion(42)
	for range 3 { // move to seq 3 so index and seq differ from zero
		if res := p.Offer([]byte{1}, vector(1)); res != OK {
			t.Fatal(res)
		}
	}
	collect(pipe)

	c, res := p.Claim(100)
	if res != OK || c.Seq() != 3 || c.HeaderIndex() != 3 || len(c.Payload()) != 100 {
		t.Fatalf("claim: %v seq %d index %d len %d", res, c.Seq(), c.HeaderIndex(), len(c.Payload()))
	}
	slot := slotOf(t, r, 3)
	if w := slot.SeqCommit(); w != shm.InProgress(3) {
		t.Fatalf("after claim seq_commit = %#x, want in-progress %#x (§8.3 step 1)", w, shm.InProgress(3))
	}
	if msgs := collect(pipe); len(msgs) != 0 {
		t.Fatalf("descriptor before commit: %d messages (§10.2.1)", len(msgs))
	}
	for i := range c.Payload() {
		c.Payload()[i] = byte(i)
	}
	tensor := &shm.TensorHeader{Dtype: shm.DtypeInt16, MajorOrder: shm.MajorOrderRow, Ndims: 2, Dims: [8]int32{5, 10}}
	clock.now = 2000
	if res := p.Commit(c, tensor); res != OK {
		t.Fatal(res)
	}
	if w := slot.SeqCommit(); w != shm.Committed(3) {
		t.Fatalf("after commit seq_commit = %#x, want %#x", w, shm.Committed(3))
	}
	var h shm.SlotHeader
	var got shm.TensorHeader
	if d := slot.TryRead(3, &h, &got); d != shm.DropNone {
		t.Fatal(d)
	}
	want := shm.SlotHeader{SeqCommit: shm.Committed(3), ValuesLenBytes: 100, PayloadSlot: 3, PoolID: 1, TimestampNs: 2000, MetaVersion: 42}
	if h != want || got != *tensor {
		t.Fatalf("header %+v %+v, want %+v %+v", h, got, want, *tensor)
	}
	msgs := collect(pipe)
	if len(msgs) != 1 {
		t.Fatalf("%d descriptors, want 1", len(msgs))
	}
	d := decodeDescriptor(t, msgs[0])
	if d != (wire.FrameDescriptor{StreamID: 7, Epoch: 3, Seq: 3, HeaderIndex: 3, TimestampNs: 2000, MetaVersion: 42}) {
		t.Fatalf("descriptor %+v", d)
	}
	if p.Seq() != 4 {
		t.Fatalf("seq %d after commit", p.Seq())
	}
}

func TestWireSpec_8_2_EmptyPayloadStillCommitted(t *testing.T) {
	p, r, pipe := newTestProducer(t, testLayout(), Config{})
	if res := p.Offer(nil, vector(0)); res != OK {
		t.Fatal(res)
	}
	if w := slotOf(t, r, 0).SeqCommit(); w != shm.Committed(0) {
		t.Fatalf("seq_commit %#x", w)
	}
	if len(collect(pipe)) != 1 {
		t.Fatal("no descriptor for an empty frame")
	}
}

func TestDescriptorRefusedDropsFrameWithoutAdvancingSeq(t *testing.T) {
	for _, c := range []struct {
		code int64
		want Result
	}{
		{transport.NotConnected, DropNotConnected},
		{transport.BackPressured, DropBackPressured},
		{transport.AdminAction, DropAdminAction},
		{transport.Closed, DropPublicationClosed},
		{transport.MaxPositionExceeded, DropMaxPositionExceeded},
		{transport.PublicationError, DropPublicationError},
	} {
		t.Run(c.want.String(), func(t *testing.T) {
			p, r, _ := newTestProducer(t, testLayout(), Config{Descriptors: &refusing{code: c.code}})
			if res := p.Offer([]byte{1, 2}, vector(2)); res != c.want {
				t.Fatalf("Offer = %v, want %v", res, c.want)
			}
			// §10.2.1: the descriptor goes out only after the commit, so the slot is
			// committed, but no descriptor names it.
			if w := slotOf(t, r, 0).SeqCommit(); w != shm.Committed(0) {
				t.Fatalf("slot 0 seq_commit %#x, want committed", w)
			}
			if p.Seq() != 0 || p.Counters().Results[c.want] != 1 || p.Counters().Frames != 0 {
				t.Fatalf("seq %d counters %+v", p.Seq(), p.Counters())
			}
			// The slot is free again: the next claim reuses it without complaint.
			if _, res := p.Claim(1); res != OK {
				t.Fatal(res)
			}
		})
	}
}

// TestWireSpec_10_2_1_RefusedDescriptorRetryRewritesTheSlot: a frame whose descriptor was
// refused leaves its slot committed, named by no descriptor; the next frame reuses the
// sequence number and slot, and the one descriptor that goes out names the new content.
func TestWireSpec_10_2_1_RefusedDescriptorRetryRewritesTheSlot(t *testing.T) {
	pipe := newPipe(t)
	desc := &refusing{Publication: pipe, code: transport.BackPressured}
	p, r, _ := newTestProducer(t, testLayout(), Config{Descriptors: desc})
	if res := p.Offer([]byte{1, 2, 3}, vector(3)); res != DropBackPressured {
		t.Fatal(res)
	}
	desc.pass = 1 << 30
	if res := p.Offer([]byte{9, 8}, vector(2)); res != OK {
		t.Fatal(res)
	}
	msgs := collect(pipe)
	if len(msgs) != 1 {
		t.Fatalf("%d descriptors, want 1", len(msgs))
	}
	if d := decodeDescriptor(t, msgs[0]); d.Seq != 0 || d.HeaderIndex != 0 {
		t.Fatalf("descriptor %+v, want seq 0 in slot 0", d)
	}
	slot := slotOf(t, r, 0)
	if slot.SeqCommit() != shm.Committed(0) || slot.ValuesLenBytes() != 2 {
		t.Fatalf("slot seq_commit %#x values_len %d", slot.SeqCommit(), slot.ValuesLenBytes())
	}
	if p.Seq() != 1 || p.Counters().Frames != 1 {
		t.Fatalf("seq %d counters %+v", p.Seq(), p.Counters())
	}
}

// adminThenPipe answers the first admins attempts with an admin action, then lets
// messages through to the publication it wraps.
type adminThenPipe struct {
	transport.Publication
	admins int
}

func (a *adminThenPipe) TryClaim(n int, c *transport.Claim) int64 {
	if a.admins > 0 {
		a.admins--
		return transport.AdminAction
	}
	return a.Publication.TryClaim(n, c)
}

func (a *adminThenPipe) Offer(msg []byte) int64 {
	if a.admins > 0 {
		a.admins--
		return transport.AdminAction
	}
	return a.Publication.Offer(msg)
}

// An admin action (a term rotation) is retried at once, up to maxAdminRetries attempts
// in all; one more drops the frame.
func TestAdminActionIsRetriedAtOnce(t *testing.T) {
	for _, c := range []struct {
		admins int
		want   Result
		sent   int
	}{
		{0, OK, 1},
		{maxAdminRetries - 1, OK, 1},
		{maxAdminRetries, DropAdminAction, 0},
	} {
		pipe := newPipe(t)
		desc := &adminThenPipe{Publication: pipe, admins: c.admins}
		p, _, _ := newTestProducer(t, testLayout(), Config{Descriptors: desc})
		if res := p.Offer([]byte{1}, vector(1)); res != c.want {
			t.Fatalf("%d admin actions: %v, want %v", c.admins, res, c.want)
		}
		if n := len(collect(pipe)); n != c.sent || desc.admins != 0 {
			t.Fatalf("%d admin actions: %d descriptors sent, %d admin actions left", c.admins, n, desc.admins)
		}
	}
}

func TestAbortLeavesSlotInProgressAndReusesSeq(t *testing.T) {
	p, r, pipe := newTestProducer(t, testLayout(), Config{})
	c, _ := p.Claim(10)
	if res := p.Abort(c); res != OK {
		t.Fatal(res)
	}
	if w := slotOf(t, r, 0).SeqCommit(); shm.IsCommitted(w) {
		t.Fatalf("aborted slot committed: %#x", w)
	}
	if len(collect(pipe)) != 0 || p.Seq() != 0 {
		t.Fatal("abort published or advanced seq")
	}
	c2, res := p.Claim(10)
	if res != OK || c2.Seq() != 0 {
		t.Fatalf("claim after abort: %v seq %d", res, c2.Seq())
	}
}

func TestMisuseIsReportedNotPanicked(t *testing.T) {
	p, _, _ := newTestProducer(t, testLayout(), Config{})
	c, _ := p.Claim(1)
	if _, res := p.Claim(1); res != ErrClaimOutstanding {
		t.Fatalf("second claim: %v", res)
	}
	if res := p.Offer([]byte{1}, vector(1)); res != ErrClaimOutstanding {
		t.Fatalf("offer with claim open: %v", res)
	}
	stale := *c
	if res := p.Commit(c, vector(1)); res != OK {
		t.Fatal(res)
	}
	for name, res := range map[string]Result{
		"commit":   p.Commit(&stale, vector(1)),
		"abort":    p.Abort(&stale),
		"progress": p.Progress(&stale, 0),
		"nil":      p.Commit(nil, vector(1)),
	} {
		if res != ErrNoClaim {
			t.Errorf("%s with a closed claim: %v", name, res)
		}
	}
}

func TestWireSpec_8_2_InvalidTensorNeverCommitted(t *testing.T) {
	p, r, pipe := newTestProducer(t, testLayout(), Config{})
	bad := vector(4)
	bad.Ndims = 0
	if res := p.Offer(make([]byte, 4), bad); res != DropInvalidTensor {
		t.Fatalf("Offer = %v", res)
	}
	if shm.IsCommitted(slotOf(t, r, 0).SeqCommit()) || len(collect(pipe)) != 0 || p.Seq() != 0 {
		t.Fatal("an invalid tensor header was committed or announced")
	}
}

// TestRingWrapsManyTimes publishes far more frames than slots: each slot is reused and
// always holds the newest frame for its index.
func TestRingWrapsManyTimes(t *testing.T) {
	l := testLayout()
	p, r, pipe := newTestProducer(t, l, Config{})
	payload := make([]byte, 256)
	const frames = 10_000
	for seq := range uint64(frames) {
		payload[0], payload[255] = byte(seq), byte(seq>>8)
		if res := p.Offer(payload, vector(len(payload))); res != OK {
			t.Fatalf("seq %d: %v", seq, res)
		}
		pipe.Drain()
	}
	for i := range l.Nslots {
		want := uint64(frames) - uint64(l.Nslots) + uint64(i)
		if w := slotOf(t, r, i).SeqCommit(); w != shm.Committed(want) {
			t.Fatalf("slot %d holds %#x, want seq %d", i, w, want)
		}
	}
}

func TestProgressMessagesFollowTheStateMachine(t *testing.T) {
	clock := &fakeClock{now: 1}
	control := newPipe(t)
	p, _, _ := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Control: control})
	p.ctl.SetProgress(true, ProgressPolicy{IntervalNs: 100, BytesDelta: 1000})
	c, _ := p.Claim(4096)
	clock.now = 50
	p.Progress(c, 2000) // held back: interval not elapsed
	clock.now = 150
	p.Progress(c, 2500) // sent: 2500 bytes
	clock.now = 300
	p.Progress(c, 3000) // held back: delta 500 < 1000
	if res := p.Progress(c, 10); res != ErrProgressRegressed {
		t.Fatalf("regression: %v", res)
	}
	if res := p.Progress(c, 5000); res != ErrProgressOverrun {
		t.Fatalf("overrun: %v", res)
	}
	clock.now = 400
	p.Commit(c, vector(4096))
	var got []wire.FrameProgress
	for _, msg := range collect(control) {
		got = append(got, decodeProgress(t, msg))
	}
	want := []wire.FrameProgress{
		{StreamID: 7, Epoch: 3, FrameID: 0, State: 1},
		{StreamID: 7, Epoch: 3, FrameID: 0, PayloadBytesFilled: 2500, State: 2},
		{StreamID: 7, Epoch: 3, FrameID: 0, PayloadBytesFilled: 4096, State: 3},
	}
	if len(got) != len(want) {
		t.Fatalf("progress messages %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("message %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestDoWorkRefreshesActivityAndPublishesQos(t *testing.T) {
	clock := &fakeClock{now: 5}
	qos := newPipe(t)
	p, r, _ := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Qos: qos, ActivityIntervalNs: 100, QosIntervalNs: 1000})
	p.Offer([]byte{1}, vector(1))
	if w := p.DoWork(500); w != 2 {
		t.Fatalf("first DoWork did %d", w)
	}
	for _, sb := range [][]byte{r.header.Bytes(), r.pools[0].Bytes(), r.pools[1].Bytes()} {
		if got := shm.LoadActivityTimestamp(sb); got != 500 {
			t.Fatalf("activity_timestamp_ns %d, want 500 (§15.14)", got)
		}
	}
	if w := p.DoWork(550); w != 0 {
		t.Fatalf("DoWork before any timer is due did %d", w)
	}
	p.DoWork(650)
	if got := shm.LoadActivityTimestamp(r.header.Bytes()); got != 650 {
		t.Fatalf("activity not refreshed: %d", got)
	}
	msgs := collect(qos)
	if len(msgs) != 1 {
		t.Fatalf("%d QoS messages", len(msgs))
	}
	q := decodeQos(t, msgs[0])
	if q != (wire.QosProducer{StreamID: 7, ProducerID: 0, Epoch: 3, CurrentSeq: 1, Watermark: math.MaxUint32}) {
		t.Fatalf("QosProducer %+v", q)
	}
}

func TestCreateStandaloneCanonicalLayout(t *testing.T) {
	base := t.TempDir()
	l := testLayout()
	r, err := CreateStandalone(StandaloneConfig{BaseDir: base, Namespace: "tensorpool", InstanceID: "p1", Layout: l, Pid: 4242, NowNs: 99})
	if err != nil {
		t.Fatal(err)
	}
	wantDir := base + "/tensorpool/p1/epoch-3"
	if r.EpochDir() != wantDir || r.HeaderURI() != "shm:file?path="+wantDir+"/header.ring" {
		t.Fatalf("dir %q header %q", r.EpochDir(), r.HeaderURI())
	}
	if uris := r.PoolURIs(); uris[0] != "shm:file?path="+wantDir+"/payload-2.pool" || uris[1] != "shm:file?path="+wantDir+"/payload-1.pool" {
		t.Fatalf("pool URIs %q", uris)
	}
	sb, err := shm.DecodeSuperblock(r.header.Bytes())
	if err != nil || sb.Pid != 4242 || sb.StartTimestampNs != 99 || sb.ActivityTimestampNs != 99 || sb.Epoch != 3 {
		t.Fatalf("superblock %+v %v", sb, err)
	}
	if _, err := CreateStandalone(StandaloneConfig{BaseDir: base, Namespace: "tensorpool", InstanceID: "p1", Layout: l}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("second create of the same epoch: %v (§15.2)", err)
	}

	// A second process (here: a second mapping) attaches to the files read-write.
	policy, err := shm.NewPathPolicy(base)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := OpenRegions(l, policy, r.HeaderURI(), r.PoolURIs())
	if err != nil {
		t.Fatal(err)
	}
	pipe := newPipe(t)
	p, err := New(opened, Config{Descriptors: pipe})
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte{0xAB}, 3000)
	if res := p.Offer(payload, vector(len(payload))); res != OK {
		t.Fatal(res)
	}
	// The bytes are in the creator's mapping: one file, two mappings.
	pool, _ := shm.NewPayloadPool(r.pools[1].Bytes(), shm.PoolGeometry{PoolID: 1, Nslots: 8, StrideBytes: 4096})
	slot0, _ := pool.Slot(0)
	if !bytes.Equal(slot0[:3000], payload) {
		t.Fatal("payload not visible through the other mapping")
	}
	if err := opened.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRegions(l, policy, r.HeaderURI(), r.PoolURIs()); err == nil {
		t.Fatal("regions still open after Remove")
	}
}

func TestNewRequiresDescriptorPublication(t *testing.T) {
	if _, err := New(heapRegions(t, testLayout()), Config{}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New without publication: %v", err)
	}
}

func TestAnnounceNeedsRegionFiles(t *testing.T) {
	if _, err := New(heapRegions(t, testLayout()), Config{Descriptors: newPipe(t), Announce: newPipe(t)}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("announcing heap regions: %v", err)
	}
}

func TestResultNames(t *testing.T) {
	for r := OK; r < resultCount; r++ {
		if r.String() == "" || r.String() == "unknown result" {
			t.Errorf("result %d unnamed", r)
		}
	}
	if Result(resultCount).String() != "unknown result" {
		t.Fatal("out-of-range result named")
	}
	if publicationResult(-99) != DropPublicationError || publicationResult(12) != OK {
		t.Fatal("publicationResult")
	}
}

func TestTensorLargerThanPayloadNeverCommitted(t *testing.T) {
	p, r, pipe := newTestProducer(t, testLayout(), Config{})
	if res := p.Offer(make([]byte, 99), vector(100)); res != DropTensorExceedsPayload {
		t.Fatalf("Offer = %v", res)
	}
	if shm.IsCommitted(slotOf(t, r, 0).SeqCommit()) || len(collect(pipe)) != 0 || p.Seq() != 0 {
		t.Fatal("a tensor larger than its payload was committed")
	}
	// Smaller than the payload is fine: the rest is padding the tensor does not address.
	if res := p.Offer(make([]byte, 101), vector(100)); res != OK {
		t.Fatal(res)
	}
}

func TestWireSpec_9_ClaimByPoolTrimmedToValuesLen(t *testing.T) {
	l := testLayout()
	p, r, pipe := newTestProducer(t, l, Config{})
	p.ctl.SetMetaVersion(5)
	c, res := p.ClaimPool(2)
	if res != OK || c.Capacity() != 64<<10 || len(c.Payload()) != 64<<10 || p.PoolID(c) != 2 {
		t.Fatalf("claim pool 2: %v capacity %d len %d", res, c.Capacity(), len(c.Payload()))
	}
	if c.SetLength(c.Capacity()+1) || c.SetLength(-1) {
		t.Fatal("SetLength accepted a length outside the stride")
	}
	if !c.SetLength(300) || len(c.Payload()) != 300 {
		t.Fatal("SetLength(300)")
	}
	c.SetMetaVersion(9)
	if res := p.Commit(c, vector(300)); res != OK {
		t.Fatal(res)
	}
	var h shm.SlotHeader
	var got shm.TensorHeader
	if d := slotOf(t, r, 0).TryRead(0, &h, &got); d != shm.DropNone {
		t.Fatal(d)
	}
	if h.ValuesLenBytes != 300 || h.PoolID != 2 || h.MetaVersion != 9 {
		t.Fatalf("header %+v: want values_len 300 in pool 2 with meta_version 9", h)
	}
	if d := decodeDescriptor(t, collect(pipe)[0]); d.MetaVersion != 9 {
		t.Fatalf("descriptor meta_version %d, want 9", d.MetaVersion)
	}
	if _, res := p.ClaimPool(77); res != DropNoPoolFits {
		t.Fatalf("unknown pool: %v, want DropNoPoolFits", res)
	}
	if c, res := p.Claim(10); res != OK || c.Capacity() != 4096 || len(c.Payload()) != 10 {
		t.Fatalf("claim by size: %v, capacity is the stride of the smallest pool that fits", res)
	}
}

// TestWireSpec_8_2_ShapeChangesAreWrittenWhole: Commit remembers the last tensor header it
// checked and encoded, so a stream of one shape is cheap; every slot must still hold
// exactly the header of its own frame when shapes change from frame to frame, when the
// slot last held another shape (ring wrap), and after a rejected header.
func TestWireSpec_8_2_ShapeChangesAreWrittenWhole(t *testing.T) {
	l := testLayout()
	p, r, pipe := newTestProducer(t, l, Config{})
	matrix := &shm.TensorHeader{Dtype: shm.DtypeFloat32, MajorOrder: shm.MajorOrderColumn, Ndims: 2,
		Dims: [shm.MaxDims]int32{4, 8}, Strides: [shm.MaxDims]int32{4, 32}}
	padded := &shm.TensorHeader{Dtype: shm.DtypeUint16, MajorOrder: shm.MajorOrderRow, Ndims: 2,
		Dims: [shm.MaxDims]int32{3, 5}, Strides: [shm.MaxDims]int32{16, 0}}
	invalid := vector(8)
	invalid.Ndims, invalid.Dims[1] = 2, 4
	invalid.Strides[0], invalid.Strides[1] = 1, 1 // row-major: the outer stride is below the inner span
	shapes := []*shm.TensorHeader{vector(64), vector(64), matrix, matrix, vector(32), padded, vector(64)}
	payload := make([]byte, 256)
	var want []shm.TensorHeader
	for round := range 3 * int(l.Nslots) {
		if round%5 == 4 {
			if res := p.Offer(payload, invalid); res != DropInvalidTensor {
				t.Fatalf("round %d: invalid header: %v", round, res)
			}
		}
		tensor := shapes[round%len(shapes)]
		if res := p.Offer(payload, tensor); res != OK {
			t.Fatalf("round %d: %v", round, res)
		}
		want = append(want, *tensor)
		pipe.Drain()
	}
	for i := range l.Nslots {
		seq := uint64(len(want)) - uint64(l.Nslots) + uint64(i)
		slot := slotOf(t, r, uint32(seq&uint64(l.Nslots-1)))
		var h shm.SlotHeader
		var got shm.TensorHeader
		if d := slot.TryRead(seq, &h, &got); d != shm.DropNone {
			t.Fatalf("seq %d: %v", seq, d)
		}
		if got != want[seq] {
			t.Errorf("seq %d: slot holds %+v, want %+v", seq, got, want[seq])
		}
		fresh := freshSlot(t)
		fresh.EncodeHeader(&h, &want[seq])
		if string(fresh.Bytes()[8:]) != string(slot.Bytes()[8:]) {
			t.Errorf("seq %d: slot bytes differ from a full EncodeHeader of the same frame", seq)
		}
	}
}

// The producer remembers which tensor header each slot holds: a frame of the shape its
// slot already holds writes the slot's first line and leaves the other three alone, not
// even comparing them (so bytes put there behind its back stay, which only a second
// writer of the ring, a broken setup, could do); a frame of another shape rewrites them.
func TestCommitLeavesTheTensorLinesOfASlotHoldingItsShape(t *testing.T) {
	l := testLayout()
	p, r, pipe := newTestProducer(t, l, Config{})
	payload := make([]byte, 64)
	offer := func(tensor *shm.TensorHeader) {
		t.Helper()
		if res := p.Offer(payload, tensor); res != OK {
			t.Fatal(res)
		}
		pipe.Drain()
	}
	for range l.Nslots {
		offer(vector(64))
	}
	slot := slotOf(t, r, 0)
	marked := bytes.Repeat([]byte{0xA5}, shm.HeaderSlotSize-64)
	copy(slot.Bytes()[64:], marked)
	offer(vector(64)) // seq nslots: slot 0 again, the same shape
	if !bytes.Equal(slot.Bytes()[64:], marked) {
		t.Fatal("a frame of the shape its slot holds rewrote the tensor lines")
	}
	for range l.Nslots - 1 {
		offer(vector(32))
	}
	offer(vector(64)) // slot 0: its record says vector(64), but the shape changed since
	var h shm.SlotHeader
	var got shm.TensorHeader
	if d := slot.TryRead(2*uint64(l.Nslots), &h, &got); d != shm.DropNone || got != *vector(64) {
		t.Fatalf("slot 0 after a change of shape and back: %v %+v", d, got)
	}
}

// freshSlot is a zeroed header slot outside any producer's regions.
func freshSlot(t *testing.T) shm.HeaderSlot {
	t.Helper()
	mem := make([]uint64, (shm.HeaderSlotOffset(1))/8) // []uint64: 8-byte aligned
	ring, err := shm.NewHeaderRing(unsafe.Slice((*byte)(unsafe.Pointer(&mem[0])), len(mem)*8), 1)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ring.Slot(0)
	return s
}

// A re-materialising producer (Bridge spec §6, RateLimiter spec §4-5) keeps the source's
// sequence numbers, with gaps, and its frames' timestamps; a sequence number going back is
// refused.
func TestClaimAtKeepsSourceSequenceAndTimestamp(t *testing.T) {
	l := testLayout()
	clock := &fakeClock{now: 5000}
	p, r, pipe := newTestProducer(t, l, Config{Clock: clock.Now})
	c, res := p.ClaimAt(10, 4)
	if res != OK || c.Seq() != 10 || c.HeaderIndex() != 10&(l.Nslots-1) {
		t.Fatalf("ClaimAt(10): %v seq %d index %d", res, c.Seq(), c.HeaderIndex())
	}
	c.SetCaptureTimeNs(777)
	c.SetMetaVersion(9)
	if res := p.Commit(c, vector(4)); res != OK {
		t.Fatal(res)
	}
	var h shm.SlotHeader
	var tensor shm.TensorHeader
	if d := slotOf(t, r, 10&(l.Nslots-1)).TryRead(10, &h, &tensor); d != shm.DropNone || h.TimestampNs != 777 || h.MetaVersion != 9 {
		t.Fatalf("slot: %v %+v", d, h)
	}
	if d := decodeDescriptor(t, collect(pipe)[0]); d.Seq != 10 || d.TimestampNs != 777 || d.MetaVersion != 9 {
		t.Fatalf("descriptor %+v: the source's seq, timestamp and meta_version", d)
	}
	if _, res := p.ClaimAt(10, 4); res != ErrSeqRegressed {
		t.Fatalf("ClaimAt of a published seq: %v", res)
	}
	c, res = p.ClaimAt(11, 4)
	if res != OK {
		t.Fatal(res)
	}
	p.Abort(c)
	if c, res = p.ClaimAt(11, 4); res != OK || c.Seq() != 11 {
		t.Fatalf("ClaimAt after Abort: %v", res)
	}
	if res := p.Commit(c, vector(4)); res != OK {
		t.Fatal(res)
	}
	if slotOf(t, r, 11&(l.Nslots-1)).TryRead(11, &h, &tensor); h.TimestampNs != 5000 {
		t.Fatalf("a claim without SetCaptureTimeNs is stamped at commit: %d", h.TimestampNs)
	}
	if p.Seq() != 12 {
		t.Fatalf("seq %d", p.Seq())
	}
}
