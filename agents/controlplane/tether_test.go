package controlplane

import "testing"

// A client's subscriptions are untethered unless the channel says otherwise; the
// producer's descriptor publication bounds how long an untethered subscriber holds it.
func TestUntetheredChannels(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"aeron:ipc", "aeron:ipc?tether=false"},
		{"aeron:ipc?term-length=64k", "aeron:ipc?term-length=64k|tether=false"},
		{"aeron:udp?endpoint=localhost:40123|mtu=1408", "aeron:udp?endpoint=localhost:40123|mtu=1408|tether=false"},
		{"aeron:ipc?tether=true", "aeron:ipc?tether=true"},
		{"aeron:ipc?term-length=64k|tether=false", "aeron:ipc?term-length=64k|tether=false"},
		{"aeron:ipc?alias=tether", "aeron:ipc?alias=tether|tether=false"},
	} {
		if got := Untethered(tc.in); got != tc.want {
			t.Errorf("Untethered(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	const limits = "untethered-window-limit-timeout=500ms|untethered-linger-timeout=500ms|untethered-resting-timeout=500ms"
	for _, tc := range []struct{ in, want string }{
		{"aeron:ipc", "aeron:ipc?" + limits},
		{"aeron:ipc?term-length=4m", "aeron:ipc?term-length=4m|" + limits},
		{"aeron:ipc?untethered-window-limit-timeout=5s", "aeron:ipc?untethered-window-limit-timeout=5s|untethered-linger-timeout=500ms|untethered-resting-timeout=500ms"},
	} {
		if got := UntetheredLimits(tc.in); got != tc.want {
			t.Errorf("UntetheredLimits(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"aeron:ipc", "aeron:ipc?tether=false|" + limits},
		{"aeron:udp?endpoint=localhost:40123", "aeron:udp?endpoint=localhost:40123|tether=false|" + limits},
		{"aeron:ipc?tether=true|untethered-linger-timeout=2s", "aeron:ipc?tether=true|untethered-linger-timeout=2s|untethered-window-limit-timeout=500ms|untethered-resting-timeout=500ms"},
	} {
		if got := UntetheredDescriptors(tc.in); got != tc.want {
			t.Errorf("UntetheredDescriptors(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
