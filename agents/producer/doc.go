// Package producer is the writing side of the tensor pool data path (Wire spec v1.1 §8.3,
// §9, §10.2, §15.18): it claims the header slot of the next sequence number, lets the
// caller fill the payload slot in place (or copies it in), writes the slot and tensor
// headers, commits the slot's seqlock and publishes a FrameDescriptor by try-claim.
//
// The data path (Claim, Commit, Offer, Progress) never blocks, never allocates and never
// returns an error value: every call yields a Result, and every Result other than OK is
// counted per kind in Counters. A frame that cannot be placed — no pool is large enough
// (§9), the descriptor publication is back-pressured or not connected — is dropped, never
// waited for.
//
// Setup (CreateStandalone, OpenRegions, NewRegions, New) is the control path: it returns
// *ConfigError values naming the offending field and value, or the shm package's typed
// errors.
//
// Consumers (§10.1.2–10.1.3) answers each ConsumerHello with a ConsumerConfig, keeps the
// per-consumer descriptor streams it asked for, capped at its max_rate_hz, and closes them
// when the consumer goes stale. FrameProgress (§10.2.2) is on while a live consumer
// supports it, throttled by the smallest hints the consumers gave, never below the
// producer's floor, and goes to the shared control stream and to the per-consumer control
// streams of the consumers that take it. DataSourceAnnounce and DataSourceMeta (§10.3) go out on
// the announce cadence and whenever SetDataSource, SetAttribute or DeleteAttribute bump
// meta_version.
//
// A Producer is single-threaded: one goroutine (an agent's duty cycle) uses it at a time.
package producer
