package consumer

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

// Child processes: the test binary re-executed with childRoleEnv set runs one producer
// role against regions the parent created, then exits.
const (
	childRoleEnv   = "TP_CONSUMER_TEST_CHILD"
	childHeaderEnv = "TP_CONSUMER_TEST_HEADER"
	childPoolEnv   = "TP_CONSUMER_TEST_POOL"
	childFramesEnv = "TP_CONSUMER_TEST_FRAMES"

	roleOverwrite = "overwrite" // publish checked frames at full speed
	roleKillMid   = "kill-mid"  // publish a few frames, then stop inside a claim
)

const procMaxSize = 4096

func procLayout() producer.Layout {
	return producer.Layout{StreamID: 21, Epoch: 1, Nslots: 4, Pools: []producer.PoolSpec{{PoolID: 1, StrideBytes: procMaxSize}}}
}

func runChild(role string) int {
	if err := child(role); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

func child(role string) error {
	header, pool := os.Getenv(childHeaderEnv), os.Getenv(childPoolEnv)
	u, err := shm.ParseURI(header)
	if err != nil {
		return err
	}
	policy, err := shm.NewPathPolicy(u.Path[:strings.LastIndexByte(u.Path, '/')])
	if err != nil {
		return err
	}
	r, err := producer.OpenRegions(procLayout(), policy, header, []string{pool})
	if err != nil {
		return err
	}
	defer r.Close()
	// Descriptors go to a log nobody else reads: the parent judges slots on its own.
	pipe, err := mem.NewPipe(mem.Config{})
	if err != nil {
		return err
	}
	defer pipe.Close()
	p, err := producer.New(r, producer.Config{Descriptors: pipe})
	if err != nil {
		return err
	}
	frames, _ := strconv.ParseUint(os.Getenv(childFramesEnv), 10, 64)
	buf := make([]byte, procMaxSize)
	for p.Seq() < frames {
		payload := buf[:checkedSize(p.Seq(), procMaxSize)]
		fillChecked(payload, p.Seq())
		if res := p.Offer(payload, vector(len(payload))); res != producer.OK {
			return fmt.Errorf("seq %d: %v", p.Seq(), res)
		}
		if p.Seq()%128 == 0 {
			pipe.Drain()
		}
	}
	if role == roleKillMid {
		c, res := p.Claim(procMaxSize)
		if res != producer.OK {
			return fmt.Errorf("claim: %v", res)
		}
		copy(c.Payload(), buf[:procMaxSize/2])
		fmt.Println("claimed", c.Seq())
		time.Sleep(time.Minute) // the parent kills us here, between BeginWrite and Commit
		return fmt.Errorf("not killed")
	}
	fmt.Println("done", p.Seq())
	return nil
}

// startChild creates the regions, maps them in c and starts a child producer on them.
func startChild(t *testing.T, role string, frames uint64, handler FrameHandler) (*exec.Cmd, *bufio.Reader, *Consumer) {
	t.Helper()
	base := shmBase(t)
	r, err := producer.CreateStandalone(producer.StandaloneConfig{BaseDir: base, Namespace: "ns", InstanceID: "child", Layout: procLayout()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Remove() })
	c, err := New(Config{StreamID: 21, AllowedBaseDirs: []string{base}}, handler)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	c.SetJoinTime(0)
	buf := announceBytes(t, r, 1, uint64(c.cfg.Clock().Nanos()))
	if err := c.HandleControl(buf); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childRoleEnv+"="+role, childHeaderEnv+"="+r.HeaderURI(),
		childPoolEnv+"="+r.PoolURIs()[0], childFramesEnv+"="+strconv.FormatUint(frames, 10))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewReader(out), c
}

// TestWireSpec_15_13_NoTornFrameAcceptedAcrossProcesses is the commit-word stability test
// of §15.13 across a process boundary: a child producer overwrites a 4-slot ring at full
// speed with checksummed frames of varying length, and the parent reads whatever slot was
// last committed through the full consumer path. Every frame the consumer accepts must be
// whole. Mapped memory is invisible to the race detector, so the test runs under -race
// too, with fewer frames.
func TestWireSpec_15_13_NoTornFrameAcceptedAcrossProcesses(t *testing.T) {
	frames := uint64(1_000_000)
	if raceEnabled || testing.Short() {
		frames = 100_000
	}
	var bad []string
	var accepted, tentative int
	cmd, _, c := startChild(t, roleOverwrite, frames, func(f *Frame) {
		tentative++
		msg := verifyChecked(f, procMaxSize)
		if f.Valid() && msg != "" {
			bad = append(bad, fmt.Sprintf("seq %d: %s", f.Seq, msg))
		}
	})
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ring := c.m.ring
	deadline := time.After(2 * time.Minute)
	desc := wire.FrameDescriptor{StreamID: 21, Epoch: 1}
	buf := make([]byte, wire.FrameDescriptorLength)
	var idx uint32
	for done := false; !done; {
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("child: %v", err)
			}
			done = true
		case <-deadline:
			t.Fatal("child still running after 2 minutes")
		default:
		}
		// Read the newest commit of each slot in turn, as a consumer lagging by up to a
		// ring's worth of frames would.
		idx = (idx + 1) & (ring.Nslots() - 1)
		slot, _ := ring.Slot(idx)
		desc.Seq, desc.HeaderIndex = shm.SequenceOf(slot.SeqCommit()), idx
		desc.Encode(buf)
		c.rd.seqs.reset() // the parent revisits seqs out of order on purpose
		c.rd.HandleDescriptor(buf)
	}
	cs := c.Counters()
	accepted = int(cs.Frames)
	t.Logf("%d frames written; %d handler calls, %d accepted, %d late (%d changed mid-read)",
		frames, tentative, accepted, cs.DropsLate, cs.Drops[shm.DropChanged])
	if len(bad) > 0 {
		t.Fatalf("%d torn frames accepted, e.g. %q", len(bad), bad[:min(5, len(bad))])
	}
	if accepted == 0 {
		t.Fatal("no frame accepted")
	}
}

// TestProducerKilledMidCommit: a producer SIGKILLed between BeginWrite and Commit leaves
// its slot in progress forever. The consumer drops that frame at once (§15.21: no
// waiting), still reads the frames before it, and unmaps once the activity timestamp
// goes stale (§15.14).
func TestProducerKilledMidCommit(t *testing.T) {
	var got []uint64
	cmd, out, c := startChild(t, roleKillMid, 6, func(f *Frame) {
		if verifyChecked(f, procMaxSize) == "" && f.Valid() {
			got = append(got, f.Seq)
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := out.ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if strings.TrimSpace(s) != "claimed 6" {
			t.Fatalf("child said %q", s)
		}
	case <-time.After(time.Minute):
		t.Fatal("child did not reach the claim")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	deliver := func(seq uint64) Drop {
		d := wire.FrameDescriptor{StreamID: 21, Epoch: 1, Seq: seq, HeaderIndex: uint32(seq & 3)}
		buf := make([]byte, wire.FrameDescriptorLength)
		d.Encode(buf)
		start := time.Now()
		v := c.rd.HandleDescriptor(buf)
		if time.Since(start) > time.Second {
			t.Fatalf("descriptor for seq %d took %v", seq, time.Since(start))
		}
		return v
	}
	for _, seq := range []uint64{3, 4, 5} {
		if v := deliver(seq); v != DropNone {
			t.Fatalf("seq %d: %v", seq, v)
		}
	}
	// Seq 6 occupies slot 2, which held seq 2: the in-progress word hides both.
	if v := deliver(6); v != Drop(shm.DropNotCommitted) {
		t.Fatalf("in-progress slot: %v", v)
	}
	c.rd.seqs.reset()
	if v := deliver(2); v != Drop(shm.DropNotCommitted) {
		t.Fatalf("seq 2, overwritten by the dead claim: %v", v)
	}
	if len(got) != 3 {
		t.Fatalf("accepted %v", got)
	}
	if err := c.CheckLiveness(c.cfg.Clock().Nanos() + c.cfg.FreshnessNs + 1); err == nil {
		t.Fatal("dead producer's regions still considered live")
	}
	if _, ok := c.Mapped(); ok {
		t.Fatal("still mapped")
	}
}
