package main

/*
#include "support.h"
*/
import "C"

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/wire"
)

// tpContext holds the settings tp_client_connect turns into tp.Options.
type tpContext struct {
	mu                 sync.Mutex
	aeronDir           string
	controlChannel     string
	controlStreamID    int32
	descriptorChannel  string
	descriptorStreamID int32
	qosChannel         string
	qosStreamID        int32
	metadataChannel    string
	metadataStreamID   int32
	// clientID is the first driver client id of the client's producers and consumers, each
	// taking the next; 0 (the default) draws every one, and the client's own, from the
	// process's sequence (tp.NewClientID), so clients of one process never share one.
	clientID           uint32
	attachTimeout      time.Duration
	detachTimeout      time.Duration
	qosInterval        time.Duration
	keepaliveInterval  time.Duration
	announceFreshness  time.Duration
	consumer           tp.ConsumerOptions
	allowedBaseDirs    []string
	allowedBaseDirsSet bool
	useInvoker         bool
	wireVersion        wire.Version
	// errorHandler and errorClientd are the C error handler and its argument, 0 for none.
	errorHandler, errorClientd C.uintptr_t
}

// defaultChannel is the control and descriptor channel of a fresh context: tp-driver's
// default, as for Go clients. The reference C client asks for "aeron:ipc?term-length=4m",
// which the media driver refuses when the stream's publication already exists with
// another term length (tp-driver's built-in "aeron:ipc" has the media driver's, 64 MiB);
// a channel without parameters joins the publication there is, whatever its term length.
const defaultChannel = "aeron:ipc"

func newContext() *tpContext {
	return &tpContext{
		controlChannel: defaultChannel, controlStreamID: 1000,
		descriptorChannel: defaultChannel, descriptorStreamID: 1100,
		attachTimeout: 5 * time.Second, detachTimeout: 5 * time.Second,
		qosInterval: time.Second, keepaliveInterval: time.Second, announceFreshness: 3 * time.Second,
		// No FrameProgress unless asked for (tp_context_set_consumer_progress), as the
		// reference C client's hello says.
		consumer: tp.ConsumerOptions{Mode: wire.ModeStream},
	}
}

// defaultBaseDirs are where regions may be mapped from unless the context says
// otherwise: TP_SHM_BASE_DIRS (colon-separated), else /dev/shm and the temp directory.
func defaultBaseDirs() []string {
	if env := os.Getenv("TP_SHM_BASE_DIRS"); env != "" {
		return filepath.SplitList(env)
	}
	return []string{"/dev/shm", os.TempDir()}
}

func (c *tpContext) options() tp.Options {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := tp.Options{
		AeronDir:       c.aeronDir,
		ControlChannel: c.controlChannel, ControlStreamID: c.controlStreamID,
		DescriptorChannel: c.descriptorChannel, DescriptorStreamID: c.descriptorStreamID,
		QosChannel: c.qosChannel, QosStreamID: c.qosStreamID, QosInterval: c.qosInterval,
		MetadataChannel: c.metadataChannel, MetadataStreamID: c.metadataStreamID,
		KeepaliveInterval: c.keepaliveInterval,
		ClientID:          c.clientID,
		Consumer:          c.consumer,
		AllowedBaseDirs:   c.allowedBaseDirs,
	}
	o.Consumer.FreshnessNs = c.announceFreshness.Nanoseconds()
	o.WireVersion = c.wireVersion
	o.Invoker = c.useInvoker
	if c.errorHandler != 0 {
		o.Logger = slog.New(&errorHandlerLog{handler: c.errorHandler, clientd: c.errorClientd})
	}
	if !c.allowedBaseDirsSet {
		o.AllowedBaseDirs = defaultBaseDirs()
	}
	return o
}

// withContext runs set on the live context behind ctx, under its lock.
func withContext(ctx *C.tp_context_t, set func(c *tpContext) C.tp_err_t) C.tp_err_t {
	c, ok := lookup[*tpContext](token(unsafe.Pointer(ctx)))
	if !ok {
		return badHandle()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return set(c)
}

// goString copies a C string, reporting false for NULL.
func goString(s *C.char) (string, bool) {
	if s == nil {
		return "", false
	}
	return C.GoString(s), true
}

func setString(ctx *C.tp_context_t, s *C.char, what string, dst func(c *tpContext) *string) C.tp_err_t {
	v, ok := goString(s)
	if !ok {
		return fail(C.TP_ERR_ARG, "tp: %s is NULL", what)
	}
	if len(v) >= C.TP_URI_MAX {
		return fail(C.TP_ERR_ARG, "tp: %s is %d bytes, longer than TP_URI_MAX", what, len(v))
	}
	return withContext(ctx, func(c *tpContext) C.tp_err_t { *dst(c) = v; return C.TP_OK })
}

func setValue[T any](ctx *C.tp_context_t, v T, dst func(c *tpContext) *T) C.tp_err_t {
	return withContext(ctx, func(c *tpContext) C.tp_err_t { *dst(c) = v; return C.TP_OK })
}

func nanos(ns C.uint64_t) time.Duration { return time.Duration(min(uint64(ns), 1<<63-1)) }

//export tp_context_init
func tp_context_init(ctx **C.tp_context_t) C.tp_err_t {
	if ctx == nil {
		return nullArg()
	}
	h, ok := register(newContext())
	if !ok {
		return tooManyHandles()
	}
	*ctx = (*C.tp_context_t)(handle(h))
	return C.TP_OK
}

//export tp_context_close
func tp_context_close(ctx *C.tp_context_t) {
	unregister[*tpContext](token(unsafe.Pointer(ctx)))
}

//export tp_context_set_aeron_dir
func tp_context_set_aeron_dir(ctx *C.tp_context_t, dir *C.char) C.tp_err_t {
	return setString(ctx, dir, "aeron_dir", func(c *tpContext) *string { return &c.aeronDir })
}

//export tp_context_set_control_channel
func tp_context_set_control_channel(ctx *C.tp_context_t, channel *C.char) C.tp_err_t {
	return setString(ctx, channel, "control channel", func(c *tpContext) *string { return &c.controlChannel })
}

//export tp_context_set_control_stream_id
func tp_context_set_control_stream_id(ctx *C.tp_context_t, id C.int32_t) C.tp_err_t {
	return setValue(ctx, int32(id), func(c *tpContext) *int32 { return &c.controlStreamID })
}

//export tp_context_set_descriptor_channel
func tp_context_set_descriptor_channel(ctx *C.tp_context_t, channel *C.char) C.tp_err_t {
	return setString(ctx, channel, "descriptor channel", func(c *tpContext) *string { return &c.descriptorChannel })
}

//export tp_context_set_descriptor_stream_id
func tp_context_set_descriptor_stream_id(ctx *C.tp_context_t, id C.int32_t) C.tp_err_t {
	return setValue(ctx, int32(id), func(c *tpContext) *int32 { return &c.descriptorStreamID })
}

//export tp_context_set_qos_channel
func tp_context_set_qos_channel(ctx *C.tp_context_t, channel *C.char) C.tp_err_t {
	return setString(ctx, channel, "QoS channel", func(c *tpContext) *string { return &c.qosChannel })
}

//export tp_context_set_qos_stream_id
func tp_context_set_qos_stream_id(ctx *C.tp_context_t, id C.int32_t) C.tp_err_t {
	return setValue(ctx, int32(id), func(c *tpContext) *int32 { return &c.qosStreamID })
}

//export tp_context_set_metadata_channel
func tp_context_set_metadata_channel(ctx *C.tp_context_t, channel *C.char) C.tp_err_t {
	return setString(ctx, channel, "metadata channel", func(c *tpContext) *string { return &c.metadataChannel })
}

//export tp_context_set_metadata_stream_id
func tp_context_set_metadata_stream_id(ctx *C.tp_context_t, id C.int32_t) C.tp_err_t {
	return setValue(ctx, int32(id), func(c *tpContext) *int32 { return &c.metadataStreamID })
}

//export tp_context_set_client_id
func tp_context_set_client_id(ctx *C.tp_context_t, id C.uint32_t) C.tp_err_t {
	if id == 0 {
		return fail(C.TP_ERR_ARG, "tp: client id 0 is reserved")
	}
	return setValue(ctx, uint32(id), func(c *tpContext) *uint32 { return &c.clientID })
}

//export tp_context_set_use_invoker
func tp_context_set_use_invoker(ctx *C.tp_context_t, v C.bool) C.tp_err_t {
	return setValue(ctx, bool(v), func(c *tpContext) *bool { return &c.useInvoker })
}

//export tp_context_set_error_handler
func tp_context_set_error_handler(ctx *C.tp_context_t, handler C.tp_error_handler_t, clientd unsafe.Pointer) C.tp_err_t {
	return withContext(ctx, func(c *tpContext) C.tp_err_t {
		// C's own values, kept as integers: never Go pointers, and cgo checks none.
		c.errorHandler = C.uintptr_t(uintptr(unsafe.Pointer(handler)))
		c.errorClientd = C.uintptr_t(uintptr(clientd))
		return C.TP_OK
	})
}

// errorHandlerLog is a slog.Handler that hands warnings and errors (the Aeron client's
// and the control plane's asynchronous errors) to the C error handler, one line each:
// the message and its attributes.
type errorHandlerLog struct {
	handler, clientd C.uintptr_t
	attrs            []slog.Attr
}

func (h *errorHandlerLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *errorHandlerLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	code := C.TP_ERR_AERON
	if r.Level < slog.LevelError {
		code = C.TP_ERR_PROTOCOL
	}
	msg := C.CString(b.String())
	defer C.free(unsafe.Pointer(msg))
	C.tp_call_error_handler(h.handler, h.clientd, C.tp_err_t(code), msg)
	return nil
}

func (h *errorHandlerLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &errorHandlerLog{handler: h.handler, clientd: h.clientd, attrs: append(slices.Clone(h.attrs), attrs...)}
}

func (h *errorHandlerLog) WithGroup(string) slog.Handler { return h }

//export tp_context_set_attach_timeout_ns
func tp_context_set_attach_timeout_ns(ctx *C.tp_context_t, ns C.uint64_t) C.tp_err_t {
	return setValue(ctx, nanos(ns), func(c *tpContext) *time.Duration { return &c.attachTimeout })
}

//export tp_context_set_qos_interval_ns
func tp_context_set_qos_interval_ns(ctx *C.tp_context_t, ns C.uint64_t) C.tp_err_t {
	return setValue(ctx, nanos(ns), func(c *tpContext) *time.Duration { return &c.qosInterval })
}

//export tp_context_set_detach_timeout_ns
func tp_context_set_detach_timeout_ns(ctx *C.tp_context_t, ns C.uint64_t) C.tp_err_t {
	return setValue(ctx, nanos(ns), func(c *tpContext) *time.Duration { return &c.detachTimeout })
}

//export tp_context_set_announce_freshness_ns
func tp_context_set_announce_freshness_ns(ctx *C.tp_context_t, ns C.uint64_t) C.tp_err_t {
	return setValue(ctx, nanos(ns), func(c *tpContext) *time.Duration { return &c.announceFreshness })
}

//export tp_context_set_lease_keepalive_interval_ns
func tp_context_set_lease_keepalive_interval_ns(ctx *C.tp_context_t, ns C.uint64_t) C.tp_err_t {
	return setValue(ctx, nanos(ns), func(c *tpContext) *time.Duration { return &c.keepaliveInterval })
}

//export tp_context_set_consumer_mode
func tp_context_set_consumer_mode(ctx *C.tp_context_t, mode C.uint8_t) C.tp_err_t {
	m := wire.Mode(mode)
	if !m.Valid() {
		return fail(C.TP_ERR_ARG, "tp: consumer mode %d is neither STREAM (1) nor RATE_LIMITED (2)", mode)
	}
	return setValue(ctx, m, func(c *tpContext) *wire.Mode { return &c.consumer.Mode })
}

//export tp_context_set_consumer_max_rate_hz
func tp_context_set_consumer_max_rate_hz(ctx *C.tp_context_t, hz C.uint64_t) C.tp_err_t {
	if hz > 0xffff_ffff {
		return fail(C.TP_ERR_ARG, "tp: max rate %d Hz does not fit the wire's 32 bits", hz)
	}
	return setValue(ctx, uint32(hz), func(c *tpContext) *uint32 { return &c.consumer.MaxRateHz })
}

func setRequest(ctx *C.tp_context_t, channel *C.char, id C.int32_t, what string, set func(c *tpContext, ch string, id uint32)) C.tp_err_t {
	ch, ok := goString(channel)
	if !ok || (ch == "") != (id == 0) || id < 0 {
		return fail(C.TP_ERR_ARG, "tp: a %s request needs a channel and a positive stream id, or neither", what)
	}
	return withContext(ctx, func(c *tpContext) C.tp_err_t { set(c, ch, uint32(id)); return C.TP_OK })
}

//export tp_context_set_consumer_descriptor_request
func tp_context_set_consumer_descriptor_request(ctx *C.tp_context_t, channel *C.char, id C.int32_t) C.tp_err_t {
	return setRequest(ctx, channel, id, "descriptor stream", func(c *tpContext, ch string, id uint32) {
		c.consumer.DescriptorChannel, c.consumer.DescriptorStreamID = ch, id
	})
}

//export tp_context_set_consumer_control_request
func tp_context_set_consumer_control_request(ctx *C.tp_context_t, channel *C.char, id C.int32_t) C.tp_err_t {
	return setRequest(ctx, channel, id, "control stream", func(c *tpContext, ch string, id uint32) {
		c.consumer.ControlChannel, c.consumer.ControlStreamID = ch, id
	})
}

//export tp_context_set_consumer_progress
func tp_context_set_consumer_progress(ctx *C.tp_context_t, enabled C.bool) C.tp_err_t {
	return setValue(ctx, bool(enabled), func(c *tpContext) *bool { return &c.consumer.Progress })
}

//export tp_context_set_wire_version
func tp_context_set_wire_version(ctx *C.tp_context_t, version *C.char) C.tp_err_t {
	s, ok := goString(version)
	if !ok {
		return fail(C.TP_ERR_ARG, "tp: wire version is NULL")
	}
	v, err := wire.ParseVersion(s)
	if err != nil {
		return fail(C.TP_ERR_ARG, "tp: wire version %q is neither \"1.1\" nor \"1.2\"", s)
	}
	return setValue(ctx, v, func(c *tpContext) *wire.Version { return &c.wireVersion })
}

//export tp_context_add_allowed_base_dir
func tp_context_add_allowed_base_dir(ctx *C.tp_context_t, dir *C.char) C.tp_err_t {
	d, ok := goString(dir)
	if !ok || !strings.HasPrefix(d, "/") {
		return fail(C.TP_ERR_ARG, "tp: an allowed base directory must be an absolute path")
	}
	return withContext(ctx, func(c *tpContext) C.tp_err_t {
		if !c.allowedBaseDirsSet {
			c.allowedBaseDirs, c.allowedBaseDirsSet = nil, true
		}
		c.allowedBaseDirs = append(c.allowedBaseDirs, d)
		return C.TP_OK
	})
}
