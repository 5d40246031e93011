"""tensorpool: zero-copy tensor and image frames between processes, for Python.

Producers write tensors into shared-memory rings that a tensorpool driver (tp-driver)
leases out, and publish small descriptors over Aeron; consumers map the rings read-only
and read each frame in place, as a NumPy array. Wire- and SHM-compatible with the Go and
C sides of this repository and with the Julia reference (AeronTensorPool.jl).

    import numpy as np, tensorpool

    with tensorpool.Client() as client:              # $AERON_DIR, control stream 1000
        producer = client.producer(10000)
        with producer.claim((480, 640), np.uint8) as slot:
            slot.array[:] = image                    # written straight into SHM
        producer.offer(image)                        # or copy an existing array

    with tensorpool.Client() as client:
        for frame in client.consumer(10000).frames(timeout=5.0):
            img = frame.array                        # read-only view of SHM, zero copy
            ...                                      # use it, then:
            if frame.valid():                        # the seqlock re-check
                ...
            keep = frame.copy()                      # for data kept past the next poll

Frames: see Frame for the lifetime of a view (until the consumer polls again) and the
seqlock check; frame.array, numpy.asarray(frame), numpy.from_dlpack(frame) and
torch.from_dlpack(frame) are all zero-copy. DLPack export needs a consumer that asks
for DLPack 1.0 (NumPy >= 2.1, recent PyTorch), since only that version can mark the
memory read-only; older ones get BufferError and can use frame.copy().

Errors: every failing call raises a tensorpool.Error subclass carrying the C API's
tp_err_t (code, name) and the library's message (tp_errmsg).

How the library is loaded, and why cffi: the package bundles libtensorpool.so, built
from this repository by the wheel build (hatch_build.py), and calls it through cffi's
out-of-line ABI mode. Its declarations are generated at build time from include/ (the
headers run through the C preprocessor), never written by hand, so they cannot drift;
tests/test_declarations.py checks the struct layouts against the C compiler. cffi over
ctypes: the declarations are the C headers themselves rather than a parallel
description in ctypes classes; calls cost a fraction of ctypes' (frames are read
per call); and the ABI mode needs no Python headers at build time, only the C
compiler the Go build needs anyway. The library's calls run with the GIL released.
"""

from ._client import POLL_LIMIT, Claim, Client, Consumer, Frame, Producer
from ._dtypes import SUPPORTED as SUPPORTED_DTYPES
from ._native import (
    AeronError,
    ArgumentError,
    BusyError,
    Error,
    NotFoundError,
    OutOfMemoryError,
    ProtocolError,
    ShmError,
    StaleFrameError,
    SystemCallError,
    TimedOutError,
    TornFrameError,
    UnsupportedError,
    lib as _lib,
    ffi as _ffi,
)

__version__ = "0.1.0"


def library_version() -> str:
    """The bundled libtensorpool.so's version, e.g. "tensorpool 0.1.0"."""
    return _ffi.string(_lib.tp_version()).decode()


__all__ = [
    "AeronError",
    "ArgumentError",
    "BusyError",
    "Claim",
    "Client",
    "Consumer",
    "Error",
    "Frame",
    "NotFoundError",
    "OutOfMemoryError",
    "POLL_LIMIT",
    "Producer",
    "ProtocolError",
    "SUPPORTED_DTYPES",
    "ShmError",
    "StaleFrameError",
    "SystemCallError",
    "TimedOutError",
    "TornFrameError",
    "UnsupportedError",
    "library_version",
]
