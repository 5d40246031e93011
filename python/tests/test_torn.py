"""A Python consumer reading slowly while a fast Go producer wraps the 16-slot ring over
and over never accepts a torn frame: every frame it keeps (valid() after reading) holds
exactly the pattern of its seq, and frames overwritten mid-read are caught."""

from __future__ import annotations

import time

import numpy as np

from helpers import pattern_ok

SIZE = 60000  # bytes: the 64 KiB pool; the producer fills each frame byte by byte

def test_torn_frames_are_never_accepted(tools, driver, client, peers, stream_id):
    consumer = client.consumer(stream_id)
    peers([tools.gopeer, "-role", "produce", "-aeron-dir", driver.aeron_dir, "-shm-dir", driver.shm_dir,
           "-stream", str(stream_id), "-count", "0", "-duration", "8s", "-shape", str(SIZE), "-timeout", "60s"])
    accepted = torn = 0
    deadline = time.monotonic() + 45
    for n, frame in enumerate(consumer.frames(timeout=10)):
        a = frame.array
        # Read in two halves with a pause between, so the producer laps the ring while
        # this frame is being read.
        first = a[: SIZE // 2].copy()
        if n % 2 == 0:
            time.sleep(0.0005)
        second = a[SIZE // 2 :].copy()
        if frame.valid():
            assert pattern_ok(np.concatenate([first, second]), frame.seq), f"frame {frame.seq} accepted torn"
            accepted += 1
        else:
            torn += 1
        if (accepted >= 200 and torn >= 20) or time.monotonic() > deadline:
            break
    assert accepted >= 50, f"only {accepted} intact frames ({torn} torn)"
    assert torn >= 10, f"the producer overwrote only {torn} frames while they were read: no torn read was tried"
