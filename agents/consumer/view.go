package consumer

import (
	"errors"

	"github.com/tensorpool/tensorpool/transport"
)

// view is what the control side (Consumer, on its agent's duty cycle) hands the data path
// (Reader, on the polling goroutine) through a handoff.Box: immutable once posted. The
// control side posts a new one whenever the mapping, the §4.9 drain order, the descriptor
// subscription or the rate cap changes; the Reader takes it at the start of each call.
type view struct {
	// m is the epoch frames are read from, nil while unmapped (state M0).
	m *mapping
	// drain is an epoch whose producer's lease ended (Driver spec §4.9): the Reader reads
	// out the descriptors already published for it, once, before moving on to m.
	drain *mapping
	// descs is the descriptor subscription the agent reads frames from; nil for a Reader
	// polled with a subscription of the caller's.
	descs transport.Subscription
	// ratePeriodNs is the RATE_LIMITED decimation period (§11), 0 for none.
	ratePeriodNs int64
}

// resource is what the control side releases once the data path no longer uses it: a
// mapping or a descriptor subscription.
type resource interface{ Close() error }

// post hands the data path a view of the current state.
func (c *Consumer) post() {
	c.views.Post(&view{m: c.m, drain: c.drain, descs: c.descs, ratePeriodNs: c.ratePeriodNs})
}

// retire releases r once the data path has adopted the view just posted, which no longer
// names it.
func (c *Consumer) retire(r resource) { c.retired.Add(r, c.views.Posted()) }

// sync catches up with the data path: a mapping it gave up on a fault is unmapped, a
// drain order it adopted is withdrawn, and what it no longer uses is released. Every
// control-side entry point calls it first.
func (c *Consumer) sync() {
	c.takeFault()
	adopted := c.views.Adopted()
	if c.drain != nil && adopted >= c.drainGen {
		// The Reader read the epoch out in the call that adopted the order.
		d := c.drain
		c.drain = nil
		c.post()
		c.retire(d)
	}
	c.retired.Release(adopted, closeResource)
}

// takeFault unmaps the mapping the Reader gave up on a fault (it stopped using it at
// once). The fault itself stays with the Reader until ControlError (or the Agent's Err)
// takes it: moved here, it would be in neither place another goroutine reads until the
// duty cycle's end published it.
func (c *Consumer) takeFault() {
	if m := c.rd.faulted.Load(); m != nil && m != c.faultSeen {
		c.faultSeen = m
		if m == c.m {
			c.Unmap()
		}
	}
}

func closeResource(r resource) { _ = r.Close() } // best effort: nothing reads it any more

// releaseAll releases every resource, for Close: the data path has stopped.
func (c *Consumer) releaseAll() error {
	var errs []error
	c.retired.ReleaseAll(func(r resource) { errs = append(errs, r.Close()) })
	if c.m != nil {
		errs = append(errs, c.m.Close())
	}
	if c.drain != nil {
		errs = append(errs, c.drain.Close())
	}
	if c.descs != nil {
		errs = append(errs, c.descs.Close())
	}
	c.m, c.drain, c.descs = nil, nil, nil
	return errors.Join(errs...)
}
