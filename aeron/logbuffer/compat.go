package logbuffer

import "github.com/tensorpool/tensorpool/transport"

// The claim and the results moved to package transport; these names remain only until the
// callers outside aeron/ move there too.
type BufferClaim = transport.Claim

const (
	NotConnected        = transport.NotConnected
	BackPressured       = transport.BackPressured
	AdminAction         = transport.AdminAction
	Closed              = transport.Closed
	MaxPositionExceeded = transport.MaxPositionExceeded
	PublicationError    = transport.PublicationError
)
