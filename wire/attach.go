package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
	v12driver "github.com/tensorpool/tensorpool/wire/sbe/v12/driver"
)

// ShmAttachRequest asks the driver for a lease (driver schema, Driver spec §4.2). An
// undefined role or policy decodes with ErrUnknownEnum: the driver answers such a request
// (INVALID_PARAMS) rather than dropping it.
//
// Its layout depends on Version (see Version for how a receiver tells them apart):
//
//	v1.1 (block 24): ... expectedLayoutVersion@17 maxDims@21 publishMode@22 requireHugepages@23
//	v1.2 (block 27): ... expectedLayoutVersion@17 publishMode@21 requireHugepages@22 desiredNodeId@23
//
// A field the version lacks decodes as 0, so a v1.1 request's DesiredNodeID is 0, not
// absent: DesiredNode reads it with its presence.
type ShmAttachRequest struct {
	Version               Version // the layout Encode writes and Decode read; V1_1 unless set
	CorrelationID         int64
	StreamID              uint32
	ClientID              uint32
	Role                  Role
	ExpectedLayoutVersion uint32
	MaxDims               uint8       // v1.1 only
	PublishMode           PublishMode // optional: PublishModeNull when absent
	RequireHugepages      HugepagesPolicy
	DesiredNodeID         uint32 // v1.2 only; optional: NullU32 when absent (Driver spec §4.2)
}

const (
	shmAttachRequestBlock      = int(driver.ShmAttachRequestSbeBlockLength)
	shmAttachRequestBlockV1_2  = int(v12driver.ShmAttachRequestSbeBlockLength)
	shmAttachRequestLength     = HeaderLength + shmAttachRequestBlock
	shmAttachRequestLengthV1_2 = HeaderLength + shmAttachRequestBlockV1_2
	shmAttachRequestHeaderID   = uint64(driver.ShmAttachRequestSbeTemplateID)<<16 | uint64(DriverSchemaID)<<32 | uint64(DriverSchemaVersion)<<48
)

var (
	shmAttachRequestGate      = messageGate(ShmAttachRequestID)
	shmAttachRequestShort     = fixedShortBuffer("ShmAttachRequest", shmAttachRequestLength)
	shmAttachRequestShortV1_2 = fixedShortBuffer("ShmAttachRequest", shmAttachRequestLengthV1_2)
)

// DesiredNode is the node id the client asks for (TraceLink spec §6.2): ok only in a v1.2
// request whose desiredNodeId is not null.
func (m *ShmAttachRequest) DesiredNode() (id uint32, ok bool) {
	return m.DesiredNodeID, m.Version == V1_2 && m.DesiredNodeID != NullU32
}

// EncodedLength is the encoded size in m's Version, header included.
func (m *ShmAttachRequest) EncodedLength() int {
	if m.Version == V1_2 {
		return shmAttachRequestLengthV1_2
	}
	return shmAttachRequestLength
}

// Encode writes m in its Version's layout at buf[0:] and returns its length.
func (m *ShmAttachRequest) Encode(buf []byte) (int, error) {
	if !m.Version.Valid() {
		return 0, badVersion("ShmAttachRequest", m.Version)
	}
	n := m.EncodedLength()
	if len(buf) < n {
		if m.Version == V1_2 {
			return 0, shmAttachRequestShortV1_2
		}
		return 0, shmAttachRequestShort
	}
	b := buf[:n]
	le.PutUint64(b, uint64(n-HeaderLength)|shmAttachRequestHeaderID)
	f := b[HeaderLength:]
	le.PutUint64(f, uint64(m.CorrelationID))
	le.PutUint32(f[8:], m.StreamID)
	le.PutUint32(f[12:], m.ClientID)
	f[16] = byte(m.Role)
	le.PutUint32(f[17:], m.ExpectedLayoutVersion)
	if m.Version == V1_2 {
		f[21] = byte(m.PublishMode)
		f[22] = byte(m.RequireHugepages)
		le.PutUint32(f[23:], m.DesiredNodeID)
		return n, nil
	}
	f[21] = m.MaxDims
	f[22] = byte(m.PublishMode)
	f[23] = byte(m.RequireHugepages)
	return n, nil
}

// Decode validates buf and fills m in the layout its block length selects, setting
// Version (see the package comment for the errors).
func (m *ShmAttachRequest) Decode(buf []byte) error {
	h, readable, err := shmAttachRequestGate.open(buf)
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
	}
	if int(h.BlockLength) >= shmAttachRequestBlockV1_2 {
		f = buf[HeaderLength : HeaderLength+shmAttachRequestBlockV1_2]
		m.Version = V1_2
		m.PublishMode = PublishMode(f[21])
		m.RequireHugepages = HugepagesPolicy(f[22])
		m.DesiredNodeID = le.Uint32(f[23:])
		return err
	}
	m.MaxDims = f[21]
	m.PublishMode = PublishMode(f[22])
	m.RequireHugepages = HugepagesPolicy(f[23])
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
//
// Its layout depends on Version (see Version for how a receiver tells them apart): the
// block's last field is maxDims (u8 @50, block 51) in v1.1 and nodeId (u32 @50, block 54)
// in v1.2; the groups and var data follow the block in both. A field the version lacks
// decodes as 0, so a v1.1 response's NodeID is 0, not absent: Node reads it with its
// presence.
type ShmAttachResponse struct {
	Version                Version // the layout Encode writes and Decode read; V1_1 unless set
	CorrelationID          int64
	Code                   ResponseCode
	LeaseID                uint64 // optional
	LeaseExpiryTimestampNs uint64 // optional
	StreamID               uint32 // optional
	Epoch                  uint64 // optional
	LayoutVersion          uint32 // optional
	HeaderNslots           uint32 // optional
	HeaderSlotBytes        uint16 // optional
	MaxDims                uint8  // v1.1 only; optional
	NodeID                 uint32 // v1.2 only; optional: NullU32 unless the driver assigned one
	PayloadPools           []PayloadPool
	HeaderRegionURI        string
	ErrorMessage           string
}

const (
	shmAttachResponseBlock     = int(driver.ShmAttachResponseSbeBlockLength)
	shmAttachResponseBlockV1_2 = int(v12driver.ShmAttachResponseSbeBlockLength)
)

var shmAttachResponseGate = messageGate(ShmAttachResponseID)

// Node is the TraceLink node id the driver assigned (Driver spec §4.2): ok only in a v1.2
// response whose nodeId is not null.
func (m *ShmAttachResponse) Node() (id uint32, ok bool) {
	return m.NodeID, m.Version == V1_2 && m.NodeID != NullU32
}

func (m *ShmAttachResponse) block() int {
	if m.Version == V1_2 {
		return shmAttachResponseBlockV1_2
	}
	return shmAttachResponseBlock
}

// EncodedLength is the encoded size in m's Version, header included.
func (m *ShmAttachResponse) EncodedLength() int {
	return HeaderLength + m.block() + payloadPoolsLength(m.PayloadPools) +
		varLen(len(m.HeaderRegionURI)) + varLen(len(m.ErrorMessage))
}

// Encode writes m in its Version's layout at buf[0:] and returns its length.
func (m *ShmAttachResponse) Encode(buf []byte) (int, error) {
	const name = "ShmAttachResponse"
	if !m.Version.Valid() {
		return 0, badVersion(name, m.Version)
	}
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
	block := m.block()
	le.PutUint64(b, headerWord(uint16(block), driver.ShmAttachResponseSbeTemplateID, DriverSchemaID, DriverSchemaVersion))
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
	if m.Version == V1_2 {
		le.PutUint32(f[50:], m.NodeID)
	} else {
		f[50] = m.MaxDims
	}
	pos := putPayloadPools(b, HeaderLength+block, m.PayloadPools)
	pos = putVar(b, pos, m.HeaderRegionURI)
	putVar(b, pos, m.ErrorMessage)
	return n, nil
}

// Decode validates buf and fills m in the layout its block length selects, setting
// Version (see the package comment for the errors).
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
	}
	if int(h.BlockLength) >= shmAttachResponseBlockV1_2 {
		m.Version = V1_2
		m.NodeID = le.Uint32(buf[HeaderLength+50 : HeaderLength+shmAttachResponseBlockV1_2])
	} else {
		m.MaxDims = f[50]
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
