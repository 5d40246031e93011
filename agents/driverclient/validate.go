package driverclient

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// ErrProtocol is what every *ResponseError unwraps to: the driver sent an
// OK attach response a client must not use (Driver spec §4.2, §4.7a).
var ErrProtocol = errors.New("driverclient: protocol error in attach response")

// ResponseError names the field of an OK ShmAttachResponse that broke a
// rule and the value it had.
type ResponseError struct {
	Field   string
	Value   any
	Problem string
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("driverclient: attach response %s = %v: %s", e.Field, e.Value, e.Problem)
}

func (e *ResponseError) Unwrap() error { return ErrProtocol }

func bad(field string, value any, problem string) *ResponseError {
	return &ResponseError{Field: field, Value: value, Problem: problem}
}

// ValidateGrant checks an OK attach response against every rule a client
// owes (Driver spec §4.2): required fields non-null, headerSlotBytes 256,
// maxDims the schema constant (v1.1 only), the layout version this client maps, a
// non-empty pool group whose pools have poolNslots = headerNslots, and
// region URIs that are present and pass the Wire spec URI rules. A nonzero
// requestedStream must be the stream granted.
func ValidateGrant(r *wire.ShmAttachResponse, requestedStream uint32) error {
	switch {
	case r.LeaseID == wire.NullU64:
		return bad("leaseId", "null", "required when code=OK")
	case r.StreamID == wire.NullU32:
		return bad("streamId", "null", "required when code=OK")
	case requestedStream != 0 && r.StreamID != requestedStream:
		return bad("streamId", r.StreamID, fmt.Sprintf("granted for another stream than requested (%d)", requestedStream))
	case r.Epoch == wire.NullU64 || r.Epoch == 0:
		return bad("epoch", r.Epoch, "required when code=OK")
	case r.LayoutVersion != shm.LayoutVersion:
		return bad("layoutVersion", r.LayoutVersion, fmt.Sprintf("this client maps layout version %d", shm.LayoutVersion))
	case r.HeaderNslots == wire.NullU32 || r.HeaderNslots == 0 || bits.OnesCount32(r.HeaderNslots) != 1:
		return bad("headerNslots", r.HeaderNslots, "must be a non-zero power of two")
	case r.HeaderSlotBytes != shm.HeaderSlotSize:
		return bad("headerSlotBytes", r.HeaderSlotBytes, "must be 256")
	case r.Version == wire.V1_1 && r.MaxDims != shm.MaxDims: // v1.2 has no maxDims (Driver spec §4.2 at b8a2261)
		return bad("maxDims", r.MaxDims, fmt.Sprintf("must be the schema constant %d", shm.MaxDims))
	case len(r.PayloadPools) == 0:
		return bad("payloadPools", 0, "must not be empty")
	}
	if err := validateURI("headerRegionUri", r.HeaderRegionURI); err != nil {
		return err
	}
	for i, p := range r.PayloadPools {
		if p.PoolNslots != r.HeaderNslots {
			return bad(fmt.Sprintf("payloadPools[%d].poolNslots", i), p.PoolNslots, fmt.Sprintf("must equal headerNslots %d", r.HeaderNslots))
		}
		if p.StrideBytes == 0 || p.StrideBytes == wire.NullU32 {
			return bad(fmt.Sprintf("payloadPools[%d].strideBytes", i), p.StrideBytes, "required when code=OK")
		}
		if err := validateURI(fmt.Sprintf("payloadPools[%d].regionUri", i), p.RegionURI); err != nil {
			return err
		}
	}
	return nil
}

func validateURI(field, uri string) error {
	if uri == "" {
		return bad(field, `""`, "required when code=OK")
	}
	if len(uri) > wire.MaxURIBytes {
		return bad(field, fmt.Sprintf("%d bytes", len(uri)), fmt.Sprintf("longer than %d bytes", wire.MaxURIBytes))
	}
	if _, err := shm.ParseURI(uri); err != nil {
		return bad(field, uri, err.Error())
	}
	return nil
}
