package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
)

// ShmAttachRequest asks the driver for a lease (driver schema, Driver spec §4.2). An
// undefined role or policy decodes with ErrUnknownEnum: the driver answers such a request
// (INVALID_PARAMS) rather than dropping it.
type ShmAttachRequest struct {
	CorrelationID         int64
	StreamID              uint32
	ClientID              uint32
	Role                  Role
	ExpectedLayoutVersion uint32
	MaxDims               uint8
	PublishMode           PublishMode // optional: PublishModeNull when absent
	RequireHugepages      HugepagesPolicy
}

const (
	shmAttachRequestBlock  = int(driver.ShmAttachRequestSbeBlockLength)
	shmAttachRequestLength = HeaderLength + shmAttachRequestBlock
	shmAttachRequestHeader = uint64(driver.ShmAttachRequestSbeBlockLength) | uint64(driver.ShmAttachRequestSbeTemplateID)<<16 |
		uint64(DriverSchemaID)<<32 | uint64(DriverSchemaVersion)<<48
)

var (
	shmAttachRequestGate  = messageGate(ShmAttachRequestID)
	shmAttachRequestShort = fixedShortBuffer("ShmAttachRequest", shmAttachRequestLength)
)

// EncodedLength is the encoded size, header included.
func (m *ShmAttachRequest) EncodedLength() int { return shmAttachRequestLength }

// Encode writes m at buf[0:] and returns its length.
func (m *ShmAttachRequest) Encode(buf []byte) (int, error) {
	if len(buf) < shmAttachRequestLength {
		return 0, shmAttachRequestShort
	}
	b := buf[:shmAttachRequestLength]
	le.PutUint64(b, shmAttachRequestHeader)
	f := b[HeaderLength:]
	le.PutUint64(f, uint64(m.CorrelationID))
	le.PutUint32(f[8:], m.StreamID)
	le.PutUint32(f[12:], m.ClientID)
	f[16] = byte(m.Role)
	le.PutUint32(f[17:], m.ExpectedLayoutVersion)
	f[21] = m.MaxDims
	f[22] = byte(m.PublishMode)
	f[23] = byte(m.RequireHugepages)
	return shmAttachRequestLength, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *ShmAttachRequest) Decode(buf []byte) error {
	_, readable, err := shmAttachRequestGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+shmAttachRequestBlock]
	*m = ShmAttachRequest{
		CorrelationID:         int64(le.Uint64(f)),
		StreamID:              le.Uint32(f[8:]),
		ClientID:              le.Uint32(f[12:]),
		Role:                  Role(f[16]),
		ExpectedLayoutVersion: le.Uint32(f[17:]),
		MaxDims:               f[21],
		PublishMode:           PublishMode(f[22]),
		RequireHugepages:      HugepagesPolicy(f[23]),
	}
	return err
}

// CorrelationIDOf reads the correlationId of a ShmAttachRequest or ShmAttachResponse of any
// schema version (the first field of both in every version), or reports false when buf is
// too short to hold it. It lets the driver answer a request of a version it does not speak
// (§4.4a) and a client skip other clients' responses without decoding them.
func CorrelationIDOf(buf []byte, h Header) (int64, bool) {
	if h.BlockLength < 8 || len(buf) < HeaderLength+8 {
		return 0, false
	}
	return int64(le.Uint64(buf[HeaderLength:])), true
}

// ShmAttachResponse answers a ShmAttachRequest (driver schema, Driver spec §4.3). On a
// code other than OK the optional fields hold their null values (Null*). ErrorMessage is
// cut to MaxErrorMessageBytes on decode; URIs are kept whole for the client's validation
// to judge.
type ShmAttachResponse struct {
	CorrelationID          int64
	Code                   ResponseCode
	LeaseID                uint64 // optional
	LeaseExpiryTimestampNs uint64 // optional
	StreamID               uint32 // optional
	Epoch                  uint64 // optional
	LayoutVersion          uint32 // optional
	HeaderNslots           uint32 // optional
	HeaderSlotBytes        uint16 // optional
	MaxDims                uint8  // optional
	PayloadPools           []PayloadPool
	HeaderRegionURI        string
	ErrorMessage           string
}

const shmAttachResponseBlock = int(driver.ShmAttachResponseSbeBlockLength)

var shmAttachResponseGate = messageGate(ShmAttachResponseID)

// EncodedLength is the encoded size, header included.
func (m *ShmAttachResponse) EncodedLength() int {
	return HeaderLength + shmAttachResponseBlock + payloadPoolsLength(m.PayloadPools) +
		varLen(len(m.HeaderRegionURI)) + varLen(len(m.ErrorMessage))
}

// Encode writes m at buf[0:] and returns its length.
func (m *ShmAttachResponse) Encode(buf []byte) (int, error) {
	const name = "ShmAttachResponse"
	if err := checkPayloadPools(name, m.PayloadPools); err != nil {
		return 0, err
	}
	if err := firstError(checkVar(name, "headerRegionUri", len(m.HeaderRegionURI), maxVarLength),
		checkVar(name, "errorMessage", len(m.ErrorMessage), maxVarLength)); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(driver.ShmAttachResponseSbeBlockLength, driver.ShmAttachResponseSbeTemplateID, DriverSchemaID, DriverSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint64(f, uint64(m.CorrelationID))
	le.PutUint32(f[8:], uint32(m.Code))
	le.PutUint64(f[12:], m.LeaseID)
	le.PutUint64(f[20:], m.LeaseExpiryTimestampNs)
	le.PutUint32(f[28:], m.StreamID)
	le.PutUint64(f[32:], m.Epoch)
	le.PutUint32(f[40:], m.LayoutVersion)
	le.PutUint32(f[44:], m.HeaderNslots)
	le.PutUint16(f[48:], m.HeaderSlotBytes)
	f[50] = m.MaxDims
	pos := putPayloadPools(b, HeaderLength+shmAttachResponseBlock, m.PayloadPools)
	pos = putVar(b, pos, m.HeaderRegionURI)
	putVar(b, pos, m.ErrorMessage)
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *ShmAttachResponse) Decode(buf []byte) error {
	h, readable, err := shmAttachResponseGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+shmAttachResponseBlock]
	*m = ShmAttachResponse{
		CorrelationID:          int64(le.Uint64(f)),
		Code:                   ResponseCode(le.Uint32(f[8:])),
		LeaseID:                le.Uint64(f[12:]),
		LeaseExpiryTimestampNs: le.Uint64(f[20:]),
		StreamID:               le.Uint32(f[28:]),
		Epoch:                  le.Uint64(f[32:]),
		LayoutVersion:          le.Uint32(f[40:]),
		HeaderNslots:           le.Uint32(f[44:]),
		HeaderSlotBytes:        le.Uint16(f[48:]),
		MaxDims:                f[50],
	}
	var pos int
	m.PayloadPools, pos = getPayloadPools(buf, HeaderLength+int(h.BlockLength))
	m.HeaderRegionURI, pos = getVar(buf, pos)
	m.ErrorMessage, _ = getVarTruncated(buf, pos, MaxErrorMessageBytes)
	return err
}

// PayloadPool is one payloadPools entry of ShmPoolAnnounce, ShmAttachResponse and a
// DiscoveryResponse result: the same fields in the three schemas.
type PayloadPool struct {
	PoolID      uint16
	PoolNslots  uint32
	StrideBytes uint32
	RegionURI   string
}

// payloadPoolBlock is the payloadPools entry block in all three schemas.
const payloadPoolBlock = 10

func payloadPoolsLength(pools []PayloadPool) int {
	n := groupHeaderLength
	for i := range pools {
		n += payloadPoolBlock + varLen(len(pools[i].RegionURI))
	}
	return n
}

func checkPayloadPools(message string, pools []PayloadPool) error {
	if err := checkCount(message, "payloadPools", len(pools)); err != nil {
		return err
	}
	for i := range pools {
		if err := checkVar(message, "payloadPools.regionUri", len(pools[i].RegionURI), maxVarLength); err != nil {
			return err
		}
	}
	return nil
}

func putPayloadPools(buf []byte, pos int, pools []PayloadPool) int {
	pos = putGroup(buf, pos, payloadPoolBlock, len(pools))
	for i := range pools {
		p := &pools[i]
		e := buf[pos : pos+payloadPoolBlock]
		le.PutUint16(e, p.PoolID)
		le.PutUint32(e[2:], p.PoolNslots)
		le.PutUint32(e[6:], p.StrideBytes)
		pos = putVar(buf, pos+payloadPoolBlock, p.RegionURI)
	}
	return pos
}

// getPayloadPools reads a validated payloadPools group; no entries decode as nil.
func getPayloadPools(buf []byte, pos int) ([]PayloadPool, int) {
	block, count, pos := getGroup(buf, pos)
	if count == 0 {
		return nil, pos
	}
	pools := make([]PayloadPool, count)
	for i := range pools {
		e := buf[pos : pos+block]
		pools[i] = PayloadPool{PoolID: le.Uint16(e), PoolNslots: le.Uint32(e[2:]), StrideBytes: le.Uint32(e[6:])}
		pools[i].RegionURI, pos = getVar(buf, pos+block)
	}
	return pools, pos
}

// firstError is the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
