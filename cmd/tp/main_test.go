package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
)

// testVersion is stamped into the binaries under test the way the build stamps
// git describe, so the tests see the -X path work.
const testVersion = "v9.9.9-test"

// binDir holds tp and tp-driver for every test in this package, built once, by the
// first test that runs one (so fuzz workers, which run none, build nothing).
var (
	binDir    string
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(childConsumerEnv); spec != "" {
		os.Exit(runChildConsumer(spec))
	}
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	dir, err := os.MkdirTemp("", "tp-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	// The test system (system_test.go) stops before the media driver it runs on.
	drivertest.Main(m, nil, stopSystem, func() { os.RemoveAll(dir) })
}

// command is the path of a built command, tp or tp-driver.
func command(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		build := exec.CommandContext(ctx, "go", "build",
			"-ldflags", "-X github.com/tensorpool/tensorpool/internal/version.stamped="+testVersion,
			"-o", binDir+"/", ".", "../tp-driver")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("%w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building tp and tp-driver: %v", buildErr)
	}
	return filepath.Join(binDir, name)
}

// result is a finished run of a command.
type result struct {
	stdout, stderr string
	code           int
}

// runCommand runs a built command to completion (at most a minute) with extra
// environment variables.
func runCommand(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, command(t, name), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %s %v: %v", name, args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

func tp(t *testing.T, args ...string) result {
	t.Helper()
	return runCommand(t, nil, "tp", args...)
}

// The root help lists the commands that exist and nothing else.
func TestHelpListsTheCommands(t *testing.T) {
	r := tp(t, "--help")
	require.Equal(t, exitOK, r.code, r.stderr)
	_, listing, ok := strings.Cut(r.stdout, "Available Commands:\n")
	require.True(t, ok, r.stdout)
	listing, _, _ = strings.Cut(listing, "\n\n")
	var names []string
	for _, line := range strings.Split(listing, "\n") {
		names = append(names, strings.Fields(line)[0])
	}
	require.Equal(t, []string{"bw", "check", "help", "hz", "inspect", "list", "media-driver", "run", "stat", "tap", "version"}, names)

	for _, sub := range []string{"bw", "check", "hz", "inspect", "list", "media-driver", "stat", "tap", "version", "run", "run driver", "run supervisor", "run discovery", "run registry", "run bridge", "run ratelimiter"} {
		r := tp(t, append(strings.Fields(sub), "--help")...)
		require.Equal(t, exitOK, r.code, sub)
		require.Contains(t, r.stdout, "Usage:\n  tp "+sub, sub)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "tp"`},
		{[]string{"check"}, "accepts 1 arg(s), received 0"},
		{[]string{"check", "--nope", "x.toml"}, "unknown flag: --nope"},
		{[]string{"inspect", "a", "b"}, "accepts 1 arg(s), received 2"},
		{[]string{"inspect", "--slots", "-1", "x"}, "--slots -1: want 0 or more"},
		{[]string{"version", "extra"}, `unknown command "extra" for "tp version"`},
		{[]string{"media-driver", "stray"}, `unexpected argument "stray": Java properties go after --`},
		{[]string{"media-driver", "--", "-Xmx1g"}, `"-Xmx1g" after --: want a Java system property -Dname=value`},
		{[]string{"media-driver", "--dir", "/a", "--", "-Daeron.dir=/b"}, `--dir "/a" and -Daeron.dir="/b" disagree`},
		{[]string{"list", "extra"}, `unknown command "extra" for "tp list"`},
		{[]string{"list", "--duration", "0s"}, "--duration 0s: want a positive duration"},
		{[]string{"tap", "--count", "-1"}, "--count -1: want 0 (no limit) or more"},
		{[]string{"tap", "--message", "Frobnicate"}, `--message "Frobnicate": not a tensorpool message`},
		{[]string{"tap", "--stream", "x"}, `invalid argument "x" for "--stream"`},
		{[]string{"tap", "--stream", "1", "--channel", ""}, "--channel is empty"},
		{[]string{"hz", "ten"}, `stream id "ten": want a number from 0 to 4294967295`},
		{[]string{"hz", "--window", "1"}, "--window 1: want 2 frames or more"},
		{[]string{"bw", "--interval", "0s"}, "--interval 0s: want a positive duration"},
		{[]string{"bw", "--allowed-base-dir", "rel"}, `--allowed-base-dir "rel": want an absolute path`},
		{[]string{"stat", "--type", "x-y"}, `--type "x-y": want a type id or FIRST-LAST`},
		{[]string{"stat", "--type", "20-10"}, `--type "20-10": want a type id or FIRST-LAST with FIRST <= LAST`},
		{[]string{"stat", "--tp", "--type", "1"}, "--tp and --type: give one"},
		{[]string{"stat", "--filter", "("}, `--filter "(": error parsing regexp`},
	} {
		r := tp(t, tc.args...)
		require.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		require.Contains(t, r.stderr, tc.want, tc.args)
		require.Contains(t, r.stderr, "--help' for usage.", tc.args)
		require.Empty(t, r.stdout, tc.args)
	}
}
