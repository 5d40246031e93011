package aeron

import (
	"fmt"

	"github.com/tensorpool/tensorpool/aeron/logbuffer"
	"github.com/tensorpool/tensorpool/transport"
)

// publisher is the append path over a mapped log, concurrent or exclusive.
type publisher interface {
	TryClaim(length int, claim *transport.Claim) int64
	Offer(msg []byte) int64
	Position() int64
	PositionLimit() int64
	IsConnected() bool
	MaxPayloadLength() int
	MaxMessageLength() int
	Close()
}

// Publication appends messages to a stream; it implements
// transport.Publication. A concurrent publication may be used from any number
// of goroutines; an exclusive one by one at a time. Offer and TryClaim return
// the new stream position, or one of transport's negative results.
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

// AddPublication implements transport.Client: a concurrent publication, whose
// log every add of the same channel and stream in this driver, from any
// process, shares.
func (c *Client) AddPublication(channel string, streamID int32) transport.Pending[transport.Publication] {
	return c.addPublication(channel, streamID, false)
}

// AddExclusivePublication implements transport.Client: a publication with its
// own session and log, for a single writer.
func (c *Client) AddExclusivePublication(channel string, streamID int32) transport.Pending[transport.Publication] {
	return c.addPublication(channel, streamID, true)
}

func (c *Client) addPublication(channel string, streamID int32, exclusive bool) transport.Pending[transport.Publication] {
	kind := "publication"
	if exclusive {
		kind = "exclusive publication"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.terminal != nil {
		return failedPending[transport.Publication](c, c.terminal)
	}
	correlationID, err := c.proxy.addPublication(channel, streamID, exclusive)
	if err != nil {
		return failedPending[transport.Publication](c, fmt.Errorf("aeron: add %s %s stream %d: %w", kind, channel, streamID, err))
	}
	req := c.registerLocked(correlationID, fmt.Sprintf("add %s %s stream %d", kind, channel, streamID))
	req.ready = func(req *request) (resource, error) { return c.newPublicationLocked(req, channel, exclusive) }
	return pending[transport.Publication]{c: c, req: req}
}

// newPublicationLocked maps the log the driver made for an add and builds its publication.
func (c *Client) newPublicationLocked(req *request, channel string, exclusive bool) (*Publication, error) {
	ready := req.publication
	pub := &Publication{
		client:                    c,
		channel:                   channel,
		streamID:                  ready.streamID,
		sessionID:                 ready.sessionID,
		registrationID:            req.correlationID,
		originalRegistrationID:    ready.registrationID,
		publicationLimitCounterID: ready.publicationLimitCounterID,
		channelStatusIndicatorID:  ready.channelStatusIndicatorID,
		logFile:                   ready.logFile,
		exclusive:                 exclusive,
	}
	var err error
	limit := c.counters.Addr(ready.publicationLimitCounterID)
	if limit == nil {
		err = fmt.Errorf("aeron: publication limit counter id %d is outside the counters buffer", ready.publicationLimitCounterID)
	} else {
		pub.log, err = mapLog(ready.logFile)
	}
	if err != nil {
		// The driver holds the publication for us; give it back.
		if id, rerr := c.proxy.removePublication(req.correlationID); rerr == nil {
			c.registerRemoveLocked(id, "remove publication after a failed log mapping")
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
	c.publicationByID[req.correlationID] = pub
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
func (p *Publication) TryClaim(length int, claim *transport.Claim) int64 {
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

// Position is where the next message will be appended, or transport.Closed.
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

// Close implements transport.Publication: appends return transport.Closed from
// now on, and the driver is asked to remove the publication (a refusal goes to
// the error handler). The log stays mapped for the linger time.
func (p *Publication) Close() error {
	p.client.mu.Lock()
	defer p.client.mu.Unlock()
	return p.removeLocked()
}

func (p *Publication) removeLocked() error {
	c := p.client
	if p.closed {
		return nil
	}
	p.closeLocked()
	delete(c.publicationByID, p.registrationID)
	if c.terminal != nil {
		return nil
	}
	correlationID, err := c.proxy.removePublication(p.registrationID)
	if err != nil {
		return fmt.Errorf("aeron: remove publication %d: %w", p.registrationID, err)
	}
	c.registerRemoveLocked(correlationID, fmt.Sprintf("remove publication %d", p.registrationID))
	return nil
}

var _ transport.Publication = (*Publication)(nil)
