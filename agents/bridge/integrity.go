package bridge

import (
	"hash/crc32"

	"github.com/tensorpool/tensorpool/wire"
)

// castagnoli is the CRC32C table; MakeTable hands out the hardware-accelerated one where
// the CPU has it, built once here so the data path never builds it.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ChunkCRC32C is a chunk's payloadCrc32c (Bridge spec v1.1 §5.4): the CRC32C of
// headerBytes || payloadBytes when it carries the header, of payloadBytes alone
// otherwise. It does not allocate.
func ChunkCRC32C(c *wire.BridgeFrameChunk) uint32 {
	crc := uint32(0)
	if c.HeaderIncluded {
		crc = crc32.Update(crc, castagnoli, c.HeaderBytes)
	}
	return crc32.Update(crc, castagnoli, c.PayloadBytes)
}

// crcMismatch reports whether c carries a payloadCrc32c its bytes do not match. Only a
// v1.2 chunk carries one, and 0 means absent (§5.1: a sender without integrity checking
// sends 0), so neither is checked.
func crcMismatch(c *wire.BridgeFrameChunk) bool {
	return c.Version == wire.V1_2 && c.PayloadCrc32c != 0 && ChunkCRC32C(c) != c.PayloadCrc32c
}
