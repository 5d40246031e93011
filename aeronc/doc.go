// Package aeronc is the second backend of package transport: the official Aeron C client
// (libaeron, the API of aeronc.h) behind the same interface as the pure-Go client in
// package aeron, so the client side of Aeron is the reference implementation's own code. It is
// built with the tag aeronc (go build -tags aeronc) and needs cgo; without the tag this
// file is all there is.
//
// # Finding libaeron
//
// The package declares the C functions it calls itself (capi_functions.h, written from the
// API documentation: names, parameters, results, and the fields of the few structs it
// reads) and loads libaeron at run time with dlopen. So it compiles, vets and is
// statically checked on a machine without Aeron, as CI is, and a binary built with the tag
// runs without libaeron until something calls Connect. The library is, in this order,
// Config.Library, $AERON_C_LIBRARY (a file, or the directory holding libaeron.so),
// DefaultLibrary (a path stamped in at build time; `make TRANSPORT=aeronc build` finds the
// library with $AERON_C_LIBRARY, $AERON_C_INCLUDE_DIR, pkg-config or the CMake package and
// stamps it), else "libaeron.so" from the dynamic loader's search path. A library that
// cannot be loaded fails Connect with a *LibraryError that names those variables. The
// declarations are checked against an installed aeronc.h whenever the tests find one
// ($AERON_C_INCLUDE_DIR, or include/aeron beside the library): a mismatch in any
// prototype or struct layout is a compile error there.
//
// # Threads and callbacks
//
// With Config.UseInvoker the C client has no thread: Client.Conductor is its duty cycle
// (aeron_main_do_work), run by the caller in an agent.Runner or Invoker, and every
// callback of the C client (the error handler) runs on the goroutine that runs it.
// Without it the C client runs its conductor on a thread of its own, and the error
// handler is called from that thread: cgo lets a thread that C created call into Go; the
// callback takes no lock the Client holds, so it cannot deadlock against Close, which
// stops that thread. In both modes the callback carries a runtime/cgo.Handle, never a Go
// pointer, and no Go pointer is stored in C memory.
//
// The C client runs the conductor's commands (adds, closes, cancels) on the calling
// thread in invoker mode, so every such call and the duty cycle are serialized by one
// lock. The data path (Offer, TryClaim, Poll, positions, counters) takes no lock.
//
// # The data path
//
// Offer and TryClaim are one cgo call each. TryClaim wraps the frame libaeron claimed in a
// transport.Claim, whose Commit and Abort are Go stores (libaeron's term buffers have the
// frame layout transport.Claim expects), so a claimed message costs one cgo call. Poll
// costs one cgo call per batch of up to 1024 messages: libaeron's
// aeron_image_controlled_peek on each image, round robin, with a C handler that lists
// every unfragmented message where it lies in the log (its header read from the frame) and
// passes the fragments of fragmented ones to libaeron's fragment assembler, whose whole
// messages it copies into a 256 KiB arena the subscription owns (one larger than the arena
// is handed out in the assembler's buffer, which nothing touches before the next call).
// The peek moves no subscriber position and the images it read stay retained, so the log
// under the messages stays mapped and the subscriber's while Go hands them to the Handler;
// then Go commits: it moves each image's subscriber position (its counter, whose address
// the call returned with the batch) past what was read, without another call, so a
// producer that waits for the subscriber (flow control) sees only what the Handler has
// seen, as on the pure-Go client. The next call gives the images back. A message that
// finds no room in the list stays in the log for the next call. Nothing on the data path
// allocates, and publications and batches cross into C as integer handles (they are C
// memory), so cgo has no pointer argument to check on that path. A Handler that closes the
// client must not touch its message afterwards: closing the client unmaps the logs.
//
// Memory ordering: a claim is published by Claim.Commit's release store of the frame
// length, the store libaeron's own commit makes; the batch a C poll filled is read by the
// same goroutine after the call returns, so program order covers it; counter values are
// words of the driver's counters file, read and written with sync/atomic, whose sequential
// consistency subsumes the acquire and release Aeron's clients use. The messages a peek
// listed are read after the peek returns, by the same goroutine, and libaeron's peek read
// each frame's length with an acquire load before handing it on; the commit's compare and
// swap of the subscriber position (sequentially consistent, so at least the release
// libaeron's own image poll stores it with) comes after the Handler's reads in program
// order, so a publisher that sees the position sees the log space free.
//
// Publications and counters are freed by the C client when they are closed, so their
// Close must come after every other call on them has returned; calls after Close answer
// Closed (or 0). Client.Close frees everything the client made, removing it from the
// media driver at once (not at the driver's next timer event, as aeron_close alone would).
package aeronc
