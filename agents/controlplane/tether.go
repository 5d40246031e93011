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
// and may rejoin after the resting timeout (UntetheredLimits).
func Untethered(channel string) string { return WithParams(channel, "tether=false") }

// UntetheredLimits is a publication's channel with the timeout that bounds how long an
// untethered subscriber a window behind holds it back (1.5 s, then its image is dropped;
// it may rejoin after the media driver's resting timeout, 10 s by default), unless the
// channel sets one. It belongs to the publication, and must exceed the media driver's
// timer interval (1 s by default), which it adds up to. A producer's descriptor
// publication uses it: exclusive, its log is its own.
func UntetheredLimits(channel string) string {
	return WithParams(channel, "untethered-window-limit-timeout=1500ms")
}
