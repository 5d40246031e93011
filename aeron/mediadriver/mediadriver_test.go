package mediadriver_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
)

func processAlive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func waitGone(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEmbeddedDriverLifecycleAndExternalUse(t *testing.T) {
	d, err := mediadriver.Start(mediadriver.Config{Properties: drivertest.Properties(), StartTimeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.Embedded() || d.Pid() <= 0 || !strings.HasPrefix(d.Dir(), "/dev/shm/tp-aeron-") {
		t.Fatalf("embedded=%v pid=%d dir=%s", d.Embedded(), d.Pid(), d.Dir())
	}
	c, err := cnc.Open(d.Dir(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != cnc.Version {
		t.Errorf("driver writes CnC version %s, client expects %s", cnc.SemanticVersion(c.Version), cnc.SemanticVersion(cnc.Version))
	}
	if c.ClientLivenessTimeout != 2*time.Second {
		t.Errorf("client liveness timeout %v, want the configured 2s", c.ClientLivenessTimeout)
	}
	c.Close()

	// The same driver, used as an external one: via TP_AERON_DIR.
	t.Setenv(mediadriver.EnvDir, d.Dir())
	ext, err := mediadriver.Launch(mediadriver.Config{StartTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if ext.Embedded() || ext.Dir() != d.Dir() || ext.Pid() != 0 {
		t.Fatalf("Launch with %s: embedded=%v dir=%s", mediadriver.EnvDir, ext.Embedded(), ext.Dir())
	}
	if err := ext.Close(); err != nil {
		t.Fatal(err)
	}
	if !processAlive(d.Pid()) {
		t.Fatal("closing the external handle stopped the driver")
	}

	pid := d.Pid()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.Exited():
	default:
		t.Fatal("Close returned before the driver exited")
	}
	if processAlive(pid) {
		t.Fatalf("driver pid %d still alive after Close", pid)
	}
	if _, err := os.Stat(d.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("driver dir %s still present after Close: %v", d.Dir(), err)
	}
}

func TestKillThenCloseRemovesDir(t *testing.T) {
	d := drivertest.Start(t, nil)
	if err := d.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cnc.Path(d.Dir())); err != nil {
		t.Fatalf("a killed driver leaves its CnC behind, but: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dir not removed: %v", err)
	}
}

func TestDriverThatExitsAtStartupIsReported(t *testing.T) {
	props := drivertest.Properties()
	props["aeron.threading.mode"] = "NOT_A_MODE"
	start := time.Now()
	_, err := mediadriver.Start(mediadriver.Config{Properties: props, StartTimeout: 60 * time.Second})
	if !errors.Is(err, mediadriver.ErrExited) {
		t.Fatalf("got %v, want ErrExited", err)
	}
	if !strings.Contains(err.Error(), "NOT_A_MODE") {
		t.Errorf("error does not carry the driver's output: %v", err)
	}
	t.Logf("startup failure reported after %v", time.Since(start))
}

func TestMissingJarOrJava(t *testing.T) {
	if _, err := mediadriver.Start(mediadriver.Config{JarPath: filepath.Join(t.TempDir(), "none.jar")}); !errors.Is(err, mediadriver.ErrJarNotFound) {
		t.Fatalf("missing jar: got %v", err)
	}
	t.Setenv(mediadriver.EnvJar, filepath.Join(t.TempDir(), "env.jar"))
	_, err := mediadriver.Start(mediadriver.Config{})
	if !errors.Is(err, mediadriver.ErrJarNotFound) || !strings.Contains(err.Error(), "env.jar") {
		t.Fatalf("%s not honoured: %v", mediadriver.EnvJar, err)
	}
	if !strings.Contains(err.Error(), "make deps") {
		t.Fatalf("error does not say how to fix it: %v", err)
	}
	if _, err := mediadriver.Start(mediadriver.Config{JavaPath: "/nonexistent/java"}); !errors.Is(err, mediadriver.ErrJavaNotFound) {
		t.Fatalf("missing java: got %v", err)
	}
}

func TestExternalDirWithoutDriverTimesOut(t *testing.T) {
	_, err := mediadriver.External(t.TempDir(), 100*time.Millisecond)
	if !errors.Is(err, cnc.ErrNotFound) {
		t.Fatalf("got %v, want cnc.ErrNotFound", err)
	}
}

const helperEnv = "TP_MEDIADRIVER_HELPER"

// TestHelperProcessStartsDriverAndDies is not a test on its own: run as a
// child by TestParentDeathStopsDriver, it starts a driver, reports it and
// exits without closing it.
func TestHelperProcessStartsDriverAndDies(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	d, err := mediadriver.Start(mediadriver.Config{Properties: drivertest.Properties(), StartTimeout: 60 * time.Second})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	fmt.Printf("DRIVER %d %s\n", d.Pid(), d.Dir())
	os.Exit(0)
}

func TestParentDeathStopsDriver(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessStartsDriverAndDies$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var dir string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "DRIVER" {
			pid, _ = strconv.Atoi(f[1])
			dir = f[2]
		} else if len(f) > 0 && f[0] == "ERROR" {
			t.Fatal(sc.Text())
		}
	}
	_ = cmd.Wait()
	if pid == 0 {
		t.Fatal("helper did not report a driver")
	}
	t.Cleanup(func() {
		if processAlive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = os.RemoveAll(dir)
	})
	waitGone(t, fmt.Sprintf("orphaned driver pid %d exits", pid), func() bool { return !processAlive(pid) })
	waitGone(t, "the orphaned driver's dir is deleted at its shutdown", func() bool {
		_, err := os.Stat(dir)
		return errors.Is(err, os.ErrNotExist)
	})
}

// The embedded driver runs in a process group of its own, so a terminal's
// Ctrl-C (SIGINT to the foreground group) reaches only its parent, which
// stops it last; a signal to the parent's group leaves it running.
func TestEmbeddedDriverHasItsOwnProcessGroup(t *testing.T) {
	d := drivertest.Start(t, nil)
	pgid, err := syscall.Getpgid(d.Pid())
	if err != nil {
		t.Fatal(err)
	}
	if pgid != d.Pid() || pgid == syscall.Getpgrp() {
		t.Fatalf("driver pid %d is in process group %d (ours %d)", d.Pid(), pgid, syscall.Getpgrp())
	}
}

// StartOrUse starts a driver in a given directory when none runs there, and
// uses the one running there otherwise; only the embedded one stops on Close.
func TestStartOrUseStartsOnceAndThenJoins(t *testing.T) {
	dir := filepath.Join("/dev/shm", fmt.Sprintf("tp-aeron-startoruse-%d", os.Getpid()))
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg := mediadriver.Config{Dir: dir, Properties: drivertest.Properties(), StartTimeout: 60 * time.Second}
	first, err := mediadriver.StartOrUse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if !first.Embedded() || first.Dir() != dir {
		t.Fatalf("embedded=%v dir=%s", first.Embedded(), first.Dir())
	}
	second, err := mediadriver.StartOrUse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if second.Embedded() || second.Dir() != dir {
		t.Fatalf("the second did not join the first: embedded=%v dir=%s", second.Embedded(), second.Dir())
	}
	if err := second.Close(); err != nil || !processAlive(first.Pid()) {
		t.Fatalf("closing the joined handle stopped the driver: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dir still present after the embedded driver stopped: %v", err)
	}
}

// A driver started in a directory that is not deleted on start, where a killed driver
// left its CnC file, is ready only once it has written that file itself: the leftover
// file's heartbeat is the dead driver's, and a client joining through it would join no
// one.
func TestStartOverADeadDriversDirectoryWaitsForItsOwnHeartbeat(t *testing.T) {
	dir := filepath.Join("/dev/shm", fmt.Sprintf("tp-aeron-leftover-%d", os.Getpid()))
	t.Cleanup(func() { os.RemoveAll(dir) })
	props := drivertest.Properties()
	props["aeron.dir.delete.on.start"] = "false"
	props["aeron.driver.timeout"] = "1000" // the next driver takes over a directory dead for 1 s
	cfg := mediadriver.Config{Dir: dir, Properties: props, StartTimeout: 60 * time.Second}
	first, err := mediadriver.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(first.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.Exited()
	time.Sleep(1500 * time.Millisecond)
	second, err := mediadriver.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		second.Close()
		first.Close()
	}()
	c, err := cnc.Map(cnc.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.DriverPid != int64(second.Pid()) {
		t.Fatalf("Start returned while the CnC file was still the dead driver's (pid %d, new driver %d)", c.DriverPid, second.Pid())
	}
}
