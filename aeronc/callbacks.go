//go:build aeronc

package aeronc

// This file's preamble holds declarations only, as a file with //export requires.

/*
#include "capi.h"
*/
import "C"

import "runtime/cgo"

// tpAeroncOnError is the C client's error handler (capi.c's on_error passes it on). It
// runs on the C client's conductor: the goroutine running Client.Conductor in invoker
// mode, else the C conductor thread, which cgo lets call into Go. handle is the client's
// cgo.Handle, valid until Close, after which no callback comes.
//
//export tpAeroncOnError
func tpAeroncOnError(handle C.uintptr_t, code C.int, message *C.char) {
	c, ok := cgo.Handle(handle).Value().(*Client)
	if !ok {
		return
	}
	c.onError(&Error{Op: "client", Code: int32(code), Message: C.GoString(message)})
}
