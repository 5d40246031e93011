package aeron

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/aeron/concurrent"
	"github.com/tensorpool/tensorpool/aeron/counters"
)

// Byte layouts of the commands, checked against the offsets of Aeron's
// control protocol.
func TestCommandLayouts(t *testing.T) {
	le := binary.LittleEndian
	b := make([]byte, publicationCommandLength("aeron:ipc"))
	encodePublicationCommand(b, 7, 8, 1001, "aeron:ipc")
	if le.Uint64(b[0:]) != 7 || le.Uint64(b[8:]) != 8 || le.Uint32(b[16:]) != 1001 || le.Uint32(b[20:]) != 9 || string(b[24:]) != "aeron:ipc" {
		t.Fatalf("add publication % x", b)
	}

	b = make([]byte, subscriptionCommandLength("aeron:ipc"))
	encodeAddSubscription(b, 7, 8, 1001, "aeron:ipc")
	if int64(le.Uint64(b[16:])) != -1 || le.Uint32(b[24:]) != 1001 || le.Uint32(b[28:]) != 9 || string(b[32:]) != "aeron:ipc" {
		t.Fatalf("add subscription % x", b)
	}

	b = make([]byte, removePublicationLength)
	encodeRemovePublication(b, 7, 8, 99)
	if le.Uint64(b[16:]) != 99 || le.Uint64(b[24:]) != 0 {
		t.Fatalf("remove publication % x", b)
	}

	key := []byte{1, 2, 3, 4, 5}
	b = bytes.Repeat([]byte{0xEE}, addCounterLength(len(key), 3))
	encodeAddCounter(b, 7, 8, 1001, key, "lbl")
	if len(b) != 24+8+4+3 || le.Uint32(b[16:]) != 1001 || le.Uint32(b[20:]) != 5 || !bytes.Equal(b[24:29], key) ||
		!bytes.Equal(b[29:32], []byte{0, 0, 0}) || le.Uint32(b[32:]) != 3 || string(b[36:]) != "lbl" {
		t.Fatalf("add counter % x", b)
	}
}

func TestResponseDecodersRejectTruncatedInput(t *testing.T) {
	full := make([]byte, 36+4)
	binary.LittleEndian.PutUint32(full[32:], 4)
	copy(full[36:], "file")
	if r, ok := decodePublicationReady(full); !ok || r.logFile != "file" {
		t.Fatalf("valid publication ready: %+v %v", r, ok)
	}
	for n := 0; n < len(full); n++ {
		if _, ok := decodePublicationReady(full[:n]); ok {
			t.Fatalf("accepted %d of %d bytes", n, len(full))
		}
	}
	binary.LittleEndian.PutUint32(full[32:], 0x7FFFFFFF)
	if _, ok := decodePublicationReady(full); ok {
		t.Fatal("accepted a string length past the end")
	}
	if _, ok := decodeAvailableImage(make([]byte, 20)); ok {
		t.Fatal("accepted a short available image")
	}
	if _, ok := decodeUnavailableImage(make([]byte, 23)); ok {
		t.Fatal("accepted a short unavailable image")
	}
}

// newMemoryClient builds a client over in-memory buffers, for tests of the
// encode and dispatch paths without a driver.
func newMemoryClient(t testing.TB) (*Client, []byte, []byte) {
	toDriver := make([]byte, 1<<16+concurrent.RingBufferTrailerLength)
	toClients := make([]byte, 1<<16+concurrent.BroadcastTrailerLength)
	ring, err := concurrent.NewManyToOneRingBuffer(toDriver)
	if err != nil {
		t.Fatal(err)
	}
	receiver, err := concurrent.NewBroadcastReceiver(toClients)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := counters.NewReader(make([]byte, 16*counters.MetadataRecordLength), make([]byte, 16*counters.ValueRecordLength))
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{
		cfg:                Config{ErrorHandler: func(err error) { t.Errorf("client error: %v", err) }},
		proxy:              driverProxy{rb: ring, clientID: 5},
		counters:           reader,
		clientID:           5,
		toClients:          receiver,
		pending:            make(map[int64]*request),
		counterByID:        make(map[int64]*Counter),
		publicationByID:    make(map[int64]*Publication),
		subscriptionByID:   make(map[int64]*Subscription),
		heartbeatCounterID: counters.NullCounterID,
	}
	c.onMessage = c.onResponse
	return c, toDriver, toClients
}

// transmit writes one broadcast record as the driver does (no wrap needed by
// these tests' sizes; the broadcast package tests the wrap).
func transmit(buf []byte, typeID int32, payload []byte) {
	capacity := len(buf) - concurrent.BroadcastTrailerLength
	tail := concurrent.LoadInt64(buf, capacity+8)
	offset := int(tail) & (capacity - 1)
	aligned := concurrent.Align(len(payload)+8, 8)
	if offset+aligned > capacity {
		concurrent.StoreInt64(buf, capacity, tail+int64(capacity-offset))
		concurrent.StoreInt32(buf, offset+4, concurrent.PaddingMsgTypeID)
		concurrent.StoreInt32(buf, offset, int32(capacity-offset))
		tail += int64(capacity - offset)
		offset = 0
	}
	concurrent.StoreInt64(buf, capacity, tail+int64(aligned))
	concurrent.StoreInt32(buf, offset+4, typeID)
	copy(buf[offset+8:], payload)
	concurrent.StoreInt32(buf, offset, int32(len(payload)+8))
	concurrent.StoreInt64(buf, capacity+16, tail)
	concurrent.StoreInt64(buf, capacity+8, tail+int64(aligned))
}

func TestResponsesCompleteTheirRequests(t *testing.T) {
	c, _, toClients := newMemoryClient(t)
	le := binary.LittleEndian

	pubReq := c.registerLocked(10, "add publication")
	ready := make([]byte, 36+5)
	le.PutUint64(ready[0:], 10)
	le.PutUint64(ready[8:], 9)
	le.PutUint32(ready[16:], 55)
	le.PutUint32(ready[20:], 1001)
	le.PutUint32(ready[24:], 3)
	le.PutUint32(ready[28:], 0xFFFFFFFF)
	le.PutUint32(ready[32:], 5)
	copy(ready[36:], "a.log")
	transmit(toClients, rspOnPublicationReady, ready)

	errReq := c.registerLocked(11, "add subscription x")
	onErr := make([]byte, 16+4)
	le.PutUint64(onErr[0:], 11)
	le.PutUint32(onErr[8:], uint32(ErrorInvalidChannel))
	le.PutUint32(onErr[12:], 4)
	copy(onErr[16:], "nope")
	transmit(toClients, rspOnError, onErr)

	timeout := make([]byte, 8)
	le.PutUint64(timeout, 5)
	transmit(toClients, rspOnClientTimeout, timeout)

	var handled []error
	c.cfg.ErrorHandler = func(err error) { handled = append(handled, err) }
	c.serviceLocked(0)

	if !pubReq.done || pubReq.err != nil || pubReq.publication.registrationID != 9 || pubReq.publication.sessionID != 55 ||
		pubReq.publication.channelStatusIndicatorID != -1 || pubReq.publication.logFile != "a.log" {
		t.Fatalf("publication request %+v", *pubReq)
	}
	de, ok := errReq.err.(*DriverError)
	if !errReq.done || !ok || de.Code != ErrorInvalidChannel || de.Message != "nope" {
		t.Fatalf("error request %+v", *errReq)
	}
	if c.terminal == nil || len(handled) != 1 {
		t.Fatalf("client timeout: terminal %v, handled %v", c.terminal, handled)
	}
}

func TestLappedBroadcastIsReportedAndSurvived(t *testing.T) {
	c, _, toClients := newMemoryClient(t)
	var handled []error
	c.cfg.ErrorHandler = func(err error) { handled = append(handled, err) }
	payload := make([]byte, 1000)
	for i := 0; i < 100; i++ { // ~100 KiB through a 64 KiB buffer
		transmit(toClients, rspOnOperationSuccess, payload)
	}
	c.serviceLocked(0)
	if c.BroadcastLappedCount() != 1 || len(handled) != 1 || !errors.Is(handled[0], concurrent.ErrLapped) {
		t.Fatalf("lapped %d times, errors %v", c.toClients.LappedCount(), handled)
	}
	req := c.registerLocked(4242, "after lapping")
	ok := make([]byte, 8)
	binary.LittleEndian.PutUint64(ok, 4242)
	transmit(toClients, rspOnOperationSuccess, ok)
	c.serviceLocked(0)
	if !req.done || c.terminal != nil {
		t.Fatalf("request after resync: done=%v terminal=%v", req.done, c.terminal)
	}
}
