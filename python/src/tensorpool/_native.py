"""The bundled libtensorpool.so, loaded through cffi, and its error codes as exceptions."""

from __future__ import annotations

import builtins
from pathlib import Path

from ._cffi import ffi

LIBRARY_PATH = Path(__file__).with_name("libtensorpool.so")

# cffi releases the GIL around every call into the library, so other Python threads run
# while one waits in it.
lib = ffi.dlopen(str(LIBRARY_PATH))


class Error(Exception):
    """A tensorpool call failed. code is the C API's tp_err_t (negative), name its
    enumerator (e.g. "TP_ERR_ARG") and message what tp_errmsg() said."""

    def __init__(self, code: int, message: str):
        self.code = code
        self.name = _code_name(code)
        self.message = message
        super().__init__(f"{self.name} ({code}): {message}")


class ArgumentError(Error, ValueError):
    """TP_ERR_ARG: a bad argument, or a closed handle."""


class AeronError(Error):
    """TP_ERR_AERON: the Aeron media driver, or a publication or subscription, failed."""


class TimedOutError(Error, builtins.TimeoutError):
    """TP_ERR_TIMEOUT: nothing arrived in time (no media driver, no SHM driver)."""


class ProtocolError(Error):
    """TP_ERR_PROTOCOL: the driver refused or revoked the lease, or a message broke the spec."""


class ShmError(Error):
    """TP_ERR_SHM: a region could not be mapped or failed validation."""


class SystemCallError(Error, OSError):
    """TP_ERR_IO: a file or system call failed."""


class OutOfMemoryError(Error, MemoryError):
    """TP_ERR_NOMEM."""


class UnsupportedError(Error):
    """TP_ERR_UNSUPPORTED: not supported by this build or configuration."""


class BusyError(Error):
    """TP_ERR_BUSY: try again (back-pressure, no free slot, a claim already open)."""


class NotFoundError(Error, LookupError):
    """TP_ERR_NOT_FOUND: no such entry."""


class StaleFrameError(ArgumentError):
    """A frame was used after its consumer polled again or closed: its payload may
    have been overwritten or unmapped since. Keep frame.copy() instead."""


class TornFrameError(Error):
    """A frame's slot was overwritten while it was being read (as TP_ERR_TIMEOUT from
    tp_consumer_try_read_frame): what was read is discarded."""


_ERRORS = {
    lib.TP_ERR_ARG: ArgumentError,
    lib.TP_ERR_AERON: AeronError,
    lib.TP_ERR_TIMEOUT: TimedOutError,
    lib.TP_ERR_PROTOCOL: ProtocolError,
    lib.TP_ERR_SHM: ShmError,
    lib.TP_ERR_IO: SystemCallError,
    lib.TP_ERR_NOMEM: OutOfMemoryError,
    lib.TP_ERR_UNSUPPORTED: UnsupportedError,
    lib.TP_ERR_BUSY: BusyError,
    lib.TP_ERR_NOT_FOUND: NotFoundError,
}

_CODE_NAMES = {value: name for name, value in ffi.typeof("tp_err_t").relements.items()}


def _code_name(code: int) -> str:
    return _CODE_NAMES.get(code, f"tp_err_t {code}")


def error(code: int) -> Error:
    """The exception for code, with the calling thread's tp_errmsg(): call it right
    after the failing call, on the same thread."""
    message = ffi.string(lib.tp_errmsg()).decode("utf-8", "replace")
    return _ERRORS.get(code, Error)(code, message)


def check(code: int) -> None:
    """Raises the exception for a failed call's code; TP_OK and counts pass."""
    if code < 0:
        raise error(code)
