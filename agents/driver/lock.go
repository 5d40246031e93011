package driver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ErrInUse: another driver runs on the same SHM base directory, or serves
// the same control stream of the same media driver.
var ErrInUse = errors.New("driver: in use by another tp-driver")

// LockOwner is what a lock file says about the driver holding it, for the
// message another driver prints.
type LockOwner struct {
	Pid      int
	Instance string // driver.instance_id
	Nonce    uint32 // the run's instance nonce (lease id prefix)
	Since    time.Time
	// Created are directories the holder created and removes on exit once
	// empty; a driver that takes over the lock of a dead one inherits them.
	Created []string
}

func (o LockOwner) encode() []byte {
	b := fmt.Appendf(nil, "pid=%d\ninstance=%s\nnonce=%08x\nsince=%s\n", o.Pid, o.Instance, o.Nonce, o.Since.UTC().Format(time.RFC3339))
	for _, dir := range o.Created {
		b = fmt.Appendf(b, "created=%s\n", dir)
	}
	return b
}

// parseLockOwner reads what encode wrote; unknown or missing lines leave
// fields zero.
func parseLockOwner(data []byte) LockOwner {
	var o LockOwner
	s := bufio.NewScanner(strings.NewReader(string(data)))
	for s.Scan() {
		key, value, _ := strings.Cut(s.Text(), "=")
		switch key {
		case "pid":
			o.Pid, _ = strconv.Atoi(value)
		case "instance":
			o.Instance = value
		case "nonce":
			n, _ := strconv.ParseUint(value, 16, 32)
			o.Nonce = uint32(n)
		case "since":
			o.Since, _ = time.Parse(time.RFC3339, value)
		case "created":
			o.Created = append(o.Created, value)
		}
	}
	return o
}

func (o LockOwner) String() string {
	if o.Pid == 0 {
		return "a tp-driver (its lock file names no process)"
	}
	s := fmt.Sprintf("tp-driver pid %d (instance %q", o.Pid, o.Instance)
	if !o.Since.IsZero() {
		s += ", since " + o.Since.Format(time.RFC3339)
	}
	return s + ")"
}

// Lock is an exclusive flock(2) on a lock file holding its owner's pid and
// instance. The kernel drops it when the holder dies, however it dies, so
// the lock of a driver killed with SIGKILL is simply taken by the next.
type Lock struct {
	f    *os.File
	path string
	// Previous is the owner the file named when it was taken over: a driver
	// that died holding it (zero when the file was new or empty).
	Previous LockOwner
}

// AcquireLock takes the lock at path, creating the file if needed, and
// writes owner into it. When another process holds it the error wraps
// ErrInUse and names that process as its file does; what says what the
// lock guards. A file unlinked by its releasing holder between our open and
// our flock is detected (the path no longer names the locked inode) and the
// attempt repeated, so removing lock files on release is safe.
func AcquireLock(path, what string, owner LockOwner) (*Lock, error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("driver: lock file for %s: %w", what, err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			data, _ := os.ReadFile(path)
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, fmt.Errorf("%w: %s is in use by %s (lock file %s)", ErrInUse, what, parseLockOwner(data), path)
			}
			return nil, fmt.Errorf("driver: locking %s: %w", path, err)
		}
		var held, named unix.Stat_t
		if unix.Fstat(int(f.Fd()), &held) != nil || unix.Lstat(path, &named) != nil || held.Dev != named.Dev || held.Ino != named.Ino {
			f.Close() // released and removed under us: try the file now at path
			continue
		}
		data, _ := os.ReadFile(path)
		l := &Lock{f: f, path: path, Previous: parseLockOwner(data)}
		if err := l.rewrite(owner); err != nil {
			l.Release()
			return nil, err
		}
		return l, nil
	}
}

// rewrite replaces what the lock file says of its owner.
func (l *Lock) rewrite(owner LockOwner) error {
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("driver: lock file %s: %w", l.path, err)
	}
	if _, err := l.f.WriteAt(owner.encode(), 0); err != nil {
		return fmt.Errorf("driver: lock file %s: %w", l.path, err)
	}
	return nil
}

// Path is the lock file.
func (l *Lock) Path() string { return l.path }

// Release removes the lock file and drops the lock. Removing it before the
// unlock means a waiting driver never locks a file already unlinked.
func (l *Lock) Release() error {
	err := os.Remove(l.path)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	return errors.Join(err, l.f.Close())
}

// BaseDirLockPath is the lock file of the driver that runs on the SHM base
// directory base.
func BaseDirLockPath(base string) string { return filepath.Join(base, lockFileName) }

// ReadLockOwner reads what the lock file at path says of the driver that
// holds it, or held it last, without taking the lock (tp list reads it);
// whether that driver still runs is for the caller to check. Only the first
// 64 KiB are read.
func ReadLockOwner(path string) (LockOwner, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return LockOwner{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return LockOwner{}, err
	}
	return parseLockOwner(data), nil
}

// processAlive reports whether a process with pid exists (kill(pid, 0)).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
