"""The payload pattern the Go peer and the C examples write and check, and waiting."""

from __future__ import annotations

import time

import numpy as np


def pattern(nbytes: int, seq: int) -> np.ndarray:
    """The bytes of frame seq: its seq little-endian in the first 8, then (seq + i) & 0xff."""
    p = ((np.arange(nbytes, dtype=np.uint64) + np.uint64(seq)) & np.uint64(0xFF)).astype(np.uint8)
    stamp = np.frombuffer(int(seq).to_bytes(8, "little"), dtype=np.uint8)
    p[:8] = stamp[: min(8, nbytes)]
    return p


def pattern_ok(data: np.ndarray, seq: int) -> bool:
    raw = np.ascontiguousarray(data).view(np.uint8).reshape(-1)
    return bool(np.array_equal(raw, pattern(raw.size, seq)))


def wait_for(condition, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    delay = 0.0005
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def connected_pair(client, stream_id: int, consumer_client=None):
    """A producer and a consumer of stream_id, once the producer sees the consumer."""
    producer = client.producer(stream_id)
    consumer = (consumer_client or client).consumer(stream_id)
    wait_for(lambda: producer.is_connected and consumer.is_connected, what="producer and consumer connected")
    return producer, consumer


def take(consumer, count: int, timeout: float = 20.0, check=None) -> list:
    """Polls until count frames arrived; check(frame) runs on each while it is live.
    Returns the copies of their arrays."""
    got = []
    deadline = time.monotonic() + timeout

    def on_frame(frame):
        if check is not None:
            check(frame)
        got.append(frame.copy())

    while len(got) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"took {len(got)} of {count} frames in {timeout} s")
        if consumer.poll(on_frame) == 0:
            time.sleep(0.0002)
    return got
