package main

import (
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

// A context speaks wire v1.1 unless tp_context_set_wire_version says otherwise.
func TestContextWireVersionDefault(t *testing.T) {
	if v := newContext().options().WireVersion; v != wire.V1_1 {
		t.Errorf("a new context speaks wire %v; want 1.1", v)
	}
}

// A context's consumers ask for no FrameProgress unless tp_context_set_consumer_progress
// says so, as the reference C client's hello does; the mode is STREAM.
func TestContextConsumerDefaults(t *testing.T) {
	o := newContext().options()
	if o.Consumer.Progress {
		t.Error("a new context's consumers ask for FrameProgress; want them not to")
	}
	if o.Consumer.Mode != wire.ModeStream || o.Consumer.MaxRateHz != 0 {
		t.Errorf("consumer mode %v, max rate %d Hz; want STREAM, no cap", o.Consumer.Mode, o.Consumer.MaxRateHz)
	}
}
