package wire

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBridgeFrameChunkRoundTrip(t *testing.T) {
	for _, c := range []*BridgeFrameChunk{
		{StreamID: 1, Epoch: 2, Seq: 3, ChunkIndex: 1, ChunkCount: 3, ChunkOffset: 4096, ChunkLength: 4096, PayloadLength: 10000,
			PayloadBytes: bytes.Repeat([]byte{7}, 4096)},
		{StreamID: 1, ChunkCount: 1, HeaderIncluded: true, HeaderBytes: bytes.Repeat([]byte{1}, MaxBridgeHeaderBytes)},
		{},
	} {
		checkRoundTrip(t, c)
	}
}

// Decode leaves the byte fields aliasing the buffer: a bridge forwards chunks without
// copying them.
func TestBridgeFrameChunkAliasesBuffer(t *testing.T) {
	buf := encode(t, &BridgeFrameChunk{ChunkCount: 1, HeaderIncluded: true, HeaderBytes: []byte("hdr"), PayloadBytes: []byte("payload")})
	var c BridgeFrameChunk
	require.NoError(t, c.Decode(buf))
	buf[len(buf)-1] = 'D'
	require.Equal(t, "payloaD", string(c.PayloadBytes))
	require.Equal(t, "hdr", string(c.HeaderBytes))
}

// headerBytes is a varDataEncoding256: more than 256 bytes cannot be encoded, and a
// length above 256 fails validation.
func TestBridgeFrameChunkHeaderBound(t *testing.T) {
	c := BridgeFrameChunk{HeaderBytes: bytes.Repeat([]byte{1}, MaxBridgeHeaderBytes+1)}
	n, err := c.Encode(make([]byte, c.EncodedLength()))
	ee := checkEncodeError(t, err, ErrBadLength)
	require.Zero(t, n)
	require.Equal(t, "headerBytes", ee.Field)

	ok := BridgeFrameChunk{HeaderBytes: bytes.Repeat([]byte{1}, MaxBridgeHeaderBytes)}
	buf := encode(t, &ok)
	le.PutUint32(buf[HeaderLength+bridgeFrameChunkBlock:], MaxBridgeHeaderBytes+1)
	de := asDecodeError(t, new(BridgeFrameChunk).Decode(buf), ErrBadLength)
	require.True(t, strings.HasSuffix(de.Field, "headerBytes"), de.Field)
}

func FuzzDecodeBridgeMessages(f *testing.F) {
	buf := readGolden(f, "bridge_frame_chunk.hex")
	f.Add(buf)
	f.Add(buf[:len(buf)/2])
	fuzzTyped(f)
}
