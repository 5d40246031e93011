package interop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/discovery"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/transport/backend"
)

var (
	tpOnce sync.Once
	tpBin  string
	tpErr  error
)

// tpCommand is the tp command, built once per run.
func tpCommand(t *testing.T) string {
	t.Helper()
	tpOnce.Do(func() {
		tpBin = filepath.Join(buildDir, "tp")
		build := exec.Command("go", "build", "-o", tpBin, "./cmd/tp")
		build.Dir = repoRoot(t)
		if out, err := build.CombinedOutput(); err != nil {
			tpErr = fmt.Errorf("go build ./cmd/tp: %v\n%s", err, out)
		}
	})
	if tpErr != nil {
		t.Fatal(tpErr)
	}
	return tpBin
}

// tpRole is a `tp run ROLE` process, killed at cleanup if still running.
type tpRole struct {
	cmd    *exec.Cmd
	out    *output
	exited chan struct{} // closed when the process has been waited for
}

func startRole(t *testing.T, args ...string) *tpRole {
	t.Helper()
	r := &tpRole{cmd: exec.Command(tpCommand(t), args...), out: &output{}, exited: make(chan struct{})}
	r.cmd.Env = environ(map[string]string{"AERON_DIR": "", "TP_AERON_DIR": ""})
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			// A clean stop removes the lock file it keeps beside the Aeron directory.
			r.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-r.exited:
			case <-time.After(15 * time.Second):
				r.cmd.Process.Kill()
				<-r.exited
				t.Errorf("%s did not stop on SIGTERM", r.cmd.Path)
			}
		}
		if t.Failed() {
			t.Logf("tp %s:\n%s", strings.Join(args, " "), r.out)
		}
	})
	return r
}

func (r *tpRole) waitLog(t *testing.T, text string) {
	t.Helper()
	for deadline := time.Now().Add(waitTimeout); !strings.Contains(r.out.String(), text); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never logged %q:\n%s", r.cmd.Path, text, r.out)
		}
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// shmDriver is a `tp run driver` of its own: instance id, control stream (announces too;
// descriptors on control+1, metadata on control+2) and base directory.
type shmDriver struct {
	id      string
	control int32
	base    string
	role    *tpRole
}

func startShmDriver(t *testing.T, id string, control int32) *shmDriver {
	t.Helper()
	d := &shmDriver{id: id, control: control, base: t.TempDir()}
	cfg := writeFile(t, id+".toml", fmt.Sprintf(`
[driver]
instance_id = %q
control_channel = "aeron:ipc"
control_stream_id = %d
[shm]
base_dir = %q
[policies]
announce_period_ms = 100
cleanup_shm_on_exit = true
[profiles.p]
header_nslots = %d
payload_pools = [{ pool_id = 1, stride_bytes = %d }]
[streams.s]
stream_id = %d
profile = "p"
`, id, control, d.base, testSlots, payloadBytes, testStream))
	d.role = startRole(t, "run", "driver", "--config", cfg, "--aeron-dir", aeronDir)
	d.role.waitLog(t, "driver ready")
	// A driver killed leaves its control-stream lock beside the Aeron directory.
	t.Cleanup(func() { os.Remove(fmt.Sprintf("%s.tp-driver-ipc-%d.lock", aeronDir, control)) })
	return d
}

// producer attaches a Go producer to d, naming its data source.
func (d *shmDriver) producer(t *testing.T, name string) *tp.Producer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := tp.Connect(ctx, tp.Options{AeronDir: aeronDir, ControlChannel: "aeron:ipc", ControlStreamID: d.control,
		DescriptorStreamID: d.control + 1, MetadataChannel: "aeron:ipc", MetadataStreamID: d.control + 2, AllowedBaseDirs: []string{d.base}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p, err := c.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.SetDataSource(name, "interop"); err != nil {
		t.Fatal(err)
	}
	return p
}

func (d *shmDriver) endpoint() string {
	return fmt.Sprintf(`
[[discovery_registry.endpoints]]
driver_instance_id = %q
announce_channel = "aeron:ipc"
announce_stream_id = %d
metadata_channel = "aeron:ipc"
metadata_stream_id = %d
driver_control_channel = "aeron:ipc"
driver_control_stream_id = %[2]d
`, d.id, d.control, d.control+2)
}

// Multi-process discovery: two SHM drivers and a registry (each `tp run`), a Go producer
// on the same stream id of each driver; a C consumer (tp_example_discover) finds the
// stream by its data source name through the registry and attaches to the driver the
// result names, reading that producer's frames, not the other's (they differ in size).
// Then that driver is killed, and its entries expire from the registry.
func TestInterop_CDiscoversThroughARegistryAndAttachesToTheRightDriver(t *testing.T) {
	base := nextControl.Add(10) - 9 // base .. base+9, below the next test's
	a, b := startShmDriver(t, "driver-a", base), startShmDriver(t, "driver-b", base+4)
	registry := startRole(t, "run", "registry", "--aeron-dir", aeronDir, "--config", writeFile(t, "registry.toml", fmt.Sprintf(`
[discovery_registry]
channel = "aeron:ipc"
stream_id = %d
expiry_ns = 500_000_000
`, base+8)+a.endpoint()+b.endpoint()))
	registry.waitLog(t, "discovery service ready")

	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range []struct {
		p    *tp.Producer
		size int
	}{{a.producer(t, "camera-a"), payloadBytes / 2}, {b.producer(t, "camera-b"), payloadBytes}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			publishSized(p.p, p.size, done)
		}()
	}
	defer wg.Wait()
	defer close(done)

	c := (&stack{env: map[string]string{"TP_AERON_DIR": aeronDir}}).start(t, program(t, "cabi/examples/tp_example_discover.c"), map[string]string{
		"TP_DISCOVERY_REQUEST_CHANNEL": "aeron:ipc", "TP_DISCOVERY_REQUEST_STREAM_ID": strconv.Itoa(int(base + 8)),
		"TP_DISCOVERY_RESPONSE_STREAM_ID": strconv.Itoa(int(base + 9)), "TP_DISCOVERY_DATA_SOURCE_NAME": "camera-b",
		"TP_DESCRIPTOR_CHANNEL": "aeron:ipc", "TP_DESCRIPTOR_STREAM_ID": strconv.Itoa(int(b.control + 1)),
		"TP_SHM_BASE_DIRS": b.base, "TP_PAYLOAD_BYTES": strconv.Itoa(payloadBytes), "TP_COUNT": "50", "TP_TIMEOUT_MS": "20000",
	})
	out := c.wait(t)
	if !strings.Contains(out, fmt.Sprintf("discovered stream %d of driver driver-b at aeron:ipc stream %d", testStream, b.control)) ||
		!strings.Contains(out, "received 50 frames, 0 bad") {
		t.Fatalf("C consumer:\n%s", out)
	}
	t.Log(strings.TrimSpace(out))

	// Kill driver-b: its entries leave the registry within the expiry.
	if err := b.role.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-b.role.exited
	client, err := tp.Connect(context.Background(), tp.Options{AeronDir: aeronDir, ControlChannel: "aeron:ipc", ControlStreamID: base + 9,
		AllowedBaseDirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	d, err := client.NewDiscoveryClient("aeron:ipc", base+8, "aeron:ipc", base+7)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var drivers []string
	for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		id, err := d.Request(tp.DiscoveryQuery{StreamID: testStream})
		if err != nil {
			continue
		}
		for wait := time.Now().Add(time.Second); time.Now().Before(wait); time.Sleep(2 * time.Millisecond) {
			d.Poll(10)
			if r, ok := d.Response(id); ok {
				drivers = drivers[:0]
				for _, e := range r.Entries {
					drivers = append(drivers, e.DriverInstanceID)
				}
				break
			}
		}
		if len(drivers) == 1 && drivers[0] == "driver-a" {
			return
		}
	}
	t.Fatalf("after driver-b was killed the registry still answers %v", drivers)
}

// publishSized offers frames of size bytes with the examples' pattern until done closes.
func publishSized(p *tp.Producer, size int, done <-chan struct{}) {
	data := make([]byte, size)
	for {
		select {
		case <-done:
			return
		default:
		}
		if c, err := p.Claim(size); err == nil {
			pattern(data, c.Seq())
			copy(c.Payload(), data)
			_ = c.Commit(tp.Shape{DType: tp.Uint8, Dims: []int32{int32(size)}})
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// startProvider runs a discovery provider for the stack's driver inside the test process,
// answering requests on requests, until the test ends.
func (s *stack) startProvider(t *testing.T, requests int32) {
	t.Helper()
	control, err := strconv.Atoi(s.env["TP_CONTROL_STREAM_ID"])
	if err != nil {
		t.Fatal(err)
	}
	a, err := backend.Connect(backend.Config{Dir: aeronDir, IdleStrategy: agent.NewBackoff()})
	if err != nil {
		t.Fatal(err)
	}
	p := process.New(a, process.Config{})
	cfg := config.DiscoveryFor(config.DriverSection{InstanceID: "interop", ControlChannel: "aeron:ipc", ControlStreamID: uint32(control)})
	cfg.Channel, cfg.StreamID = "aeron:ipc", uint32(requests)
	if err := p.Add(discovery.New(discovery.ProviderConfig(&cfg))); err != nil {
		t.Fatal(err)
	}
	p.Start()
	t.Cleanup(func() {
		p.Close()
		a.Close()
	})
}
