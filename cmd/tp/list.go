package main

import (
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/tensorpool/tensorpool/aeron/counters"
	"github.com/tensorpool/tensorpool/agents/driver"
	tpclient "github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

type listOptions struct {
	system   systemFlags
	duration time.Duration
	asJSON   bool
}

func newListCommand() *cobra.Command {
	var o listOptions
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "List the drivers, streams, leases, producers and consumers of a running system",
		Long: `list shows what runs on the media driver in the Aeron directory: the SHM
drivers, the streams with their epochs, the leases, the producers and the
consumers with the per-consumer streams the driver assigned them.

Nothing in tensorpool keeps a registry to ask, so list gathers what the
running processes show anyway, for --duration (3 s: longer than the 1 s
period of announces, keepalives and hellos):
  - the driver's control, announce and QoS streams, as a subscriber
    (endpoints from --config or tp-driver's built-in configuration):
    ShmPoolAnnounce gives each stream's epoch, layout and producer;
    ShmLeaseKeepalive each live lease (lease id, client, role, stream);
    ShmAttachRequest/Response and ShmLeaseRevoked leases granted and ended
    meanwhile; ConsumerHello and ConsumerConfig each consumer, its mode and
    its per-consumer streams; QosProducer and QosConsumer (when clients send
    them) sequence numbers and drops;
  - the media driver's CnC counters (as tp stat reads them): tp-driver's,
    one set per running driver, and the producers' and consumers' frame and
    drop counters;
  - the SHM base directory (shm.base_dir of the configuration), read-only:
    the lock file naming the driver's pid, and the epoch directories on disk
    with their size.
A client that sent nothing during the window (a lease about to expire, a
consumer without hellos) is not seen; leases of other drivers on the same
control stream are shown with the rest.`,
		Example: `  tp list
  tp list --config /etc/tensorpool/driver.toml --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.duration <= 0 {
				return usageError(fmt.Errorf("--duration %v: want a positive duration", o.duration))
			}
			return runList(cmd, o)
		},
	}
	f := cmd.Flags()
	o.system.register(f)
	f.DurationVar(&o.duration, "duration", 3*time.Second, "how long to listen")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object")
	return cmd
}

// listReport is what list found.
type listReport struct {
	AeronDir  string          `json:"aeron_dir"`
	BaseDir   string          `json:"shm_base_dir"`
	Listened  string          `json:"listened"`
	Endpoints []string        `json:"endpoints"`
	Drivers   []driverEntry   `json:"drivers"`
	Streams   []streamEntry   `json:"streams"`
	Leases    []leaseEntry    `json:"leases"`
	Producers []producerEntry `json:"producers"`
	Consumers []consumerEntry `json:"consumers"`
}

type driverEntry struct {
	Instance        string `json:"instance"`
	LeaseIDPrefix   string `json:"lease_id_prefix"`
	ControlStreamID uint32 `json:"control_stream_id"`
	// Pid is from the base directory's lock file, when it names this run.
	Pid               int    `json:"pid,omitempty"`
	LeasesActive      int64  `json:"leases_active"`
	AttachesOK        int64  `json:"attaches_ok"`
	AttachesRefused   int64  `json:"attaches_refused"`
	EpochsProvisioned int64  `json:"epochs_provisioned"`
	Announces         int64  `json:"announces"`
	Note              string `json:"note,omitempty"`
}

type streamEntry struct {
	StreamID        uint32             `json:"stream_id"`
	Epoch           uint64             `json:"epoch,omitempty"`
	ProducerID      uint32             `json:"producer_id,omitempty"`
	HeaderNslots    uint32             `json:"header_nslots,omitempty"`
	Pools           []wire.PayloadPool `json:"payload_pools,omitempty"`
	HeaderRegionURI string             `json:"header_region_uri,omitempty"`
	AnnouncedAgo    string             `json:"announced_ago,omitempty"`
	EpochsOnDisk    []epochOnDisk      `json:"epochs_on_disk,omitempty"`
}

type epochOnDisk struct {
	Instance string `json:"instance"`
	Epoch    uint64 `json:"epoch"`
	Bytes    int64  `json:"bytes"`
	Path     string `json:"path"`
}

type leaseEntry struct {
	LeaseID  uint64 `json:"lease_id"`
	StreamID uint32 `json:"stream_id"`
	ClientID uint32 `json:"client_id"`
	Role     string `json:"role"`
	// Seen says what showed the lease and how long ago: its last keepalive, or its grant.
	Seen string `json:"seen"`
	// Ended is the reason of a ShmLeaseRevoked seen for it.
	Ended string `json:"ended,omitempty"`
}

type producerEntry struct {
	ClientID   uint32  `json:"client_id"`
	StreamID   uint32  `json:"stream_id"`
	LeaseID    uint64  `json:"lease_id,omitempty"`
	Epoch      uint64  `json:"epoch,omitempty"`
	CurrentSeq *uint64 `json:"current_seq,omitempty"`
	Frames     *int64  `json:"frames,omitempty"`
	Drops      *int64  `json:"drops,omitempty"`
}

type consumerEntry struct {
	ClientID  uint32 `json:"client_id"`
	StreamID  uint32 `json:"stream_id"`
	LeaseID   uint64 `json:"lease_id,omitempty"`
	Mode      string `json:"mode,omitempty"`
	MaxRateHz uint32 `json:"max_rate_hz,omitempty"`
	// Descriptors and Control are the per-consumer streams the driver assigned
	// (ConsumerConfig), else what the hello asked for, else "shared".
	Descriptors string  `json:"descriptors"`
	Control     string  `json:"control"`
	LastSeqSeen *uint64 `json:"last_seq_seen,omitempty"`
	DropsGap    *uint64 `json:"qos_drops_gap,omitempty"`
	DropsLate   *uint64 `json:"qos_drops_late,omitempty"`
	Frames      *int64  `json:"frames,omitempty"`
	Drops       *int64  `json:"drops,omitempty"`
}

// listState gathers what the streams show.
type listState struct {
	announces map[uint32]announceSeen
	leases    map[uint64]*leaseSeen
	requests  map[int64]wire.ShmAttachRequest
	hellos    map[uint32]wire.ConsumerHello
	configs   map[uint32]wire.ConsumerConfig
	qosProd   map[uint32]wire.QosProducer
	qosCons   map[uint32]wire.QosConsumer
}

type announceSeen struct {
	a  wire.ShmPoolAnnounce
	at time.Time
}

type leaseSeen struct {
	streamID, clientID uint32
	role               wire.Role
	at                 time.Time
	how                string
	ended              string
}

func newListState() *listState {
	return &listState{
		announces: map[uint32]announceSeen{}, leases: map[uint64]*leaseSeen{}, requests: map[int64]wire.ShmAttachRequest{},
		hellos: map[uint32]wire.ConsumerHello{}, configs: map[uint32]wire.ConsumerConfig{},
		qosProd: map[uint32]wire.QosProducer{}, qosCons: map[uint32]wire.QosConsumer{},
	}
}

// take records one message; whatever does not decode is skipped.
func (s *listState) take(msg []byte, at time.Time) {
	h, err := wire.PeekHeader(msg)
	if err != nil {
		return
	}
	switch h.ID() {
	case wire.ShmPoolAnnounceID:
		var a wire.ShmPoolAnnounce
		if a.Decode(msg) == nil {
			s.announces[a.StreamID] = announceSeen{a: a, at: at}
		}
	case wire.ShmLeaseKeepaliveID:
		var k wire.ShmLeaseKeepalive
		if k.Decode(msg) == nil {
			l := s.lease(k.LeaseID)
			l.streamID, l.clientID, l.role, l.at, l.how = k.StreamID, k.ClientID, k.Role, at, "keepalive"
		}
	case wire.ShmAttachRequestID:
		var r wire.ShmAttachRequest
		if r.Decode(msg) == nil && len(s.requests) < 1<<16 {
			s.requests[r.CorrelationID] = r
		}
	case wire.ShmAttachResponseID:
		var r wire.ShmAttachResponse
		if r.Decode(msg) == nil && r.Code == wire.CodeOK {
			l := s.lease(r.LeaseID)
			l.streamID, l.at = r.StreamID, at
			if l.how == "" {
				l.how = "granted"
			}
			if req, ok := s.requests[r.CorrelationID]; ok {
				l.clientID, l.role = req.ClientID, req.Role
			}
		}
	case wire.ShmLeaseRevokedID:
		var r wire.ShmLeaseRevoked
		if r.Decode(msg) == nil {
			l := s.lease(r.LeaseID)
			l.streamID, l.clientID, l.role = r.StreamID, r.ClientID, r.Role
			if l.how == "" {
				l.how, l.at = "revoked", at
			}
			l.ended = r.Reason.String()
		}
	case wire.ConsumerHelloID:
		var m wire.ConsumerHello
		if m.Decode(msg) == nil {
			s.hellos[m.ConsumerID] = m
		}
	case wire.ConsumerConfigID:
		var m wire.ConsumerConfig
		if m.Decode(msg) == nil {
			s.configs[m.ConsumerID] = m
		}
	case wire.QosProducerID:
		var m wire.QosProducer
		if m.Decode(msg) == nil {
			s.qosProd[m.ProducerID] = m
		}
	case wire.QosConsumerID:
		var m wire.QosConsumer
		if m.Decode(msg) == nil {
			s.qosCons[m.ConsumerID] = m
		}
	}
}

// lease is the record of lease id, made on first sight (at most 1<<16 of them).
func (s *listState) lease(id uint64) *leaseSeen {
	l, ok := s.leases[id]
	if !ok {
		l = &leaseSeen{}
		if len(s.leases) < 1<<16 {
			s.leases[id] = l
		}
	}
	return l
}

func runList(cmd *cobra.Command, o listOptions) error {
	cfg, err := o.system.driverConfig()
	if err != nil {
		return err
	}
	eps := controlEndpoints(cfg)
	client, dir, err := o.system.connect()
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, stop := signalContext(cmd, o.duration)
	defer stop()
	l, err := subscribe(ctx, client, eps, o.system.wait)
	if err != nil {
		return err
	}
	defer l.close()
	if !o.asJSON {
		fmt.Fprintf(cmd.ErrOrStderr(), "tp: listening for %v in %s\n", o.duration, dir)
	}
	state := newListState()
	start := time.Now()
	if err := l.run(ctx, func(_ *subEndpoint, msg []byte, _ *transport.Header) { state.take(msg, time.Now()) }, nil); err != nil {
		return err
	}
	r := &listReport{AeronDir: dir, BaseDir: cfg.Shm.BaseDir, Listened: time.Since(start).Round(time.Millisecond).String()}
	for _, e := range eps {
		r.Endpoints = append(r.Endpoints, describeEndpoint(e))
	}
	clients := readClientCounters(o.system, r)
	r.build(state, clients, time.Now())
	readBaseDir(cfg.Shm.BaseDir, r)
	if o.asJSON {
		return writeJSON(cmd.OutOrStdout(), r)
	}
	return r.write(cmd.OutOrStdout())
}

// clientCounters are one client's counter values by metric name.
type clientCounters struct {
	frames, drops int64
	seen          bool
}

type clientKey struct {
	role     wire.Role
	streamID uint32
	clientID uint32
}

// readClientCounters reads the CnC counters: the drivers' go into r, the clients'
// are returned by role, stream and client.
func readClientCounters(sys systemFlags, r *listReport) map[clientKey]*clientCounters {
	f, reader, err := sys.openCnC()
	if err != nil {
		return nil
	}
	defer f.Close()
	infos := map[int32]tpclient.CounterInfo{}
	for _, info := range tpclient.CounterInfos() {
		infos[info.TypeID] = info
	}
	driverInfos := map[int32]driver.MetricInfo{}
	for _, info := range driver.MetricInfos() {
		driverInfos[info.TypeID] = info
	}
	drivers := map[string]*driverEntry{}
	var driverOrder []string
	out := map[clientKey]*clientCounters{}
	reader.ForEach(func(c counters.Counter) bool {
		if info, ok := driverInfos[c.TypeID]; ok && len(c.Key) >= 8 {
			key := string(c.Key[:8])
			d := drivers[key]
			if d == nil {
				d = &driverEntry{
					LeaseIDPrefix:   fmt.Sprintf("%08x", leUint32(c.Key)),
					ControlStreamID: leUint32(c.Key[4:]),
					Instance:        instanceOf(c.Label),
				}
				drivers[key] = d
				driverOrder = append(driverOrder, key)
			}
			switch {
			case info.Name == "tp_driver_leases_active":
				d.LeasesActive = c.Value
			case info.Name == "tp_driver_attaches_total" && info.LabelValue == "ok":
				d.AttachesOK = c.Value
			case info.Name == "tp_driver_attaches_total":
				d.AttachesRefused += c.Value
			case info.Name == "tp_driver_epochs_provisioned_total":
				d.EpochsProvisioned = c.Value
			case info.Name == "tp_driver_announces_total":
				d.Announces = c.Value
			}
			return true
		}
		info, ok := infos[c.TypeID]
		if !ok {
			return true
		}
		stream, id, ok := tpclient.ParseCounterKey(c.Key)
		if !ok {
			return true
		}
		k := clientKey{role: info.Role, streamID: stream, clientID: id}
		cc := out[k]
		if cc == nil {
			cc = &clientCounters{}
			out[k] = cc
		}
		cc.seen = true
		switch {
		case strings.HasSuffix(info.Name, "_frames_total"):
			cc.frames = c.Value
		case strings.HasSuffix(info.Name, "_drops_total"):
			cc.drops += c.Value
		}
		return true
	})
	for _, k := range driverOrder {
		r.Drivers = append(r.Drivers, *drivers[k])
	}
	return out
}

func leUint32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// instanceOf finds "instance=NAME" in a driver counter's label.
func instanceOf(label string) string {
	_, rest, ok := strings.Cut(label, "instance=")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, " ")
	return name
}

// build assembles the report from what was heard and counted.
func (r *listReport) build(s *listState, clients map[clientKey]*clientCounters, now time.Time) {
	ago := func(t time.Time) string { return now.Sub(t).Round(time.Millisecond).String() + " ago" }
	for _, seen := range s.announces {
		a := seen.a
		r.Streams = append(r.Streams, streamEntry{StreamID: a.StreamID, Epoch: a.Epoch, ProducerID: a.ProducerID,
			HeaderNslots: a.HeaderNslots, Pools: a.PayloadPools, HeaderRegionURI: a.HeaderRegionURI, AnnouncedAgo: ago(seen.at)})
	}
	leaseOf := map[clientKey]uint64{}
	for id, l := range s.leases {
		e := leaseEntry{LeaseID: id, StreamID: l.streamID, ClientID: l.clientID, Role: l.role.String(), Seen: l.how + " " + ago(l.at), Ended: l.ended}
		if l.role == 0 {
			e.Role = "?"
		}
		r.Leases = append(r.Leases, e)
		if l.ended == "" {
			leaseOf[clientKey{l.role, l.streamID, l.clientID}] = id
		}
	}
	producers := map[clientKey]*producerEntry{}
	producer := func(stream, id uint32) *producerEntry {
		k := clientKey{wire.RoleProducer, stream, id}
		if p := producers[k]; p != nil {
			return p
		}
		p := &producerEntry{ClientID: id, StreamID: stream, LeaseID: leaseOf[k]}
		producers[k] = p
		return p
	}
	for _, seen := range s.announces {
		if seen.a.ProducerID != 0 {
			producer(seen.a.StreamID, seen.a.ProducerID).Epoch = seen.a.Epoch
		}
	}
	consumers := map[clientKey]*consumerEntry{}
	consumer := func(stream, id uint32) *consumerEntry {
		k := clientKey{wire.RoleConsumer, stream, id}
		if c := consumers[k]; c != nil {
			return c
		}
		c := &consumerEntry{ClientID: id, StreamID: stream, LeaseID: leaseOf[k], Descriptors: "shared", Control: "shared"}
		consumers[k] = c
		return c
	}
	for k := range leaseOf {
		switch k.role {
		case wire.RoleProducer:
			producer(k.streamID, k.clientID)
		case wire.RoleConsumer:
			consumer(k.streamID, k.clientID)
		}
	}
	for _, q := range s.qosProd {
		p := producer(q.StreamID, q.ProducerID)
		seq := q.CurrentSeq
		p.CurrentSeq, p.Epoch = &seq, q.Epoch
	}
	for _, h := range s.hellos {
		c := consumer(h.StreamID, h.ConsumerID)
		c.Mode, c.MaxRateHz = h.Mode.String(), h.MaxRateHz
		if h.DescriptorStreamID != 0 {
			c.Descriptors = fmt.Sprintf("%s stream %d (requested)", h.DescriptorChannel, h.DescriptorStreamID)
		}
		if h.ControlStreamID != 0 {
			c.Control = fmt.Sprintf("%s stream %d (requested)", h.ControlChannel, h.ControlStreamID)
		}
	}
	for _, cfg := range s.configs {
		c := consumer(cfg.StreamID, cfg.ConsumerID)
		c.Mode = cfg.Mode.String()
		c.Descriptors, c.Control = "shared", "shared"
		if cfg.DescriptorStreamID != 0 {
			c.Descriptors = fmt.Sprintf("%s stream %d", cfg.DescriptorChannel, cfg.DescriptorStreamID)
		}
		if cfg.ControlStreamID != 0 {
			c.Control = fmt.Sprintf("%s stream %d", cfg.ControlChannel, cfg.ControlStreamID)
		}
	}
	for _, q := range s.qosCons {
		c := consumer(q.StreamID, q.ConsumerID)
		seq, gap, late := q.LastSeqSeen, q.DropsGap, q.DropsLate
		c.LastSeqSeen, c.DropsGap, c.DropsLate = &seq, &gap, &late
	}
	for k, cc := range clients {
		frames, drops := cc.frames, cc.drops
		switch k.role {
		case wire.RoleProducer:
			p := producer(k.streamID, k.clientID)
			p.Frames, p.Drops = &frames, &drops
		case wire.RoleConsumer:
			c := consumer(k.streamID, k.clientID)
			c.Frames, c.Drops = &frames, &drops
		}
	}
	for _, p := range producers {
		r.Producers = append(r.Producers, *p)
	}
	for _, c := range consumers {
		r.Consumers = append(r.Consumers, *c)
	}
	slices.SortFunc(r.Streams, func(a, b streamEntry) int { return cmp.Compare(a.StreamID, b.StreamID) })
	slices.SortFunc(r.Leases, func(a, b leaseEntry) int {
		return cmp.Or(cmp.Compare(a.StreamID, b.StreamID), cmp.Compare(a.Role, b.Role), cmp.Compare(a.LeaseID, b.LeaseID))
	})
	slices.SortFunc(r.Producers, func(a, b producerEntry) int {
		return cmp.Or(cmp.Compare(a.StreamID, b.StreamID), cmp.Compare(a.ClientID, b.ClientID))
	})
	slices.SortFunc(r.Consumers, func(a, b consumerEntry) int {
		return cmp.Or(cmp.Compare(a.StreamID, b.StreamID), cmp.Compare(a.ClientID, b.ClientID))
	})
}

// readBaseDir adds what the SHM base directory holds: the driver's lock file and the
// epoch directories, base/stream-<id>/<instance>/epoch-<E>/. It only reads.
func readBaseDir(base string, r *listReport) {
	if owner, err := driver.ReadLockOwner(driver.BaseDirLockPath(base)); err == nil && owner.Pid != 0 {
		found := false
		for i := range r.Drivers {
			d := &r.Drivers[i]
			if d.LeaseIDPrefix == fmt.Sprintf("%08x", owner.Nonce) {
				d.Pid, found = owner.Pid, true
			}
		}
		if !found {
			note := "holds the lock of " + base + "; no counters in this media driver"
			if !processAlive(uint64(owner.Pid)) {
				note = "lock file of " + base + " left by a driver that is not running"
			}
			r.Drivers = append(r.Drivers, driverEntry{Instance: owner.Instance, LeaseIDPrefix: fmt.Sprintf("%08x", owner.Nonce), Pid: owner.Pid, Note: note})
		}
	}
	streamDirs, _ := filepath.Glob(filepath.Join(base, "stream-*"))
	for _, sd := range streamDirs {
		id, err := strconv.ParseUint(strings.TrimPrefix(filepath.Base(sd), "stream-"), 10, 32)
		if err != nil {
			continue
		}
		epochDirs, _ := filepath.Glob(filepath.Join(sd, "*", "epoch-*"))
		var on []epochOnDisk
		for _, ed := range epochDirs {
			epoch, err := strconv.ParseUint(strings.TrimPrefix(filepath.Base(ed), "epoch-"), 10, 64)
			if err != nil {
				continue
			}
			on = append(on, epochOnDisk{Instance: filepath.Base(filepath.Dir(ed)), Epoch: epoch, Bytes: diskBytes(ed), Path: ed})
		}
		if len(on) == 0 {
			continue
		}
		slices.SortFunc(on, func(a, b epochOnDisk) int { return cmp.Compare(a.Epoch, b.Epoch) })
		i := slices.IndexFunc(r.Streams, func(s streamEntry) bool { return s.StreamID == uint32(id) })
		if i < 0 {
			r.Streams = append(r.Streams, streamEntry{StreamID: uint32(id)})
			i = len(r.Streams) - 1
		}
		r.Streams[i].EpochsOnDisk = on
	}
	slices.SortFunc(r.Streams, func(a, b streamEntry) int { return cmp.Compare(a.StreamID, b.StreamID) })
}

// diskBytes is the space the regular files directly in dir take (their allocated
// blocks: a prefaulted region's full size, a sparse one's written pages).
func diskBytes(dir string) int64 {
	var total int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Type()&fs.ModeType != 0 {
			continue
		}
		var st unix.Stat_t
		if unix.Lstat(filepath.Join(dir, e.Name()), &st) == nil {
			total += st.Blocks * 512
		}
	}
	return total
}

func (r *listReport) write(w io.Writer) error {
	fmt.Fprintf(w, "Listened %s to %s in %s; read its CnC counters and %s.\n",
		r.Listened, strings.Join(r.Endpoints, "; "), r.AeronDir, r.BaseDir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	section := func(title string, n int, header string) bool {
		fmt.Fprintf(tw, "\n%s (%d)\n", title, n)
		if n > 0 {
			fmt.Fprintln(tw, "  "+header)
		}
		return n > 0
	}
	if section("DRIVERS", len(r.Drivers), "INSTANCE\tPID\tCONTROL STREAM\tLEASES\tATTACHES OK/REFUSED\tEPOCHS\tANNOUNCES\tLEASE ID PREFIX") {
		for _, d := range r.Drivers {
			pid := "-"
			if d.Pid != 0 {
				pid = strconv.Itoa(d.Pid)
			}
			if d.Note != "" {
				fmt.Fprintf(tw, "  %s\t%s\t-\t-\t-\t-\t-\t%s  (%s)\n", plainLabel(d.Instance), pid, d.LeaseIDPrefix, d.Note)
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d/%d\t%d\t%d\t%s\n", plainLabel(d.Instance), pid, d.ControlStreamID, d.LeasesActive,
				d.AttachesOK, d.AttachesRefused, d.EpochsProvisioned, d.Announces, d.LeaseIDPrefix)
		}
	}
	if section("STREAMS", len(r.Streams), "STREAM\tEPOCH\tPRODUCER\tSLOTS\tPOOLS\tANNOUNCED\tON DISK") {
		for _, s := range r.Streams {
			var pools []string
			for _, p := range s.Pools {
				pools = append(pools, fmt.Sprintf("%d:%s", p.PoolID, formatBytes(float64(p.StrideBytes))))
			}
			disk := "-"
			if n := len(s.EpochsOnDisk); n > 0 {
				var bytes int64
				for _, e := range s.EpochsOnDisk {
					bytes += e.Bytes
				}
				disk = fmt.Sprintf("%d epoch(s), %s", n, formatBytes(float64(bytes)))
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.StreamID, orDash(s.Epoch), orDash(uint64(s.ProducerID)),
				orDash(uint64(s.HeaderNslots)), orDashString(strings.Join(pools, " ")), orDashString(s.AnnouncedAgo), disk)
		}
	}
	if section("LEASES", len(r.Leases), "LEASE\tSTREAM\tCLIENT\tROLE\tSEEN\tENDED") {
		for _, l := range r.Leases {
			fmt.Fprintf(tw, "  %d\t%d\t%d\t%s\t%s\t%s\n", l.LeaseID, l.StreamID, l.ClientID, l.Role, l.Seen, orDashString(l.Ended))
		}
	}
	if section("PRODUCERS", len(r.Producers), "CLIENT\tSTREAM\tLEASE\tEPOCH\tSEQ\tFRAMES\tDROPS") {
		for _, p := range r.Producers {
			fmt.Fprintf(tw, "  %d\t%d\t%s\t%s\t%s\t%s\t%s\n", p.ClientID, p.StreamID, orDash(p.LeaseID), orDash(p.Epoch),
				optional(p.CurrentSeq), optional(p.Frames), optional(p.Drops))
		}
	}
	if section("CONSUMERS", len(r.Consumers), "CLIENT\tSTREAM\tLEASE\tMODE\tDESCRIPTORS\tCONTROL\tLAST SEQ\tFRAMES\tDROPS") {
		for _, c := range r.Consumers {
			mode := orDashString(c.Mode)
			if c.MaxRateHz != 0 {
				mode += fmt.Sprintf(" %d Hz", c.MaxRateHz)
			}
			fmt.Fprintf(tw, "  %d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ClientID, c.StreamID, orDash(c.LeaseID), mode,
				plainLabel(c.Descriptors), plainLabel(c.Control), optional(c.LastSeqSeen), optional(c.Frames), optional(c.Drops))
		}
	}
	return tw.Flush()
}

func orDash(v uint64) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatUint(v, 10)
}

func orDashString(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func optional[T uint64 | int64](v *T) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(*v)
}
