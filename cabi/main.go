// Command cabi is libtensorpool.so, the C ABI of tensorpool, built with
//
//	go build -buildmode=c-shared -o libtensorpool.so ./cabi
//
// The API is declared in include/tensorpool_client.h; this package implements it over
// package tp. C never holds a Go pointer: every handle is a token looked up in a
// registry (handles.go), so a NULL, closed or foreign handle is reported as
// TP_ERR_ARG instead of crashing the process, which cgo.Handle cannot do (it panics on
// a handle already deleted).
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include -I${SRCDIR}/sbe/control -I${SRCDIR}/sbe/driver
#include "support.h"
*/
import "C"

func main() {}
