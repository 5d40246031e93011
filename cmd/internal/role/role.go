// Package role runs the tensorpool roles as commands: the SHM driver (tp-driver, and `tp
// run driver`), the supervisor, the discovery provider, the discovery registry, the bridge
// and the rate limiter (`tp run ROLE`). Each run connects to the media driver in the Aeron directory (starting one
// there when none runs), hosts its agents on one process duty cycle, serves its metrics
// to Prometheus when asked, and stops cleanly on SIGINT or SIGTERM.
//
// Exit status: 0 after a clean stop, 1 on a runtime failure (another instance already
// serves the same endpoint, the media driver was lost, a destination stream another
// producer holds), 2 on a usage or configuration error.
package role

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/aeron/mediadriver"
)

// Exit statuses of every role.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Options are what every role's command line sets.
type Options struct {
	// ConfigPath is the configuration file; empty for the role's built-in one (where
	// it has one).
	ConfigPath string
	// AeronDir overrides the Aeron directory convention (AeronDir).
	AeronDir string
	// MetricsAddr, when set, serves the role's metrics at http://MetricsAddr/metrics.
	MetricsAddr string
	LogLevel    slog.Level
	// LogFormat is "text" or "json".
	LogFormat string
}

// CheckLogFormat says whether f is a log format NewLogger knows.
func CheckLogFormat(f string) error {
	if f != "text" && f != "json" {
		return fmt.Errorf("--log-format %q: want text or json", f)
	}
	return nil
}

// NewLogger is the role's logger on w, in o's level and format.
func NewLogger(o Options, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: o.LogLevel}
	if o.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// AeronDir picks the Aeron directory: the flag, $AERON_DIR (Aeron's own variable),
// $TP_AERON_DIR (its alias), the configuration's (configured), then Aeron's default.
func AeronDir(flag, configured string) string {
	for _, dir := range []string{flag, os.Getenv("AERON_DIR"), os.Getenv(mediadriver.EnvDir), configured} {
		if dir != "" {
			return filepath.Clean(dir)
		}
	}
	return aeron.DefaultDir()
}

// LockPath is the lock file of one instance of a role on a stream of the media driver
// in dir: beside the directory, named after it, the role and the stream. IPC streams are
// told apart by stream id alone (an IPC subscription matches any IPC channel of its
// stream); other channels by the channel too.
func LockPath(dir, role, channel string, streamID uint32) string {
	key := fmt.Sprintf("ipc-%d", streamID)
	if !strings.HasPrefix(channel, "aeron:ipc") {
		key = fmt.Sprintf("%d-%08x", streamID, fnv32(channel))
	}
	return dir + ".tp-" + role + "-" + key + ".lock"
}

// fnv32 is the FNV-1a hash of s.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// lineLogger logs what the media driver prints, a record per line, so every line a role
// writes is in the chosen log format. The driver's output comes from one goroutine.
type lineLogger struct {
	log     *slog.Logger
	partial []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := strings.TrimRight(string(l.partial[:i]), "\r"); line != "" {
			l.log.Info("media driver output", "line", line)
		}
		l.partial = l.partial[i+1:]
	}
}
