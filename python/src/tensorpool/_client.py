"""Client, Producer, Claim, Consumer and Frame over the C API of libtensorpool.so."""

from __future__ import annotations

import math
import os
import time
import weakref
from collections.abc import Callable, Iterator

import numpy as np

from . import _dtypes
from ._native import ArgumentError, BusyError, StaleFrameError, TornFrameError, check, error, ffi, lib

_ROW = lib.shm_tensorpool_control_majorOrder_ROW
_COLUMN = lib.shm_tensorpool_control_majorOrder_COLUMN
_PROGRESS_NONE = lib.shm_tensorpool_control_progressUnit_NONE
_MAX_DIMS = len(ffi.new("tp_tensor_header_t *").dims)
_BUSY = lib.TP_ERR_BUSY
_LEASE_LOST = lib.TP_ERR_PROTOCOL
_SPIN_POLLS = 64  # empty polls before an iterating consumer starts to back off

# Frames one poll takes from the library at most: the capacity of each consumer's
# tp_polled_frame_t array and the largest fragment limit (a frame is at least one
# fragment, its descriptor), as in the C examples.
POLL_LIMIT = 256


def _seconds_to_ns(name: str, seconds: float) -> int:
    if not seconds > 0 or math.isinf(seconds):
        raise ArgumentError(lib.TP_ERR_ARG, f"{name}={seconds!r}: want a positive number of seconds")
    return int(seconds * 1e9)


class Client:
    """One connection to the Aeron media driver, shared by every producer and consumer
    made from it. Settings left None keep the C library's defaults: the Aeron directory
    from $AERON_DIR, else Aeron's default (/dev/shm/aeron-$USER); the driver's control
    channel aeron:ipc stream 1000; descriptors on the same channel, stream 1100.

    client_id is the driver client id of the first producer or consumer; each one
    after takes the next. By default the library draws every client's, producer's and
    consumer's id from a sequence of the process (the process id in the upper bits), so
    two Clients of one process never share one.

    wire_version is the wire spec version the client's producers and attach requests
    speak: "1.1" (the library's default) or "1.2", whose producers carry trace ids
    (Producer.offer(trace_id=...)). Consumers read either.

    Connecting waits up to attach_timeout (seconds; default 5) for the media driver,
    and each producer or consumer as long for the SHM driver's grant.

    A context manager: leaving it closes the client and everything made from it.
    """

    def __init__(
        self,
        aeron_dir: str | os.PathLike | None = None,
        *,
        control_channel: str | None = None,
        control_stream_id: int | None = None,
        descriptor_channel: str | None = None,
        descriptor_stream_id: int | None = None,
        client_id: int | None = None,
        wire_version: str | None = None,
        attach_timeout: float | None = None,
        allowed_base_dirs: list[str | os.PathLike] | None = None,
    ):
        self._handle = ffi.NULL
        self._children: weakref.WeakSet = weakref.WeakSet()
        ctx_out = ffi.new("tp_context_t **")
        check(lib.tp_context_init(ctx_out))
        ctx = ctx_out[0]
        try:
            if aeron_dir is not None:
                check(lib.tp_context_set_aeron_dir(ctx, os.fsencode(aeron_dir)))
            if control_channel is not None:
                check(lib.tp_context_set_control_channel(ctx, control_channel.encode()))
            if control_stream_id is not None:
                check(lib.tp_context_set_control_stream_id(ctx, _int32("control_stream_id", control_stream_id)))
            if descriptor_channel is not None:
                check(lib.tp_context_set_descriptor_channel(ctx, descriptor_channel.encode()))
            if descriptor_stream_id is not None:
                check(lib.tp_context_set_descriptor_stream_id(ctx, _int32("descriptor_stream_id", descriptor_stream_id)))
            if client_id is not None:
                check(lib.tp_context_set_client_id(ctx, _uint32("client_id", client_id)))
            if wire_version is not None:
                if not isinstance(wire_version, str):
                    raise ArgumentError(lib.TP_ERR_ARG, f"wire_version={wire_version!r}: want \"1.1\" or \"1.2\"")
                check(lib.tp_context_set_wire_version(ctx, wire_version.encode()))
            if attach_timeout is not None:
                check(lib.tp_context_set_attach_timeout_ns(ctx, _seconds_to_ns("attach_timeout", attach_timeout)))
            for d in allowed_base_dirs or ():
                check(lib.tp_context_add_allowed_base_dir(ctx, os.fsencode(d)))
            client_out = ffi.new("tp_client_t **")
            check(lib.tp_client_connect(ctx, client_out))
            self._handle = client_out[0]
        finally:
            lib.tp_context_close(ctx)

    def producer(self, stream_id: int) -> Producer:
        """Attaches as the producer of stream_id; blocks until the driver grants it."""
        out = ffi.new("tp_producer_t **")
        check(lib.tp_attach_producer(self._handle, _uint32("stream_id", stream_id), out))
        p = Producer(self, out[0])
        self._children.add(p)
        return p

    def consumer(self, stream_id: int) -> Consumer:
        """Attaches as a consumer of stream_id; blocks until the driver grants it."""
        out = ffi.new("tp_consumer_t **")
        check(lib.tp_attach_consumer(self._handle, _uint32("stream_id", stream_id), out))
        c = Consumer(self, out[0], stream_id)
        self._children.add(c)
        return c

    @property
    def client_id(self) -> int:
        out = ffi.new("uint32_t *")
        check(lib.tp_client_get_client_id(self._handle, out))
        return out[0]

    @property
    def closed(self) -> bool:
        return self._handle == ffi.NULL

    def close(self) -> None:
        """Closes every producer and consumer made from the client, then the client.
        Closing twice does nothing."""
        if self._handle == ffi.NULL:
            return
        for child in list(self._children):
            child._mark_closed()
        lib.tp_client_close(self._handle)
        # The token stays: calls on a closed client reach the library, which refuses
        # them with TP_ERR_ARG (its tokens are never reused).
        self._closed_handle, self._handle = self._handle, ffi.NULL

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_handle", ffi.NULL) != ffi.NULL:
            self.close()


def _uint32(name: str, value: int) -> int:
    if not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise ArgumentError(lib.TP_ERR_ARG, f"{name}={value!r}: want an integer from 0 to 4294967295")
    return value


def _uint64(name: str, value: int) -> int:
    if not isinstance(value, int) or not 0 <= value < 2**64:
        raise ArgumentError(lib.TP_ERR_ARG, f"{name}={value!r}: want an integer from 0 to 2**64-1")
    return value


def _int32(name: str, value: int) -> int:
    if not isinstance(value, int) or not -(2**31) <= value < 2**31:
        raise ArgumentError(lib.TP_ERR_ARG, f"{name}={value!r}: want a 32-bit signed integer")
    return value


class _Tensor:
    """A tp_tensor_header_t for one shape and dtype, filled once and reused while the
    frames keep them."""

    __slots__ = ("key", "header", "nbytes", "shape", "dtype")

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype):
        ndims = len(shape)
        if ndims > _MAX_DIMS:
            raise ArgumentError(lib.TP_ERR_ARG, f"shape {shape}: at most {_MAX_DIMS} dimensions")
        wire = _dtypes.to_wire(dtype)
        for d in shape:
            if not 0 <= d < 2**31:
                raise ArgumentError(lib.TP_ERR_ARG, f"shape {shape}: dimension {d} is outside 0..2147483647")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes >= 2**32:
            raise ArgumentError(lib.TP_ERR_ARG, f"shape {shape} of {dtype}: {nbytes} bytes, more than a frame holds")
        h = ffi.new("tp_tensor_header_t *")
        h.dtype = wire
        h.major_order = _ROW
        h.ndims = ndims
        h.progress_unit = _PROGRESS_NONE
        for i, d in enumerate(shape):
            h.dims[i] = d
        # strides stay 0: contiguous in row-major order (wire spec §8.2)
        self.key = (shape, dtype)
        self.header, self.nbytes, self.shape, self.dtype = h, nbytes, shape, dtype


class Producer:
    """The producer of one stream. offer() copies an array into the next slot;
    claim() hands out the slot itself as a writable array to fill in place.

    Data-path calls never block. A frame that no consumer can take right now (none
    attached, back-pressure) is dropped: offer() and Claim.commit() return False.
    """

    def __init__(self, client: Client, handle):
        self._client = client
        self._handle = handle
        self._closed = False
        self._tensor: _Tensor | None = None
        self._claim: Claim | None = None
        meta = ffi.new("uint32_t *")
        check(lib.tp_producer_metadata_version(handle, meta))
        self.meta_version = meta[0]

    def _tensor_for(self, shape: tuple[int, ...], dtype: np.dtype) -> _Tensor:
        t = self._tensor
        if t is None or t.key != (shape, dtype):
            t = self._tensor = _Tensor(shape, dtype)
        return t

    def offer(self, array, *, meta_version: int | None = None, trace_id: int | None = None) -> bool:
        """Copies array (any NumPy-convertible value of a supported dtype, made
        C-contiguous first if it is not) into the smallest pool that holds it and
        publishes it. True when published, False when dropped (no consumer,
        back-pressure); errors raise.

        trace_id (a 64-bit TraceLink id; 0: none) goes with the frame when the client
        speaks wire "1.2" (Client(wire_version="1.2")); wire "1.1" drops it."""
        a = np.asarray(array)
        if not a.flags.c_contiguous:
            a = np.ascontiguousarray(a)
        t = self._tensor_for(a.shape, a.dtype)
        payload = ffi.from_buffer("uint8_t[]", a, require_writable=False) if a.nbytes else ffi.NULL
        meta = self.meta_version if meta_version is None else meta_version
        if trace_id is None:
            code = lib.tp_producer_offer_frame(self._handle, payload, t.nbytes, t.header, meta)
        else:
            code = lib.tp_producer_offer_frame_traced(
                self._handle, payload, t.nbytes, t.header, meta, _uint64("trace_id", trace_id)
            )
        if code == 0:
            return True
        if code == _BUSY:
            return False
        raise error(code)

    def offer_many(self, arrays, *, meta_version: int | None = None) -> int:
        """Offers each array of arrays in order, as offer() does, in one call into the
        library: for many small frames, where that call costs more than the frame.
        Returns how many were published; it stops at the first one dropped (no
        consumer, back-pressure), so offering arrays[n:] later continues the sequence.
        An array that cannot be a frame (its dtype, its shape) raises before any is
        offered; a later error raises with a published attribute saying how many went
        before it."""
        items = [np.ascontiguousarray(a) for a in arrays]
        if not items:
            return 0
        meta = self.meta_version if meta_version is None else meta_version
        offers = ffi.new("tp_frame_offer_t[]", len(items))
        keep = []  # what the offers point to, alive for the call
        for o, a in zip(offers, items):
            t = self._tensor_for(a.shape, a.dtype)
            o.tensor = t.header
            o.values_len = t.nbytes
            o.meta_version = meta
            if a.nbytes:
                buf = ffi.from_buffer("uint8_t[]", a, require_writable=False)
                keep.append(buf)
                o.payload = buf
            keep.append(t)
        published = ffi.new("uint32_t *")
        code = lib.tp_producer_offer_frames(self._handle, offers, len(items), published)
        if code == 0 or code == _BUSY:
            return published[0]
        err = error(code)
        err.published = published[0]
        raise err

    def claim(self, shape, dtype=np.uint8) -> Claim:
        """Opens the next frame for a tensor of shape and dtype; its array is the SHM
        slot itself (C-contiguous, writable, not zeroed). Fill it, then commit() or
        abort(); as a context manager the claim commits on success and aborts on an
        exception. BusyError when no slot can be claimed now (retry)."""
        try:
            shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)
        except (TypeError, ValueError) as err:
            raise ArgumentError(lib.TP_ERR_ARG, f"shape {shape!r}: want a tuple of integers") from err
        t = self._tensor_for(shape, _dtypes.parse(dtype))
        c = ffi.new("tp_slot_claim_t *")
        check(lib.tp_producer_try_claim_slot_by_size(self._handle, t.nbytes, c))
        claim = Claim(self, c, t)
        self._claim = claim
        return claim

    def poll(self) -> None:
        """Runs the producer's timers (QoS, metadata); ProtocolError once its lease is lost."""
        check(lib.tp_producer_poll(self._handle))

    @property
    def is_connected(self) -> bool:
        """True when some consumer subscribes to the producer's descriptor stream."""
        return bool(lib.tp_producer_is_connected(self._handle))

    @property
    def stream_id(self) -> int:
        out = ffi.new("uint32_t *")
        check(lib.tp_producer_get_stream_id(self._handle, out))
        return out[0]

    @property
    def producer_id(self) -> int:
        out = ffi.new("uint32_t *")
        check(lib.tp_producer_get_producer_id(self._handle, out))
        return out[0]

    @property
    def lease_id(self) -> int:
        out = ffi.new("uint64_t *")
        check(lib.tp_producer_get_lease_id(self._handle, out))
        return out[0]

    def stats(self) -> dict[str, int]:
        """frames, bytes, dropped, epoch, lease_losses."""
        s = ffi.new("tp_producer_stats_t *")
        check(lib.tp_producer_get_stats(self._handle, s))
        return {name: getattr(s, name) for name, _ in ffi.typeof(s[0]).fields}

    def _mark_closed(self) -> None:
        self._closed = True
        if self._claim is not None:
            self._claim._close_view()

    def close(self) -> None:
        """Detaches from the driver and unmaps the stream; an open claim is given up.
        Closing twice does nothing."""
        self._mark_closed()
        lib.tp_producer_close(self._handle)  # ignores a closed handle

    def __enter__(self) -> Producer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Claim:
    """An open frame: array is the payload slot in shared memory. Publish it with
    commit(), or give it up with abort(); until then the producer claims and offers
    nothing else (BusyError). After either, array is made read-only: a write through
    another view of it would change a frame consumers may be reading."""

    __slots__ = ("_producer", "_claim", "_tensor", "_open", "array", "seq")

    def __init__(self, producer: Producer, claim, tensor: _Tensor):
        self._producer = producer
        self._claim = claim
        self._tensor = tensor
        self._open = True
        self.seq = claim.seq
        buf = ffi.buffer(claim.ptr, tensor.nbytes)
        self.array = np.frombuffer(buf, dtype=tensor.dtype, count=math.prod(tensor.shape)).reshape(tensor.shape)

    def _close_view(self) -> None:
        self._open = False
        self.array.flags.writeable = False
        if self._producer._claim is self:
            self._producer._claim = None

    def _ensure_open(self) -> None:
        if not self._open:
            raise ArgumentError(lib.TP_ERR_ARG, f"claim of frame {self.seq} is already committed, aborted or closed")

    def commit(self, *, meta_version: int | None = None, trace_id: int | None = None) -> bool:
        """Publishes the frame: True when published, False when dropped (no consumer,
        back-pressure: the claim is closed either way). trace_id as for Producer.offer."""
        self._ensure_open()
        p = self._producer
        if trace_id is not None:
            check(lib.tp_producer_set_claim_trace_id(p._handle, self._claim, _uint64("trace_id", trace_id)))
        self._close_view()
        code = lib.tp_producer_commit_slot(
            p._handle, self._claim, self._tensor.nbytes, self._tensor.header,
            p.meta_version if meta_version is None else meta_version,
        )
        if code == 0:
            return True
        if code == _BUSY:
            return False
        raise error(code)

    def abort(self) -> None:
        """Gives the slot up without publishing it."""
        self._ensure_open()
        self._close_view()
        check(lib.tp_producer_abort_slot(self._producer._handle, self._claim))

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._open:
            return
        if exc_type is None:
            self.commit()
        else:
            self.abort()


class Consumer:
    """A consumer of one stream. Frames come by iterating or from poll(handler):

        for frame in consumer:                        # waits for frames, forever
        for frame in consumer.frames(timeout=1.0):    # ends after 1 s without one
        consumer.poll(handler)                        # handler(frame) for each frame

    Each Frame is a zero-copy view of the producer's shared memory, read in place. A poll
    takes up to its limit of frames from the library in one call (tp_consumer_poll_batch)
    and hands them out in order: poll() to its handler before it returns, iterating one
    by one, polling again once the loop asks for the frame after the last. Every frame
    lives until the consumer polls again; use frame.copy() for data kept longer. A
    consumer is for one thread at a time.
    """

    def __init__(self, client: Client, handle, stream_id: int):
        self._client = client
        self._handle = handle
        self._stream = stream_id
        self._closed = False
        self.attached = True
        # Bumped by every poll and by close: frames of an older generation are stale.
        self._generation = 0
        self._handling = False  # poll() is calling its handler
        # The library writes each poll's frames into this array, reused by every poll: a
        # Frame is the index of its entry, which the next poll overwrites (hence the
        # generation).
        self._batch = ffi.new("tp_polled_frame_t[]", POLL_LIMIT)
        # The same memory as bytes, 64-bit and 32-bit words, which Frame reads its fields
        # from: an index into a memoryview costs a fraction of a cffi field access.
        raw = ffi.buffer(self._batch)
        self._raw = raw
        self._u64 = memoryview(raw).cast("Q")
        self._u32 = memoryview(raw).cast("I")
        # Each entry as a pointer for tp_polled_frame_is_valid, made once.
        self._entries = [self._batch + i for i in range(POLL_LIMIT)]
        self._stats = ffi.new("tp_consumer_stats_t *")
        # Payload address -> (layout key, read-only array over the payload): frames of a
        # slot share the array while its layout stays (see Frame.array).
        self._arrays: dict[int, tuple[bytes, np.ndarray]] = {}

    def _poll(self, limit: int) -> int:
        """One tp_consumer_poll_batch into the consumer's array; returns how many frames
        it wrote there."""
        if self._handling:
            # It would overwrite the frames the handler is being given.
            raise BusyError(lib.TP_ERR_BUSY, f"consumer of stream {self._stream}: polled from inside its own handler")
        if self._closed and self._client.closed:
            # Closed with its client, the handle still names the consumer, which the
            # library reports as not attached: say what happened instead.
            raise ArgumentError(lib.TP_ERR_ARG, f"consumer of stream {self._stream}: its client is closed")
        self._generation += 1
        n = lib.tp_consumer_poll_batch(self._handle, self._batch, POLL_LIMIT, limit)
        if n >= 0:
            self.attached = True
            return n
        if n == _LEASE_LOST:
            # The library attaches again by itself (a restarted producer or driver): no
            # frames until it has (Go's tp.Consumer.Poll says the same with 0).
            self.attached = False
            return 0
        raise error(n)

    def poll(self, handler: Callable[[Frame], object] | None = None, limit: int = POLL_LIMIT) -> int:
        """Reads up to limit frame descriptors in one call into the library, then calls
        handler(frame) for each frame that arrived intact, in order; returns how many
        arrived. Never blocks. An exception from the handler propagates at once: the
        poll's later frames are not handed out. Polling this consumer from its own
        handler raises BusyError.

        While the consumer holds no lease (the producer or the driver went away, and the
        library is attaching again by itself) polls deliver nothing and attached is
        False; other failures raise."""
        if not 1 <= limit <= POLL_LIMIT:
            raise ArgumentError(lib.TP_ERR_ARG, f"limit={limit!r}: want 1 to {POLL_LIMIT}")
        n = self._poll(limit)
        if handler is None or n == 0:
            return n
        gen = self._generation
        new = _new_frame
        self._handling = True
        try:
            # Every frame's seq_commit word in one go, halved below into its seq.
            for i, seq_commit in enumerate(self._u64[_SEQ_COMMIT_Q : n * _ENTRY_Q : _ENTRY_Q].tolist()):
                if self._generation != gen:
                    break  # closed by the handler: the frames' memory is gone
                f = new(Frame)
                f._consumer, f._generation, f._index, f.seq = self, gen, i, seq_commit >> 1
                handler(f)
        finally:
            self._handling = False
        return n

    def frames(self, timeout: float | None = None, idle: float = 0.001, limit: int = POLL_LIMIT) -> Iterator[Frame]:
        """Yields frames as they arrive, polling (up to limit descriptors a poll) when
        the loop asks for a frame and the last poll's are all given out. With timeout,
        ends once none has arrived for that long (seconds).

        While none arrives it backs off: it polls again at once a few dozen times, then
        yields the CPU, then sleeps, longer each time up to idle seconds. idle=0 never
        sleeps: the lowest latency, for a core of its own."""
        if not 1 <= limit <= POLL_LIMIT:
            raise ArgumentError(lib.TP_ERR_ARG, f"limit={limit!r}: want 1 to {POLL_LIMIT}")
        last = time.monotonic()
        empty = 0
        read = -1
        new = _new_frame
        while True:
            n = self._poll(limit)
            if n:
                gen = self._generation
                for i, seq_commit in enumerate(self._u64[_SEQ_COMMIT_Q : n * _ENTRY_Q : _ENTRY_Q].tolist()):
                    if self._generation != gen:
                        raise StaleFrameError(lib.TP_ERR_ARG, "the consumer was polled or closed while iterating over it")
                    f = new(Frame)
                    f._consumer, f._generation, f._index, f.seq = self, gen, i, seq_commit >> 1
                    yield f
                empty = 0
                if timeout is not None:
                    last = time.monotonic()
                continue
            empty += 1
            if empty < _SPIN_POLLS:
                continue
            if timeout is not None and time.monotonic() - last >= timeout:
                return
            if idle <= 0:
                continue
            # A descriptor whose frame was dropped (overwritten before it was read) is
            # work too: backing off on it would leave the consumer behind for good.
            now_read = self._descriptors_read()
            if now_read != read:
                read = now_read
                empty = 0
            elif empty < 2 * _SPIN_POLLS:
                time.sleep(0)
            else:
                time.sleep(min(idle, 1e-5 * (1 << min(empty - 2 * _SPIN_POLLS, 20))))

    def _descriptors_read(self) -> int:
        """Frames taken plus frames dropped, so far."""
        s = self._stats
        check(lib.tp_consumer_get_stats(self._handle, s))
        return s.frames + s.drops_gap + s.drops_late + s.drops_invalid

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    @property
    def is_connected(self) -> bool:
        """True when some producer publishes on the consumer's descriptor stream."""
        return bool(lib.tp_consumer_is_connected(self._handle))

    @property
    def stream_id(self) -> int:
        out = ffi.new("uint32_t *")
        check(lib.tp_consumer_get_stream_id(self._handle, out))
        return out[0]

    @property
    def consumer_id(self) -> int:
        out = ffi.new("uint32_t *")
        check(lib.tp_consumer_get_consumer_id(self._handle, out))
        return out[0]

    @property
    def lease_id(self) -> int:
        out = ffi.new("uint64_t *")
        check(lib.tp_consumer_get_lease_id(self._handle, out))
        return out[0]

    def stats(self) -> dict[str, int]:
        """frames, bytes, drops_gap, drops_late, drops_invalid, remaps, epoch, lease_losses."""
        s = ffi.new("tp_consumer_stats_t *")
        check(lib.tp_consumer_get_stats(self._handle, s))
        return {name: getattr(s, name) for name, _ in ffi.typeof(s[0]).fields}

    def _mark_closed(self) -> None:
        self._closed = True
        self._generation += 1
        self._arrays.clear()  # over mappings the close lets go of

    def close(self) -> None:
        """Detaches and unmaps: every frame of the consumer is stale from here on.
        Closing twice does nothing."""
        self._mark_closed()
        lib.tp_consumer_close(self._handle)  # ignores a closed handle

    def __enter__(self) -> Consumer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Frame:
    """One frame, as a zero-copy view of the producer's shared memory.

    array is a read-only NumPy array over the payload, with the dtype, shape and
    strides of the frame's tensor header; numpy.asarray(frame) (__array_interface__),
    numpy.from_dlpack(frame) and torch.from_dlpack(frame) give the same memory.

    The producer may overwrite the slot at any time (it never waits for readers): read
    what you need, then ask valid(), the seqlock re-check; False means what was read
    may be torn. Making the array reads nothing, so it does not check: valid() after
    reading does.

    A frame lives until its consumer polls again or closes; from then on valid() is
    False, and array, copy(), the exports and every field but seq raise
    StaleFrameError. Arrays taken earlier must not be used after it either: NumPy
    cannot revoke them, and the slot may hold another frame by then, or be unmapped,
    when the lease ended meanwhile (reading unmapped memory ends the process with
    SIGSEGV). Keep copy() instead.
    """

    # The entry's index in its consumer's array; the fields are read from the entry
    # when asked for (seq, which every frame's user reads, at once), so a frame costs
    # four stores to make.
    __slots__ = ("_consumer", "_generation", "_index", "seq", "__weakref__")

    def __init__(self):
        raise TypeError("frames come from Consumer.poll() and iterating over a Consumer")

    def _stale(self) -> StaleFrameError:
        return StaleFrameError(
            lib.TP_ERR_ARG,
            f"frame {self.seq}: its consumer has polled again or closed since, so its memory may be "
            "overwritten or unmapped (keep frame.copy() instead)",
        )

    def valid(self) -> bool:
        """True while nothing has overwritten the frame's slot since it was read (the
        seqlock re-check) and its consumer has not polled again: ask after reading."""
        c = self._consumer
        if self._generation != c._generation:
            return False  # the entry holds another frame now, its word may be unmapped
        return _polled_frame_is_valid(c._entries[self._index])

    @property
    def timestamp_ns(self) -> int:
        """The producer's timestamp of the frame (CLOCK_MONOTONIC, ns)."""
        c = self._consumer
        if self._generation != c._generation:
            raise self._stale()
        return c._u64[self._index * _ENTRY_Q + _TIMESTAMP_Q]

    @property
    def meta_version(self) -> int:
        """The version of the stream's metadata the frame was produced under."""
        c = self._consumer
        if self._generation != c._generation:
            raise self._stale()
        return c._u32[self._index * _ENTRY_I + _META_VERSION_I]

    @property
    def trace_id(self) -> int:
        """The frame's TraceLink trace id: 0 for none (always 0 from a producer speaking
        wire "1.1")."""
        c = self._consumer
        if self._generation != c._generation:
            raise self._stale()
        return c._u64[self._index * _ENTRY_Q + _TRACE_ID_Q]

    @property
    def nbytes(self) -> int:
        """The payload's length in bytes."""
        c = self._consumer
        if self._generation != c._generation:
            raise self._stale()
        return c._u32[self._index * _ENTRY_I + _VALUES_LEN_I]

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def array(self) -> np.ndarray:
        """The payload as a read-only NumPy array, zero copy (see the class doc for how
        long it may be used). StaleFrameError after the consumer's next poll; an
        ArgumentError for a tensor header that does not fit its payload."""
        c = self._consumer
        if self._generation != c._generation:
            raise self._stale()
        i = self._index
        address = c._u64[i * _ENTRY_Q + _PAYLOAD_Q]
        at = i * _ENTRY_BYTES
        key = c._raw[at + _LAYOUT_START : at + _LAYOUT_END]
        cached = c._arrays.get(address)
        if cached is None or cached[0] != key:
            cached = _cache_array(c, i, address, key)
        # A view of the cached array: what the caller does to its shape or dtype
        # attributes stays with it.
        return cached[1].view()

    @property
    def __array_interface__(self) -> dict:
        return self.array.__array_interface__

    def copy(self) -> np.ndarray:
        """The payload copied into an array of its own, which outlives the frame.
        TornFrameError when the producer overwrote the slot before the copy ended."""
        a = self.array.copy()
        if not self.valid():
            raise TornFrameError(lib.TP_ERR_TIMEOUT, f"frame {self.seq} was overwritten while being copied")
        return a

    def __dlpack__(self, **kwargs):
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)  # kDLCPU, device 0

    def __repr__(self) -> str:
        if self._generation != self._consumer._generation:
            return f"<tensorpool.Frame seq={self.seq} (stale)>"
        return f"<tensorpool.Frame seq={self.seq} shape={self.shape} dtype={self.dtype} timestamp_ns={self.timestamp_ns}>"


_new_frame = object.__new__
_polled_frame_is_valid = lib.tp_polled_frame_is_valid

# Where Frame finds its fields in the consumer's tp_polled_frame_t array, in 64-bit and
# 32-bit words of it (the struct's size and these offsets are multiples of them).
_ENTRY_BYTES = ffi.sizeof("tp_polled_frame_t")
assert _ENTRY_BYTES % 8 == 0, "tp_polled_frame_t must be a whole number of 64-bit words"
_ENTRY_Q, _ENTRY_I = _ENTRY_BYTES // 8, _ENTRY_BYTES // 4


def _word(*field: str, size: int) -> int:
    offset = ffi.offsetof("tp_polled_frame_t", *field)
    assert offset % size == 0, f"tp_polled_frame_t.{'.'.join(field)} is not {size}-byte aligned"
    return offset // size


_PAYLOAD_Q = _word("view", "payload", size=8)
_SEQ_COMMIT_Q = _word("view", "seq_commit", size=8)
_TIMESTAMP_Q = _word("view", "timestamp_ns", size=8)
_TRACE_ID_Q = _word("trace_id", size=8)
_VALUES_LEN_I = _word("view", "values_len_bytes", size=4)
_META_VERSION_I = _word("view", "meta_version", size=4)
# What decides how an array lies over a payload, as one run of the entry's bytes: from
# values_len_bytes to the end of the view, which the tensor header closes (payload_slot,
# pool_id, payload_offset and meta_version come along: they change seldom, if ever, for
# one payload address).
_LAYOUT_START = ffi.offsetof("tp_polled_frame_t", "view", "values_len_bytes")
_LAYOUT_END = ffi.offsetof("tp_polled_frame_t", "view") + ffi.sizeof("tp_frame_view_t")
assert ffi.offsetof("tp_frame_view_t", "tensor") + ffi.sizeof("tp_tensor_header_t") == ffi.sizeof("tp_frame_view_t"), (
    "the tensor header must close tp_frame_view_t"
)
# Payload addresses whose arrays a consumer keeps: a stream's slots, over the pools it
# uses (a remap brings new addresses; the old ones go when the cache is full).
_MAX_ARRAYS = 4096


def _cache_array(consumer: Consumer, index: int, address: int, key: bytes) -> tuple[bytes, np.ndarray]:
    """A read-only array over the payload of the consumer's entry index, as its tensor
    header lays it out, cached for the payload's address.

    The array holds only the address: one handed out again for a later frame at the
    same address and layout is the array that frame's would be. Whether it is still
    mapped is the frame's question, answered by its generation: the cache is only ever
    read for a frame of the current poll, whose payload is mapped."""
    view = consumer._batch[index].view
    shape, strides, dtype = _layout(view)
    size = view.values_len_bytes
    # Over a read-only memoryview, which NumPy keeps as the base (np.ndarray(buffer=)
    # would keep the writable cffi buffer under it): no view of it can be made writable.
    payload = np.frombuffer(memoryview(ffi.buffer(view.payload, size)).toreadonly(), np.uint8)
    a = np.ndarray(shape, dtype, buffer=payload, strides=strides)
    arrays = consumer._arrays
    if len(arrays) >= _MAX_ARRAYS:
        arrays.clear()
    entry = arrays[address] = (key, a)
    return entry


def _layout(view) -> tuple[tuple[int, ...], tuple[int, ...], np.dtype]:
    """Shape, byte strides and dtype of a frame from its tensor header, checked to stay
    inside the payload so no array over it can read past its end."""
    t = view.tensor
    dtype = _dtypes.to_numpy(t.dtype)
    ndims = t.ndims
    if ndims > _MAX_DIMS:
        raise ArgumentError(lib.TP_ERR_ARG, f"tensor header ndims {ndims}: more than {_MAX_DIMS}")
    shape = tuple(t.dims[0:ndims])
    strides = tuple(t.strides[0:ndims])
    if not any(strides):
        order = "F" if t.major_order == _COLUMN else "C"
        strides = _contiguous_strides(shape, dtype.itemsize, order)
    size = view.values_len_bytes
    if any(d < 0 for d in shape) or any(s < 0 for s in strides):
        raise ArgumentError(lib.TP_ERR_ARG, f"tensor header dims {shape} strides {strides}: negative")
    if 0 not in shape:
        end = dtype.itemsize + sum((d - 1) * s for d, s in zip(shape, strides))
        if end > size:
            raise ArgumentError(
                lib.TP_ERR_ARG,
                f"tensor header dims {shape} strides {strides} of {dtype} reach byte {end}, past the {size}-byte payload",
            )
    return shape, strides, dtype


def _contiguous_strides(shape: tuple[int, ...], itemsize: int, order: str) -> tuple[int, ...]:
    strides = [0] * len(shape)
    step = itemsize
    dims = range(len(shape) - 1, -1, -1) if order == "C" else range(len(shape))
    for i in dims:
        strides[i] = step
        step *= max(shape[i], 1)
    return tuple(strides)
