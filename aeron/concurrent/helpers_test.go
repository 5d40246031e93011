package concurrent

// Test doubles for the driver's side of both buffers, following the rules in
// the Aeron protocol: the consumer reads committed records, zeroes them and
// advances head; the transmitter announces its tail intent before writing.

type ringConsumer struct {
	buf      []byte
	capacity int
}

type record struct {
	typeID  int32
	payload []byte
}

// read consumes every committed record up to the first uncommitted one.
func (c *ringConsumer) read() []record {
	var out []record
	headOff := c.capacity + ringHeadPositionOffset
	head := LoadInt64(c.buf, headOff)
	tail := LoadInt64(c.buf, c.capacity+ringTailPositionOffset)
	consumed := int64(0)
	for head+consumed < tail {
		index := int((head + consumed) & int64(c.capacity-1))
		length := LoadInt32(c.buf, index)
		if length <= 0 {
			break
		}
		typeID := LoadInt32(c.buf, index+4)
		aligned := Align(int(length), RecordAlignment)
		if typeID != PaddingMsgTypeID {
			p := make([]byte, int(length)-RecordHeaderLength)
			copy(p, c.buf[index+RecordHeaderLength:])
			out = append(out, record{typeID, p})
		}
		for i := 4; i < aligned; i++ {
			c.buf[index+i] = 0
		}
		StoreInt32(c.buf, index, 0)
		consumed += int64(aligned)
	}
	StoreInt64(c.buf, headOff, head+consumed)
	return out
}

type transmitter struct {
	buf      []byte
	capacity int
}

func (t *transmitter) transmit(typeID int32, payload []byte) {
	trailer := t.capacity
	tail := LoadInt64(t.buf, trailer+broadcastTailOffset)
	offset := int(tail & int64(t.capacity-1))
	recordLength := len(payload) + RecordHeaderLength
	aligned := Align(recordLength, RecordAlignment)
	newTail := tail + int64(aligned)
	toEnd := t.capacity - offset
	if toEnd < aligned {
		StoreInt64(t.buf, trailer+broadcastTailIntentOffset, newTail+int64(toEnd))
		StoreInt64(t.buf, offset, makeHeader(int32(toEnd), PaddingMsgTypeID))
		tail += int64(toEnd)
		offset = 0
	} else {
		StoreInt64(t.buf, trailer+broadcastTailIntentOffset, newTail)
	}
	StoreInt64(t.buf, offset, makeHeader(int32(recordLength), typeID))
	copy(t.buf[offset+RecordHeaderLength:], payload)
	StoreInt64(t.buf, trailer+broadcastLatestOffset, tail)
	StoreInt64(t.buf, trailer+broadcastTailOffset, tail+int64(aligned))
}
