package mem

import (
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/transport"
)

// Pipe is one stream of a driver of its own as a single object: an exclusive publication
// and a subscription of it, connected. It is a transport.Publication and a
// transport.Subscription at once, so a test can hand one Pipe to a role that publishes
// and read back what the role sent. The writer and the reader may be different
// goroutines.
type Pipe struct {
	*Publication
	sub    *Subscription
	client *Client
}

// NewPipe makes a connected pipe on a new driver with cfg's logs.
func NewPipe(cfg Config) (*Pipe, error) {
	c := NewDriver(cfg).Connect(ClientConfig{UseInvoker: true})
	subs := c.AddSubscription("aeron:ipc", 1)
	pubs := c.AddExclusivePublication("aeron:ipc", 1)
	c.doWork() // completes both adds
	sub, serr := subs.Poll()
	pub, perr := pubs.Poll()
	if err := errors.Join(serr, perr); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("mem: pipe: %w", err)
	}
	return &Pipe{Publication: pub.(*Publication), sub: sub.(*Subscription), client: c}, nil
}

// Poll reads the stream, as transport.Subscription.
func (p *Pipe) Poll(h transport.Handler, fragmentLimit int) int { return p.sub.Poll(h, fragmentLimit) }

// ImageCount is the subscription's, as transport.Subscription.
func (p *Pipe) ImageCount() int { return p.sub.ImageCount() }

// Close closes the publication, the subscription and their client.
func (p *Pipe) Close() error { return p.client.Close() }

// Drain polls until a poll reads nothing, discarding what it reads.
func (p *Pipe) Drain() {
	for p.Poll(discard, 1<<20) > 0 {
	}
}

func discard([]byte, *transport.Header) {}

var (
	_ transport.Publication  = (*Pipe)(nil)
	_ transport.Subscription = (*Pipe)(nil)
)
