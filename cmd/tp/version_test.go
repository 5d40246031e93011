package main

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/internal/version"
)

func expectedVersion(program string) string {
	return program + " " + testVersion + `
go         ` + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + `
wire       spec v1.1, SBE schema 900 version 1
driver     spec v1.0, SBE schema 901 version 1
bridge     spec v1.0, SBE schema 902 version 1
discovery  spec v1.0, SBE schema 910 version 1
aeron      ` + version.Aeron + ` (media driver io.aeron:aeron-all)
`
}

func TestVersion(t *testing.T) {
	r := tp(t, "version")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, expectedVersion("tp"), r.stdout)
	require.Empty(t, r.stderr)

	r = tp(t, "version", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var info version.Info
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &info))
	require.Equal(t, testVersion, info.Version)
	require.Equal(t, version.Aeron, info.Aeron)
	require.Equal(t, version.Protocols(), info.Protocols)
}

// tp-driver --version prints what tp version prints, under its own name, without
// needing a configuration.
func TestDriverVersionFlag(t *testing.T) {
	r := runCommand(t, nil, "tp-driver", "--version")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, expectedVersion("tp-driver"), r.stdout)
}
