package controlplane

import "strings"

// WithParams is channel with each "key=value" of params added whose key the channel does
// not name already: what the caller set wins.
func WithParams(channel string, params ...string) string {
	media, have, hasParams := strings.Cut(channel, "?")
	named := map[string]bool{}
	if hasParams {
		for _, p := range strings.Split(have, "|") {
			key, _, _ := strings.Cut(p, "=")
			named[key] = true
		}
	}
	out := channel
	for _, p := range params {
		if key, _, _ := strings.Cut(p, "="); named[key] {
			continue
		}
		if !hasParams {
			out, hasParams = media+"?"+p, true
		} else {
			out += "|" + p
		}
	}
	return out
}

// Untethered is channel with tether=false unless it names a tether setting, for a
// client's subscriptions. A tethered subscription holds back every publisher of its
// stream until it reads: on a shared control or descriptor stream one paused client would
// stop the messages of all the others (keepalives, announces, frames) until Aeron timed
// its client out (10 s by default). An untethered one that falls a window behind for the
// publication's untethered window limit timeout is dropped instead (ON_UNAVAILABLE_IMAGE),
// and rejoins after the resting timeout (DescriptorLimits).
func Untethered(channel string) string { return WithParams(channel, "tether=false") }

// DescriptorLimits bound how long an untethered subscriber that stopped reading holds
// back a descriptor stream: once it is 3/4 of the publication window behind, the media
// driver waits untethered-window-limit-timeout, tells it its image is gone, then lets it
// linger, still counted in flow control, for untethered-linger-timeout before it stops
// counting, and rejoins at the stream's position after untethered-resting-timeout. Each
// step is taken at the media driver's timer events (aeron.timer.interval: 1 s by
// default, 100 ms in the drivers tensorpool starts), so the producer, and every other
// consumer with it, is held for at most the first two timeouts rounded up to timer
// events: 1.2 s on tensorpool's drivers, 2 s on a media driver left at Aeron's defaults
// (whose timer interval is worth lowering), both below the stopped consumer's lease (3 s
// by default). A consumer stopped longer than its lease subscribes afresh when it runs
// again; one stopped for less keeps its lease and its subscription, and reads again once
// its image rejoins: the resting timeout bounds that wait (Aeron's default, 10 s, would
// outlast three leases). Without a linger timeout Aeron lingers for the window limit
// timeout again.
var DescriptorLimits = []string{"untethered-window-limit-timeout=500ms", "untethered-linger-timeout=500ms", "untethered-resting-timeout=500ms"}

// UntetheredLimits is a descriptor publication's channel with DescriptorLimits, except
// those the channel sets. The media driver reads them from the publication for IPC
// streams (Aeron 1.51 takes an IPC publication's limits from its own channel and ignores
// a subscription's); a producer's descriptor publication is exclusive, its log its own.
func UntetheredLimits(channel string) string {
	return WithParams(channel, DescriptorLimits...)
}

// UntetheredDescriptors is a descriptor subscription's channel: Untethered, with
// DescriptorLimits, except those the channel sets. On a network stream the receiving media
// driver applies the limits of the subscription's channel to its image.
func UntetheredDescriptors(channel string) string {
	return WithParams(channel, append([]string{"tether=false"}, DescriptorLimits...)...)
}
