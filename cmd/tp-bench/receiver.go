package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/consumer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
)

// The receiving half of every measurement runs either as a goroutine of this
// process or in a child process: this binary re-executed with the job in
// childJobEnv. The child prints "ready" once set up, reads the measurement
// window from stdin, and prints its receiverResult as JSON when the window ends.
const childJobEnv = "TP_BENCH_CHILD_JOB"

const (
	roleConsume = "consume" // tensor pool consumer: descriptors → seqlock read → frame
	roleSink    = "sink"    // raw Aeron subscriber counting messages (and reading their slot words in a floor run)
	rolePong    = "pong"    // echoes each ping on the reply stream
)

const (
	// ipcChannel carries every stream: descriptors, announces and the baselines'
	// messages, with Aeron's default 64 MiB terms.
	ipcChannel    = "aeron:ipc"
	fragmentLimit = 256
)

// linger is how long a receiver keeps polling after the window, uncounted, so the
// sender never finds it gone in the middle of its last frame.
const linger = int64(250 * time.Millisecond)

// clockEveryIdlePolls is how many empty polls pass between clock reads in a
// receiving loop.
const clockEveryIdlePolls = 64

type job struct {
	Role          string
	Transport     string // the backend's name (package transport/backend)
	AeronDir      string
	Stream        int32 // descriptors, sink messages or pings
	ReplyStream   int32 // consume: the announce (control) stream; pong: the pong stream
	TPStreamID    uint32
	BaseDir       string
	Idle          string
	MeasureAllocs bool // only a child process can tell its own allocations apart
	// Latency: read the clock for every frame and record its latency. Without it the
	// consumer reads the clock once a poll, as the raw Aeron sink does.
	Latency bool
	// sink in a floor run: the scratch regions and their geometry.
	FloorHeader, FloorPool string
	Nslots, Stride         uint32
}

// window is the steady-state measurement interval in CLOCK_MONOTONIC, which both
// processes read alike.
type window struct{ Start, End int64 }

type receiverResult struct {
	Frames  uint64 // frames or messages received inside the window
	Bytes   uint64
	Corrupt uint64 // frames that passed Valid but carried another frame's payload
	Drops   map[string]uint64
	Latency *histogram `json:",omitempty"`
	Mallocs uint64
}

func newIdle(name string) agent.IdleStrategy {
	if name == "backoff" {
		return agent.NewBackoff()
	}
	return agent.BusySpin{}
}

func receive(j job, client transport.Client, ready func(), windows <-chan window) (*receiverResult, error) {
	switch j.Role {
	case roleConsume:
		return consume(j, client, ready, windows)
	case roleSink:
		return sink(j, client, ready, windows)
	case rolePong:
		return pong(j, client, ready, windows)
	}
	return nil, fmt.Errorf("unknown role %q", j.Role)
}

var errNoWindow = errors.New("the benchmark ended before the measurement window was sent")

// consumeState is what the frame handler updates; frames outside the window are
// read and checked like the others but not counted.
type consumeState struct {
	start, end int64
	timed      bool // read the clock and record latency per frame
	counting   bool // untimed: the last clock read fell inside the window
	res        receiverResult
	latency    histogram
}

func (s *consumeState) onFrame(f *consumer.Frame) {
	var now int64
	if s.timed {
		if now = clock.Now().Nanos(); now < s.start || now >= s.end {
			return
		}
	} else if !s.counting {
		return
	}
	// The producer stamps each payload with its seq: reading it proves the frame
	// arrived, and Valid says whether what was read belongs to this frame.
	if binary.LittleEndian.Uint64(f.Payload) != f.Seq && f.Valid() {
		s.res.Corrupt++
	}
	if s.timed {
		s.latency.record(now - int64(f.TimestampNs))
	}
	s.res.Frames++
	s.res.Bytes += uint64(len(f.Payload))
}

// addSubscription and addPublication add and wait for a resource of the client.
func addSubscription(c transport.Client, stream int32) (transport.Subscription, error) {
	return transport.Await(context.Background(), c.AddSubscription(ipcChannel, stream))
}

func addPublication(c transport.Client, stream int32, exclusive bool) (transport.Publication, error) {
	add := c.AddPublication
	if exclusive {
		add = c.AddExclusivePublication
	}
	return transport.Await(context.Background(), add(ipcChannel, stream))
}

func consume(j job, client transport.Client, ready func(), windows <-chan window) (*receiverResult, error) {
	control, err := addSubscription(client, j.ReplyStream)
	if err != nil {
		return nil, err
	}
	defer control.Close()
	descriptors, err := addSubscription(client, j.Stream)
	if err != nil {
		return nil, err
	}
	defer descriptors.Close()
	s := &consumeState{start: math.MaxInt64}
	c, err := consumer.New(consumer.Config{StreamID: j.TPStreamID, ConsumerID: 1, AllowedBaseDirs: []string{j.BaseDir}}, s.onFrame)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// The standalone producer announces its regions on the control stream.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.PollControl(control, 10)
		if err := c.ControlError(); err != nil {
			return nil, err
		}
		if _, ok := c.Mapped(); ok {
			break
		}
		if time.Now().After(deadline) {
			return nil, errors.New("consumer: no announce within 30s")
		}
		time.Sleep(time.Millisecond)
	}
	ready()
	w, ok := <-windows
	if !ok {
		return nil, errNoWindow
	}
	s.start, s.end, s.timed = w.Start, w.End, j.Latency
	idle := newIdle(j.Idle)
	var before, after consumer.Counters
	var mem memWindow
	inWindow, ended := false, false
	var nextTimersNs int64
	for idlePolls := 0; ; {
		n := c.Reader().Poll(descriptors, fragmentLimit)
		if n == 0 {
			// A clock read costs about as much as an empty poll: spare most of them.
			if idlePolls++; idlePolls%clockEveryIdlePolls != 0 {
				idle.Idle(0)
				continue
			}
		}
		now := clock.Now().Nanos()
		s.counting = now >= w.Start && now < w.End
		if !inWindow && now >= w.Start {
			inWindow = true
			before = c.Counters()
			mem.begin(j.MeasureAllocs)
		}
		if now >= w.End && !ended {
			ended = true
			after = c.Counters()
			s.res.Mallocs = mem.end()
		}
		if now >= w.End+linger {
			break
		}
		if now >= nextTimersNs {
			c.PollControl(control, 10)
			c.DoWork(now)
			nextTimersNs = now + int64(100*time.Millisecond)
		}
		idle.Idle(n)
	}
	if err := c.ControlError(); err != nil {
		return nil, err
	}
	s.res.Drops = map[string]uint64{}
	for i := range consumer.DropCount {
		if d := after.Drops[i] - before.Drops[i]; d > 0 {
			s.res.Drops[consumer.Drop(i).String()] = d
		}
	}
	if d := after.DropsGap - before.DropsGap; d > 0 {
		s.res.Drops["sequence gap"] = d
	}
	s.res.Latency = &s.latency
	return &s.res, nil
}

func sink(j job, client transport.Client, ready func(), windows <-chan window) (*receiverResult, error) {
	var res receiverResult
	handler := func([]byte, *transport.Header) {}
	if j.FloorHeader != "" {
		regions, err := openFloor(j.FloorHeader, j.FloorPool, j.Nslots, j.Stride, false)
		if err != nil {
			return nil, err
		}
		defer regions.close()
		handler = checkFloorWords(regions, &res)
	}
	sub, err := addSubscription(client, j.Stream)
	if err != nil {
		return nil, err
	}
	defer sub.Close()
	ready()
	w, ok := <-windows
	if !ok {
		return nil, errNoWindow
	}
	idle := newIdle(j.Idle)
	for {
		n := sub.Poll(handler, fragmentLimit)
		now := clock.Now().Nanos()
		if now >= w.End+linger {
			break
		}
		if now >= w.Start && now < w.End {
			res.Frames += uint64(n)
		}
		idle.Idle(n)
	}
	return &res, nil
}

func pong(j job, client transport.Client, ready func(), windows <-chan window) (*receiverResult, error) {
	pings, err := addSubscription(client, j.Stream)
	if err != nil {
		return nil, err
	}
	defer pings.Close()
	pongs, err := addPublication(client, j.ReplyStream, true)
	if err != nil {
		return nil, err
	}
	defer pongs.Close()
	if err := awaitConnected(pongs.IsConnected); err != nil {
		return nil, err
	}
	ready()
	w, ok := <-windows
	if !ok {
		return nil, errNoWindow
	}
	var claim transport.Claim
	var echoErr error
	echo := func(msg []byte, _ *transport.Header) {
		for {
			r := pongs.TryClaim(len(msg), &claim)
			if r > 0 {
				break
			}
			if fatalResult(r) {
				echoErr = fmt.Errorf("pong try-claim: %d", r)
				return
			}
		}
		copy(claim.Buffer(), msg)
		claim.Commit()
	}
	idle := newIdle(j.Idle)
	// The pinger's last ping may leave just before the window ends: answer it.
	stop := w.End + int64(time.Second)
	for polls := 1; echoErr == nil && (polls%clockEveryIdlePolls != 0 || clock.Now().Nanos() < stop); polls++ {
		idle.Idle(pings.Poll(echo, 1))
	}
	return &receiverResult{}, echoErr
}

// memWindow counts heap allocations between begin and end.
type memWindow struct {
	on     bool
	before runtime.MemStats
}

func (m *memWindow) begin(on bool) {
	if m.on = on; on {
		runtime.ReadMemStats(&m.before)
	}
}

func (m *memWindow) end() uint64 {
	if !m.on {
		return 0
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return after.Mallocs - m.before.Mallocs
}

func awaitConnected(connected func() bool) error {
	deadline := time.Now().Add(30 * time.Second)
	for !connected() {
		if time.Now().After(deadline) {
			return errors.New("aeron: not connected within 30s")
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// fatalResult is a publication result that retrying will not fix.
func fatalResult(r int64) bool {
	return r == transport.Closed || r == transport.NotConnected ||
		r == transport.MaxPositionExceeded || r == transport.PublicationError
}

// receiverHandle is a started receiver, in this process or a child.
type receiverHandle struct {
	ready   chan struct{}
	done    chan struct{} // closed once result and err are set
	result  *receiverResult
	err     error
	windows chan window    // in-process receiver
	stdin   io.WriteCloser // child process
	cmd     *exec.Cmd
}

func startInProcess(j job, client transport.Client) *receiverHandle {
	h := &receiverHandle{ready: make(chan struct{}), done: make(chan struct{}), windows: make(chan window, 1)}
	go func() {
		defer close(h.done)
		h.result, h.err = receive(j, client, func() { close(h.ready) }, h.windows)
	}()
	return h
}

func startChild(j job) (*receiverHandle, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	spec, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	h := &receiverHandle{ready: make(chan struct{}), done: make(chan struct{})}
	h.cmd = exec.Command(exe)
	h.cmd.Env = append(os.Environ(), childJobEnv+"="+string(spec))
	h.cmd.Stderr = os.Stderr
	// The child busy-spins: it must die with this process. Pdeathsig follows the
	// thread that forked, so that thread stays locked until the child is gone.
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if h.stdin, err = h.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := h.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	started := make(chan error, 1)
	exited := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := h.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exited <- h.cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	go func() {
		defer close(h.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		if sc.Scan() && sc.Text() == "ready" {
			close(h.ready)
			if sc.Scan() {
				h.result = new(receiverResult)
				h.err = json.Unmarshal(sc.Bytes(), h.result)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		if err := <-exited; err != nil || h.result == nil {
			h.result, h.err = nil, fmt.Errorf("%s child: %v (no result)", j.Role, err)
		}
	}()
	return h, nil
}

// awaitReady waits until the receiver is set up, running poll meanwhile (a
// producer announcing its regions).
func (h *receiverHandle) awaitReady(poll func()) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-h.ready:
			return nil
		case <-h.done:
			return h.err
		default:
		}
		if time.Now().After(deadline) {
			return errors.New("receiver not ready within 60s")
		}
		poll()
		time.Sleep(time.Millisecond)
	}
}

func (h *receiverHandle) send(w window) error {
	if h.windows != nil {
		h.windows <- w
		close(h.windows)
		return nil
	}
	_, err := fmt.Fprintf(h.stdin, "%d %d\n", w.Start, w.End)
	_ = h.stdin.Close()
	return err
}

func (h *receiverHandle) wait() (*receiverResult, error) {
	<-h.done
	return h.result, h.err
}

// abort ends a receiver that will get no window; it returns once it has stopped.
func (h *receiverHandle) abort() {
	select {
	case <-h.done:
		return
	default:
	}
	if h.windows != nil {
		close(h.windows)
	} else {
		_ = h.stdin.Close()
	}
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		if h.cmd != nil {
			_ = h.cmd.Process.Kill()
		}
		<-h.done
	}
}

// runChild is main for a child process.
func runChild(spec string) int {
	var j job
	if err := json.Unmarshal([]byte(spec), &j); err != nil {
		fmt.Fprintln(os.Stderr, "tp-bench child:", err)
		return 2
	}
	client, err := backend.ConnectNamed(j.Transport, backend.Config{Dir: j.AeronDir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "tp-bench child:", err)
		return 1
	}
	defer client.Close()
	windows := make(chan window, 1)
	go func() {
		defer close(windows)
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		var w window
		if err == nil {
			if _, err = fmt.Sscan(strings.TrimSpace(line), &w.Start, &w.End); err == nil {
				windows <- w
			}
		}
	}()
	res, err := receive(j, client, func() { fmt.Println("ready") }, windows)
	if err == nil {
		err = json.NewEncoder(os.Stdout).Encode(res)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tp-bench %s child: %v\n", j.Role, err)
		return 1
	}
	return 0
}
