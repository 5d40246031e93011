// Package shm is the shared-memory layer of the tensor pool: the byte layout of the
// file-backed regions (superblock, header ring, payload pools), the seq_commit seqlock
// that guards each header slot, SHM URIs, path containment and hugepage checks
// (Wire spec v1.1 §4.1, §6–9, §15.21a, §15.22).
//
// Every structure is encoded directly at fixed little-endian offsets; nothing here
// depends on generated SBE codecs. Views over mapped memory are zero-copy and the data
// path (seqlock, slot encode/decode, header validation) never allocates: it returns
// DropReason codes. Control-path failures (opening, validating, parsing) are
// *ValidationError or *os.PathError values that name the field and the value.
//
// Memory ordering. The only word shared memory is synchronised through is seq_commit
// at offset 0 of each header slot; it is always accessed with sync/atomic 64-bit
// operations. Go's atomics are sequentially consistent, which subsumes the release
// stores and acquire loads the spec asks for (§8.3, §15.3). Payload and header bytes
// are plain memory accesses whose consistency the seqlock establishes; see seqlock.go
// for the extra ordering needed on weakly ordered CPUs.
package shm
