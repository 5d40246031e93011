package aeron

import (
	"encoding/binary"

	"github.com/tensorpool/tensorpool/aeron/concurrent"
)

// Command type ids, client to driver (ControlProtocolEvents).
const (
	cmdAddPublication          int32 = 0x01
	cmdRemovePublication       int32 = 0x02
	cmdAddExclusivePublication int32 = 0x03
	cmdAddSubscription         int32 = 0x04
	cmdRemoveSubscription      int32 = 0x05
	cmdAddCounter              int32 = 0x09
	cmdRemoveCounter           int32 = 0x0A
	cmdClientClose             int32 = 0x0B
)

// Response type ids, driver to clients.
const (
	rspOnError                     int32 = 0x0F01
	rspOnAvailableImage            int32 = 0x0F02
	rspOnPublicationReady          int32 = 0x0F03
	rspOnOperationSuccess          int32 = 0x0F04
	rspOnUnavailableImage          int32 = 0x0F05
	rspOnExclusivePublicationReady int32 = 0x0F06
	rspOnSubscriptionReady         int32 = 0x0F07
	rspOnCounterReady              int32 = 0x0F08
	rspOnUnavailableCounter        int32 = 0x0F09
	rspOnClientTimeout             int32 = 0x0F0A
)

// Every command starts with {client id, correlation id}.
const correlatedLength = 16

// nullValue is Aeron's "no value" for ids.
const nullValue int64 = -1

var le = binary.LittleEndian

func putInt64(b []byte, v int64) { le.PutUint64(b, uint64(v)) }

// Command encoders write into a payload slice claimed in the to-driver ring
// buffer; each *Length function gives the exact size to claim. They never
// allocate.

func putCorrelated(b []byte, clientID, correlationID int64) {
	le.PutUint64(b[0:], uint64(clientID))
	le.PutUint64(b[8:], uint64(correlationID))
}

func publicationCommandLength(channel string) int { return 24 + len(channel) }

// encodePublicationCommand encodes ADD_PUBLICATION and
// ADD_EXCLUSIVE_PUBLICATION: stream id @16, channel length @20, channel @24.
func encodePublicationCommand(b []byte, clientID, correlationID int64, streamID int32, channel string) {
	putCorrelated(b, clientID, correlationID)
	le.PutUint32(b[16:], uint32(streamID))
	le.PutUint32(b[20:], uint32(len(channel)))
	copy(b[24:], channel)
}

// removePublicationLength includes the flags word (bit 0 = revoke) that
// 1.51+ drivers read; older drivers accept the 24-byte prefix.
const removePublicationLength = 32

func encodeRemovePublication(b []byte, clientID, correlationID, registrationID int64) {
	putCorrelated(b, clientID, correlationID)
	le.PutUint64(b[16:], uint64(registrationID))
	le.PutUint64(b[24:], 0)
}

func subscriptionCommandLength(channel string) int { return 32 + len(channel) }

// encodeAddSubscription: registration correlation id @16 (unused: -1),
// stream id @24, channel length @28, channel @32.
func encodeAddSubscription(b []byte, clientID, correlationID int64, streamID int32, channel string) {
	putCorrelated(b, clientID, correlationID)
	putInt64(b[16:], nullValue)
	le.PutUint32(b[24:], uint32(streamID))
	le.PutUint32(b[28:], uint32(len(channel)))
	copy(b[32:], channel)
}

// removeCommandLength is REMOVE_SUBSCRIPTION and REMOVE_COUNTER: the
// registration id @16.
const removeCommandLength = 24

func encodeRemove(b []byte, clientID, correlationID, registrationID int64) {
	putCorrelated(b, clientID, correlationID)
	le.PutUint64(b[16:], uint64(registrationID))
}

// addCounterLength: type id @16, key length @20, key @24, then label length
// and label at the next 4-byte boundary.
func addCounterLength(keyLength, labelLength int) int {
	return 24 + concurrent.Align(keyLength, 4) + 4 + labelLength
}

func encodeAddCounter(b []byte, clientID, correlationID int64, typeID int32, key []byte, label string) {
	putCorrelated(b, clientID, correlationID)
	le.PutUint32(b[16:], uint32(typeID))
	le.PutUint32(b[20:], uint32(len(key)))
	copy(b[24:], key)
	labelOff := 24 + concurrent.Align(len(key), 4)
	for i := 24 + len(key); i < labelOff; i++ {
		b[i] = 0 // the claimed space may hold bytes of an older record
	}
	le.PutUint32(b[labelOff:], uint32(len(label)))
	copy(b[labelOff+4:], label)
}

// Response decoding: every reader checks the length first; the buffer is
// the broadcast receiver's scratch copy and must not be retained.

func readInt64(b []byte, off int) (int64, bool) {
	if off < 0 || len(b) < off+8 {
		return 0, false
	}
	return int64(le.Uint64(b[off:])), true
}

func readInt32(b []byte, off int) (int32, bool) {
	if off < 0 || len(b) < off+4 {
		return 0, false
	}
	return int32(le.Uint32(b[off:])), true
}

// readString reads a length-prefixed ASCII string at off and returns it as a
// sub-slice of b plus the offset just past it.
func readString(b []byte, off int) ([]byte, int, bool) {
	n, ok := readInt32(b, off)
	if !ok || n < 0 || int(n) > len(b)-off-4 {
		return nil, 0, false
	}
	start := off + 4
	return b[start : start+int(n)], start + int(n), true
}

// publicationReady is ON_PUBLICATION_READY / ON_EXCLUSIVE_PUBLICATION_READY.
type publicationReady struct {
	correlationID             int64
	registrationID            int64
	sessionID                 int32
	streamID                  int32
	publicationLimitCounterID int32
	channelStatusIndicatorID  int32
	logFile                   string
}

func decodePublicationReady(b []byte) (publicationReady, bool) {
	var r publicationReady
	var ok1, ok2, ok3, ok4, ok5, ok6 bool
	r.correlationID, ok1 = readInt64(b, 0)
	r.registrationID, ok2 = readInt64(b, 8)
	r.sessionID, ok3 = readInt32(b, 16)
	r.streamID, ok4 = readInt32(b, 20)
	r.publicationLimitCounterID, ok5 = readInt32(b, 24)
	r.channelStatusIndicatorID, ok6 = readInt32(b, 28)
	logFile, _, ok7 := readString(b, 32)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return r, false
	}
	r.logFile = string(logFile)
	return r, true
}

// ImageInfo describes an image (one publisher's stream as seen by one
// subscription) announced by ON_AVAILABLE_IMAGE.
type ImageInfo struct {
	// CorrelationID identifies the image; for IPC it is the publication's
	// registration id.
	CorrelationID        int64
	SessionID            int32
	StreamID             int32
	SubscriptionID       int64
	SubscriberPositionID int32
	LogFile              string
	SourceIdentity       string
}

func decodeAvailableImage(b []byte) (ImageInfo, bool) {
	var r ImageInfo
	var ok1, ok2, ok3, ok4, ok5 bool
	r.CorrelationID, ok1 = readInt64(b, 0)
	r.SessionID, ok2 = readInt32(b, 8)
	r.StreamID, ok3 = readInt32(b, 12)
	r.SubscriptionID, ok4 = readInt64(b, 16)
	r.SubscriberPositionID, ok5 = readInt32(b, 24)
	logFile, next, ok6 := readString(b, 28)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return r, false
	}
	source, _, ok7 := readString(b, concurrent.Align(next, 4))
	if !ok7 {
		return r, false
	}
	r.LogFile, r.SourceIdentity = string(logFile), string(source)
	return r, true
}

// UnavailableImageInfo is ON_UNAVAILABLE_IMAGE: the image is gone.
type UnavailableImageInfo struct {
	CorrelationID  int64
	SubscriptionID int64
	StreamID       int32
	Channel        string
}

func decodeUnavailableImage(b []byte) (UnavailableImageInfo, bool) {
	var r UnavailableImageInfo
	var ok1, ok2, ok3 bool
	r.CorrelationID, ok1 = readInt64(b, 0)
	r.SubscriptionID, ok2 = readInt64(b, 8)
	r.StreamID, ok3 = readInt32(b, 16)
	channel, _, ok4 := readString(b, 20)
	if !(ok1 && ok2 && ok3 && ok4) {
		return r, false
	}
	r.Channel = string(channel)
	return r, true
}
