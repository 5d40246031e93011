"""The package's Python cost a frame, without a driver (BENCHMARKS.md).

    python python/bench/frame_cost.py [--size 64] [--profile]
    PYTHONPATH=DIR python python/bench/frame_cost.py    # the tensorpool package in DIR

A Consumer whose poll array is filled by hand with 256 frames over a NumPy buffer (each
with its seq stamp and a seqlock word that holds), and whose call into the library is
replaced by one that hands them out again: what remains is the package's own per-frame
work, in CPU time (process_time, the best of 15 repeats), which other work on the machine
disturbs far less than a rate. Rows:

  poll, bench handler   poll(handler) with bench_consumer.py's handler: frame.array, its
                        nbytes, the stamp through struct, frame.seq, frame.valid()
  poll, empty handler   poll(handler) with a handler that does nothing: making the frames
  poll, array only      ... that takes frame.array
  poll, valid only      ... that asks frame.valid()
  iterate, bench handler  the bench handler over consumer.frames(idle=0)

This reaches into the package's internals (Consumer._batch, _poll): it measures the
package it ships with and the versions around it, not a public API.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import struct
import time
import timeit

import numpy as np

import tensorpool
from tensorpool import _client
from tensorpool._native import ffi, lib

FRAMES = 256
ROUNDS = 200


def consumer_over(payload: np.ndarray, words: np.ndarray, size: int) -> _client.Consumer:
    c = _client.Consumer(None, ffi.NULL, 0)  # no library handle: _poll is replaced below
    for i in range(FRAMES):
        payload[i, :8].view(np.uint64)[0] = i
        words[i] = i << 1  # committed, as the library's seq_commit
        e = c._batch[i]
        e.view.payload = ffi.cast("uint8_t *", payload[i].ctypes.data)
        e.view.payload_len = e.view.values_len_bytes = size
        e.view.seq_commit = int(words[i])
        e.view.timestamp_ns = i
        e.view.tensor.dtype = lib.shm_tensorpool_control_dtype_UINT8
        e.view.tensor.major_order = lib.shm_tensorpool_control_majorOrder_ROW
        e.view.tensor.ndims = 1
        e.view.tensor.dims[0] = size
        e.seq_commit_word = ffi.cast("uint64_t *", words.ctypes.data + 8 * i)

    def poll(limit: int) -> int:
        c._generation += 1
        return FRAMES

    c._poll = poll
    return c


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=64, help="payload bytes (at least 8)")
    p.add_argument("--profile", action="store_true", help="also cProfile the bench handler's polls")
    args = p.parse_args()
    size = max(args.size, 8)
    payload = np.zeros((FRAMES, size), np.uint8)
    words = np.zeros(FRAMES, np.uint64)
    c = consumer_over(payload, words, size)
    stamp = struct.Struct("<Q").unpack_from
    good = 0

    def bench_handler(frame) -> None:
        nonlocal good
        a = frame.array
        ok = a.nbytes == size and stamp(a)[0] == frame.seq
        if frame.valid():
            good += ok

    def iterate() -> None:
        frames = c.frames(idle=0)
        for _ in range(ROUNDS * FRAMES):
            bench_handler(next(frames))

    cases = {
        "poll, bench handler": lambda: [c.poll(bench_handler) for _ in range(ROUNDS)],
        "poll, empty handler": lambda: [c.poll(lambda f: None) for _ in range(ROUNDS)],
        "poll, array only": lambda: [c.poll(lambda f: f.array) for _ in range(ROUNDS)],
        "poll, valid only": lambda: [c.poll(lambda f: f.valid()) for _ in range(ROUNDS)],
        "iterate, bench handler": iterate,
    }
    print(f"tensorpool from {tensorpool.__file__}; {size} B frames; CPU ns a frame, best of 15")
    for name, case in cases.items():
        best = min(timeit.Timer(case, timer=time.process_time).repeat(number=1, repeat=15))
        print(f"{name:24s} {best / (ROUNDS * FRAMES) * 1e9:7,.0f}")
    if good == 0 or good % FRAMES:
        raise SystemExit(f"the bench handler accepted {good} frames: not whole polls of intact ones")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [c.poll(bench_handler) for _ in range(ROUNDS)])
        pstats.Stats(profile).sort_stats("tottime").print_stats(10)


if __name__ == "__main__":
    main()
