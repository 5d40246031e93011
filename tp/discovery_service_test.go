package tp

import (
	"context"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/discovery"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport/backend"
)

// startDiscovery runs a discovery service of cfg on a process and an Aeron client of its
// own, on the shared media driver, until the test ends.
func startDiscovery(t *testing.T, cfg discovery.Config) {
	t.Helper()
	a, err := backend.Connect(backend.Config{Dir: sharedAeronDir, IdleStrategy: agent.NewBackoff()})
	if err != nil {
		t.Fatal(err)
	}
	p := process.New(a, process.Config{})
	if err := p.Add(discovery.New(cfg)); err != nil {
		t.Fatal(err)
	}
	p.Start()
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
		a.Close()
	})
}

// discoveredBy asks the service on requests until the answer has want results (or the
// wait ends) and returns the last answer.
func discoveredBy(t *testing.T, d *DiscoveryClient, q DiscoveryQuery, want int) DiscoveryResponse {
	t.Helper()
	var last DiscoveryResponse
	for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		id, err := d.Request(q)
		if err != nil {
			continue // the service is not subscribed yet
		}
		for wait := time.Now().Add(time.Second); time.Now().Before(wait); time.Sleep(2 * time.Millisecond) {
			d.Poll(10)
			if r, ok := d.Response(id); ok {
				last = r
				break
			}
		}
		if len(last.Entries) == want {
			return last
		}
	}
	t.Fatalf("%+v: %d results, want %d (last answer %+v)", q, len(last.Entries), want, last)
	return last
}

// Discovery §7 and §3, end to end over the media driver, with the reference's checklist
// items 61 and 64: two drivers, a provider for the first and a registry for both; the Go
// client finds a stream by name through the registry, attaches through the driver the
// result names (the authority, §5.2), and reads the producer's frames; the provider knows
// its own driver only. When the second driver stops, its entries expire from the registry
// (§6.2).
func TestDiscoverySpec_7_DiscoverThenAttachThroughTheNamedDriver(t *testing.T) {
	fast := func(c *config.DriverConfig) { c.Policies.AnnouncePeriodMs = 100 }
	c1, _, control1 := startClientWith(t, []uint32{4096}, fast, Options{})
	meta1, meta2 := freshStream(), freshStream()
	c2, base2, control2 := startClientWith(t, []uint32{4096}, fast, Options{MetadataChannel: "aeron:ipc", MetadataStreamID: meta2})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	p1, err := c1.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	defer p1.Close()
	p2, err := c2.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if err := p2.SetDataSource("camera-2", "second driver"); err != nil {
		t.Fatal(err)
	}
	if err := p2.SetAttribute(Attribute{Key: discovery.TagAttribute, Format: "text/plain", Value: []byte("Front")}); err != nil {
		t.Fatal(err)
	}

	endpoint := func(id string, control, meta int32) config.DiscoveryEndpoint {
		return config.DiscoveryEndpoint{DriverInstanceID: id, AnnounceChannel: "aeron:ipc", AnnounceStreamID: uint32(control),
			MetadataChannel: "aeron:ipc", MetadataStreamID: uint32(meta), DriverControlChannel: "aeron:ipc", DriverControlStreamID: uint32(control)}
	}
	limits := config.DiscoveryLimits{MaxResults: 100, ExpiryNs: 500_000_000, ResponseBufBytes: 65536, MaxEntries: 100, MaxResponseEndpoints: 8}
	registryStream, providerStream := freshStream(), freshStream()
	startDiscovery(t, discovery.Config{Role: discovery.RoleRegistry, Instance: "reg", Channel: "aeron:ipc", StreamID: uint32(registryStream),
		Endpoints: []config.DiscoveryEndpoint{endpoint("driver-1", control1, meta1), endpoint("driver-2", control2, meta2)}, Limits: limits})
	startDiscovery(t, discovery.Config{Role: discovery.RoleProvider, Instance: "driver-1", Channel: "aeron:ipc", StreamID: uint32(providerStream),
		Endpoints: []config.DiscoveryEndpoint{endpoint("driver-1", control1, meta1)}, Limits: limits})

	client := bareClient(t)
	reg, err := client.NewDiscoveryClient("aeron:ipc", registryStream, "aeron:ipc", freshStream())
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	all := discoveredBy(t, reg, DiscoveryQuery{StreamID: testStream}, 2)
	if all.Entries[0].DriverInstanceID != "driver-1" || all.Entries[1].DriverInstanceID != "driver-2" {
		t.Fatalf("entries %+v", all.Entries)
	}
	found := discoveredBy(t, reg, DiscoveryQuery{DataSourceName: "camera-2", Tags: []string{"Front"}}, 1).Entries[0]
	if found.DriverControlStreamID != uint32(control2) || found.DriverControlChannel != "aeron:ipc" || found.StreamID != testStream {
		t.Fatalf("result %+v", found)
	}

	// §7: attach through the driver the result names, and validate what it grants.
	attached, err := Connect(ctx, Options{AeronDir: sharedAeronDir, ControlChannel: found.DriverControlChannel,
		ControlStreamID: int32(found.DriverControlStreamID), DescriptorStreamID: control2 + 1, AllowedBaseDirs: []string{base2}})
	if err != nil {
		t.Fatal(err)
	}
	defer attached.Close()
	var got []received
	cs, err := attached.NewConsumer(ctx, found.StreamID, recorder(&got))
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if epoch := cs.Stats().Epoch; epoch != found.Epoch {
		t.Fatalf("attached at epoch %d, discovery said %d", epoch, found.Epoch)
	}
	for i := 0; len(got) < 5 && ctx.Err() == nil; i++ {
		data := pattern(512, byte(i))
		_ = p2.Offer(Tensor{Shape: Shape{DType: Uint8, Dims: []int32{512}}, Data: data})
		cs.Poll(16)
		time.Sleep(2 * time.Millisecond)
	}
	if len(got) < 5 {
		t.Fatalf("%d frames through the discovered driver", len(got))
	}

	prov, err := client.NewDiscoveryClient("aeron:ipc", providerStream, "aeron:ipc", freshStream())
	if err != nil {
		t.Fatal(err)
	}
	defer prov.Close()
	if e := discoveredBy(t, prov, DiscoveryQuery{}, 1).Entries[0]; e.DriverInstanceID != "driver-1" {
		t.Fatalf("the provider answered for %+v", e)
	}

	d2, _ := driverOf.Load(c2)
	d2.(*testDriver).stop()
	left := discoveredBy(t, reg, DiscoveryQuery{StreamID: testStream}, 1)
	if left.Entries[0].DriverInstanceID != "driver-1" {
		t.Fatalf("after driver-2 stopped: %+v", left.Entries)
	}
}
