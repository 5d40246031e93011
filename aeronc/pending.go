//go:build aeronc

package aeronc

/*
#include "capi.h"
*/
import "C"

import (
	"unsafe"

	"github.com/tensorpool/tensorpool/transport"
)

// pending is an add in progress: the C client's async handle, polled under the client's
// lock. Once the C poll answers (or the add is canceled, or the client closes) the handle
// is the C client's again and async is nil.
type pending[T any] struct {
	c     *Client
	async unsafe.Pointer
	// poll completes the add: done with the resource or an error, or not done yet.
	poll func(async unsafe.Pointer) (T, bool, error)
	// cancel gives the handle back to the C client, which removes what it made.
	cancel func(async unsafe.Pointer) error

	done     bool
	canceled bool
	resource T
	err      error
}

// failed is a Pending that fails with err.
func failed[T any](c *Client, err error) *pending[T] {
	return &pending[T]{c: c, done: true, err: err}
}

// Poll implements transport.Pending. It takes the client's lock briefly; the C poll only
// reads the state the conductor set.
func (p *pending[T]) Poll() (T, error) {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero T
	switch {
	case p.canceled:
		return zero, transport.ErrCanceled
	case p.done:
		return p.resource, p.err
	}
	if err := c.usableLocked(); err != nil {
		// The C client frees the handle when it closes.
		p.async, p.done, p.err = nil, true, err
		return zero, err
	}
	resource, done, err := p.poll(p.async)
	if !done {
		return zero, transport.ErrPending
	}
	p.async, p.done, p.resource, p.err = nil, true, resource, err
	return resource, err
}

// Cancel implements transport.Pending. The resource of a completed add was handed out by
// the Poll that completed it, so only an add still pending has anything to undo.
func (p *pending[T]) Cancel() {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.canceled || (p.done && p.err == nil) {
		return
	}
	p.canceled = true
	if p.done || c.usableLocked() != nil {
		return
	}
	async := p.async
	p.async = nil
	if err := p.cancel(async); err != nil {
		c.reportLocked(err)
	}
}

// reportLocked hands an error that no caller waits for to the error handler.
func (c *Client) reportLocked(err error) {
	if h := c.cfg.ErrorHandler; h != nil {
		h(err)
	}
}
