"""NumPy dtypes and tensor header dtypes (wire spec §8.2), both ways.

The wire carries values little-endian. BYTES frames read as uint8; BIT (packed bits)
frames too, one byte holding eight values, since NumPy has no packed-bit dtype.
"""

from __future__ import annotations

import numpy as np

from ._native import ArgumentError, lib

_WIRE_TO_NUMPY = {
    lib.shm_tensorpool_control_dtype_UINT8: np.dtype("u1"),
    lib.shm_tensorpool_control_dtype_INT8: np.dtype("i1"),
    lib.shm_tensorpool_control_dtype_UINT16: np.dtype("<u2"),
    lib.shm_tensorpool_control_dtype_INT16: np.dtype("<i2"),
    lib.shm_tensorpool_control_dtype_UINT32: np.dtype("<u4"),
    lib.shm_tensorpool_control_dtype_INT32: np.dtype("<i4"),
    lib.shm_tensorpool_control_dtype_UINT64: np.dtype("<u8"),
    lib.shm_tensorpool_control_dtype_INT64: np.dtype("<i8"),
    lib.shm_tensorpool_control_dtype_FLOAT32: np.dtype("<f4"),
    lib.shm_tensorpool_control_dtype_FLOAT64: np.dtype("<f8"),
    lib.shm_tensorpool_control_dtype_BOOLEAN: np.dtype("?"),
    lib.shm_tensorpool_control_dtype_BYTES: np.dtype("u1"),
    lib.shm_tensorpool_control_dtype_BIT: np.dtype("u1"),
}

# Producers send each NumPy dtype as its own wire dtype (uint8 as UINT8, never BYTES).
_NUMPY_TO_WIRE = {
    dtype: wire
    for wire, dtype in _WIRE_TO_NUMPY.items()
    if wire not in (lib.shm_tensorpool_control_dtype_BYTES, lib.shm_tensorpool_control_dtype_BIT)
}

SUPPORTED = tuple(str(d) for d in _NUMPY_TO_WIRE)


def parse(dtype) -> np.dtype:
    """np.dtype(dtype), or ArgumentError."""
    try:
        return np.dtype(dtype)
    except TypeError as err:
        raise ArgumentError(lib.TP_ERR_ARG, f"dtype {dtype!r}: not a NumPy dtype ({err})") from err


def to_wire(dtype) -> int:
    """The tensor header dtype of a NumPy dtype; ArgumentError for any other."""
    d = parse(dtype)
    wire = _NUMPY_TO_WIRE.get(d)
    if wire is None:
        raise ArgumentError(
            lib.TP_ERR_ARG, f"dtype {d} ({d.str}): tensor frames carry only {', '.join(SUPPORTED)}, little-endian"
        )
    return wire


def to_numpy(wire: int) -> np.dtype:
    """The NumPy dtype a frame of tensor header dtype wire reads as."""
    d = _WIRE_TO_NUMPY.get(wire)
    if d is None:
        raise ArgumentError(lib.TP_ERR_ARG, f"tensor header dtype {wire} has no NumPy equivalent")
    return d
