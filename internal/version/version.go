// Package version says which tensorpool a binary is and what it speaks: the module
// version stamped at build time, the Go toolchain, the spec and SBE schema versions of
// the committed codecs, and the Aeron media driver the build pins. `tp version` and
// `tp-driver --version` print it.
package version

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"text/tabwriter"

	"github.com/tensorpool/tensorpool/wire/sbe/bridge"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
	"github.com/tensorpool/tensorpool/wire/sbe/discovery"
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
)

// stamped is set by the build (scripts/build-commands.sh) from `git describe`:
//
//	go build -ldflags "-X github.com/tensorpool/tensorpool/internal/version.stamped=v0.1.0-3-gabcdef0"
//
// A plain `go build` leaves it empty and the version comes from the build info.
var stamped string

// Aeron is the io.aeron:aeron-all version third_party/manifest.txt pins: the media
// driver this build is tested against (TestAeronMatchesManifest keeps the two equal).
const Aeron = "1.51.0"

// Protocol is one SBE schema and the spec that defines it. Spec is the schema's
// semanticVersion, which the schemas set to the version of their spec.
type Protocol struct {
	Name          string `json:"name"`
	Spec          string `json:"spec"`
	SchemaID      uint16 `json:"schema_id"`
	SchemaVersion uint16 `json:"schema_version"`
}

// Info describes the running binary.
type Info struct {
	Version   string     `json:"version"`
	Go        string     `json:"go"`
	Platform  string     `json:"platform"`
	Protocols []Protocol `json:"protocols"`
	Aeron     string     `json:"aeron"`
}

// Protocols lists the schemas this build encodes and decodes, read from the generated
// codecs so they cannot drift from what is on the wire.
func Protocols() []Protocol {
	return []Protocol{
		{"wire", control.FrameDescriptorSbeSemanticVersion, control.MessageHeaderSbeSchemaID, control.MessageHeaderSbeSchemaVersion},
		{"driver", driver.ShmAttachRequestSbeSemanticVersion, driver.MessageHeaderSbeSchemaID, driver.MessageHeaderSbeSchemaVersion},
		{"bridge", bridge.BridgeFrameChunkSbeSemanticVersion, bridge.MessageHeaderSbeSchemaID, bridge.MessageHeaderSbeSchemaVersion},
		{"discovery", discovery.DiscoveryRequestSbeSemanticVersion, discovery.MessageHeaderSbeSchemaID, discovery.MessageHeaderSbeSchemaVersion},
	}
}

// Get describes the running binary.
func Get() Info {
	return Info{
		Version:   moduleVersion(),
		Go:        runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		Protocols: Protocols(),
		Aeron:     Aeron,
	}
}

// moduleVersion is the stamped version, else what the build info knows: a module
// version for `go install ...@version`, "(devel)" plus the VCS revision when the build
// recorded one.
func moduleVersion() string {
	if stamped != "" {
		return stamped
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var revision, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if v == "(devel)" && revision != "" {
		v += " " + revision[:min(12, len(revision))]
		if modified == "true" {
			v += "-dirty"
		}
	}
	return v
}

// Write prints i for people, the first line "<program> <version>".
func (i Info) Write(w io.Writer, program string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s %s\n", program, i.Version)
	fmt.Fprintf(tw, "go\t%s %s\n", i.Go, i.Platform)
	for _, p := range i.Protocols {
		fmt.Fprintf(tw, "%s\tspec v%s, SBE schema %d version %d\n", p.Name, p.Spec, p.SchemaID, p.SchemaVersion)
	}
	fmt.Fprintf(tw, "aeron\t%s (media driver io.aeron:aeron-all)\n", i.Aeron)
	return tw.Flush()
}

// WriteJSON prints i as one JSON object.
func (i Info) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(i)
}
