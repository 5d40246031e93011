// Package tp is the everyday Go API of the tensor pool: connect to Aeron and an SHM
// driver, publish tensors from a Producer, read them zero-copy in a Consumer.
//
//	c, _ := tp.Connect(ctx, tp.Options{}) // tp-driver's defaults; package tp/local runs one in-process
//	defer c.Close()
//	p, _ := c.NewProducer(ctx, 1)
//	p.Offer(tp.Tensor{Shape: tp.Shape{DType: tp.Uint8, Dims: []int32{480, 640}}, Data: img})
//	cons, _ := c.NewConsumer(ctx, 1, func(f *tp.Frame) { ... })
//	cons.Poll(10)
//
// Producers and consumers run in driver mode: each attaches to the SHM driver for a lease
// on its stream, maps the regions the driver granted (read-write for a producer, read-only
// after path containment for a consumer), and keeps the lease alive on the Client's duty
// cycle. When the lease ends — revoked, expired, or the driver shut down — the mapping is
// dropped and the client reattaches; a new epoch is mapped afresh. While no lease is held,
// Offer and Claim return ErrNotAttached and Poll delivers nothing.
//
// The frame path (Offer, Claim/Commit, Poll) allocates nothing and never blocks on a
// reader. A Consumer's Poll runs only its role's data path (package agents/consumer): it
// never waits on the duty cycle, the control plane or the media driver. Failures are the
// sentinel errors of this package, comparable with errors.Is; the drops that pass (not
// attached, publications not in place, no consumer, back pressure) all match ErrBusy:
// offer the next frame, or this one again.
//
// NewProducer and NewConsumer wait for the first grant until ctx ends, retrying what can
// pass (a lease still held, a driver draining, a stream no producer has made yet). A
// refusal no retry changes ends the wait at once with ErrRefused, and the driver's reason;
// an attach nothing answered ends with ctx's error and says where it went: the aeron dir,
// the control channel and stream, and whether a media driver is alive there.
package tp
