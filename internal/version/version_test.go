package version

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The pinned media driver in the manifest is the one version.Aeron reports.
func TestAeronMatchesManifest(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "third_party", "manifest.txt"))
	require.NoError(t, err)
	defer f.Close()
	var pinned string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 4 && fields[0] == "maven" && fields[1] == "aeron-all" {
			pinned = fields[3]
		}
	}
	require.NoError(t, sc.Err())
	require.Equal(t, pinned, Aeron, "third_party/manifest.txt pins aeron-all %s; update version.Aeron", pinned)
}

func TestProtocolsAreTheSpecVersions(t *testing.T) {
	require.Equal(t, []Protocol{
		{"wire", "1.1", 900, 1},
		{"driver", "1.0", 901, 1},
		{"bridge", "1.0", 902, 1},
		{"discovery", "1.0", 910, 1},
	}, Protocols())
}

func TestStampedVersionWins(t *testing.T) {
	defer func(old string) { stamped = old }(stamped)
	stamped = "v9.8.7-1-gabcdef0"
	require.Equal(t, "v9.8.7-1-gabcdef0", Get().Version)
	stamped = ""
	require.NotEmpty(t, Get().Version)
}

func TestWrite(t *testing.T) {
	info := Info{Version: "v1.2.3", Go: "go1.26.0", Platform: "linux/amd64", Protocols: Protocols(), Aeron: "1.51.0"}
	var b bytes.Buffer
	require.NoError(t, info.Write(&b, "tp"))
	require.Equal(t, `tp v1.2.3
go         go1.26.0 linux/amd64
wire       spec v1.1, SBE schema 900 version 1
driver     spec v1.0, SBE schema 901 version 1
bridge     spec v1.0, SBE schema 902 version 1
discovery  spec v1.0, SBE schema 910 version 1
aeron      1.51.0 (media driver io.aeron:aeron-all)
`, b.String())

	b.Reset()
	require.NoError(t, Get().WriteJSON(&b))
	var back Info
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	require.Equal(t, runtime.Version(), back.Go)
	require.Equal(t, Protocols(), back.Protocols)
}
