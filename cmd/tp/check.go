package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/shm"
)

// configError is a driver configuration that does not load: the file and the
// *config.Error naming the key.
type configError struct {
	file string
	err  error
}

func (e *configError) Error() string { return e.file + ": " + e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

func newCheckCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check CONFIG",
		Short: "Validate a tp-driver configuration and summarise it",
		Long: `check loads a tp-driver configuration (TOML) as tp-driver would, environment
overrides included, and prints what it configures: the Aeron endpoints, the
SHM base directory, the policies, each profile's SHM size per epoch and each
stream. It exits 0 when the file is valid and 2, naming the offending key,
when it is not.

It warns, without failing, when one epoch of every static stream needs more
than the free space of the base directory's filesystem or more than 25 % of
the machine's memory.`,
		Example: `  tp check config/examples/driver.toml
  tp check --json /etc/tensorpool/driver.toml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object (also for an invalid file)")
	return cmd
}

func runCheck(stdout, stderr io.Writer, path string, asJSON bool) error {
	cfg, err := config.LoadDriverConfig(path)
	if err != nil {
		if asJSON {
			var ce *config.Error
			out := checkFailure{File: path, Valid: false, Error: err.Error()}
			if errors.As(err, &ce) {
				out.Key, out.Problem = ce.Key, ce.Problem
			}
			if werr := writeJSON(stdout, out); werr != nil {
				return failure(werr)
			}
			return &exitError{code: exitUsage}
		}
		return usageError(&configError{file: path, err: err})
	}
	report := summarise(path, cfg, hostCapacity(cfg.Shm.BaseDir))
	if asJSON {
		return writeJSON(stdout, report)
	}
	for _, w := range report.Warnings {
		fmt.Fprintln(stderr, "tp: warning:", w)
	}
	return report.write(stdout)
}

// checkFailure is the JSON form of an invalid configuration.
type checkFailure struct {
	File    string `json:"file"`
	Valid   bool   `json:"valid"`
	Key     string `json:"key"`
	Problem string `json:"problem"`
	Error   string `json:"error"`
}

// checkReport is what a valid configuration sets up. JSON keys follow the TOML keys.
type checkReport struct {
	File     string          `json:"file"`
	Valid    bool            `json:"valid"`
	Driver   driverSummary   `json:"driver"`
	Shm      shmSummary      `json:"shm"`
	Policies policySummary   `json:"policies"`
	Profiles []profileReport `json:"profiles"`
	Streams  []streamReport  `json:"streams"`
	// Discovery is the provider a [discovery] table runs beside the driver; null for none.
	Discovery *discoverySummary `json:"discovery"`
	// EpochBytes is one epoch of every static stream, or of the default profile when
	// streams are only created dynamically: what the driver maps to serve them.
	EpochBytes uint64   `json:"epoch_bytes"`
	Warnings   []string `json:"warnings"`
}

type discoverySummary struct {
	Requests         endpoint  `json:"requests"`
	Announces        endpoint  `json:"announces"`
	Metadata         *endpoint `json:"metadata"`
	DriverInstanceID string    `json:"driver_instance_id"`
	DriverControl    endpoint  `json:"driver_control"`
	MaxResults       uint32    `json:"max_results"`
	ExpiryNs         uint64    `json:"expiry_ns"`
	ResponseBufBytes uint32    `json:"response_buf_bytes"`
}

type endpoint struct {
	Channel  string `json:"channel"`
	StreamID uint32 `json:"stream_id"`
}

type driverSummary struct {
	InstanceID              string    `json:"instance_id"`
	AeronDir                string    `json:"aeron_dir"`
	Control                 endpoint  `json:"control"`
	Announce                endpoint  `json:"announce"`
	Qos                     endpoint  `json:"qos"`
	StreamIDRange           *[2]int64 `json:"stream_id_range"`
	DescriptorStreamIDRange *[2]int64 `json:"descriptor_stream_id_range"`
	ControlStreamIDRange    *[2]int64 `json:"control_stream_id_range"`
	WireVersion             string    `json:"wire_version"`
}

type shmSummary struct {
	BaseDir          string   `json:"base_dir"`
	AllowedBaseDirs  []string `json:"allowed_base_dirs"`
	RequireHugepages bool     `json:"require_hugepages"`
	PageSizeBytes    uint32   `json:"page_size_bytes"`
	PermissionsMode  string   `json:"permissions_mode"`
	Namespace        string   `json:"namespace"`
	// FreeBytes is the space available to the driver on the filesystem that holds
	// BaseDir (or its nearest existing parent, FreeBytesOf); 0 when unknown.
	FreeBytes   uint64 `json:"free_bytes"`
	FreeBytesOf string `json:"free_bytes_of"`
	// MemoryBytes is the machine's RAM; 0 when unknown.
	MemoryBytes uint64 `json:"memory_bytes"`
}

type policySummary struct {
	AllowDynamicStreams       bool   `json:"allow_dynamic_streams"`
	DefaultProfile            string `json:"default_profile"`
	AnnouncePeriodMs          uint32 `json:"announce_period_ms"`
	LeaseKeepaliveIntervalMs  uint32 `json:"lease_keepalive_interval_ms"`
	LeaseExpiryGraceIntervals uint32 `json:"lease_expiry_grace_intervals"`
	PrefaultShm               bool   `json:"prefault_shm"`
	ReuseExistingShm          bool   `json:"reuse_existing_shm"`
	MlockShm                  bool   `json:"mlock_shm"`
	CleanupShmOnExit          bool   `json:"cleanup_shm_on_exit"`
	EpochGCEnabled            bool   `json:"epoch_gc_enabled"`
	EpochGCKeep               uint32 `json:"epoch_gc_keep"`
	EpochGCMinAgeNs           uint64 `json:"epoch_gc_min_age_ns"`
	EpochGCOnStartup          bool   `json:"epoch_gc_on_startup"`
	ShutdownTimeoutMs         uint32 `json:"shutdown_timeout_ms"`
	// ShutdownTokenSet says whether remote shutdown is enabled; the token is a secret.
	ShutdownTokenSet bool `json:"shutdown_token_set"`
}

type profileReport struct {
	Name            string       `json:"name"`
	HeaderNslots    uint32       `json:"header_nslots"`
	HeaderRingBytes uint64       `json:"header_ring_bytes"`
	PayloadPools    []poolReport `json:"payload_pools"`
	EpochBytes      uint64       `json:"epoch_bytes"`
}

type poolReport struct {
	PoolID      uint16 `json:"pool_id"`
	StrideBytes uint32 `json:"stride_bytes"`
	Bytes       uint64 `json:"bytes"`
}

type streamReport struct {
	Name       string `json:"name"`
	StreamID   uint32 `json:"stream_id"`
	Profile    string `json:"profile"`
	EpochBytes uint64 `json:"epoch_bytes"`
}

// capacity is what the host offers the SHM: free space where the files go, and RAM.
type capacity struct {
	freeBytes   uint64
	freeBytesOf string
	memoryBytes uint64
}

// hostCapacity measures the filesystem of dir, or of its nearest existing parent since
// tp-driver creates the base directory, and the machine's memory. Unknown values are 0.
func hostCapacity(dir string) capacity {
	var c capacity
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		var st unix.Statfs_t
		if err := unix.Statfs(d, &st); err == nil {
			c.freeBytes, c.freeBytesOf = st.Bavail*uint64(st.Bsize), d
			break
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err == nil {
		c.memoryBytes = uint64(si.Totalram) * uint64(si.Unit)
	}
	return c
}

// profileBytes is the file space one epoch of p takes: the header ring and one region
// per payload pool, each with as many slots as the ring (Wire spec §8.1, §9).
func profileBytes(p config.Profile) profileReport {
	r := profileReport{Name: p.Name, HeaderNslots: p.HeaderNslots}
	header := shm.HeaderRingSuperblock(0, 0, p.HeaderNslots)
	// The configuration is valid: nslots and strides are powers of two below 2^32, so
	// every size fits an int and RegionSize cannot fail.
	n, _ := header.RegionSize()
	r.HeaderRingBytes = uint64(n)
	r.EpochBytes = r.HeaderRingBytes
	for _, pool := range p.PayloadPools {
		sb := shm.PayloadPoolSuperblock(0, 0, pool.PoolID, p.HeaderNslots, pool.StrideBytes)
		n, _ := sb.RegionSize()
		r.PayloadPools = append(r.PayloadPools, poolReport{PoolID: pool.PoolID, StrideBytes: pool.StrideBytes, Bytes: uint64(n)})
		r.EpochBytes += uint64(n)
	}
	return r
}

func idRange(r config.StreamIDRange) *[2]int64 {
	if !r.IsSet() {
		return nil
	}
	return &[2]int64{int64(r.First), int64(r.Last)}
}

// memoryShareWarning is the share of RAM one epoch may take before check warns.
const memoryShareWarning = 4 // 1/4: 25 %

func summarise(path string, cfg *config.DriverConfig, host capacity) checkReport {
	d, s, p := cfg.Driver, cfg.Shm, cfg.Policies
	r := checkReport{
		File:  path,
		Valid: true,
		Driver: driverSummary{
			InstanceID:              d.InstanceID,
			AeronDir:                d.AeronDir,
			Control:                 endpoint{d.ControlChannel, d.ControlStreamID},
			Announce:                endpoint{d.AnnounceChannel, d.AnnounceStreamID},
			Qos:                     endpoint{d.QosChannel, d.QosStreamID},
			StreamIDRange:           idRange(d.StreamIDRange),
			DescriptorStreamIDRange: idRange(d.DescriptorStreamIDRange),
			ControlStreamIDRange:    idRange(d.ControlStreamIDRange),
			WireVersion:             d.WireVersion.String(),
		},
		Shm: shmSummary{
			BaseDir:          s.BaseDir,
			AllowedBaseDirs:  s.AllowedBaseDirs,
			RequireHugepages: s.RequireHugepages,
			PageSizeBytes:    s.PageSizeBytes,
			PermissionsMode:  fmt.Sprintf("%03o", s.PermissionsMode.Perm()),
			Namespace:        s.Namespace,
			FreeBytes:        host.freeBytes,
			FreeBytesOf:      host.freeBytesOf,
			MemoryBytes:      host.memoryBytes,
		},
		Policies: policySummary{
			AllowDynamicStreams:       p.AllowDynamicStreams,
			DefaultProfile:            p.DefaultProfile,
			AnnouncePeriodMs:          p.AnnouncePeriodMs,
			LeaseKeepaliveIntervalMs:  p.LeaseKeepaliveIntervalMs,
			LeaseExpiryGraceIntervals: p.LeaseExpiryGraceIntervals,
			PrefaultShm:               p.PrefaultShm,
			ReuseExistingShm:          p.ReuseExistingShm,
			MlockShm:                  p.MlockShm,
			CleanupShmOnExit:          p.CleanupShmOnExit,
			EpochGCEnabled:            p.EpochGCEnabled,
			EpochGCKeep:               p.EpochGCKeep,
			EpochGCMinAgeNs:           p.EpochGCMinAgeNs,
			EpochGCOnStartup:          p.EpochGCOnStartup,
			ShutdownTimeoutMs:         p.ShutdownTimeoutMs,
			ShutdownTokenSet:          p.ShutdownToken != "",
		},
		Profiles: []profileReport{},
		Streams:  []streamReport{},
		Warnings: []string{},
	}
	if dc := cfg.Discovery; dc != nil {
		e := dc.Endpoint
		r.Discovery = &discoverySummary{Requests: endpoint{dc.Channel, dc.StreamID}, Announces: endpoint{e.AnnounceChannel, e.AnnounceStreamID},
			DriverInstanceID: e.DriverInstanceID, DriverControl: endpoint{e.DriverControlChannel, e.DriverControlStreamID},
			MaxResults: dc.MaxResults, ExpiryNs: dc.ExpiryNs, ResponseBufBytes: dc.ResponseBufBytes}
		if e.MetadataChannel != "" {
			r.Discovery.Metadata = &endpoint{e.MetadataChannel, e.MetadataStreamID}
		}
	}
	byName := map[string]profileReport{}
	for _, name := range slices.Sorted(maps.Keys(cfg.Profiles)) {
		pr := profileBytes(cfg.Profiles[name])
		byName[name] = pr
		r.Profiles = append(r.Profiles, pr)
	}
	for _, st := range cfg.Streams {
		r.Streams = append(r.Streams, streamReport{Name: st.Name, StreamID: st.StreamID, Profile: st.Profile, EpochBytes: byName[st.Profile].EpochBytes})
		r.EpochBytes += byName[st.Profile].EpochBytes
	}
	slices.SortFunc(r.Streams, func(a, b streamReport) int { return cmp.Compare(a.StreamID, b.StreamID) })
	if len(r.Streams) == 0 {
		r.EpochBytes = byName[p.DefaultProfile].EpochBytes
	}
	if host.freeBytes > 0 && r.EpochBytes > host.freeBytes {
		r.Warnings = append(r.Warnings, fmt.Sprintf("one epoch of every stream needs %s but %s has %s free",
			mib(r.EpochBytes), host.freeBytesOf, mib(host.freeBytes)))
	}
	if host.memoryBytes > 0 && r.EpochBytes > host.memoryBytes/memoryShareWarning {
		r.Warnings = append(r.Warnings, fmt.Sprintf("one epoch of every stream needs %s, more than 25 %% of this machine's %s of memory",
			mib(r.EpochBytes), mib(host.memoryBytes)))
	}
	return r
}

func mib(n uint64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (r *checkReport) write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	d, s, p := r.Driver, r.Shm, r.Policies
	fmt.Fprintf(tw, "%s: valid\n", r.File)

	fmt.Fprintf(tw, "\ndriver\n")
	fmt.Fprintf(tw, "  instance_id\t%s\n", d.InstanceID)
	aeronDir := d.AeronDir
	if aeronDir == "" {
		aeronDir = "(tp-driver: --aeron-dir, $AERON_DIR, $TP_AERON_DIR, else /dev/shm/aeron-$USER; a media driver is started there if none runs)"
	}
	fmt.Fprintf(tw, "  aeron_dir\t%s\n", aeronDir)
	for _, e := range []struct {
		name string
		e    endpoint
	}{{"control", d.Control}, {"announce", d.Announce}, {"qos", d.Qos}} {
		fmt.Fprintf(tw, "  %s\t%s stream %d\n", e.name, e.e.Channel, e.e.StreamID)
	}
	for _, rg := range []struct {
		name string
		r    *[2]int64
	}{{"stream_id_range", d.StreamIDRange}, {"descriptor_stream_id_range", d.DescriptorStreamIDRange}, {"control_stream_id_range", d.ControlStreamIDRange}} {
		text := "unset"
		if rg.r != nil {
			text = fmt.Sprintf("%d-%d", rg.r[0], rg.r[1])
		}
		fmt.Fprintf(tw, "  %s\t%s\n", rg.name, text)
	}
	fmt.Fprintf(tw, "  wire_version\t%s\n", d.WireVersion)

	fmt.Fprintf(tw, "\nshm\n")
	free := "free space unknown"
	if s.FreeBytesOf != "" {
		free = fmt.Sprintf("%s free on %s", mib(s.FreeBytes), s.FreeBytesOf)
	}
	fmt.Fprintf(tw, "  base_dir\t%s (%s)\n", s.BaseDir, free)
	fmt.Fprintf(tw, "  allowed_base_dirs\t%s\n", strings.Join(s.AllowedBaseDirs, ", "))
	fmt.Fprintf(tw, "  page_size_bytes\t%d\n", s.PageSizeBytes)
	fmt.Fprintf(tw, "  permissions_mode\t%s\n", s.PermissionsMode)
	fmt.Fprintf(tw, "  namespace\t%s (wire v1.2's layout only)\n", s.Namespace)
	fmt.Fprintf(tw, "  require_hugepages\t%t\n", s.RequireHugepages)

	fmt.Fprintf(tw, "\npolicies\n")
	fmt.Fprintf(tw, "  allow_dynamic_streams\t%t\n", p.AllowDynamicStreams)
	fmt.Fprintf(tw, "  default_profile\t%s\n", p.DefaultProfile)
	fmt.Fprintf(tw, "  announce_period_ms\t%d\n", p.AnnouncePeriodMs)
	fmt.Fprintf(tw, "  lease_keepalive_interval_ms\t%d\n", p.LeaseKeepaliveIntervalMs)
	fmt.Fprintf(tw, "  lease_expiry_grace_intervals\t%d\n", p.LeaseExpiryGraceIntervals)
	fmt.Fprintf(tw, "  prefault_shm\t%t\n", p.PrefaultShm)
	fmt.Fprintf(tw, "  reuse_existing_shm\t%t\n", p.ReuseExistingShm)
	fmt.Fprintf(tw, "  mlock_shm\t%t\n", p.MlockShm)
	fmt.Fprintf(tw, "  cleanup_shm_on_exit\t%t\n", p.CleanupShmOnExit)
	fmt.Fprintf(tw, "  epoch_gc_enabled\t%t\n", p.EpochGCEnabled)
	fmt.Fprintf(tw, "  epoch_gc_keep\t%d\n", p.EpochGCKeep)
	fmt.Fprintf(tw, "  epoch_gc_min_age_ns\t%d\n", p.EpochGCMinAgeNs)
	fmt.Fprintf(tw, "  epoch_gc_on_startup\t%t\n", p.EpochGCOnStartup)
	fmt.Fprintf(tw, "  shutdown_timeout_ms\t%d\n", p.ShutdownTimeoutMs)
	token := "unset (remote shutdown disabled)"
	if p.ShutdownTokenSet {
		token = "set"
	}
	fmt.Fprintf(tw, "  shutdown_token\t%s\n", token)
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(tw, "\nprofiles\tSHM per epoch\n")
	for _, pr := range r.Profiles {
		fmt.Fprintf(tw, "  %s (%d slots)\t%s\n", pr.Name, pr.HeaderNslots, mib(pr.EpochBytes))
		fmt.Fprintf(tw, "    header ring\t%s\n", mib(pr.HeaderRingBytes))
		for _, pool := range pr.PayloadPools {
			fmt.Fprintf(tw, "    pool %d, stride %d\t%s\n", pool.PoolID, pool.StrideBytes, mib(pool.Bytes))
		}
	}
	fmt.Fprintf(tw, "\nstreams\tSHM per epoch\n")
	for _, st := range r.Streams {
		fmt.Fprintf(tw, "  %s (%d, profile %s)\t%s\n", st.Name, st.StreamID, st.Profile, mib(st.EpochBytes))
	}
	if len(r.Streams) == 0 {
		fmt.Fprintf(tw, "  none static; one dynamic stream (profile %s)\t%s\n", p.DefaultProfile, mib(r.EpochBytes))
	} else {
		fmt.Fprintf(tw, "  all streams\t%s\n", mib(r.EpochBytes))
	}
	if dc := r.Discovery; dc != nil {
		metadata := "none"
		if dc.Metadata != nil {
			metadata = fmt.Sprintf("%s stream %d", dc.Metadata.Channel, dc.Metadata.StreamID)
		}
		fmt.Fprintf(tw, "\ndiscovery provider (Discovery spec)\n")
		fmt.Fprintf(tw, "  requests\t%s stream %d\n", dc.Requests.Channel, dc.Requests.StreamID)
		fmt.Fprintf(tw, "  announces\t%s stream %d\n", dc.Announces.Channel, dc.Announces.StreamID)
		fmt.Fprintf(tw, "  metadata\t%s\n", metadata)
		fmt.Fprintf(tw, "  results name\t%s at %s stream %d\n", dc.DriverInstanceID, dc.DriverControl.Channel, dc.DriverControl.StreamID)
		fmt.Fprintf(tw, "  max_results\t%d\n", dc.MaxResults)
		fmt.Fprintf(tw, "  expiry_ns\t%d\n", dc.ExpiryNs)
		fmt.Fprintf(tw, "  response_buf_bytes\t%d\n", dc.ResponseBufBytes)
	}
	return tw.Flush()
}
