package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/internal/version"
)

// aeronDriverTimeout is the Java driver's default aeron.driver.timeout: a CnC file whose
// heartbeat is younger belongs to a running driver.
const aeronDriverTimeout = 10 * time.Second

type mediaDriverOptions struct {
	dir          string
	jar          string
	java         string
	startTimeout time.Duration
	stopTimeout  time.Duration
}

func newMediaDriverCommand() *cobra.Command {
	var o mediaDriverOptions
	cmd := &cobra.Command{
		Use:   "media-driver [flags] [-- -Dname=value ...]",
		Short: "Run the Aeron media driver (Java) in the foreground",
		Long: `media-driver runs the official Aeron media driver, io.aeron.driver.MediaDriver
from the pinned aeron-all jar, in the foreground with the JVM options it needs
on Java 17+ (the --add-opens that running the jar by hand lacks, which shows
as IllegalAccessError). tp-driver, tp clients and C programs attach to it
through its aeron.dir.

aeron.dir is --dir, else $AERON_DIR, else Aeron's default /dev/shm/aeron-$USER.
The driver otherwise keeps Aeron's own defaults (dedicated threads, the
directory kept at shutdown) but for its timer interval, 100 ms rather than
1 s (aeron.timer.interval): a consumer that stops reading holds a descriptor
stream back until the driver's timer events drop it, at most 1.2 s so rather
than 2 s. Java system properties after -- are passed through and win, e.g.
-Daeron.threading.mode=SHARED for a small machine.

The jar is --jar, else $TP_AERON_JAR, else third_party/aeron-all.jar of the
source tree (make deps); java is --java, else $JAVA_HOME/bin/java, else java
on PATH. It refuses to start over a driver that is already running in the
directory.

SIGINT or SIGTERM stops the driver and media-driver exits 0 once it has
stopped; a second signal, or --stop-timeout, kills it. media-driver removes
nothing itself: the directory is left as the driver leaves it. Under
systemd (Type=notify) it reports READY=1 once the driver is up.`,
		Example: `  tp media-driver
  tp media-driver --dir /dev/shm/aeron-tensorpool -- -Daeron.threading.mode=SHARED`,
		RunE: func(cmd *cobra.Command, args []string) error {
			props, err := passThroughProperties(args, cmd.ArgsLenAtDash())
			if err != nil {
				return usageError(err)
			}
			dir, err := aeronDir(o.dir, props)
			if err != nil {
				return usageError(err)
			}
			signals := make(chan os.Signal, 2)
			signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
			defer signal.Stop(signals)
			return runMediaDriver(cmd.OutOrStdout(), cmd.ErrOrStderr(), o, dir, props, signals)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "", "aeron.dir (default $AERON_DIR, else /dev/shm/aeron-$USER)")
	f.StringVar(&o.jar, "jar", "", "aeron-all.jar (default $TP_AERON_JAR, else the source tree's third_party/aeron-all.jar)")
	f.StringVar(&o.java, "java", "", "java executable (default $JAVA_HOME/bin/java, else java on PATH)")
	f.DurationVar(&o.startTimeout, "start-timeout", 60*time.Second, "how long the driver may take to become ready")
	f.DurationVar(&o.stopTimeout, "stop-timeout", 10*time.Second, "how long the driver may take to stop before it is killed")
	return cmd
}

// passThroughProperties parses the arguments after "--": each must be -Dname=value.
func passThroughProperties(args []string, dash int) (map[string]string, error) {
	if dash < 0 && len(args) > 0 || dash > 0 {
		return nil, fmt.Errorf("unexpected argument %q: Java properties go after --, e.g. tp media-driver -- -Daeron.threading.mode=SHARED", args[0])
	}
	props := map[string]string{}
	for _, arg := range args {
		name, value, ok := strings.Cut(strings.TrimPrefix(arg, "-D"), "=")
		if !strings.HasPrefix(arg, "-D") || !ok || name == "" {
			return nil, fmt.Errorf("%q after --: want a Java system property -Dname=value", arg)
		}
		props[name] = value
	}
	return props, nil
}

// aeronDir follows Aeron's convention: the aeron.dir property, else $AERON_DIR, else
// aeron-<user> in /dev/shm (or the temporary directory where there is none).
func aeronDir(flagDir string, props map[string]string) (string, error) {
	if propDir, ok := props["aeron.dir"]; ok {
		if flagDir != "" && filepath.Clean(flagDir) != filepath.Clean(propDir) {
			return "", fmt.Errorf("--dir %q and -Daeron.dir=%q disagree", flagDir, propDir)
		}
		flagDir = propDir
	}
	if flagDir == "" {
		flagDir = os.Getenv("AERON_DIR")
	}
	if flagDir != "" {
		return filepath.Abs(flagDir)
	}
	name := os.Getenv("USER")
	if name == "" {
		u, err := user.Current()
		if err != nil {
			return "", fmt.Errorf("no --dir, $AERON_DIR or $USER, and the current user is unknown: %w", err)
		}
		name = u.Username
	}
	base := "/dev/shm"
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		base = os.TempDir()
	}
	return filepath.Join(base, "aeron-"+name), nil
}

// aeronDefaults undo the test-oriented settings mediadriver.DefaultProperties gives an
// embedded driver (a private directory deleted at start and shutdown, one shared
// thread): a driver run by hand keeps Aeron's defaults unless -D says otherwise. In
// particular it must not delete a directory another driver may be using.
var aeronDefaults = map[string]string{
	"aeron.dir.delete.on.start":    "false",
	"aeron.dir.delete.on.shutdown": "false",
	"aeron.threading.mode":         "DEDICATED",
}

func runMediaDriver(stdout, stderr io.Writer, o mediaDriverOptions, dir string, props map[string]string, signals <-chan os.Signal) error {
	if c, err := cnc.OpenWithin(dir, aeronDriverTimeout, 0); err == nil {
		hb := time.UnixMilli(c.DriverHeartbeatMs())
		_ = c.Close()
		return failure(fmt.Errorf("a media driver is already running in %s (heartbeat %v ago)", dir, time.Since(hb).Round(time.Millisecond)))
	}
	jar, err := mediadriver.FindJar(o.jar)
	if err != nil {
		return failure(err)
	}
	all := map[string]string{}
	for k, v := range aeronDefaults {
		all[k] = v
	}
	for k, v := range props {
		all[k] = v
	}
	d, err := mediadriver.Start(mediadriver.Config{
		Dir: dir, JarPath: jar, JavaPath: o.java, Properties: all,
		StartTimeout: o.startTimeout, StopTimeout: o.stopTimeout, Output: stdout,
	})
	if err != nil {
		return failure(err)
	}
	// Not d.Close: it removes the directory, which is the driver's to keep or delete.
	// Start reports ready on any CnC file with a heartbeat, a stale one left by a
	// crashed driver included; wait for a live heartbeat of the new driver.
	c, err := cnc.OpenWithin(dir, aeronDriverTimeout, o.startTimeout)
	if err != nil {
		kill(d, o.stopTimeout)
		return failure(fmt.Errorf("media driver pid %d did not become ready in %s: %w", d.Pid(), dir, err))
	}
	_ = c.Close()
	fmt.Fprintf(stderr, "tp: media driver ready: aeron.dir=%s pid=%d aeron-all %s (%s)\n", dir, d.Pid(), version.Aeron, jar)
	if err := notifySystemd("READY=1\nMAINPID=" + fmt.Sprint(os.Getpid())); err != nil {
		fmt.Fprintln(stderr, "tp: warning: telling systemd the driver is ready:", err)
	}

	var stopDeadline <-chan time.Time
	for {
		select {
		case sig := <-signals:
			if stopDeadline != nil {
				fmt.Fprintf(stderr, "tp: second signal (%v): killing the media driver\n", sig)
				kill(d, o.stopTimeout)
				return failure(errors.New("media driver killed"))
			}
			_ = notifySystemd("STOPPING=1")
			fmt.Fprintf(stderr, "tp: %v: stopping the media driver\n", sig)
			forward, ok := sig.(syscall.Signal)
			if !ok {
				forward = syscall.SIGTERM
			}
			if err := syscall.Kill(d.Pid(), forward); err != nil && !errors.Is(err, syscall.ESRCH) {
				return failure(fmt.Errorf("signalling media driver pid %d: %w", d.Pid(), err))
			}
			stopDeadline = time.After(o.stopTimeout)
		case <-d.Exited():
			if stopDeadline == nil {
				return failure(fmt.Errorf("media driver pid %d exited on its own", d.Pid()))
			}
			fmt.Fprintln(stderr, "tp: media driver stopped")
			return nil
		case <-stopDeadline:
			kill(d, o.stopTimeout)
			return failure(fmt.Errorf("media driver pid %d did not stop within %v; killed", d.Pid(), o.stopTimeout))
		}
	}
}

// kill ends the driver at once; Driver.Kill leaves the directory alone.
func kill(d *mediadriver.Driver, wait time.Duration) {
	_ = d.Kill()
	select {
	case <-d.Exited():
	case <-time.After(wait):
	}
}

// notifySystemd sends a sd_notify(3) state to $NOTIFY_SOCKET, when systemd set one.
func notifySystemd(state string) error {
	socket := os.Getenv("NOTIFY_SOCKET")
	if socket == "" {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(state))
	return err
}
