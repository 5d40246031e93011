// Package consumer is the reading side of the tensor pool data path (Wire spec v1.1 §8.3,
// §10.1.1, §10.2.1, §10.2.2, §15.1–§15.4, §15.12, §15.18, §15.21, §15.21a.5, §15.22): it
// maps the regions a ShmPoolAnnounce describes, after path containment and superblock
// checks, and turns each FrameDescriptor into a zero-copy Frame read under the slot's
// seqlock.
//
// Every rule that rejects a frame is a Drop code, counted per code in Counters; nothing
// is logged per frame and nothing on the frame path allocates or blocks. Announces,
// mapping and remapping are the control path and return typed errors.
//
// # Data path and control side
//
// A consumer is two halves that share no lock. The Reader is the data path: it takes
// descriptors, reads and validates slots under the seqlock and calls the handler, on the
// polling goroutine. The Consumer is the control side: announces, mapping, ConsumerConfig,
// metadata, progress, liveness, fallback, hellos and QoS, on one goroutine (an agent's
// duty cycle). The Consumer hands the Reader an immutable view (the mapping, a Driver
// spec §4.9 drain order, the descriptor subscription, the rate cap) through
// internal/handoff; the Reader takes it with one atomic load per call and publishes its
// counters with release stores. A mapping or subscription the Consumer replaced is
// released only once the Reader has adopted a view without it, so no frame loses its
// memory mid-read; a new epoch is mapped before the old one goes, so an announce whose
// regions fail validation costs the mapped epoch nothing. A fault the Reader meets in the
// mapping (a truncated file) makes it stop using that mapping at once, and the Consumer
// unmaps it.
//
// Agent is the one consumer orchestration: a role on a process's duty cycle (package
// process) that holds the Consumer, its lease (package driverclient) and the descriptor
// streams it follows, gets its control messages through the process's control plane
// (package controlplane) and offers the Reader's Poll to the application. tp.Consumer is
// a facade over it.
//
// # Frames are views
//
// A Frame's Payload points into the producer's payload slot, which the producer may
// overwrite at any moment (§15.4: it never waits for readers). The consumer checks the
// slot's seq_commit before calling the handler and again after it returns; a frame that
// changed in between is counted as late (drops_late) instead of accepted. Inside the
// handler, treat everything read from Payload as tentative: read or copy what you need,
// then call Frame.Valid; only if it returns true is what you read the frame the header
// describes. Never keep Payload (or a slice of it) after the handler returns: the slot is
// reused, and the mapping itself is released on remap or Close.
//
// # Control messages
//
// The consumer sends ConsumerHello on its hello period, applies a ConsumerConfig
// addressed to it (mode, use_shm, assigned streams, which the Agent follows: the
// descriptor stream added without waiting, the control stream routed by the control
// plane) and keeps the newest DataSourceAnnounce and DataSourceMeta by meta_version
// (§10.1.2, §10.1.3, §10.3). A ShmLeaseRevoked of the stream's producer drains the mapped
// epoch (Driver spec §4.9, ProducerGone). Malformed messages are counted and returned as
// errors, never decoded.
//
// # Progress and fallback
//
// With Config.Progress the hello says supports_progress and carries the progress hints;
// each FrameProgress is then checked against §10.2.2 (stream, epoch, the frame's slot,
// bytes within the payload, no regression within a frame), counted by ProgressVerdict,
// and the latest valid one is available from Progress. Progress is a hint: frames are
// delivered only on their FrameDescriptor.
//
// When a ConsumerConfig says use_shm = false, or an announced epoch's regions fail
// validation and a payload_fallback_uri is configured, the consumer maps nothing of it
// and enters the FALLBACK state (§15.12, §15.22); Fallback reports it and the URI, for the
// application to switch transports.
//
// A Consumer is single-threaded, and so is its Reader, on the same goroutine or another;
// the handler runs on the Reader's.
package consumer
