package aeron

import (
	"fmt"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/aeron/logbuffer"
	"github.com/tensorpool/tensorpool/internal/ordered"
	"github.com/tensorpool/tensorpool/transport"
)

// Subscription receives a stream, one image per publisher session; it
// implements transport.Subscription. Poll it from one goroutine at a time.
type Subscription struct {
	// pollState is the poller's side of the image lifecycle:
	// observed<<1 | inPoll. Poll sets inPoll before it loads the image list
	// and clears it, with the list's change number, when it returns (a
	// release store). The conductor unmaps a removed image's log only once
	// pollState shows the poller idle or past the list that dropped the
	// image (see pollerDone), so no poll ever reads an unmapped log. First in
	// the struct for 64-bit alignment everywhere.
	pollState                int64
	client                   *Client
	channel                  string
	streamID                 int32
	registrationID           int64
	channelStatusIndicatorID int32
	// images is replaced, never modified, by the conductor (copy on
	// write), so Poll reads it without a lock. Each list carries a change
	// number one higher than the list it replaced.
	images atomic.Pointer[imageList]
	// lightPoll: the conductor fences the process (processFence) after
	// publishing a list, so Poll may mark itself busy with a release store
	// instead of a sequentially consistent one.
	lightPoll bool
	// Poller-owned (Poll runs on one goroutine at a time).
	observed   int64
	roundRobin int
	// Guarded by client.mu.
	changeNumber int64
	closed       bool
}

// imageList is one immutable version of a subscription's images.
type imageList struct {
	images       []*image
	changeNumber int64
}

// retiredImage is the log of an image that was dropped from its
// subscription's list with change number changeNumber. A poll that loaded an
// older list may still be reading it. fenced: the handshake that lets an idle
// poller count as done holds (see pollerDone); if not, only a poller that
// observed the new list does.
type retiredImage struct {
	sub          *Subscription
	log          *mappedLog
	changeNumber int64
	fenced       bool
}

// pollerDone reports whether no poll of s can read a log dropped by the list
// with change number changeNumber: the poller is inside or past a poll of a
// list at least that new, or (when fenced) it is idle, so its next poll loads
// that list or a newer one.
//
// Idle counts because of a Dekker-style handshake: the conductor publishes the
// list before it loads pollState, and Poll stores its busy mark before it
// loads the list, so either the conductor sees the poll busy or the poll sees
// the new list. Both sides need StoreLoad ordering: the conductor's list store
// is a sequentially consistent atomic; Poll's busy mark is one too, unless
// the conductor runs processFence between publishing and loading, which
// orders every thread of the process at that point (lightPoll). The release
// store that ends a poll orders all of its reads of the logs before the
// conductor's load that lets it unmap them.
func (s *Subscription) pollerDone(changeNumber int64, fenced bool) bool {
	state := atomic.LoadInt64(&s.pollState)
	return state>>1 >= changeNumber || (fenced && state&1 == 0)
}

// image is one publisher's log as this subscription reads it.
type image struct {
	info               ImageInfo
	log                *mappedLog
	buffers            *logbuffer.LogBuffers // log.buffers, one indirection less for Poll
	subscriberPosition *int64
	reader             *logbuffer.ImageReader
	closed             atomic.Bool
}

// AddSubscription implements transport.Client.
func (c *Client) AddSubscription(channel string, streamID int32) transport.Pending[transport.Subscription] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.terminal != nil {
		return failedPending[transport.Subscription](c, c.terminal)
	}
	correlationID, err := c.proxy.addSubscription(channel, streamID)
	if err != nil {
		return failedPending[transport.Subscription](c, fmt.Errorf("aeron: add subscription %s stream %d: %w", channel, streamID, err))
	}
	sub := &Subscription{client: c, channel: channel, streamID: streamID, registrationID: correlationID,
		lightPoll: c.lightPoll}
	sub.images.Store(&imageList{})
	// Registered before the answer: ON_AVAILABLE_IMAGE can follow
	// ON_SUBSCRIPTION_READY within the same duty cycle.
	c.subscriptionByID[correlationID] = sub
	req := c.registerLocked(correlationID, fmt.Sprintf("add subscription %s stream %d", channel, streamID))
	req.ready = func(req *request) (resource, error) {
		sub.channelStatusIndicatorID = req.statusID
		return sub, nil
	}
	req.failed = func() {
		if c.subscriptionByID[correlationID] == sub {
			sub.closeLocked()
			delete(c.subscriptionByID, correlationID)
		}
	}
	return pending[transport.Subscription]{c: c, req: req}
}

// Channel is the channel the subscription was added with.
func (s *Subscription) Channel() string { return s.channel }

// StreamID is the stream id.
func (s *Subscription) StreamID() int32 { return s.streamID }

// RegistrationID identifies the subscription in the driver.
func (s *Subscription) RegistrationID() int64 { return s.registrationID }

// ChannelStatusIndicatorID is the channel status counter, -1 for IPC.
func (s *Subscription) ChannelStatusIndicatorID() int32 { return s.channelStatusIndicatorID }

// Poll implements transport.Subscription: it reads up to fragmentLimit
// fragments from the subscription's images, starting with a different image
// each time so none is starved, hands every whole message to handler
// (reassembling fragmented ones, each image with its own reader), and returns
// the fragments read. A message points into the mapped log or the reader's
// buffer: copy what outlives the call. Poll takes no lock and does not
// allocate.
//
// An image that goes away during a poll stays mapped until the poll returns
// (the conductor unmaps a removed image's log only once the poller is past
// it), so the handler may run for as long as it needs. A handler that panics
// leaves removed images mapped until the client closes.
func (s *Subscription) Poll(handler transport.Handler, fragmentLimit int) int {
	if s.lightPoll {
		ordered.StoreInt64(&s.pollState, s.observed<<1|1)
	} else {
		atomic.StoreInt64(&s.pollState, s.observed<<1|1)
	}
	list := s.images.Load()
	images := list.images
	fragments := 0
	if n := len(images); n > 0 {
		if s.roundRobin >= n {
			s.roundRobin = 0
		}
		start := s.roundRobin
		s.roundRobin++
		for i := 0; i < n && fragments < fragmentLimit; i++ {
			j := start + i
			if j >= n {
				j -= n
			}
			img := images[j]
			if img.closed.Load() {
				continue
			}
			fragments += img.reader.Poll(img.buffers, img.subscriberPosition, handler, fragmentLimit-fragments)
		}
	}
	s.observed = list.changeNumber
	ordered.StoreInt64(&s.pollState, list.changeNumber<<1)
	return fragments
}

// Images describes the images currently available to this subscription.
func (s *Subscription) Images() []ImageInfo {
	images := s.images.Load().images
	infos := make([]ImageInfo, 0, len(images))
	for _, img := range images {
		infos = append(infos, img.info)
	}
	return infos
}

// IsConnected reports whether at least one image is available.
func (s *Subscription) IsConnected() bool { return len(s.images.Load().images) > 0 }

// ImageCount is the number of images available.
func (s *Subscription) ImageCount() int { return len(s.images.Load().images) }

// publishLocked makes images the subscription's image list, with the next
// change number, and returns that number.
func (s *Subscription) publishLocked(images []*image) int64 {
	s.changeNumber++
	s.images.Store(&imageList{images: images, changeNumber: s.changeNumber})
	return s.changeNumber
}

// addImageLocked maps the image's log and publishes a new image list.
func (s *Subscription) addImageLocked(info ImageInfo) error {
	c := s.client
	position := c.counters.Addr(info.SubscriberPositionID)
	if position == nil {
		return fmt.Errorf("aeron: image %d: subscriber position counter id %d is outside the counters buffer",
			info.CorrelationID, info.SubscriberPositionID)
	}
	log, err := mapLog(info.LogFile)
	if err != nil {
		return fmt.Errorf("aeron: image %d of subscription %d: %w", info.CorrelationID, s.registrationID, err)
	}
	s.removeImageLocked(info.CorrelationID)
	img := &image{
		info:               info,
		log:                log,
		buffers:            log.buffers,
		subscriberPosition: position,
		reader:             logbuffer.NewImageReader(log.buffers),
	}
	old := s.images.Load().images
	next := make([]*image, 0, len(old)+1)
	next = append(append(next, old...), img)
	s.publishLocked(next)
	return nil
}

// removeImageLocked publishes a list without the image and retires its log:
// it is unmapped once no poll can be reading it.
func (s *Subscription) removeImageLocked(correlationID int64) bool {
	old := s.images.Load().images
	for i, img := range old {
		if img.info.CorrelationID != correlationID {
			continue
		}
		next := make([]*image, 0, len(old)-1)
		next = append(append(next, old[:i]...), old[i+1:]...)
		changeNumber := s.publishLocked(next)
		img.closed.Store(true)
		s.client.retireLocked(s, img.log, changeNumber)
		return true
	}
	return false
}

func (s *Subscription) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	old := s.images.Load().images
	changeNumber := s.publishLocked(nil)
	for _, img := range old {
		img.closed.Store(true)
		s.client.retireLocked(s, img.log, changeNumber)
	}
}

// Close implements transport.Subscription: Poll reads nothing from now on,
// and the driver is asked to remove the subscription (a refusal goes to the
// error handler). Its images' logs are unmapped as soon as no poll is reading
// them: at once when no Poll is in progress.
func (s *Subscription) Close() error {
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	return s.removeLocked()
}

func (s *Subscription) removeLocked() error {
	c := s.client
	if s.closed {
		return nil
	}
	s.closeLocked()
	delete(c.subscriptionByID, s.registrationID)
	if c.terminal != nil {
		return nil
	}
	correlationID, err := c.proxy.removeSubscription(s.registrationID)
	if err != nil {
		return fmt.Errorf("aeron: remove subscription %d: %w", s.registrationID, err)
	}
	c.registerRemoveLocked(correlationID, fmt.Sprintf("remove subscription %d", s.registrationID))
	return nil
}

var _ transport.Subscription = (*Subscription)(nil)
