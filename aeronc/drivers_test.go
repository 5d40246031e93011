//go:build aeronc

package aeronc

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/agent"
)

// EnvAeronmd names the C media driver binary for the tests' C driver legs.
const EnvAeronmd = "AERONMD"

// findAeronmd looks for the C media driver: $AERONMD, then aeronmd on PATH, then the
// bin directory of the Aeron install the library or headers come from.
func findAeronmd() (string, bool) {
	if p := os.Getenv(EnvAeronmd); p != "" {
		return p, true
	}
	if p, err := exec.LookPath("aeronmd"); err == nil {
		return p, true
	}
	var prefixes []string
	if lib, _ := libraryPath(""); filepath.IsAbs(lib) {
		prefixes = append(prefixes, filepath.Dir(filepath.Dir(lib)))
	}
	if inc := os.Getenv(EnvIncludeDir); inc != "" {
		prefixes = append(prefixes, filepath.Dir(filepath.Dir(inc)), filepath.Dir(inc))
	}
	for _, prefix := range prefixes {
		p := filepath.Join(prefix, "bin", "aeronmd")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// startCDriver runs aeronmd with the Java test driver's settings in a fresh directory for
// the rest of the test, or skips the test, saying so in one line, when there is no aeronmd.
func startCDriver(t *testing.T) string {
	t.Helper()
	bin, ok := findAeronmd()
	if !ok {
		t.Skipf("C media driver leg not run: aeronmd not found (set %s, put it on PATH, or beside libaeron in <prefix>/bin)", EnvAeronmd)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	dir := fmt.Sprintf("/dev/shm/tp-aeronmd-%d-%s", os.Getpid(), hex.EncodeToString(suffix))
	props := drivertest.Properties()
	for k, v := range mediadriver.DefaultProperties(dir) {
		props[k] = v
	}
	var args []string
	for k, v := range props {
		args = append(args, "-D"+k+"="+v)
	}
	cmd := exec.Command(bin, args...)
	var output strings.Builder
	var outputMu sync.Mutex
	cmd.Stdout = lockedWriter{&outputMu, &output}
	cmd.Stderr = cmd.Stdout
	// The driver dies with this process: Pdeathsig follows the forking thread, which
	// stays locked until the driver is gone.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	started, exited := make(chan error, 1), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	})
	if _, err := mediadriver.External(dir, 20*time.Second); err != nil {
		outputMu.Lock()
		defer outputMu.Unlock()
		t.Fatalf("%s did not become ready: %v\n%s", bin, err, output.String())
	}
	return dir
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// errorLog keeps the errors a client's ErrorHandler received.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) handler(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// connect makes a client of the driver in dir, runs its conductor in invoker mode, and
// closes both at cleanup.
func connect(t *testing.T, dir string, invoker bool, log *errorLog) *Client {
	t.Helper()
	cfg := Config{Dir: dir, UseInvoker: invoker, ClientName: t.Name()}
	if log != nil {
		cfg.ErrorHandler = log.handler
	}
	c, err := Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("closing the client: %v", err)
		}
	})
	if conductor := c.Conductor(); conductor != nil {
		r := agent.NewRunner(conductor, agent.RunnerConfig{Idle: agent.NewBackoff()})
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := r.Close(); err != nil {
				t.Errorf("stopping the conductor: %v", err)
			}
		})
	}
	return c
}
