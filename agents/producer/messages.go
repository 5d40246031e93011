package producer

import (
	"github.com/tensorpool/tensorpool/transport"
)

// maxAdminRetries bounds the immediate retries of a try-claim that met a term rotation
// (AdminAction), which Aeron says to retry at once; anything else is a drop.
const maxAdminRetries = 3

// tryClaim claims length bytes on pub; on OK the claim is open for the caller to fill and
// commit.
func tryClaim(pub transport.Publication, claim *transport.Claim, length int) Result {
	for range maxAdminRetries {
		position := pub.TryClaim(length, claim)
		if position >= 0 {
			return OK
		}
		if position != transport.AdminAction {
			return publicationResult(position)
		}
	}
	return DropAdminAction
}

// offer sends msg on pub, retrying a term rotation as tryClaim does.
func offer(pub transport.Publication, msg []byte) Result {
	return offerAgain(pub, msg, pub.Offer(msg))
}

// offerAgain continues offer after its first attempt returned position: an admin action
// (a term rotation) is retried, up to maxAdminRetries attempts in all; any other refusal
// maps to its Result.
func offerAgain(pub transport.Publication, msg []byte, position int64) Result {
	for attempt := 1; position == transport.AdminAction && attempt < maxAdminRetries; attempt++ {
		position = pub.Offer(msg)
	}
	switch {
	case position >= 0:
		return OK
	case position == transport.AdminAction:
		return DropAdminAction
	}
	return publicationResult(position)
}
