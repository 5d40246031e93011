package aeron

import (
	"fmt"

	"github.com/tensorpool/tensorpool/aeron/logbuffer"
)

// publisher is the append path over a mapped log, concurrent or exclusive.
type publisher interface {
	TryClaim(length int, claim *logbuffer.BufferClaim) int64
	Offer(msg []byte) int64
	Position() int64
	PositionLimit() int64
	IsConnected() bool
	MaxPayloadLength() int
	MaxMessageLength() int
	Close()
}

// Publication appends messages to a stream. A concurrent publication may be
// used from any number of goroutines; an exclusive one by one at a time.
// Offer and TryClaim return the new stream position, or one of Aeron's
// negative results: logbuffer.NotConnected, BackPressured, AdminAction,
// Closed, MaxPositionExceeded, PublicationError.
type Publication struct {
	client                    *Client
	channel                   string
	streamID                  int32
	sessionID                 int32
	registrationID            int64
	originalRegistrationID    int64
	publicationLimitCounterID int32
	channelStatusIndicatorID  int32
	logFile                   string
	exclusive                 bool
	log                       *mappedLog
	appender                  publisher
	// Exactly one of these is set: the same publisher as appender, for
	// TryClaim and Offer to call directly (no interface dispatch on the hot
	// path).
	concurrentAppender *logbuffer.ConcurrentPublisher
	exclusiveAppender  *logbuffer.ExclusivePublisher
	closed             bool // guarded by client.mu
}

// AddPublication adds a concurrent publication: every add on the same
// channel and stream in this driver, from any process, shares one log.
func (c *Client) AddPublication(channel string, streamID int32) (*Publication, error) {
	return c.addPublication(channel, streamID, false)
}

// AddExclusivePublication adds a publication with its own session and log,
// for a single writer.
func (c *Client) AddExclusivePublication(channel string, streamID int32) (*Publication, error) {
	return c.addPublication(channel, streamID, true)
}

func (c *Client) addPublication(channel string, streamID int32, exclusive bool) (*Publication, error) {
	kind := "publication"
	if exclusive {
		kind = "exclusive publication"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.beginLocked(); err != nil {
		return nil, err
	}
	correlationID, err := c.proxy.addPublication(channel, streamID, exclusive)
	if err != nil {
		return nil, fmt.Errorf("aeron: add %s %s stream %d: %w", kind, channel, streamID, err)
	}
	req := c.registerLocked(correlationID, fmt.Sprintf("add %s %s stream %d", kind, channel, streamID))
	if err := c.awaitLocked(req); err != nil {
		return nil, err
	}
	ready := req.publication
	pub := &Publication{
		client:                    c,
		channel:                   channel,
		streamID:                  ready.streamID,
		sessionID:                 ready.sessionID,
		registrationID:            correlationID,
		originalRegistrationID:    ready.registrationID,
		publicationLimitCounterID: ready.publicationLimitCounterID,
		channelStatusIndicatorID:  ready.channelStatusIndicatorID,
		logFile:                   ready.logFile,
		exclusive:                 exclusive,
	}
	limit := c.counters.Addr(ready.publicationLimitCounterID)
	if limit == nil {
		err = fmt.Errorf("aeron: publication limit counter id %d is outside the counters buffer", ready.publicationLimitCounterID)
	} else {
		pub.log, err = mapLog(ready.logFile)
	}
	if err != nil {
		// The driver holds the publication for us; give it back.
		if id, rerr := c.proxy.removePublication(correlationID); rerr == nil {
			_ = c.awaitLocked(c.registerLocked(id, "remove publication after a failed log mapping"))
		}
		return nil, err
	}
	if exclusive {
		pub.exclusiveAppender = logbuffer.NewExclusivePublisher(pub.log.buffers, limit)
		pub.appender = pub.exclusiveAppender
	} else {
		pub.concurrentAppender = logbuffer.NewConcurrentPublisher(pub.log.buffers, limit)
		pub.appender = pub.concurrentAppender
	}
	c.publicationByID[correlationID] = pub
	return pub, nil
}

// Channel is the channel the publication was added with.
func (p *Publication) Channel() string { return p.channel }

// StreamID is the stream id.
func (p *Publication) StreamID() int32 { return p.streamID }

// SessionID is the session id the driver assigned.
func (p *Publication) SessionID() int32 { return p.sessionID }

// RegistrationID identifies this add; it is what Close removes.
func (p *Publication) RegistrationID() int64 { return p.registrationID }

// OriginalRegistrationID is the registration id of the first add of this
// shared log; equal to RegistrationID for the first publisher.
func (p *Publication) OriginalRegistrationID() int64 { return p.originalRegistrationID }

// PublicationLimitCounterID is the pub-lmt counter: how far the publisher
// may append.
func (p *Publication) PublicationLimitCounterID() int32 { return p.publicationLimitCounterID }

// ChannelStatusIndicatorID is the channel status counter, -1 for IPC.
func (p *Publication) ChannelStatusIndicatorID() int32 { return p.channelStatusIndicatorID }

// LogFile is the path of the log buffer file.
func (p *Publication) LogFile() string { return p.logFile }

// IsExclusive reports whether this is an exclusive publication.
func (p *Publication) IsExclusive() bool { return p.exclusive }

// TryClaim reserves length bytes (at most MaxPayloadLength) in one frame;
// on success fill claim.Buffer() and Commit or Abort it promptly.
func (p *Publication) TryClaim(length int, claim *logbuffer.BufferClaim) int64 {
	if p.concurrentAppender != nil {
		return p.concurrentAppender.TryClaim(length, claim)
	}
	return p.exclusiveAppender.TryClaim(length, claim)
}

// Offer copies msg into the stream, fragmenting it beyond MaxPayloadLength.
func (p *Publication) Offer(msg []byte) int64 {
	if p.concurrentAppender != nil {
		return p.concurrentAppender.Offer(msg)
	}
	return p.exclusiveAppender.Offer(msg)
}

// IsConnected reports whether a subscriber (IPC) or receiver is connected.
func (p *Publication) IsConnected() bool { return p.appender.IsConnected() }

// Position is where the next message will be appended, or logbuffer.Closed.
func (p *Publication) Position() int64 { return p.appender.Position() }

// PositionLimit is the position the driver lets the publication reach.
func (p *Publication) PositionLimit() int64 { return p.appender.PositionLimit() }

// MaxPayloadLength is the largest TryClaim: the MTU minus the frame header.
func (p *Publication) MaxPayloadLength() int { return p.appender.MaxPayloadLength() }

// MaxMessageLength is the largest Offer.
func (p *Publication) MaxMessageLength() int { return p.appender.MaxMessageLength() }

// LogBuffers is the mapped log; nil once the publication is closed.
func (p *Publication) LogBuffers() *logbuffer.LogBuffers {
	p.client.mu.Lock()
	defer p.client.mu.Unlock()
	if p.closed {
		return nil
	}
	return p.log.buffers
}

// IsClosed reports whether the publication was closed (or its client ended).
func (p *Publication) IsClosed() bool {
	p.client.mu.Lock()
	defer p.client.mu.Unlock()
	return p.closed
}

// closeLocked stops appends at once; the log stays mapped for the linger
// time so an append already past its closed check finishes safely.
func (p *Publication) closeLocked() {
	if !p.closed {
		p.closed = true
		p.appender.Close()
		p.client.lingerLocked(p.log)
	}
}

// Close removes the publication from the driver and waits for the driver to
// confirm. Appends return logbuffer.Closed from now on.
func (p *Publication) Close() error {
	c := p.client
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closeLocked()
	delete(c.publicationByID, p.registrationID)
	if err := c.beginLocked(); err != nil {
		return err
	}
	correlationID, err := c.proxy.removePublication(p.registrationID)
	if err != nil {
		return fmt.Errorf("aeron: remove publication %d: %w", p.registrationID, err)
	}
	return c.awaitLocked(c.registerLocked(correlationID, fmt.Sprintf("remove publication %d", p.registrationID)))
}
