// Package tptest holds test doubles shared by the producer and consumer tests: heap regions
// laid out like a producer's SHM. (A stream in memory is transport/mem's Pipe.)
package tptest

import "github.com/tensorpool/tensorpool/shm"

// HeapRegion is a heap region whose superblock is already written, as CreateRegion would.
func HeapRegion(sb shm.Superblock) (*shm.HeapRegion, error) {
	size, err := sb.RegionSize()
	if err != nil {
		return nil, err
	}
	r := shm.NewHeapRegion(size)
	if err := shm.EncodeSuperblock(r.Bytes(), &sb); err != nil {
		return nil, err
	}
	return r, nil
}
