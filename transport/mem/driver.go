// Package mem is an in-memory transport: a media driver inside the process and clients
// of it, for testing agents and their shells without a JVM. Its logs are real Aeron logs
// in heap memory (package aeron/logbuffer), written by Aeron's publishers and read by the
// same image reader as the pure-Go Aeron client, so the data path under test is the
// production one; only the driver's duties (matching, the publisher limit, term cleaning)
// are done here, inline.
//
// Publications and subscriptions match by channel string and stream id, the channel's
// tether, rejoin and untethered-* parameters left out (they set how a subscriber holds
// back a publication, not which stream it is; nothing here is held back by them). The
// concurrent publications of a (channel, stream) share one session, an exclusive one has
// its own; every subscription gets one image per session, joining at the session's
// current position, and sees every message from there on. Messages above the MTU are
// fragmented and reassembled. A publication with no subscriber is NotConnected, and one
// whose slowest subscriber lags a window (half a term; the limit follows subscribers in
// quarter-window steps) is BackPressured. Adds complete on the client's next conductor duty
// cycle; test hooks hold them, fail them or kill the client.
package mem

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/tensorpool/tensorpool/aeron/logbuffer"
)

// Config sizes a Driver's logs. Zero values pick the defaults.
type Config struct {
	// TermLength is every log's term length: a power of two of at least 64 KiB;
	// default 64 KiB (as the tests' Java media driver). It bounds the largest
	// message to an eighth of it.
	TermLength int
	// MTU is the largest frame, header included: a multiple of 32; default 1408.
	MTU int
}

// Defaults of Config.
const (
	DefaultTermLength = 64 << 10
	DefaultMTU        = 1408
	pageSize          = 4096
	initialTermID     = 1000
)

var (
	// ErrInvalidChannel: the channel is not an aeron: URI.
	ErrInvalidChannel = errors.New("mem: invalid channel")
	// ErrInvalidArgument: a counter key or label is too long.
	ErrInvalidArgument = errors.New("mem: invalid argument")
)

// Driver is an in-process media driver. Its clients' resources meet through it.
type Driver struct {
	cfg Config

	// mu guards the streams, sessions' publication counts and subscriptions'
	// image lists; it is taken after a client's lock and before a session's.
	mu            sync.Mutex
	streams       map[streamKey]*stream
	nextSessionID int32
	nextCounterID int32
}

type streamKey struct {
	channel  string
	streamID int32
}

// stream is one (channel, stream id): its open sessions and subscriptions.
type stream struct {
	key           streamKey
	shared        *session // the concurrent publications' session, while one is open
	sessions      []*session
	subscriptions []*Subscription
}

// NewDriver makes a driver. It panics on a Config no log can have, a programming error
// of the test that wrote it.
func NewDriver(cfg Config) *Driver {
	if cfg.TermLength == 0 {
		cfg.TermLength = DefaultTermLength
	}
	if cfg.MTU == 0 {
		cfg.MTU = DefaultMTU
	}
	if err := logbuffer.CheckTermLength(int64(cfg.TermLength)); err != nil {
		panic(fmt.Sprintf("mem: Config.TermLength %d: %v", cfg.TermLength, err))
	}
	if cfg.MTU <= logbuffer.HeaderLength || cfg.MTU%logbuffer.FrameAlignment != 0 || cfg.MTU > logbuffer.MaxUDPPayloadLength {
		panic(fmt.Sprintf("mem: Config.MTU %d is not a multiple of 32 in (32, %d]", cfg.MTU, logbuffer.MaxUDPPayloadLength))
	}
	return &Driver{cfg: cfg, streams: make(map[streamKey]*stream), nextSessionID: 1}
}

// matchedPart is the part of a channel that selects its stream: the channel without its
// tether, rejoin and untethered-* parameters.
func matchedPart(channel string) string {
	media, params, ok := strings.Cut(channel, "?")
	if !ok {
		return channel
	}
	var kept []string
	for _, p := range strings.Split(params, "|") {
		key, _, _ := strings.Cut(p, "=")
		if key != "tether" && key != "rejoin" && !strings.HasPrefix(key, "untethered-") {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return media
	}
	return media + "?" + strings.Join(kept, "|")
}

func checkChannel(channel string) error {
	if !strings.HasPrefix(channel, "aeron:ipc") && !strings.HasPrefix(channel, "aeron:udp") {
		return fmt.Errorf("%w: %q is neither aeron:ipc nor aeron:udp", ErrInvalidChannel, channel)
	}
	return nil
}

func (d *Driver) streamLocked(channel string, streamID int32) *stream {
	key := streamKey{matchedPart(channel), streamID}
	s := d.streams[key]
	if s == nil {
		s = &stream{key: key}
		d.streams[key] = s
	}
	return s
}

// dropIfIdleLocked forgets a stream nothing uses any more.
func (d *Driver) dropIfIdleLocked(s *stream) {
	if len(s.sessions) == 0 && len(s.subscriptions) == 0 {
		delete(d.streams, s.key)
	}
}

// openSessionLocked returns the session a new publication appends to: the shared one of
// the stream for a concurrent publication, a new one otherwise.
func (d *Driver) openSessionLocked(s *stream, exclusive bool) *session {
	if !exclusive && s.shared != nil {
		s.shared.publications++
		return s.shared
	}
	id := d.nextSessionID
	d.nextSessionID++
	ses := newSession(d.cfg, s, id, exclusive)
	ses.publications = 1
	if !exclusive {
		s.shared = ses
	}
	s.sessions = append(s.sessions, ses)
	for _, sub := range s.subscriptions {
		sub.addImageLocked(ses)
	}
	return ses
}

// releaseSessionLocked ends a session once its last publication is closed: it leaves the
// stream, so later subscriptions do not join it, and its end of stream is set where its
// appends stopped; its images stay until their subscribers have read up to it.
func (d *Driver) releaseSessionLocked(ses *session) {
	ses.publications--
	if ses.publications > 0 {
		return
	}
	s := ses.stream
	if s.shared == ses {
		s.shared = nil
	}
	s.sessions = without(s.sessions, ses)
	ses.log.SetEndOfStreamPosition(ses.log.ProducerPosition())
	d.dropIfIdleLocked(s)
}

func without[T comparable](list []T, x T) []T {
	out := make([]T, 0, len(list))
	for _, y := range list {
		if y != x {
			out = append(out, y)
		}
	}
	return out
}

// newLog allocates an 8-byte aligned log in heap memory and formats it as a driver would.
func newLog(cfg Config, sessionID, streamID int32, exclusive bool) *logbuffer.LogBuffers {
	size := logbuffer.ComputeLogLength(int64(cfg.TermLength), pageSize)
	words := make([]uint64, size/8)
	file := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), size)
	logType := uint8(logbuffer.LogTypeConcurrentPublication)
	if exclusive {
		logType = logbuffer.LogTypeExclusivePublication
	}
	if err := logbuffer.InitLog(file, logbuffer.LogConfig{
		TermLength: cfg.TermLength, PageSize: pageSize, MTULength: cfg.MTU,
		InitialTermID: initialTermID, SessionID: sessionID, StreamID: streamID, Type: logType,
	}); err != nil {
		panic(fmt.Sprintf("mem: formatting a log NewDriver accepted: %v", err)) // unreachable: NewDriver checked cfg
	}
	log, err := logbuffer.NewLogBuffers(file)
	if err != nil {
		panic(fmt.Sprintf("mem: mapping a log InitLog formatted: %v", err)) // unreachable
	}
	return log
}

// session is one publication session: a log, the publisher limit the driver keeps for it,
// and the images subscribers read it through.
type session struct {
	id        int32
	stream    *stream
	exclusive bool
	log       *logbuffer.LogBuffers
	window    int64
	shift     int
	// reportStride is how far a subscriber moves before its poll runs the driver's
	// duties: a quarter window, so they cost a poll nothing most of the time and a
	// publisher still has three quarters of its window when the limit is stale.
	reportStride int64
	// limit is the publisher limit (the pub-lmt counter): publishers load it atomically.
	limit int64
	// publications counts the open publications; guarded by Driver.mu.
	publications int

	// mu guards what follows: the driver's duties, done by whoever moved a subscriber.
	mu     sync.Mutex
	images []*image
	// cleanThrough is the last term count whose partition is clean for the publisher;
	// consumed is the furthest position a subscriber has read to.
	cleanThrough int64
	consumed     int64
}

func newSession(cfg Config, s *stream, id int32, exclusive bool) *session {
	log := newLog(cfg, id, s.key.streamID, exclusive)
	return &session{
		id: id, stream: s, exclusive: exclusive, log: log,
		window:       int64(cfg.TermLength / 2),
		reportStride: int64(cfg.TermLength / 8),
		shift:        log.PositionBitsToShift(),
		cleanThrough: logbuffer.PartitionCount - 1, // a new log's partitions are all zero
	}
}

// addImage makes the session connected to one more subscriber, who starts reading where
// the publishers will append next.
func (s *session) addImage(img *image) {
	s.mu.Lock()
	defer s.mu.Unlock()
	atomic.StoreInt64(&img.position, s.log.ProducerPosition())
	img.reported, img.polled = img.position, img.position
	s.images = append(s.images, img)
	s.log.SetIsConnected(true)
	s.advanceLocked()
}

// removeImage forgets a subscriber. With none left the session is not connected, and
// its publishers may go no further than what was read.
func (s *session) removeImage(img *image) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.images = without(s.images, img)
	if len(s.images) > 0 {
		s.advanceLocked()
		return
	}
	s.log.SetIsConnected(false)
	atomic.StoreInt64(&s.limit, s.consumed)
}

// advance runs the driver's duties after a subscriber moved.
func (s *session) advance() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
}

// advanceLocked cleans the partitions every subscriber has left, so the publishers can
// reuse them, and moves the publisher limit to a window ahead of the slowest subscriber,
// never into a term not yet cleaned.
//
// Ordering: each subscriber stores its position with a release store after reading, and
// it is loaded here atomically, so every read of a term happens before it is cleared;
// the clearing happens before the limit's atomic store, which publishers load before
// they append, so no append into a reused partition races with its cleaning.
func (s *session) advanceLocked() {
	slowest := int64(-1)
	for _, img := range s.images {
		p := atomic.LoadInt64(&img.position)
		if slowest < 0 || p < slowest {
			slowest = p
		}
		s.consumed = max(s.consumed, p)
	}
	if slowest < 0 {
		return
	}
	// Term n reuses the partition of term n-3, which every subscriber has left once
	// the slowest one is in term n-2.
	for termCount := slowest >> s.shift; s.cleanThrough < termCount+2; {
		s.cleanThrough++
		clear(s.log.Term(logbuffer.IndexByTermCount(int32(s.cleanThrough))))
	}
	atomic.StoreInt64(&s.limit, min(slowest+s.window, (s.cleanThrough+1)<<s.shift))
}
