package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/discovery"
)

// DiscoveryRequest asks a discovery provider which streams exist (discovery schema,
// Discovery spec §5.1), naming the endpoint to answer on. The optional filters StreamID,
// ProducerID and DataSourceID use 0 for "any": it is encoded as the field's null value,
// and the null value decodes as 0 (Discovery §5.0). An empty DataSourceName and no Tags
// filter nothing either.
type DiscoveryRequest struct {
	RequestID        uint64
	ClientID         uint32
	ResponseStreamID uint32
	StreamID         uint32 // optional: 0 for any
	ProducerID       uint32 // optional: 0 for any
	DataSourceID     uint64 // optional: 0 for any
	Tags             []string
	ResponseChannel  string
	DataSourceName   string
}

const discoveryRequestBlock = int(discovery.DiscoveryRequestSbeBlockLength)

var discoveryRequestGate = messageGate(DiscoveryRequestID)

// EncodedLength is the encoded size, header included.
func (m *DiscoveryRequest) EncodedLength() int {
	return HeaderLength + discoveryRequestBlock + tagsLength(m.Tags) + varLen(len(m.ResponseChannel)) + varLen(len(m.DataSourceName))
}

// Encode writes m at buf[0:] and returns its length.
func (m *DiscoveryRequest) Encode(buf []byte) (int, error) {
	const name = "DiscoveryRequest"
	if err := firstError(checkTags(name, "tags", m.Tags),
		checkVar(name, "responseChannel", len(m.ResponseChannel), maxVarLength),
		checkVar(name, "dataSourceName", len(m.DataSourceName), maxVarLength)); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(discovery.DiscoveryRequestSbeBlockLength, discovery.DiscoveryRequestSbeTemplateID, DiscoverySchemaID, DiscoverySchemaVersion))
	f := b[HeaderLength:]
	le.PutUint64(f, m.RequestID)
	le.PutUint32(f[8:], m.ClientID)
	le.PutUint32(f[12:], m.ResponseStreamID)
	le.PutUint32(f[16:], zeroToNull(m.StreamID))
	le.PutUint32(f[20:], zeroToNull(m.ProducerID))
	le.PutUint64(f[24:], zeroToNull64(m.DataSourceID))
	pos := putTags(b, HeaderLength+discoveryRequestBlock, m.Tags)
	pos = putVar(b, pos, m.ResponseChannel)
	putVar(b, pos, m.DataSourceName)
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *DiscoveryRequest) Decode(buf []byte) error {
	h, readable, err := discoveryRequestGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+discoveryRequestBlock]
	*m = DiscoveryRequest{
		RequestID:        le.Uint64(f),
		ClientID:         le.Uint32(f[8:]),
		ResponseStreamID: le.Uint32(f[12:]),
		StreamID:         nullToZero(le.Uint32(f[16:])),
		ProducerID:       nullToZero(le.Uint32(f[20:])),
		DataSourceID:     nullToZero64(le.Uint64(f[24:])),
	}
	var pos int
	m.Tags, pos = getTags(buf, HeaderLength+int(h.BlockLength))
	m.ResponseChannel, pos = getVar(buf, pos)
	m.DataSourceName, _ = getVar(buf, pos)
	return err
}

// DiscoveryResponse answers a DiscoveryRequest (discovery schema, Discovery spec §5.2).
// A status the schema does not define decodes with ErrUnknownEnum; ErrorMessage is cut
// to MaxErrorMessageBytes on decode. Results are decoded as sent: the limits and rules a
// client applies to them (Discovery §5.2) are the client's.
type DiscoveryResponse struct {
	RequestID    uint64
	Status       DiscoveryStatus
	Results      []DiscoveryResult
	ErrorMessage string
}

// DiscoveryResult is one stream of a DiscoveryResponse: an advisory snapshot (Discovery
// §3). Attach through the driver it names (DriverControlChannel, DriverControlStreamID)
// and validate what it grants; never map regions from a discovery result alone.
type DiscoveryResult struct {
	StreamID        uint32
	ProducerID      uint32
	Epoch           uint64
	LayoutVersion   uint32
	HeaderNslots    uint32
	HeaderSlotBytes uint16
	MaxDims         uint8
	// DataSourceID is optional: 0 when absent (encoded as the null value, which decodes
	// as 0).
	DataSourceID          uint64
	DriverControlStreamID uint32
	PayloadPools          []PayloadPool
	Tags                  []string
	HeaderRegionURI       string
	DataSourceName        string
	DriverInstanceID      string
	DriverControlChannel  string
}

const (
	discoveryResponseBlock = int(discovery.DiscoveryResponseSbeBlockLength)
	// discoveryResultBlock is the results entry's fixed block.
	discoveryResultBlock = 39
)

var discoveryResponseGate = messageGate(DiscoveryResponseID)

// EncodedLength is the encoded size, header included.
func (m *DiscoveryResponse) EncodedLength() int {
	n := DiscoveryResponseBaseLength(len(m.ErrorMessage))
	for i := range m.Results {
		n += m.Results[i].EncodedLength()
	}
	return n
}

// DiscoveryResponseBaseLength is the encoded size of a DiscoveryResponse without results,
// header included: what a response costs before its results (EncodedLength of each).
func DiscoveryResponseBaseLength(errorMessageLength int) int {
	return HeaderLength + discoveryResponseBlock + groupHeaderLength + varLen(errorMessageLength)
}

// EncodedLength is the size r takes in a DiscoveryResponse's results group.
func (r *DiscoveryResult) EncodedLength() int {
	return discoveryResultBlock + payloadPoolsLength(r.PayloadPools) + tagsLength(r.Tags) +
		varLen(len(r.HeaderRegionURI)) + varLen(len(r.DataSourceName)) + varLen(len(r.DriverInstanceID)) + varLen(len(r.DriverControlChannel))
}

// Encode writes m at buf[0:] and returns its length.
func (m *DiscoveryResponse) Encode(buf []byte) (int, error) {
	const name = "DiscoveryResponse"
	if err := checkCount(name, "results", len(m.Results)); err != nil {
		return 0, err
	}
	for i := range m.Results {
		r := &m.Results[i]
		if err := firstError(checkPayloadPools(name+".results", r.PayloadPools), checkTags(name, "results.tags", r.Tags),
			checkVar(name, "results.headerRegionUri", len(r.HeaderRegionURI), maxVarLength),
			checkVar(name, "results.dataSourceName", len(r.DataSourceName), maxVarLength),
			checkVar(name, "results.driverInstanceId", len(r.DriverInstanceID), maxVarLength),
			checkVar(name, "results.driverControlChannel", len(r.DriverControlChannel), maxVarLength)); err != nil {
			return 0, err
		}
	}
	if err := checkVar(name, "errorMessage", len(m.ErrorMessage), maxVarLength); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(discovery.DiscoveryResponseSbeBlockLength, discovery.DiscoveryResponseSbeTemplateID, DiscoverySchemaID, DiscoverySchemaVersion))
	f := b[HeaderLength:]
	le.PutUint64(f, m.RequestID)
	f[8] = byte(m.Status)
	pos := putGroup(b, HeaderLength+discoveryResponseBlock, discoveryResultBlock, len(m.Results))
	for i := range m.Results {
		r := &m.Results[i]
		e := b[pos : pos+discoveryResultBlock]
		le.PutUint32(e, r.StreamID)
		le.PutUint32(e[4:], r.ProducerID)
		le.PutUint64(e[8:], r.Epoch)
		le.PutUint32(e[16:], r.LayoutVersion)
		le.PutUint32(e[20:], r.HeaderNslots)
		le.PutUint16(e[24:], r.HeaderSlotBytes)
		e[26] = r.MaxDims
		le.PutUint64(e[27:], zeroToNull64(r.DataSourceID))
		le.PutUint32(e[35:], r.DriverControlStreamID)
		pos = putPayloadPools(b, pos+discoveryResultBlock, r.PayloadPools)
		pos = putTags(b, pos, r.Tags)
		pos = putVar(b, pos, r.HeaderRegionURI)
		pos = putVar(b, pos, r.DataSourceName)
		pos = putVar(b, pos, r.DriverInstanceID)
		pos = putVar(b, pos, r.DriverControlChannel)
	}
	putVar(b, pos, m.ErrorMessage)
	return n, nil
}

// Decode validates buf and fills m (see the package comment and the type for the errors).
func (m *DiscoveryResponse) Decode(buf []byte) error {
	h, readable, err := discoveryResponseGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+discoveryResponseBlock]
	*m = DiscoveryResponse{RequestID: le.Uint64(f), Status: DiscoveryStatus(f[8])}
	block, count, pos := getGroup(buf, HeaderLength+int(h.BlockLength))
	if count > 0 {
		m.Results = make([]DiscoveryResult, count)
	}
	for i := range m.Results {
		r := &m.Results[i]
		e := buf[pos : pos+block]
		*r = DiscoveryResult{
			StreamID:              le.Uint32(e),
			ProducerID:            le.Uint32(e[4:]),
			Epoch:                 le.Uint64(e[8:]),
			LayoutVersion:         le.Uint32(e[16:]),
			HeaderNslots:          le.Uint32(e[20:]),
			HeaderSlotBytes:       le.Uint16(e[24:]),
			MaxDims:               e[26],
			DataSourceID:          nullToZero64(le.Uint64(e[27:])),
			DriverControlStreamID: le.Uint32(e[35:]),
		}
		r.PayloadPools, pos = getPayloadPools(buf, pos+block)
		r.Tags, pos = getTags(buf, pos)
		r.HeaderRegionURI, pos = getVar(buf, pos)
		r.DataSourceName, pos = getVar(buf, pos)
		r.DriverInstanceID, pos = getVar(buf, pos)
		r.DriverControlChannel, pos = getVar(buf, pos)
	}
	m.ErrorMessage, _ = getVarTruncated(buf, pos, MaxErrorMessageBytes)
	return err
}

// A tags group (in requests and results) has entries of one var-data field and no fixed
// block: Go keeps it as []string.

func tagsLength(tags []string) int {
	n := groupHeaderLength
	for _, t := range tags {
		n += varLen(len(t))
	}
	return n
}

func checkTags(message, field string, tags []string) error {
	if err := checkCount(message, field, len(tags)); err != nil {
		return err
	}
	for _, t := range tags {
		if len(t) > maxVarLength { // the field name is built only for the error
			return checkVar(message, field+".tag", len(t), maxVarLength)
		}
	}
	return nil
}

func putTags(buf []byte, pos int, tags []string) int {
	pos = putGroup(buf, pos, 0, len(tags))
	for _, t := range tags {
		pos = putVar(buf, pos, t)
	}
	return pos
}

// getTags reads a validated tags group; no entries decode as nil.
func getTags(buf []byte, pos int) ([]string, int) {
	block, count, pos := getGroup(buf, pos)
	if count == 0 {
		return nil, pos
	}
	tags := make([]string, count)
	for i := range tags {
		tags[i], pos = getVar(buf, pos+block)
	}
	return tags, pos
}

// zeroToNull64 maps 0, "absent", to an optional uint64's null value.
func zeroToNull64(v uint64) uint64 {
	if v == 0 {
		return NullU64
	}
	return v
}

// nullToZero64 maps an optional uint64's null value to 0, "absent".
func nullToZero64(v uint64) uint64 {
	if v == NullU64 {
		return 0
	}
	return v
}

// DiscoveryRequestView is a DiscoveryRequest decoded without copying: its byte slices
// alias the decoded buffer, and Tags keeps its capacity from one Decode to the next, so a
// provider answering a stream of requests allocates nothing (once Tags has grown to the
// largest tag count it meets). The slices are valid only as long as the buffer is: a
// transport handler's message lives for the call alone. Absent filters read as in
// DiscoveryRequest: 0 ids, an empty name, no tags.
type DiscoveryRequestView struct {
	RequestID        uint64
	ClientID         uint32
	ResponseStreamID uint32
	StreamID         uint32
	ProducerID       uint32
	DataSourceID     uint64
	Tags             [][]byte
	ResponseChannel  []byte
	DataSourceName   []byte
}

// Decode validates buf as DiscoveryRequest.Decode does and fills v with views of it.
func (v *DiscoveryRequestView) Decode(buf []byte) error {
	h, readable, err := discoveryRequestGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+discoveryRequestBlock]
	v.RequestID = le.Uint64(f)
	v.ClientID = le.Uint32(f[8:])
	v.ResponseStreamID = le.Uint32(f[12:])
	v.StreamID = nullToZero(le.Uint32(f[16:]))
	v.ProducerID = nullToZero(le.Uint32(f[20:]))
	v.DataSourceID = nullToZero64(le.Uint64(f[24:]))
	block, count, pos := getGroup(buf, HeaderLength+int(h.BlockLength))
	v.Tags = v.Tags[:0]
	for range count {
		var tag []byte
		tag, pos = varBytes(buf, pos+block)
		v.Tags = append(v.Tags, tag)
	}
	v.ResponseChannel, pos = varBytes(buf, pos)
	v.DataSourceName, _ = varBytes(buf, pos)
	return err
}
