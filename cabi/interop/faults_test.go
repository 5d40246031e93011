package interop

import (
	"fmt"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// faultDriver is a `tp run driver` that a test kills and restarts on the same
// configuration: control stream control (descriptors on control+1), 100 ms keepalives
// and announces, a lease of 1 s without a keepalive.
type faultDriver struct {
	// peerEnv is more environment for the peers.
	peerEnv  map[string]string
	aeronDir string
	control  int32
	base     string
	config   string
	role     *tpRole
}

func newFaultDriver(t *testing.T, aeronDir string) *faultDriver {
	t.Helper()
	d := &faultDriver{aeronDir: aeronDir, control: nextControl.Add(2), base: t.TempDir()}
	d.config = writeFile(t, "fault-driver.toml", fmt.Sprintf(`
[driver]
instance_id = "faults"
control_channel = "aeron:ipc"
control_stream_id = %d
[shm]
base_dir = %q
[policies]
lease_keepalive_interval_ms = 100
lease_expiry_grace_intervals = 10
announce_period_ms = 100
shutdown_timeout_ms = 100
cleanup_shm_on_exit = true
[profiles.p]
header_nslots = %d
payload_pools = [{ pool_id = 1, stride_bytes = %d }]
[streams.s]
stream_id = %d
profile = "p"
`, d.control, d.base, testSlots, payloadBytes, testStream))
	// A driver killed leaves its control-stream lock beside the Aeron directory.
	t.Cleanup(func() { os.Remove(fmt.Sprintf("%s.tp-driver-ipc-%d.lock", d.aeronDir, d.control)) })
	d.start(t)
	return d
}

func (d *faultDriver) start(t *testing.T) {
	t.Helper()
	d.role = startRole(t, "run", "driver", "--config", d.config, "--aeron-dir", d.aeronDir)
	d.role.waitLog(t, "driver ready")
}

func (d *faultDriver) kill(t *testing.T) {
	t.Helper()
	if err := d.role.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-d.role.exited
}

// peer starts tp_fault_peer in role for runFor.
func (d *faultDriver) peer(t *testing.T, role string, runFor time.Duration) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(program(t, "cabi/tests/tp_fault_peer.c")), out: &output{}, exited: make(chan struct{})}
	env := map[string]string{
		"TP_FAULT_ROLE":           role,
		"TP_RUN_MS":               strconv.Itoa(int(runFor.Milliseconds())),
		"TP_AERON_DIR":            d.aeronDir,
		"TP_CONTROL_CHANNEL":      "aeron:ipc",
		"TP_CONTROL_STREAM_ID":    strconv.Itoa(int(d.control)),
		"TP_DESCRIPTOR_CHANNEL":   "aeron:ipc",
		"TP_DESCRIPTOR_STREAM_ID": strconv.Itoa(int(d.control + 1)),
		"TP_STREAM_ID":            strconv.Itoa(testStream),
		"TP_SHM_BASE_DIRS":        d.base,
		"TP_PAYLOAD_BYTES":        strconv.Itoa(payloadBytes),
		"TP_FRAME_INTERVAL_US":    "1000",
		"TP_TIMEOUT_MS":           "20000",
	}
	for k, v := range d.peerEnv {
		env[k] = v
	}
	p.cmd.Env = environ(env)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("tp_fault_peer %s:\n%s", role, p.out)
		}
	})
	for deadline := time.Now().Add(waitTimeout); !strings.Contains(p.out.String(), "ready\n"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("tp_fault_peer %s never attached:\n%s", role, p.out)
		}
	}
	return p
}

// framesByLease counts a consumer peer's intact frames per lease id, in the order the
// leases appeared, and fails t on a bad frame.
func framesByLease(t *testing.T, out string) (leases []string, frames map[string]int) {
	t.Helper()
	frames = map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "frame":
			if frames[f[2]] == 0 {
				leases = append(leases, f[2])
			}
			frames[f[2]]++
		case len(f) >= 1 && f[0] == "bad":
			t.Fatalf("bad frame: %s", line)
		}
	}
	return leases, frames
}

func stat(out, name string) int {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "stat "+name+" "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return -1
}

// Issue 13.1 in C: the SHM driver is killed (-9) under a C producer and a C consumer and
// restarted. Neither is restarted nor reattaches by hand: the library notices the lost
// lease (tp_*_poll answer TP_ERR_PROTOCOL meanwhile), reattaches to the new driver, and
// the consumer reads the producer's frames again, byte for byte, on a new lease.
func TestInterop_CPeersSurviveADriverRestart(t *testing.T) {
	d := newFaultDriver(t, aeronDir)
	consumer := d.peer(t, "consumer", 12*time.Second)
	producer := d.peer(t, "producer", 12*time.Second)
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(10 * time.Millisecond) {
		if _, frames := framesByLease(t, consumer.out.String()); len(frames) == 1 {
			for _, n := range frames {
				if n >= 100 {
					goto steady
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no steady flow of frames:\n%s", consumer.out)
		}
	}
steady:
	d.kill(t)
	killed := time.Now()
	d.start(t)
	ready := time.Now()
	var resumed time.Time
	for deadline := time.Now().Add(waitTimeout); resumed.IsZero(); time.Sleep(5 * time.Millisecond) {
		if leases, frames := framesByLease(t, consumer.out.String()); len(leases) >= 2 && frames[leases[len(leases)-1]] >= 1 {
			resumed = time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("the C consumer read nothing on a new lease after the restart:\n%s", consumer.out)
		}
	}
	cout, pout := consumer.wait(t), producer.wait(t)
	leases, frames := framesByLease(t, cout)
	if after := frames[leases[len(leases)-1]]; after < 100 {
		t.Fatalf("only %d frames on the new lease", after)
	}
	if stat(cout, "lost_polls") <= 0 || stat(pout, "lost_polls") <= 0 {
		t.Fatalf("the peers never saw their lease lost (consumer %d, producer %d polls)", stat(cout, "lost_polls"), stat(pout, "lost_polls"))
	}
	t.Logf("C peers, driver restart: the new driver ready %v after the kill; the consumer read on a new lease %v after the kill; "+
		"frames per lease %v; producer sent %d, consumer read %d", ready.Sub(killed), resumed.Sub(killed), frames,
		stat(pout, "sent"), stat(cout, "received"))
}

// Issue 13.5 in C: the media driver is killed (-9) under a C producer and a C consumer.
// Once their Aeron client is found dead (Aeron's driver timeout, 10 s), the error handler
// is told (TP_ERR_AERON) and the data path answers TP_ERR_AERON; each closes everything
// and exits, neither hangs nor crashes.
func TestInterop_CPeersSeeTheMediaDriverLost(t *testing.T) {
	md := drivertest.Start(t, nil)
	d := newFaultDriver(t, md.Dir())
	// They would run 2 minutes: long past the kill and Aeron's 10 s driver timeout
	// however slowly a loaded machine starts them; the kill ends them first.
	consumer := d.peer(t, "consumer", 2*time.Minute)
	producer := d.peer(t, "producer", 2*time.Minute)
	for deadline := time.Now().Add(waitTimeout); strings.Count(consumer.out.String(), "frame ") < 100; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no steady flow of frames:\n%s", consumer.out)
		}
	}
	if err := md.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for role, p := range map[string]*proc{"producer": producer, "consumer": consumer} {
		select {
		case <-p.exited:
		case <-time.After(waitTimeout):
			t.Fatalf("%s still running %v after the media driver was killed:\n%s", p.cmd.Path, waitTimeout, p.out)
		}
		out := p.out.String()
		if code := p.cmd.ProcessState.ExitCode(); code != 3 || !strings.Contains(out, "terminal ") || !strings.Contains(out, "\nclosed\n") ||
			!strings.Contains(out, fmt.Sprintf("handler %d ", -2)) {
			t.Fatalf("exit %d, want 3 after a terminal TP_ERR_AERON, the handler told and everything closed:\n%s", code, lastLines(out, 8))
		}
		t.Logf("media driver killed: the C %s ended %v after the kill: %s", role, time.Since(killed), lastLines(out, 4))
	}
}

// Issue 13.5 in C, "tp can reconnect when asked": the media driver is killed (-9) under a
// C producer and a C consumer that call tp_client_reconnect on TP_ERR_AERON. A new media
// driver is started on the same directory with a new driver (the old one exits with its
// media driver); tp_client_reconnect returns TP_OK and the consumer reads the producer's
// frames again, byte for byte, on a new lease, through the same handles.
func TestInterop_CPeersReconnectAfterTheMediaDriverIsReplaced(t *testing.T) {
	md := drivertest.Start(t, nil)
	d := newFaultDriver(t, md.Dir())
	d.peerEnv = map[string]string{"TP_RECONNECT": "1"}
	// Long enough for the kill, Aeron's 10 s driver timeout, the new drivers and frames
	// after them on a loaded machine.
	const runFor = 40 * time.Second
	consumer := d.peer(t, "consumer", runFor)
	producer := d.peer(t, "producer", runFor)
	for deadline := time.Now().Add(waitTimeout); strings.Count(consumer.out.String(), "frame ") < 100; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no steady flow of frames:\n%s", consumer.out)
		}
	}
	if err := md.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for _, p := range []*proc{producer, consumer} {
		for deadline := time.Now().Add(waitTimeout); !strings.Contains(p.out.String(), "lost "); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no TP_ERR_AERON %v after the media driver was killed:\n%s", waitTimeout, lastLines(p.out.String(), 8))
			}
		}
	}
	detected := time.Since(killed)
	select {
	case <-d.role.exited:
	case <-time.After(waitTimeout):
		t.Fatal("the driver outlived its media driver")
	}
	// The dead driver's CnC file would pass for a ready one; the new driver deletes the
	// directory anyway.
	if err := os.RemoveAll(md.Dir()); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	md2, err := mediadriver.Start(mediadriver.Config{Dir: md.Dir(), Properties: drivertest.Properties(), StartTimeout: waitTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := md2.Close(); err != nil {
			t.Errorf("stopping the second media driver: %v", err)
		}
	})
	d.start(t)
	var recovered time.Duration
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(10 * time.Millisecond) {
		leases, frames := framesByLease(t, consumer.out.String())
		if len(leases) >= 2 && recovered == 0 {
			recovered = time.Since(begin)
		}
		if len(leases) >= 2 && frames[leases[len(leases)-1]] >= 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no frames on a new lease after the reconnect:\n%s", lastLines(consumer.out.String(), 8))
		}
	}
	for role, p := range map[string]*proc{"producer": producer, "consumer": consumer} {
		select {
		case <-p.exited:
		case <-time.After(runFor + waitTimeout):
			t.Fatalf("%s still running:\n%s", role, lastLines(p.out.String(), 8))
		}
		out := p.out.String()
		if code := p.cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(out, "reconnected ") || !strings.Contains(out, fmt.Sprintf("handler %d ", -2)) {
			t.Fatalf("%s exit %d, want 0 after TP_ERR_AERON (the handler told), tp_client_reconnect and frames again:\n%s", role, code, lastLines(out, 8))
		}
		line := out[strings.Index(out, "reconnected "):]
		t.Logf("the C %s: %s after the loss seen %v after the kill", role, line[:strings.IndexByte(line, '\n')], detected.Round(time.Millisecond))
	}
	t.Logf("first frame on a new lease %v after the new media driver's start", recovered.Round(time.Millisecond))
}

func lastLines(out string, n int) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
