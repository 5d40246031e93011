// Package driver is the SHM driver of the Driver Model spec v1.0.
//
// Its protocol rules are pure state machines (Core, the lease and driver
// lifecycles): no I/O, no goroutines, no clock reads. Time enters as an
// argument in nanoseconds of the driver's monotonic clock, and every effect
// the driver must carry out (send a message, provision an epoch, ...) comes
// back as an Action. Agent is the thin duty-cycle shell that feeds Core from
// the Aeron control stream and carries out its Actions; Provisioner owns the
// SHM files, created off the duty cycle by a worker goroutine. The messages
// are package wire's typed messages. docs/faults.md says what the driver does
// when its files, its filesystem or its own process fail; docs/trust.md who
// may touch its files and messages.
package driver

import (
	"github.com/tensorpool/tensorpool/wire"
)

// Rejection builds a failed attach response: code and diagnostic set,
// every optional field null, no pools and no URI (Driver spec §4.2).
func Rejection(correlationID int64, code wire.ResponseCode, message string) wire.ShmAttachResponse {
	return wire.ShmAttachResponse{
		CorrelationID:          correlationID,
		Code:                   code,
		LeaseID:                wire.NullU64,
		LeaseExpiryTimestampNs: wire.NullU64,
		StreamID:               wire.NullU32,
		Epoch:                  wire.NullU64,
		LayoutVersion:          wire.NullU32,
		HeaderNslots:           wire.NullU32,
		HeaderSlotBytes:        wire.NullU16,
		MaxDims:                wire.NullU8,
		NodeID:                 wire.NullU32,
		ErrorMessage:           truncateMessage(message),
	}
}

// truncateMessage keeps a diagnostic within wire.MaxErrorMessageBytes.
func truncateMessage(s string) string {
	if len(s) > wire.MaxErrorMessageBytes {
		return s[:wire.MaxErrorMessageBytes]
	}
	return s
}
