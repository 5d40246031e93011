// Package supervisor is the supervisor of Wire spec §10.5: it watches the control plane
// (ShmPoolAnnounce, ConsumerHello, ConsumerConfig, QosProducer, QosConsumer, each gated
// on schema and template), keeps a live view of producers and consumers (rates, lag,
// drops, liveness) and acts on it by sending ConsumerConfig, where the reference's
// supervisor only logged.
//
// The rules are a pure state machine (Policy), the agent a thin shell on a process's
// control plane (Agent). The policy:
//
//   - moves a consumer that falls behind (its drops grow, or it lags the producer by more
//     than half the header ring) for slow_after_reports QoS reports in a row to
//     RATE_LIMITED, where it runs at the max_rate_hz its ConsumerHello declared (Wire
//     §11: that rate is authoritative in RATE_LIMITED; ConsumerConfig carries no rate of
//     its own) — thinned locally on the shared stream, or by its producer on a
//     per-consumer stream;
//   - restores it to STREAM once it kept up for its hold (min_limited_ns); a consumer that
//     falls behind again soon after waits twice as long the next time, up to
//     max_limited_ns, so no consumer flaps;
//   - answers per-consumer stream requests from its own ranges, as a driver would (Driver
//     spec §11), for consumers no other authority answers: a ConsumerConfig for a consumer
//     from any other sender makes the supervisor follow that sender's assignment instead;
//   - drops producers and consumers silent past liveness_timeout_ns from the view.
//
// Every ConsumerConfig it sends carries the streams the consumer holds, so a mode change
// never moves a consumer off its per-consumer stream. It sends them on an exclusive
// publication: its own session, told apart from every other sender's. A supervisor that
// restarts does not know whom it had limited: those consumers stay RATE_LIMITED until
// they restart.
package supervisor
