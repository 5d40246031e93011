package main

/*
#include "support.h"
*/
import "C"

import (
	"context"
	"time"
	"unsafe"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/wire"
)

// tpClient is a tp.Client with the context settings the C API applies per call.
type tpClient struct {
	c             *tp.Client
	clientID      uint32
	attachTimeout time.Duration
	detachTimeout time.Duration
}

func clientOf(p *C.tp_client_t) (*tpClient, bool) { return lookup[*tpClient](token(unsafe.Pointer(p))) }

//export tp_client_connect
func tp_client_connect(ctx *C.tp_context_t, out **C.tp_client_t) C.tp_err_t {
	if out == nil {
		return nullArg()
	}
	cfg, ok := lookup[*tpContext](token(unsafe.Pointer(ctx)))
	if !ok {
		return badHandle()
	}
	o := cfg.options()
	if o.AeronDir == "" {
		o.AeronDir = aeron.DefaultDir() // never an embedded driver: C programs join an existing one
	}
	cfg.mu.Lock()
	cl := &tpClient{clientID: cfg.clientID, attachTimeout: cfg.attachTimeout, detachTimeout: cfg.detachTimeout}
	cfg.mu.Unlock()
	if cl.clientID == 0 {
		cl.clientID = tp.NewClientID()
	}
	connectCtx, cancel := context.WithTimeout(context.Background(), cl.attachTimeout)
	defer cancel()
	c, err := tp.Connect(connectCtx, o)
	if err != nil {
		code := codeOf(err)
		if code == C.TP_ERR_PROTOCOL { // nothing from the SHM driver yet: Aeron itself failed
			code = C.TP_ERR_AERON
		}
		return fail(code, "%v", err)
	}
	cl.c = c
	h, ok := register(cl)
	if !ok {
		c.Close()
		return tooManyHandles()
	}
	*out = (*C.tp_client_t)(handle(h))
	return C.TP_OK
}

//export tp_client_close
func tp_client_close(client *C.tp_client_t) {
	h := token(unsafe.Pointer(client))
	cl, ok := unregister[*tpClient](h)
	if !ok {
		return
	}
	// Inside a frame handler of one of its consumers, closing would wait for the lock
	// this thread's own poll holds. The handle is gone at once; the outermost such poll
	// on this thread closes the client when it returns (tp_consumer_poll_frames).
	if C.tp_defer_client_close(C.uintptr_t(h)) {
		return
	}
	cl.c.Close()
}

// tp_client_reconnect brings a client whose Aeron client died back onto a media driver in
// the same directory (tp.Client.Reconnect), waiting up to the attach timeout for one;
// its producers and consumers keep their handles and reattach by themselves.
//
//export tp_client_reconnect
func tp_client_reconnect(client *C.tp_client_t) C.tp_err_t {
	cl, ok := clientOf(client)
	if !ok {
		return badHandle()
	}
	ctx, cancel := context.WithTimeout(context.Background(), cl.attachTimeout)
	defer cancel()
	if err := cl.c.Reconnect(ctx); err != nil {
		return fail(codeOf(err), "%v", err)
	}
	return C.TP_OK
}

// tp_client_do_work runs one duty cycle of a client made with tp_context_set_use_invoker
// (the Aeron conductor, the control plane, every lease and timer) and returns the work
// done; without invoker mode the library's own thread runs them and it returns 0.
//
//export tp_client_do_work
func tp_client_do_work(client *C.tp_client_t) C.int {
	cl, ok := clientOf(client)
	if !ok {
		return C.int(badHandle())
	}
	return C.int(cl.c.DoWork())
}

//export tp_client_get_client_id
func tp_client_get_client_id(client *C.tp_client_t, id *C.uint32_t) C.tp_err_t {
	cl, ok := clientOf(client)
	if !ok {
		return badHandle()
	}
	if id == nil {
		return nullArg()
	}
	*id = C.uint32_t(cl.clientID)
	return C.TP_OK
}

func leaseRef(lease C.uint64_t, stream, clientID C.uint32_t, role C.uint8_t) (tp.LeaseRef, bool) {
	r := wire.Role(role)
	return tp.LeaseRef{LeaseID: uint64(lease), StreamID: uint32(stream), ClientID: uint32(clientID), Role: r}, r.Valid()
}

//export tp_detach
func tp_detach(client *C.tp_client_t, lease C.uint64_t, stream, clientID C.uint32_t, role C.uint8_t) C.tp_err_t {
	cl, ok := clientOf(client)
	if !ok {
		return badHandle()
	}
	ref, ok := leaseRef(lease, stream, clientID, role)
	if !ok {
		return fail(C.TP_ERR_ARG, "tp: role %d is neither TP_ROLE_PRODUCER nor TP_ROLE_CONSUMER", role)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cl.detachTimeout)
	defer cancel()
	return failErr(cl.c.Detach(ctx, ref))
}

//export tp_lease_keepalive
func tp_lease_keepalive(client *C.tp_client_t, lease C.uint64_t, stream, clientID C.uint32_t, role C.uint8_t) C.tp_err_t {
	cl, ok := clientOf(client)
	if !ok {
		return badHandle()
	}
	ref, ok := leaseRef(lease, stream, clientID, role)
	if !ok {
		return fail(C.TP_ERR_ARG, "tp: role %d is neither TP_ROLE_PRODUCER nor TP_ROLE_CONSUMER", role)
	}
	return failErr(cl.c.Keepalive(ref))
}
