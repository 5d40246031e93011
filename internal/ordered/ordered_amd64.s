//go:build amd64 && !race

#include "textflag.h"

// On amd64 (TSO) an aligned MOV is a release store. As assembly functions these
// calls are opaque to the Go compiler, which therefore cannot move memory
// accesses across them.

// func StoreInt64(addr *int64, v int64)
TEXT ·StoreInt64(SB), NOSPLIT, $0-16
	MOVQ addr+0(FP), AX
	MOVQ v+8(FP), BX
	MOVQ BX, 0(AX)
	RET

// func StoreUint64(addr *uint64, v uint64)
TEXT ·StoreUint64(SB), NOSPLIT, $0-16
	MOVQ addr+0(FP), AX
	MOVQ v+8(FP), BX
	MOVQ BX, 0(AX)
	RET

// func StoreInt32(addr *int32, v int32)
TEXT ·StoreInt32(SB), NOSPLIT, $0-12
	MOVQ addr+0(FP), AX
	MOVL v+8(FP), BX
	MOVL BX, 0(AX)
	RET
