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
// Memory ordering. Writers and readers synchronise through three kinds of mapped word,
// each stored by one writer and loaded with sync/atomic by readers:
//   - seq_commit, at offset 0 of each header slot: the seqlock (seqlock.go). The writer's
//     stores are release stores (internal/ordered: a plain MOV in an out-of-line function
//     on amd64, sync/atomic elsewhere and under -race); readers load it twice around their
//     plain reads of the header and payload, with a read fence before the second load.
//   - the superblock magic, stored last when a region is created (superblock.go), so a
//     reader that sees it sees the rest of the superblock;
//   - activity_timestamp_ns, stored with sync/atomic by whoever keeps the region alive.
//
// Payload and header bytes are plain memory accesses whose consistency the seqlock
// establishes.
package shm
