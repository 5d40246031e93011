package aeron

import (
	"fmt"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
)

// request is one command the driver has not answered yet, or an add that has ended. Its
// fields are guarded by the client's lock.
type request struct {
	correlationID int64
	description   string
	deadline      clock.Mono
	// ready makes the resource once the driver has answered success, on the conductor;
	// nil for a remove. failed undoes what the add set up before the answer, if it
	// failed; nil when there is nothing to undo.
	ready  func(*request) (resource, error)
	failed func()

	done     bool
	err      error
	resource resource
	taken    bool // Poll handed the resource out
	canceled bool

	// What the driver's answer carried.
	publication publicationReady
	counterID   int32
	statusID    int32
}

// resource is a publication, subscription or counter: something an add makes and a
// canceled add gives back.
type resource interface {
	// removeLocked closes the resource here and asks the driver to release it,
	// without waiting for the answer.
	removeLocked() error
}

// pending is a request as a transport.Pending of T.
type pending[T any] struct {
	c   *Client
	req *request
}

// Poll implements transport.Pending: it takes the client's lock briefly and never waits.
func (p pending[T]) Poll() (T, error) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	var zero T
	r := p.req
	switch {
	case r.canceled:
		return zero, transport.ErrCanceled
	case !r.done:
		return zero, transport.ErrPending
	case r.err != nil:
		return zero, r.err
	}
	r.taken = true
	return r.resource.(T), nil
}

// Cancel implements transport.Pending: a resource not handed out yet is removed, now or
// when the driver's answer arrives.
func (p pending[T]) Cancel() {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	r := p.req
	if r.canceled || r.taken {
		return
	}
	r.canceled = true
	if r.done && r.err == nil {
		p.c.removeCanceledLocked(r)
	}
}

// failedPending is an add that failed before it was sent.
func failedPending[T any](c *Client, err error) transport.Pending[T] {
	return pending[T]{c: c, req: &request{done: true, err: err}}
}

// registerLocked records a sent command so its answer finds it, and so it fails at the
// driver timeout if none comes.
func (c *Client) registerLocked(correlationID int64, description string) *request {
	c.sentCommand = true
	req := &request{correlationID: correlationID, description: description,
		deadline: clock.Now().Add(c.cfg.DriverTimeout)}
	c.pending[correlationID] = req
	return req
}

// registerRemoveLocked records a remove nobody waits for: a refusal or a timeout goes to
// the error handler (unless the client ended, which releases everything anyway).
func (c *Client) registerRemoveLocked(correlationID int64, description string) {
	req := c.registerLocked(correlationID, description)
	req.failed = func() {
		if c.terminal == nil {
			c.report(req.err)
		}
	}
}

// completeLocked ends a request with the driver's answer (err nil for success), or with
// the error that ended it otherwise, and makes its resource.
func (c *Client) completeLocked(req *request, err error) {
	delete(c.pending, req.correlationID)
	if req.done {
		return
	}
	if err == nil && req.ready != nil {
		req.resource, err = req.ready(req)
	}
	req.done, req.err = true, err
	if err != nil {
		if req.failed != nil {
			req.failed()
		}
		return
	}
	if req.canceled {
		c.removeCanceledLocked(req)
	}
}

// removeCanceledLocked removes the resource of a canceled add.
func (c *Client) removeCanceledLocked(req *request) {
	if err := req.resource.removeLocked(); err != nil {
		c.report(fmt.Errorf("aeron: removing the resource of a canceled %s: %w", req.description, err))
	}
}

// expireRequestsLocked fails the requests the driver did not answer within the driver
// timeout.
func (c *Client) expireRequestsLocked(now clock.Mono) int {
	expired := 0
	for _, req := range c.pending {
		if now.After(req.deadline) {
			c.completeLocked(req, fmt.Errorf("%w: %s (correlation id %d) after %v",
				ErrResponseTimeout, req.description, req.correlationID, c.cfg.DriverTimeout))
			expired++
		}
	}
	return expired
}
