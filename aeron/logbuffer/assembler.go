package logbuffer

import "encoding/binary"

// FragmentAssembler sits between a reader and a handler and rebuilds fragmented messages: it keeps
// one buffer per session, starts it on a BEGIN fragment, appends fragments that follow on exactly
// (each must start where the previous one ended), and hands the whole message on at END.
// Unfragmented messages pass straight through. A fragment that does not follow on (a gap, or
// fragments out of order) drops the partial message; a new BEGIN restarts it.
//
// Buffers grow when a message outgrows them and are then reused, so after warm-up assembling
// allocates nothing. Not safe for concurrent use: one assembler per polling goroutine.
type FragmentAssembler struct {
	delegate            FragmentHandler
	initialBufferLength int
	builders            map[int32]*messageBuilder
	handler             FragmentHandler
}

// messageBuilder accumulates one session's fragments.
type messageBuilder struct {
	payload        []byte
	nextTermOffset int32              // where the next fragment must start; -1 when no message is in progress
	headerCopy     [HeaderLength]byte // header of the BEGIN fragment, completed at END
	completeHeader Header
}

// NewFragmentAssembler wraps delegate; initialBufferLength sizes each session's buffer up front.
func NewFragmentAssembler(delegate FragmentHandler, initialBufferLength int) *FragmentAssembler {
	a := &FragmentAssembler{
		delegate:            delegate,
		initialBufferLength: max(initialBufferLength, 0),
		builders:            make(map[int32]*messageBuilder),
	}
	a.handler = a.OnFragment
	return a
}

// Handler is OnFragment as a FragmentHandler, created once so passing it to every poll does not
// allocate a new method value.
func (a *FragmentAssembler) Handler() FragmentHandler { return a.handler }

// OnFragment takes one fragment from a reader.
func (a *FragmentAssembler) OnFragment(buffer []byte, offset, length int, header *Header) {
	flags := header.Flags()
	if flags&Unfragmented == Unfragmented {
		a.delegate(buffer, offset, length, header)
		return
	}
	sessionID := header.SessionID()
	if flags&BeginFragFlag != 0 {
		b := a.builders[sessionID]
		if b == nil {
			b = &messageBuilder{payload: make([]byte, 0, a.initialBufferLength)}
			a.builders[sessionID] = b
		}
		b.begin(buffer[offset:offset+length], header)
		return
	}
	b := a.builders[sessionID]
	if b == nil || b.nextTermOffset < 0 {
		return
	}
	if header.TermOffset() != b.nextTermOffset {
		b.reset()
		return
	}
	b.payload = append(b.payload, buffer[offset:offset+length]...)
	if flags&EndFragFlag == 0 {
		b.nextTermOffset = header.NextTermOffset()
		return
	}
	a.delegate(b.payload, 0, len(b.payload), b.complete(header))
	b.reset()
}

// FreeSessionBuffer forgets a session's buffer, e.g. when its image goes away.
func (a *FragmentAssembler) FreeSessionBuffer(sessionID int32) bool {
	_, ok := a.builders[sessionID]
	delete(a.builders, sessionID)
	return ok
}

// Clear forgets every session's buffer.
func (a *FragmentAssembler) Clear() { clear(a.builders) }

func (b *messageBuilder) reset() {
	b.payload = b.payload[:0]
	b.nextTermOffset = -1
}

func (b *messageBuilder) begin(fragment []byte, header *Header) {
	b.payload = append(b.payload[:0], fragment...)
	copy(b.headerCopy[:], header.buffer[header.offset:header.offset+HeaderLength])
	b.completeHeader = Header{
		buffer:              b.headerCopy[:],
		initialTermID:       header.initialTermID,
		positionBitsToShift: header.positionBitsToShift,
	}
	b.nextTermOffset = header.NextTermOffset()
}

// complete turns the saved BEGIN header into one describing the whole message: its frame length
// covers all the payload, its flags gain END, and it occupies the log up to the end of the last
// fragment, so its Position is the last fragment's.
func (b *messageBuilder) complete(last *Header) *Header {
	binary.LittleEndian.PutUint32(b.headerCopy[FrameLengthFieldOffset:], uint32(HeaderLength+len(b.payload)))
	b.headerCopy[FlagsFieldOffset] |= last.Flags()
	b.completeHeader.fragmentedFrameLength = int(last.NextTermOffset() - b.completeHeader.TermOffset())
	return &b.completeHeader
}
