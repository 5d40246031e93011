//go:build !race

#include "textflag.h"

// On amd64 (TSO) an aligned MOV is a release store. Being an assembly
// function, the call is also opaque to the Go compiler, which therefore
// cannot move memory accesses across it.

// func StoreInt64Release(addr *int64, v int64)
TEXT ·StoreInt64Release(SB), NOSPLIT, $0-16
	MOVQ addr+0(FP), AX
	MOVQ v+8(FP), BX
	MOVQ BX, 0(AX)
	RET

// func StoreInt32Release(addr *int32, v int32)
TEXT ·StoreInt32Release(SB), NOSPLIT, $0-12
	MOVQ addr+0(FP), AX
	MOVL v+8(FP), BX
	MOVL BX, 0(AX)
	RET
