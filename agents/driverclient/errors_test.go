package driverclient

import (
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

// Driver spec §4.3: which refusals a client waiting for its first lease gives up on at
// once. The texts are tp-driver's (agents/driver/attach.go).
func TestDriverSpec_4_3_RefusalsNoRetryChanges(t *testing.T) {
	cases := []struct {
		code      wire.ResponseCode
		message   string
		permanent bool
	}{
		{wire.CodeUnsupported, "publishMode 7 is not supported", true},
		{wire.CodeInvalidParams, "clientId 0 is reserved", true},
		{wire.CodeInternalError, "failed to provision SHM: no space left on device", true},
		{wire.CodeRejected, "stream 5 is not configured and dynamic streams are disabled", true},
		{wire.CodeRejected, "hugepage-backed regions requested but this driver provides standard pages (shm.require_hugepages=false)", true},
		{wire.CodeRejected, "expectedLayoutVersion 9 does not match stream layout version 1", true},
		{wire.CodeRejected, "clientId 3 already holds lease 77", false},
		{wire.CodeRejected, "stream 5 already has a producer (lease 12)", false},
		{wire.CodeRejected, "driver is draining for shutdown", false},
		{wire.CodeRejected, "stream 5 is not provisioned (publishMode REQUIRE_EXISTING)", false},
		{wire.CodeRejected, "stream 5 is not provisioned (publishMode REQUIRE_EXISTING); no producer can create it: it is outside driver.stream_id_range", true},
		{wire.CodeRejected, "driver.stream_id_range 20000-20009 is exhausted", false},
		{wire.CodeRejected, "client_id already attached", false}, // the reference driver's text
	}
	for _, c := range cases {
		e := RefusedError{Code: c.code, Message: c.message}
		if got := e.Permanent(); got != c.permanent {
			t.Errorf("%s %q: Permanent() = %v, want %v", c.code, c.message, got, c.permanent)
		}
	}
}
