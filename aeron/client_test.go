package aeron

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/counters"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
)

// errorLog collects asynchronous client errors.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) handle(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

func connect(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = drivertest.Dir(t)
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = func(err error) { t.Logf("client error: %v", err) }
	}
	c, err := Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return c
}

// awaitAdd waits for an add to be answered, running the conductor itself when the
// client is in invoker mode; a hang fails the test.
func awaitAdd[T any](t testing.TB, c *Client, p transport.Pending[T]) (T, error) {
	t.Helper()
	deadline := time.Now().Add(c.DriverTimeout() + 5*time.Second)
	for {
		if conductor := c.Conductor(); conductor != nil {
			conductor.DoWork(clock.Now())
		}
		v, err := p.Poll()
		if !errors.Is(err, transport.ErrPending) {
			return v, err
		}
		if time.Now().After(deadline) {
			t.Fatalf("add still pending after %v", c.DriverTimeout()+5*time.Second)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// added is awaitAdd for an add that must succeed.
func added[T any](t testing.TB, c *Client, p transport.Pending[T]) T {
	t.Helper()
	v, err := awaitAdd(t, c, p)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func addSubscription(t testing.TB, c *Client, channel string, stream int32) *Subscription {
	t.Helper()
	return added(t, c, c.AddSubscription(channel, stream)).(*Subscription)
}

func addPublication(t testing.TB, c *Client, channel string, stream int32) *Publication {
	t.Helper()
	return added(t, c, c.AddPublication(channel, stream)).(*Publication)
}

func addExclusivePublication(t testing.TB, c *Client, channel string, stream int32) *Publication {
	t.Helper()
	return added(t, c, c.AddExclusivePublication(channel, stream)).(*Publication)
}

func addCounter(t testing.TB, c *Client, typeID int32, key []byte, label string) *Counter {
	t.Helper()
	return added(t, c, c.AddCounter(typeID, key, label)).(*Counter)
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestConnectAndClose(t *testing.T) {
	c, err := Connect(Config{Dir: drivertest.Dir(t)})
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientID() <= 0 {
		t.Fatalf("client id %d", c.ClientID())
	}
	if err := c.Err(); err != nil {
		t.Fatalf("fresh client reports %v", err)
	}
	other, err := Connect(Config{Dir: drivertest.Dir(t), UseInvoker: true})
	if err != nil {
		t.Fatal(err)
	}
	if other.ClientID() == c.ClientID() {
		t.Fatal("two clients got the same id")
	}
	for _, cl := range []*Client{c, other} {
		if err := cl.Close(); err != nil {
			t.Fatal(err)
		}
		if err := cl.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if !errors.Is(cl.Err(), ErrClientClosed) {
			t.Fatalf("after Close: %v", cl.Err())
		}
		if _, err := awaitAdd(t, cl, cl.AddCounter(1001, nil, "x")); !errors.Is(err, ErrClientClosed) {
			t.Fatalf("AddCounter after Close: %v", err)
		}
	}
}

func TestConnectToMissingCnC(t *testing.T) {
	start := time.Now()
	_, err := Connect(Config{Dir: t.TempDir(), DriverTimeout: 200 * time.Millisecond})
	if !errors.Is(err, cnc.ErrNotFound) {
		t.Fatalf("got %v, want cnc.ErrNotFound", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("took %v for a 200ms timeout", time.Since(start))
	}
}

// writeCnC writes a CnC header with valid buffer sizes; edit adjusts it.
func writeCnC(t *testing.T, edit func([]byte)) string {
	t.Helper()
	const toDriver, toClients, meta, values, errLog = 1024 + 768, 1024 + 128, 8 * 512, 8 * 128, 1024
	b := make([]byte, 128+toDriver+toClients+meta+values+errLog)
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(cnc.Version))
	le.PutUint32(b[4:], toDriver)
	le.PutUint32(b[8:], toClients)
	le.PutUint32(b[12:], meta)
	le.PutUint32(b[16:], values)
	le.PutUint32(b[20:], errLog)
	le.PutUint64(b[24:], uint64(10*time.Second))
	le.PutUint64(b[128+1024+640:], uint64(time.Now().UnixMilli()))
	edit(b)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, cnc.FileName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestConnectRejectsBadCnC(t *testing.T) {
	le := binary.LittleEndian
	cases := []struct {
		name string
		edit func([]byte)
		want error
	}{
		{"corrupt lengths", func(b []byte) { le.PutUint32(b[16:], 1<<30) }, cnc.ErrCorrupt},
		{"wrong version", func(b []byte) { le.PutUint32(b[0:], 3<<16) }, cnc.ErrVersion},
		{"stale driver heartbeat", func(b []byte) {
			le.PutUint64(b[128+1024+640:], uint64(time.Now().Add(-time.Hour).UnixMilli()))
		}, ErrDriverInactive},
		{"driver shut down", func(b []byte) { le.PutUint64(b[128+1024+640:], ^uint64(0)) }, ErrDriverInactive},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Connect(Config{Dir: writeCnC(t, tc.edit), DriverTimeout: 200 * time.Millisecond})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	_, err := Connect(Config{Dir: writeCnC(t, func(b []byte) { le.PutUint32(b[0:], 3<<16|1<<8) }), DriverTimeout: 200 * time.Millisecond})
	if msg := err.Error(); !strings.Contains(msg, "3.1.0") || !strings.Contains(msg, "0.2.0") {
		t.Fatalf("version error does not name both versions: %v", err)
	}
}

func TestBadChannelGivesDriverError(t *testing.T) {
	c := connect(t, Config{})
	_, err := awaitAdd(t, c, c.AddPublication("aeron:bogus", 1))
	var de *DriverError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a DriverError", err)
	}
	if !errors.Is(err, ErrorInvalidChannel) || de.Message == "" || !strings.Contains(err.Error(), "aeron:bogus") {
		t.Fatalf("code %v message %q (%v)", de.Code, de.Message, err)
	}
	t.Logf("driver said: %v", err)
	if _, err := awaitAdd(t, c, c.AddSubscription("aeron:udp?endpoint=localhost", 1)); !errors.Is(err, ErrorInvalidChannel) {
		t.Fatalf("subscription without a port: got %v, want INVALID_CHANNEL", err)
	} else {
		t.Logf("driver said: %v", err)
	}
	// The client stays usable after a rejected request.
	if _, err := awaitAdd(t, c, c.AddCounter(1001, nil, "after error")); err != nil {
		t.Fatal(err)
	}
}

func TestCountersAllocateUpdateRead(t *testing.T) {
	c := connect(t, Config{})
	key := []byte("tensorpool-key")
	const typeID = 1001
	label := "tensorpool test counter: NodeId=7"
	k := addCounter(t, c, typeID, key, label)
	r := c.CountersReader()
	var found *counters.Counter
	r.ForEach(func(ct counters.Counter) bool {
		if ct.ID == k.ID() {
			found = &ct
			return false
		}
		return true
	})
	if found == nil {
		t.Fatalf("counter %d not listed by the reader", k.ID())
	}
	if found.TypeID != typeID || found.Label != label || string(found.Key[:len(key)]) != string(key) ||
		found.RegistrationID != k.RegistrationID() || found.OwnerID != c.ClientID() {
		t.Fatalf("reader sees %+v", *found)
	}

	k.Set(40)
	if got := k.Add(2); got != 42 {
		t.Fatalf("Add returned %d", got)
	}
	k.Increment()
	if r.Value(k.ID()) != 43 || k.Get() != 43 {
		t.Fatalf("reader value %d, counter value %d, want 43", r.Value(k.ID()), k.Get())
	}

	// The driver's own counters: system counters and this client's heartbeat.
	bytesSent := r.FindSystemCounter(0)
	if bytesSent == counters.NullCounterID || !strings.Contains(r.Label(bytesSent), "Bytes sent") {
		t.Fatalf("system counter 0 not found or mislabelled (id %d)", bytesSent)
	}
	if id := r.FindSystemCounter(counters.SystemCounterErrors); id == counters.NullCounterID {
		t.Fatal("system counter 'Errors' not found")
	}
	eventually(t, 5*time.Second, "heartbeat counter adopted", func() bool {
		return c.HeartbeatCounterID() != counters.NullCounterID
	})
	hb := c.HeartbeatCounterID()
	if r.TypeID(hb) != counters.TypeClientHeartbeatTimestamp || r.KeyRegistrationID(hb) != c.ClientID() {
		t.Fatalf("heartbeat counter %d: type %d key %d", hb, r.TypeID(hb), r.KeyRegistrationID(hb))
	}

	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if !k.IsClosed() || k.Get() != 0 {
		t.Fatal("closed counter still reads")
	}
	eventually(t, 5*time.Second, "the driver frees the counter", func() bool {
		return r.State(found.ID) != counters.StateAllocated || r.RegistrationID(found.ID) != found.RegistrationID
	})
}

func TestCounterKeyAndLabelLimits(t *testing.T) {
	c := connect(t, Config{})
	if _, err := awaitAdd(t, c, c.AddCounter(1001, make([]byte, counters.MaxKeyLength+1), "x")); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("long key: %v", err)
	}
	if _, err := awaitAdd(t, c, c.AddCounter(1001, nil, strings.Repeat("x", counters.MaxLabelLength+1))); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("long label: %v", err)
	}
	k := addCounter(t, c, 1001, make([]byte, counters.MaxKeyLength), strings.Repeat("y", counters.MaxLabelLength))
	if got := c.CountersReader().Label(k.ID()); len(got) != counters.MaxLabelLength {
		t.Fatalf("label of %d bytes stored as %d", counters.MaxLabelLength, len(got))
	}
}

// The shared driver's client liveness timeout is 2s; these run for 5s (or
// 2.5 liveness timeouts of an external driver).
func TestKeepaliveOutlivesClientLivenessTimeout(t *testing.T) {
	for _, invoker := range []bool{false, true} {
		name := map[bool]string{false: "runner", true: "invoker"}[invoker]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var errs errorLog
			c := connect(t, Config{UseInvoker: invoker, ErrorHandler: errs.handle})
			k := addCounter(t, c, 1001, nil, "keepalive "+name)
			end := time.Now().Add(max(5*time.Second, c.cncFile.ClientLivenessTimeout*5/2))
			for time.Now().Before(end) {
				if invoker {
					c.Conductor().DoWork(clock.Now())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := c.Err(); err != nil {
				t.Fatalf("client ended: %v", err)
			}
			if k.IsClosed() || c.CountersReader().State(k.ID()) != counters.StateAllocated {
				t.Fatal("the driver released the client's counter")
			}
			if _, err := awaitAdd(t, c, c.AddCounter(1001, nil, "still alive")); err != nil {
				t.Fatal(err)
			}
			if e := errs.all(); len(e) != 0 {
				t.Fatalf("asynchronous errors: %v", e)
			}
		})
	}
	t.Run("without keepalive the driver times the client out", func(t *testing.T) {
		t.Parallel()
		var errs errorLog
		c := connect(t, Config{UseInvoker: true, ErrorHandler: errs.handle})
		k := addCounter(t, c, 1001, nil, "abandoned")
		r := c.CountersReader()
		eventually(t, c.cncFile.ClientLivenessTimeout+5*time.Second, "the driver reclaims an abandoned client's counter", func() bool {
			return r.State(k.ID()) != counters.StateAllocated || r.RegistrationID(k.ID()) != k.RegistrationID()
		})
		c.Conductor().DoWork(clock.Now())
		err := c.Err()
		if !errors.Is(err, ErrClientTimedOut) && !errors.Is(err, ErrConductorServiceTimeout) {
			t.Fatalf("after being abandoned: %v", err)
		}
		if !k.IsClosed() {
			t.Fatal("counter of a timed-out client still open")
		}
	})
}

func TestDriverDeathIsNoticed(t *testing.T) {
	d := drivertest.Start(t, nil)
	var errs errorLog
	c := connect(t, Config{Dir: d.Dir(), DriverTimeout: time.Second, ErrorHandler: errs.handle})
	k := addCounter(t, c, 1001, nil, "doomed")
	if err := d.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	eventually(t, 5*time.Second, "client notices the dead driver", func() bool { return c.Err() != nil })
	t.Logf("noticed after %v: %v", time.Since(killed), c.Err())
	if !errors.Is(c.Err(), ErrDriverInactive) {
		t.Fatalf("got %v, want ErrDriverInactive", c.Err())
	}
	if !k.IsClosed() {
		t.Fatal("counter still open after driver death")
	}
	if _, err := awaitAdd(t, c, c.AddCounter(1001, nil, "x")); !errors.Is(err, ErrDriverInactive) {
		t.Fatalf("request after driver death: %v", err)
	}
	if e := errs.all(); len(e) == 0 || !errors.Is(e[0], ErrDriverInactive) {
		t.Fatalf("error handler got %v", e)
	}
}

func TestUnresponsiveDriverNeverHangsARequest(t *testing.T) {
	d := drivertest.Start(t, nil)
	c := connect(t, Config{Dir: d.Dir(), DriverTimeout: time.Second, UseInvoker: true})
	if err := syscall.Kill(d.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(d.Pid(), syscall.SIGCONT) }()
	// The stop reaches the JVM's threads asynchronously; one still running
	// could answer the request below.
	eventually(t, 5*time.Second, "every driver thread stopped", func() bool { return allThreadsStopped(d.Pid()) })
	start := time.Now()
	_, err := awaitAdd(t, c, c.AddCounter(1001, nil, "never answered"))
	if !errors.Is(err, ErrResponseTimeout) && !errors.Is(err, ErrDriverInactive) {
		t.Fatalf("got %v, want a timeout", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("request took %v with a 1s driver timeout", took)
	}
	t.Logf("request failed after %v: %v", time.Since(start), err)
}

// allThreadsStopped reports whether every thread of process pid is in the
// stopped state ('T' in /proc/<pid>/task/<tid>/stat).
func allThreadsStopped(pid int) bool {
	tasks, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "stat"))
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			return false
		}
		// The state follows the parenthesised command name, which may
		// itself contain spaces and parentheses.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 || i+2 >= len(b) || b[i+2] != 'T' {
			return false
		}
	}
	return true
}

func TestPublicationsAndSubscriptionOnIPC(t *testing.T) {
	var mu sync.Mutex
	var available []ImageInfo
	var unavailable []UnavailableImageInfo
	c := connect(t, Config{
		OnAvailableImage: func(i ImageInfo) { mu.Lock(); available = append(available, i); mu.Unlock() },
		OnUnavailableImage: func(i UnavailableImageInfo) {
			mu.Lock()
			unavailable = append(unavailable, i)
			mu.Unlock()
		},
	})
	const stream = 1077
	sub := addSubscription(t, c, "aeron:ipc", stream)
	if sub.ChannelStatusIndicatorID() != -1 {
		t.Logf("IPC subscription channel status id %d", sub.ChannelStatusIndicatorID())
	}
	pub := addPublication(t, c, "aeron:ipc", stream)
	if pub.OriginalRegistrationID() != pub.RegistrationID() || pub.StreamID() != stream {
		t.Fatalf("first publication: original %d registration %d stream %d", pub.OriginalRegistrationID(), pub.RegistrationID(), pub.StreamID())
	}
	if _, err := os.Stat(pub.LogFile()); err != nil {
		t.Fatal(err)
	}
	log := pub.LogBuffers()
	if drivertest.Driver(t).Embedded() && (log.TermLength() != 64<<10 || log.PageSize() != 4096 || log.MTULength() != 1408) {
		t.Fatalf("log metadata: term %d page %d mtu %d", log.TermLength(), log.PageSize(), log.MTULength())
	}
	if log.CorrelationID() != pub.OriginalRegistrationID() {
		t.Fatalf("log correlation id %d, publication %d", log.CorrelationID(), pub.OriginalRegistrationID())
	}
	t.Logf("log %s: initial term id %d, session %d", pub.LogFile(), log.InitialTermID(), pub.SessionID())

	eventually(t, 5*time.Second, "image available", sub.IsConnected)
	images := sub.Images()
	if len(images) != 1 || images[0].SessionID != pub.SessionID() || images[0].LogFile != pub.LogFile() ||
		images[0].SourceIdentity != "aeron:ipc" || images[0].SubscriptionID != sub.RegistrationID() {
		t.Fatalf("images %+v", images)
	}
	if c.CountersReader().TypeID(images[0].SubscriberPositionID) != counters.TypeSubscriberPosition {
		t.Fatal("image's subscriber position id is not a sub-pos counter")
	}
	if c.CountersReader().TypeID(pub.PublicationLimitCounterID()) != counters.TypePublisherLimit {
		t.Fatal("publication limit id is not a pub-lmt counter")
	}

	// A second add of the same channel and stream shares the log.
	again := addPublication(t, c, "aeron:ipc", stream)
	if again.OriginalRegistrationID() != pub.OriginalRegistrationID() || again.SessionID() != pub.SessionID() || again.LogFile() != pub.LogFile() {
		t.Fatal("second concurrent publication did not share the first one's log")
	}
	excl := addExclusivePublication(t, c, "aeron:ipc", stream)
	if excl.SessionID() == pub.SessionID() || excl.LogFile() == pub.LogFile() {
		t.Fatal("exclusive publication shares a session or log")
	}
	eventually(t, 5*time.Second, "two images", func() bool { return len(sub.Images()) == 2 })

	for _, p := range []*Publication{excl, again, pub} {
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if p.LogBuffers() != nil || !p.IsClosed() {
			t.Fatal("closed publication still exposes its log")
		}
	}
	eventually(t, 10*time.Second, "images unavailable after the publications close", func() bool { return !sub.IsConnected() })
	mu.Lock()
	if len(available) != 2 || len(unavailable) != 2 {
		t.Errorf("image handlers saw %d available and %d unavailable, want 2 and 2", len(available), len(unavailable))
	}
	mu.Unlock()
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
}

// An add canceled before the driver answers leaves nothing behind: the conductor removes
// the resource when the answer arrives, and the Pending reports the cancel.
func TestCanceledAddIsRemovedWhenTheAnswerArrives(t *testing.T) {
	c := connect(t, Config{UseInvoker: true})
	pubs := c.AddPublication("aeron:ipc", 1078)
	subs := c.AddSubscription("aeron:ipc", 1078)
	pubs.Cancel() // the conductor has not run: nothing can have been answered
	subs.Cancel()
	c.mu.Lock()
	waiting := len(c.pending)
	c.mu.Unlock()
	if waiting != 2 {
		t.Fatalf("%d requests pending, want both adds still waiting for their answers", waiting)
	}
	eventually(t, 5*time.Second, "both answers handled and both resources removed", func() bool {
		c.Conductor().DoWork(clock.Now())
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.publicationByID) == 0 && len(c.subscriptionByID) == 0 && len(c.pending) == 0
	})
	for _, err := range []error{pollErr(pubs), pollErr(subs)} {
		if !errors.Is(err, transport.ErrCanceled) {
			t.Fatalf("a canceled add polls as %v", err)
		}
	}
	if err := c.Err(); err != nil {
		t.Fatalf("client after canceled adds: %v", err)
	}
}

func pollErr[T any](p transport.Pending[T]) error {
	_, err := p.Poll()
	return err
}

// A process's first client registers for membarrier(2), which waits for an RCU grace
// period: seconds on an overloaded machine (up to 8.9 s measured beside the test suite
// and two CPU hogs). That wait is not a gap in the conductor's service; a client that
// counted it timed itself out at its first check. Not parallel: it swaps the
// registration for a slow one.
func TestSlowFenceRegistrationIsNotAServiceGap(t *testing.T) {
	liveness := connect(t, Config{}).cncFile.ClientLivenessTimeout
	register := asymmetricFenceAvailable
	t.Cleanup(func() { asymmetricFenceAvailable = register })
	asymmetricFenceAvailable = func() bool {
		time.Sleep(liveness + 500*time.Millisecond)
		return register()
	}
	for _, invoker := range []bool{false, true} {
		c := connect(t, Config{UseInvoker: invoker})
		addSubscription(t, c, "aeron:ipc", 7401)
		if err := c.Err(); err != nil {
			t.Fatalf("invoker %v: the client ended: %v", invoker, err)
		}
	}
}
