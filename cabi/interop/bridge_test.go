package interop

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
)

// bridgedStream is where startBridge re-materialises testStream.
const bridgedStream = 20000

// startBridge runs `tp run bridge` carrying testStream onto bridgedStream of the same SHM
// driver, both halves in one process, over Aeron UDP on loopback.
func (s *stack) startBridge(t *testing.T) *tpRole {
	t.Helper()
	cfg := writeFile(t, "bridge.toml", fmt.Sprintf(`
[bridge]
instance_id = "interop-%[1]s"
payload_channel = "aeron:udp?endpoint=127.0.0.1:%[2]d"
payload_stream_id = 3000
control_channel = "aeron:udp?endpoint=127.0.0.1:%[3]d"
control_stream_id = 3001
forward_metadata = false
driver_control_channel = "aeron:ipc"
driver_control_stream_id = %[1]s
local_channel = "aeron:ipc"
descriptor_stream_id = %[4]s
allowed_base_dirs = [%[5]q]
[[mappings]]
source_stream_id = %[6]d
dest_stream_id = %[7]d
`, s.env["TP_CONTROL_STREAM_ID"], freeUDPPort(t), freeUDPPort(t), s.env["TP_DESCRIPTOR_STREAM_ID"], s.env["TP_SHM_BASE_DIRS"], testStream, bridgedStream))
	b := startRole(t, "run", "bridge", "--config", cfg, "--aeron-dir", aeronDir)
	b.waitLog(t, "bridge running")
	return b
}

// freeUDPPort is a UDP port nothing listens on now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// Go producer → bridge (`tp run bridge`, UDP on loopback) → C consumer of the bridged
// stream: the C consumer checks every frame against the producer's pattern, which
// includes its sequence number (the bridge keeps the source's), and fails on any bad one.
// It starts once the bridge produces the bridged stream (the example consumer treats the
// remap a producer's first attach causes as fatal).
func TestInterop_GoProducerThroughTheBridgeToCConsumer(t *testing.T) {
	s := startStackOf(t, nil, testStream, bridgedStream)
	b := s.startBridge(t)
	p := s.goProducer(t)
	done := make(chan struct{})
	published := make(chan struct{})
	go func() { defer close(published); publish(t, p, done) }()
	defer func() { close(done); <-published }()
	b.waitLog(t, "destination ready")
	c := s.start(t, program(t, "cabi/examples/tp_example_consumer.c"), map[string]string{"TP_COUNT": "100", "TP_STREAM_ID": strconv.Itoa(bridgedStream)})
	t.Log(c.wait(t))
}

// C producer → bridge → Go consumer of the bridged stream, every frame checked against
// the pattern and its sequence number.
func TestInterop_CProducerThroughTheBridgeToGoConsumer(t *testing.T) {
	s := startStackOf(t, nil, testStream, bridgedStream)
	s.startBridge(t)
	g := s.goConsumerOn(t, bridgedStream)
	p := s.start(t, program(t, "cabi/examples/tp_example_producer.c"),
		map[string]string{"TP_COUNT": "5000", "TP_WAIT_CONNECT": "1", "TP_FRAME_INTERVAL_US": "2000", "TP_LINGER_MS": "500"})
	if err := g.pollUntil(150); err != nil {
		stat, _ := exec.Command(tpCommand(t), "stat", "--tp", "--count", "1", "--aeron-dir", aeronDir).CombinedOutput()
		p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("%v\nC producer:\n%s\ncounters:\n%s", err, p.out.String(), stat)
	}
	p.cmd.Process.Kill() // enough frames: it need not send them all
}
