package producer

import "github.com/tensorpool/tensorpool/transport"

// Result is the outcome of a data-path call. OK means done; every other value says why a
// frame or message was not published, and is counted in Counters.Results.
type Result uint8

const (
	OK Result = iota
	// DropNoPoolFits: no pool's stride_bytes holds the payload; the frame is dropped,
	// never blocked on (§9).
	DropNoPoolFits
	// DropInvalidSize: a negative size, or more than a u32 values_len_bytes can carry (or a
	// metadata string over its 1 GiB encoding maximum).
	DropInvalidSize
	// DropInvalidTensor: the tensor header breaks §8.2/§15.8 (enums, ndims, strides,
	// progress stride); consumers would drop it, so it is never committed.
	DropInvalidTensor
	// DropTensorExceedsPayload: dims and strides address more bytes than the payload
	// holds; consumers would drop it (or read out of bounds), so it is never committed.
	DropTensorExceedsPayload
	// ErrClaimOutstanding: Claim or Offer while a claim is open; Commit or Abort it first.
	ErrClaimOutstanding
	// ErrNoClaim: Commit, Abort or Progress with a claim that is not the open one.
	ErrNoClaim
	// ErrProgressRegressed: Progress reported fewer bytes than before (§10.2.2).
	ErrProgressRegressed
	// ErrProgressOverrun: Progress reported more bytes than the claim holds (§10.2.2).
	ErrProgressOverrun
	// The publication refused the message (Aeron's negative positions).
	DropNotConnected
	DropBackPressured
	DropAdminAction
	DropPublicationClosed
	DropMaxPositionExceeded
	DropPublicationError
	// ErrSeqRegressed: ClaimAt with a sequence number below the producer's next one.
	ErrSeqRegressed
	// ErrRegionFault: writing the epoch's mapped regions faulted (a file truncated under
	// the mapping, or a page a full filesystem cannot back): the epoch is dead, every
	// later call fails alike (Producer.Fault says where), and the driver, which finds the
	// epoch lost, revokes the lease; the producer reattaches to a new one.
	ErrRegionFault
	resultCount
)

// ResultCount sizes arrays indexed by Result.
const ResultCount = int(resultCount)

var resultText = [resultCount]string{
	OK:                       "ok",
	DropNoPoolFits:           "no payload pool is large enough (§9)",
	DropInvalidSize:          "invalid payload size",
	DropInvalidTensor:        "tensor header invalid (§8.2)",
	DropTensorExceedsPayload: "tensor dims and strides exceed the payload (§8.2)",
	ErrClaimOutstanding:      "a claim is already open",
	ErrNoClaim:               "not the open claim",
	ErrProgressRegressed:     "payload_bytes_filled regressed (§10.2.2)",
	ErrProgressOverrun:       "payload_bytes_filled exceeds values_len_bytes (§10.2.2)",
	DropNotConnected:         "publication not connected",
	DropBackPressured:        "publication back-pressured",
	DropAdminAction:          "publication admin action",
	DropPublicationClosed:    "publication closed",
	DropMaxPositionExceeded:  "publication max position exceeded",
	DropPublicationError:     "publication error",
	ErrSeqRegressed:          "sequence number below the next one (§15.2)",
	ErrRegionFault:           "memory fault in a mapped region (file truncated, or no space to back a page)",
}

func (r Result) String() string {
	if r < resultCount {
		return resultText[r]
	}
	return "unknown result"
}

// publicationResult maps an Aeron offer/try-claim position to a Result.
func publicationResult(position int64) Result {
	switch {
	case position >= 0:
		return OK
	case position == transport.NotConnected:
		return DropNotConnected
	case position == transport.BackPressured:
		return DropBackPressured
	case position == transport.AdminAction:
		return DropAdminAction
	case position == transport.Closed:
		return DropPublicationClosed
	case position == transport.MaxPositionExceeded:
		return DropMaxPositionExceeded
	}
	return DropPublicationError
}
