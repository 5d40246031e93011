package aeron

import (
	"fmt"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/aeron/logbuffer"
)

// Subscription receives a stream: one image per publisher session. Poll it
// from one goroutine at a time.
type Subscription struct {
	client                   *Client
	channel                  string
	streamID                 int32
	registrationID           int64
	channelStatusIndicatorID int32
	// images is replaced, never modified, by the conductor (copy on
	// write), so Poll reads it without a lock.
	images     atomic.Pointer[[]*image]
	roundRobin int
	closed     bool // guarded by client.mu
}

// image is one publisher's log as this subscription reads it.
type image struct {
	info               ImageInfo
	log                *mappedLog
	subscriberPosition *int64
	header             *logbuffer.Header
	closed             atomic.Bool
}

// AddSubscription adds a subscription and waits for the driver to confirm.
func (c *Client) AddSubscription(channel string, streamID int32) (*Subscription, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.beginLocked(); err != nil {
		return nil, err
	}
	correlationID, err := c.proxy.addSubscription(channel, streamID)
	if err != nil {
		return nil, fmt.Errorf("aeron: add subscription %s stream %d: %w", channel, streamID, err)
	}
	sub := &Subscription{client: c, channel: channel, streamID: streamID, registrationID: correlationID}
	sub.images.Store(&[]*image{})
	// Registered before the wait: ON_AVAILABLE_IMAGE can follow
	// ON_SUBSCRIPTION_READY within the same duty cycle.
	c.subscriptionByID[correlationID] = sub
	req := c.registerLocked(correlationID, fmt.Sprintf("add subscription %s stream %d", channel, streamID))
	if err := c.awaitLocked(req); err != nil {
		if c.subscriptionByID[correlationID] == sub {
			sub.closeLocked()
			delete(c.subscriptionByID, correlationID)
		}
		return nil, err
	}
	sub.channelStatusIndicatorID = req.statusID
	return sub, nil
}

// Channel is the channel the subscription was added with.
func (s *Subscription) Channel() string { return s.channel }

// StreamID is the stream id.
func (s *Subscription) StreamID() int32 { return s.streamID }

// RegistrationID identifies the subscription in the driver.
func (s *Subscription) RegistrationID() int64 { return s.registrationID }

// ChannelStatusIndicatorID is the channel status counter, -1 for IPC.
func (s *Subscription) ChannelStatusIndicatorID() int32 { return s.channelStatusIndicatorID }

// Poll reads up to fragmentLimit fragments from the subscription's images,
// starting with a different image each time so none is starved, and
// returns how many it delivered. The handler's buffer points into the
// mapped log: copy what outlives the call. Poll takes no lock and does not
// allocate.
func (s *Subscription) Poll(handler logbuffer.FragmentHandler, fragmentLimit int) int {
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
		img := images[(start+i)%n]
		if img.closed.Load() {
			continue
		}
		fragments += logbuffer.PollImage(img.log.buffers, img.subscriberPosition, handler, fragmentLimit-fragments, img.header)
	}
	return fragments
}

// Images describes the images currently available to this subscription.
func (s *Subscription) Images() []ImageInfo {
	images := *s.images.Load()
	infos := make([]ImageInfo, 0, len(images))
	for _, img := range images {
		infos = append(infos, img.info)
	}
	return infos
}

// IsConnected reports whether at least one image is available.
func (s *Subscription) IsConnected() bool { return len(*s.images.Load()) > 0 }

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
		subscriberPosition: position,
		header:             logbuffer.NewHeader(log.buffers.InitialTermID(), log.buffers.PositionBitsToShift()),
	}
	old := *s.images.Load()
	next := make([]*image, 0, len(old)+1)
	next = append(append(next, old...), img)
	s.images.Store(&next)
	return nil
}

// removeImageLocked publishes a list without the image and lingers its log.
func (s *Subscription) removeImageLocked(correlationID int64) bool {
	old := *s.images.Load()
	for i, img := range old {
		if img.info.CorrelationID != correlationID {
			continue
		}
		next := make([]*image, 0, len(old)-1)
		next = append(append(next, old[:i]...), old[i+1:]...)
		s.images.Store(&next)
		img.closed.Store(true)
		s.client.lingerLocked(img.log)
		return true
	}
	return false
}

func (s *Subscription) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	for _, img := range *s.images.Swap(&[]*image{}) {
		img.closed.Store(true)
		s.client.lingerLocked(img.log)
	}
}

// Close removes the subscription from the driver and waits for it to
// confirm. Its images' logs are unmapped after the linger time.
func (s *Subscription) Close() error {
	c := s.client
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closeLocked()
	delete(c.subscriptionByID, s.registrationID)
	if err := c.beginLocked(); err != nil {
		return err
	}
	correlationID, err := c.proxy.removeSubscription(s.registrationID)
	if err != nil {
		return fmt.Errorf("aeron: remove subscription %d: %w", s.registrationID, err)
	}
	return c.awaitLocked(c.registerLocked(correlationID, fmt.Sprintf("remove subscription %d", s.registrationID)))
}
