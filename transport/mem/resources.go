package mem

import (
	"sync/atomic"

	"github.com/tensorpool/tensorpool/aeron/logbuffer"
	"github.com/tensorpool/tensorpool/transport"
)

// Publication appends to a session's log with Aeron's publishers; it implements
// transport.Publication.
type Publication struct {
	client   *Client
	session  *session
	channel  string
	streamID int32
	// Exactly one is set, called directly on the hot path.
	concurrent       *logbuffer.ConcurrentPublisher
	exclusive        *logbuffer.ExclusivePublisher
	maxPayloadLength int
	maxMessageLength int
	closed           bool // guarded by the client's lock
}

func (c *Client) newPublicationLocked(channel string, streamID int32, exclusive bool) *Publication {
	d := c.driver
	d.mu.Lock()
	defer d.mu.Unlock()
	ses := d.openSessionLocked(d.streamLocked(channel, streamID), exclusive)
	p := &Publication{client: c, session: ses, channel: channel, streamID: streamID,
		maxPayloadLength: d.cfg.MTU - logbuffer.HeaderLength,
		maxMessageLength: logbuffer.ComputeMaxMessageLength(d.cfg.TermLength)}
	if exclusive {
		p.exclusive = logbuffer.NewExclusivePublisher(ses.log, &ses.limit)
	} else {
		p.concurrent = logbuffer.NewConcurrentPublisher(ses.log, &ses.limit)
	}
	c.publications[p] = struct{}{}
	return p
}

// TryClaim implements transport.Publication.
func (p *Publication) TryClaim(length int, claim *transport.Claim) int64 {
	if p.concurrent != nil {
		return p.concurrent.TryClaim(length, claim)
	}
	return p.exclusive.TryClaim(length, claim)
}

// Offer implements transport.Publication.
func (p *Publication) Offer(msg []byte) int64 {
	if p.concurrent != nil {
		return p.concurrent.Offer(msg)
	}
	return p.exclusive.Offer(msg)
}

// Position implements transport.Publication.
func (p *Publication) Position() int64 {
	if p.concurrent != nil {
		return p.concurrent.Position()
	}
	return p.exclusive.Position()
}

// IsConnected implements transport.Publication.
func (p *Publication) IsConnected() bool {
	if p.concurrent != nil {
		return p.concurrent.IsConnected()
	}
	return p.exclusive.IsConnected()
}

func (p *Publication) MaxPayloadLength() int { return p.maxPayloadLength }
func (p *Publication) MaxMessageLength() int { return p.maxMessageLength }
func (p *Publication) Channel() string       { return p.channel }
func (p *Publication) StreamID() int32       { return p.streamID }
func (p *Publication) SessionID() int32      { return p.session.id }

// Close implements transport.Publication.
func (p *Publication) Close() error {
	p.client.mu.Lock()
	defer p.client.mu.Unlock()
	p.closeLocked()
	return nil
}

func (p *Publication) closeLocked() {
	if p.closed {
		return
	}
	p.closed = true
	if p.concurrent != nil {
		p.concurrent.Close()
	} else {
		p.exclusive.Close()
	}
	delete(p.client.publications, p)
	d := p.client.driver
	d.mu.Lock()
	defer d.mu.Unlock()
	d.releaseSessionLocked(p.session)
}

// Subscription reads every session of its stream, one image each; it implements
// transport.Subscription.
type Subscription struct {
	client   *Client
	stream   *stream
	channel  string
	streamID int32
	// images is replaced, never modified, under Driver.mu (copy on write), so Poll
	// reads it without a lock.
	images atomic.Pointer[[]*image]
	// roundRobin is the poller's: the image a poll starts with.
	roundRobin int
	closed     bool // guarded by Driver.mu
}

// image is one session as one subscription reads it.
type image struct {
	// position is the subscriber position: written by the poller (a release store),
	// loaded by the session's duties. First for 64-bit alignment.
	position int64
	// reported is the position the poller last told the session about, polled the
	// position after its last poll; both poller-owned.
	reported int64
	polled   int64
	session  *session
	reader   *logbuffer.ImageReader
}

func (c *Client) newSubscriptionLocked(channel string, streamID int32) *Subscription {
	d := c.driver
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.streamLocked(channel, streamID)
	sub := &Subscription{client: c, stream: s, channel: channel, streamID: streamID}
	sub.images.Store(&[]*image{})
	s.subscriptions = append(s.subscriptions, sub)
	for _, ses := range s.sessions {
		sub.addImageLocked(ses)
	}
	c.subscriptions[sub] = struct{}{}
	return sub
}

// addImageLocked gives the subscription an image of ses; Driver.mu is held.
func (s *Subscription) addImageLocked(ses *session) {
	img := &image{session: ses, reader: logbuffer.NewImageReader(ses.log)}
	ses.addImage(img)
	old := *s.images.Load()
	next := append(append(make([]*image, 0, len(old)+1), old...), img)
	s.images.Store(&next)
}

// Poll implements transport.Subscription. It takes no lock unless the subscriber moved a
// report stride (then the session's, for the driver's duties) or an ended session's image
// is drained (then the driver's, to drop it).
func (s *Subscription) Poll(handler transport.Handler, fragmentLimit int) int {
	images := *s.images.Load()
	n := len(images)
	if n == 0 {
		return 0
	}
	if s.roundRobin >= n {
		s.roundRobin = 0
	}
	start := s.roundRobin
	s.roundRobin++
	fragments := 0
	for i := 0; i < n && fragments < fragmentLimit; i++ {
		j := start + i
		if j >= n {
			j -= n
		}
		img := images[j]
		fragments += img.reader.Poll(img.session.log, &img.position, handler, fragmentLimit-fragments)
		position := atomic.LoadInt64(&img.position)
		switch {
		case position-img.reported >= img.session.reportStride:
			img.reported = position
			img.session.advance()
		case position == img.polled && position >= img.session.log.EndOfStreamPosition():
			s.dropDrained(img)
		}
		img.polled = position
	}
	return fragments
}

// dropDrained removes an image whose session ended and which its subscriber has read to
// the end.
func (s *Subscription) dropDrained(img *image) {
	d := s.client.driver
	d.mu.Lock()
	defer d.mu.Unlock()
	if s.closed {
		return
	}
	s.removeImageLocked(img)
}

func (s *Subscription) removeImageLocked(img *image) {
	next := without(*s.images.Load(), img)
	s.images.Store(&next)
	img.session.removeImage(img)
}

// IsConnected implements transport.Subscription.
func (s *Subscription) IsConnected() bool { return len(*s.images.Load()) > 0 }

// ImageCount implements transport.Subscription.
func (s *Subscription) ImageCount() int { return len(*s.images.Load()) }

func (s *Subscription) Channel() string { return s.channel }
func (s *Subscription) StreamID() int32 { return s.streamID }

// Close implements transport.Subscription.
func (s *Subscription) Close() error {
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	s.closeLocked()
	return nil
}

func (s *Subscription) closeLocked() {
	delete(s.client.subscriptions, s)
	d := s.client.driver
	d.mu.Lock()
	defer d.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	for _, img := range *s.images.Load() {
		s.removeImageLocked(img)
	}
	s.stream.subscriptions = without(s.stream.subscriptions, s)
	d.dropIfIdleLocked(s.stream)
}

// Counter is a counter in the driver's memory; it implements transport.Counter.
type Counter struct {
	client *Client
	id     int32
	value  atomic.Int64
	closed atomic.Bool
}

func (c *Client) newCounterLocked() *Counter {
	d := c.driver
	d.mu.Lock()
	id := d.nextCounterID
	d.nextCounterID++
	d.mu.Unlock()
	k := &Counter{client: c, id: id}
	c.counters[k] = struct{}{}
	return k
}

func (k *Counter) ID() int32 { return k.id }

// Get implements transport.Counter.
func (k *Counter) Get() int64 {
	if k.closed.Load() {
		return 0
	}
	return k.value.Load()
}

// Set implements transport.Counter.
func (k *Counter) Set(v int64) {
	if !k.closed.Load() {
		k.value.Store(v)
	}
}

// Add implements transport.Counter.
func (k *Counter) Add(delta int64) int64 {
	if k.closed.Load() {
		return 0
	}
	return k.value.Add(delta)
}

// Close implements transport.Counter.
func (k *Counter) Close() error {
	k.client.mu.Lock()
	defer k.client.mu.Unlock()
	k.closeLocked()
	return nil
}

func (k *Counter) closeLocked() {
	k.closed.Store(true)
	delete(k.client.counters, k)
}

var (
	_ transport.Publication  = (*Publication)(nil)
	_ transport.Subscription = (*Subscription)(nil)
	_ transport.Counter      = (*Counter)(nil)
)
