"""Python ↔ Go (package tp, tests/gopeer) and Python ↔ C (cabi/examples) through one
tp-driver and media driver, with the payload pattern all of them write and check."""

from __future__ import annotations

import time

import numpy as np

from helpers import pattern, pattern_ok, take, wait_for

COUNT = 20


def publish_pattern(producer, shape, dtype, count: int = COUNT) -> None:
    """Publishes count frames whose bytes are the pattern of their seq, written in place,
    a few milliseconds apart (the C example consumer reads the newest frame of a poll)."""
    wait_for(lambda: producer.is_connected, what="a consumer on the descriptor stream")
    sent = 0
    while sent < count:
        slot = producer.claim(shape, dtype)
        slot.array.view(np.uint8).reshape(-1)[:] = pattern(slot.array.nbytes, slot.seq)
        if slot.commit():
            sent += 1
            time.sleep(0.005)


def gopeer(tools, driver, role: str, stream_id: int, *args: str) -> list[str]:
    return [tools.gopeer, "-role", role, "-aeron-dir", driver.aeron_dir, "-shm-dir", driver.shm_dir,
            "-stream", str(stream_id), "-timeout", "60s", *args]


def test_python_producer_to_go_consumer(tools, driver, client, peers, stream_id):
    producer = client.producer(stream_id)
    consumer = peers(gopeer(tools, driver, "consume", stream_id, "-count", str(COUNT), "-dtype", "float32", "-shape", "4,6,8"))
    publish_pattern(producer, (4, 6, 8), np.float32)
    assert f"received {COUNT} frames" in consumer.wait()


def test_go_producer_to_python_consumer(tools, driver, client, peers, stream_id):
    consumer = client.consumer(stream_id)
    # int16 rows of 10 values laid 24 bytes apart: the strides travel in the tensor header.
    producer = peers(gopeer(tools, driver, "produce", stream_id, "-count", str(COUNT), "-dtype", "int16",
                            "-shape", "6,10", "-strides", "24,2", "-interval", "2ms", "-linger", "5s"))

    def check(frame):
        a = frame.array
        assert a.dtype == np.int16 and a.shape == (6, 10) and a.strides == (24, 2)
        raw = np.frombuffer(a.base, dtype=np.uint8, count=frame.nbytes)
        assert pattern_ok(raw, frame.seq), f"frame {frame.seq}: payload differs from its pattern"
        expected = np.lib.stride_tricks.as_strided(raw.view(np.int16), shape=(6, 10), strides=(24, 2))
        np.testing.assert_array_equal(a, expected)
        assert frame.valid()

    take(consumer, COUNT, timeout=60, check=check)
    producer.kill()


def test_python_producer_to_c_consumer(tools, driver, client, peers, stream_id):
    producer = client.producer(stream_id)
    consumer = peers([tools.c_consumer], driver.peer_env(stream_id, TP_COUNT=COUNT, TP_PAYLOAD_BYTES=1000))
    publish_pattern(producer, (1000,), np.uint8)
    assert consumer.wait()


def test_c_producer_to_python_consumer(tools, driver, client, peers, stream_id):
    consumer = client.consumer(stream_id)
    peers([tools.c_producer], driver.peer_env(stream_id, TP_COUNT=COUNT, TP_PAYLOAD_BYTES=3000,
                                              TP_WAIT_CONNECT=1, TP_LINGER_MS=5000,
                                              TP_FRAME_INTERVAL_US=2000))
    seqs = []
    for frame in consumer.frames(timeout=30):
        assert frame.dtype == np.uint8 and frame.shape == (3000,)
        assert pattern_ok(frame.array, frame.seq)
        assert frame.valid()
        seqs.append(frame.seq)
        if len(seqs) == COUNT:
            break
    assert len(seqs) == COUNT and seqs == sorted(seqs)
