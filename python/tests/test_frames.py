"""Python producer → Python consumer through tp-driver: the API's frames, views and errors."""

from __future__ import annotations

import time

import numpy as np
import pytest

import tensorpool
from conftest import SLOTS
from helpers import connected_pair, take, wait_for

DTYPES = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "float32", "float64", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_offer_carries_dtype_shape_and_values(client, stream_id, dtype):
    producer, consumer = connected_pair(client, stream_id)
    rng = np.random.default_rng(7)
    sent = (rng.integers(0, 100, size=(3, 5, 7)) > 50) if dtype == "bool" else rng.integers(0, 100, size=(3, 5, 7)).astype(dtype)
    assert producer.offer(sent)

    def check(frame):
        assert frame.dtype == np.dtype(dtype)
        assert frame.shape == (3, 5, 7)
        a = frame.array
        assert a.dtype == np.dtype(dtype) and a.shape == (3, 5, 7)
        assert a.strides == sent.strides
        assert not a.flags.writeable
        np.testing.assert_array_equal(a, sent)
        assert frame.valid()

    take(consumer, 1, check=check)


def test_offer_many_publishes_a_batch_in_order(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    sent = [np.full(8, i, np.int64) for i in range(12)] + [np.arange(6, dtype=np.float32).reshape(2, 3).T]
    assert producer.offer_many([]) == 0
    done = 0
    deadline = time.monotonic() + 10
    while done < len(sent):  # a frame dropped (the stream still connecting) ends a call
        assert time.monotonic() < deadline, f"published {done} of {len(sent)}"
        n = producer.offer_many(sent[done:])
        assert 0 <= n <= len(sent) - done
        done += n
    got = take(consumer, len(sent))
    assert len(got) == len(sent)
    for g, s in zip(got, sent):
        assert g.dtype == s.dtype
        np.testing.assert_array_equal(g, s)
    before = producer.stats()
    with pytest.raises(tensorpool.ArgumentError):  # nine dimensions: refused before any is offered
        producer.offer_many([np.zeros(4, np.uint8), np.zeros((1,) * 9, np.uint8)])
    assert producer.stats()["frames"] == before["frames"]


def test_claim_writes_in_place_and_commits(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    with producer.claim((480, 640), np.uint8) as slot:
        assert slot.array.shape == (480, 640) and slot.array.flags.writeable
        slot.array[:] = 9
        slot.array[0, :4] = [1, 2, 3, 4]
        seq = slot.seq
    assert not slot.array.flags.writeable  # committed: no more writes through it

    def check(frame):
        assert frame.seq == seq
        assert frame.array[0, :5].tolist() == [1, 2, 3, 4, 9]
        assert int(frame.array.sum()) == 9 * (480 * 640 - 4) + 10

    take(consumer, 1, check=check)


def test_abort_publishes_nothing_and_frees_the_producer(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    claim = producer.claim(64, np.float32)
    with pytest.raises(tensorpool.BusyError) as busy:
        producer.claim(64, np.float32)  # one claim at a time
    assert busy.value.code == -9 and busy.value.name == "TP_ERR_BUSY"
    claim.abort()
    with pytest.raises(tensorpool.ArgumentError):
        claim.commit()
    with pytest.raises(RuntimeError):
        with producer.claim(64, np.float32) as c:
            c.array[:] = 1
            raise RuntimeError("fill failed")  # the claim is aborted, not committed
    assert producer.offer(np.full(64, 2, np.float32))
    frames = take(consumer, 1)
    assert frames[0].tolist() == [2.0] * 64
    assert consumer.poll() == 0


def test_non_contiguous_arrays_are_sent_contiguous(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    base = np.arange(12 * 10, dtype=np.int16).reshape(12, 10)
    assert producer.offer(base[::2, 1::3])
    assert producer.offer(base.T)
    got = take(consumer, 2)
    np.testing.assert_array_equal(got[0], base[::2, 1::3])
    np.testing.assert_array_equal(got[1], base.T)


def test_iteration_and_poll_deliver_every_frame_in_order(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    for i in range(10):
        assert producer.offer(np.full(8, i, np.int64))
    seqs, values = [], []
    for frame in consumer.frames(timeout=2.0):
        seqs.append(frame.seq)
        values.append(int(frame.array[0]))
        assert frame.valid()
        if len(values) == 10:
            break
    assert values == list(range(10))
    assert seqs == sorted(seqs) and len(set(seqs)) == 10
    for i in range(3):
        producer.offer(np.full(8, i, np.int64))
    handled = []
    wait_for(lambda: consumer.poll(lambda f: handled.append(int(f.array[0]))) > 0 and len(handled) == 3 or len(handled) == 3)
    assert handled == [0, 1, 2]
    assert list(consumer.frames(timeout=0.05)) == []  # ends on its own when idle


def test_frame_metadata(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    before = time.monotonic_ns()
    producer.offer(np.zeros(4, np.uint8))

    def check(frame):
        assert before <= frame.timestamp_ns <= time.monotonic_ns()  # CLOCK_MONOTONIC, both sides
        assert frame.meta_version == producer.meta_version
        assert frame.nbytes == 4
        assert "seq=" in repr(frame)

    take(consumer, 1, check=check)
    assert consumer.stats()["frames"] == 1
    assert producer.stats()["frames"] == 1


def test_a_frame_is_stale_after_the_next_poll(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    producer.offer(np.arange(16, dtype=np.uint8))
    kept = []
    wait_for(lambda: consumer.poll(kept.append) > 0, what="a frame")
    frame = kept[0]
    assert frame.valid()
    view = frame.array
    assert view[3] == 3
    seq = frame.seq
    consumer.poll()
    assert not frame.valid()
    for use in (lambda: frame.array, frame.copy, lambda: np.asarray(frame), lambda: np.from_dlpack(frame)):
        with pytest.raises(tensorpool.StaleFrameError):
            use()
    for field in ("timestamp_ns", "meta_version", "trace_id", "nbytes", "dtype", "shape"):
        with pytest.raises(tensorpool.StaleFrameError):
            getattr(frame, field)
    assert frame.seq == seq  # read at the poll: it names the frame in errors and repr
    assert "stale" in repr(frame)
    consumer.close()
    assert not frame.valid()


def test_views_are_zero_copy_numpy_and_dlpack(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    sent = np.arange(6 * 4, dtype=np.float32).reshape(6, 4)
    producer.offer(sent)

    def check(frame):
        a = frame.array
        address = a.__array_interface__["data"][0]
        b = np.asarray(frame)
        c = np.from_dlpack(frame)
        for v in (b, c):
            assert v.__array_interface__["data"][0] == address  # the same SHM bytes
            assert v.dtype == np.float32 and v.shape == (6, 4) and not v.flags.writeable
            np.testing.assert_array_equal(v, sent)
        assert frame.__dlpack_device__() == (1, 0)
        assert frame.valid()

    take(consumer, 1, check=check)


def test_arrays_follow_each_frames_layout_when_a_slot_is_reused(client, stream_id):
    """Frames at one payload address share an array while its layout stays (Frame.array
    keeps it): a later frame there with another shape or dtype gets its own, and what a
    caller does to the shape of an array it was given stays with that array."""
    producer, consumer = connected_pair(client, stream_id)
    layouts = [((4, 4), np.uint16), ((16,), np.uint16), ((2, 8), np.float32), ((4, 4), np.uint16)]
    for n, (shape, dtype) in enumerate(layouts):
        for k in range(SLOTS):  # every slot of the ring once in each layout
            sent = (np.arange(16) + 100 * n + k).astype(dtype).reshape(shape)
            assert producer.offer(sent)

            def check(frame, sent=sent):
                a = frame.array
                assert a.dtype == sent.dtype and a.shape == sent.shape and a.strides == sent.strides
                np.testing.assert_array_equal(a, sent)
                a.shape = (a.size,)  # the caller's array only
                assert frame.array.shape == sent.shape
                with pytest.raises(ValueError):
                    a.setflags(write=True)  # over read-only memory: never writable
                assert frame.valid()

            take(consumer, 1, check=check)


def test_two_clients_one_stream(driver, stream_id):
    with driver.client() as pc, driver.client() as cc:
        producer, consumer = connected_pair(pc, stream_id, consumer_client=cc)
        producer.offer(np.ones((2, 2), np.uint16))
        assert take(consumer, 1)[0].tolist() == [[1, 1], [1, 1]]


def batched(producer, count: int, trace_ids=None, attempts: int = 5):
    """Offers count frames, then waits for their descriptors to arrive together, longer
    each attempt: yields after each round, for the caller to poll them in one batch and
    stop once it had them so."""
    for attempt in range(attempts):
        for i in range(count):
            assert producer.offer(np.zeros(4, np.uint8), trace_id=None if trace_ids is None else trace_ids[i])
        time.sleep(0.05 * 2**attempt)
        yield


def test_every_frame_of_a_batch_stays_valid_until_the_next_poll(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    for i in range(10):
        assert producer.offer(np.full(16, i, np.uint8))
    kept = []
    wait_for(lambda: consumer.poll(kept.append) >= 0 and len(kept) == 10, what="10 frames")
    assert [int(f.seq) for f in kept] == sorted({int(f.seq) for f in kept})
    last_poll = [f for f in kept if f._generation == consumer._generation]
    assert last_poll, "the last poll delivered a frame"
    for f in last_poll:  # all of the last poll's, not only its newest
        assert f.valid() and f.array[0] == f.array[-1]
    consumer.poll()
    for f in kept:
        assert not f.valid()
        with pytest.raises(tensorpool.StaleFrameError):
            f.array


def test_an_iterated_frame_is_stale_once_the_iterator_polls_again(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    producer.offer(np.arange(8, dtype=np.uint8))
    frames = consumer.frames(timeout=5.0)
    first = next(frames)
    assert first.valid() and first.array[7] == 7
    producer.offer(np.arange(8, dtype=np.uint8))
    second = next(frames)  # the iterator polled again for it
    assert second.valid() and not first.valid()
    with pytest.raises(tensorpool.StaleFrameError):
        first.copy()
    consumer.poll()  # a poll beside the iterator makes its frames stale, and the iterator says so
    assert not second.valid()

    def iterate_polling_beside():
        frames = consumer.frames(timeout=1.0)
        next(frames)
        consumer.poll()
        for _ in frames:
            pass

    # Two frames in one of the iterator's polls: polling beside it in the middle of them
    # raises at the next.
    with pytest.raises(tensorpool.StaleFrameError):
        for _ in batched(producer, 2):
            iterate_polling_beside()


def test_trace_ids_travel_with_wire_1_2(driver, stream_id):
    with driver.client(wire_version="1.2") as pc, driver.client() as cc:
        producer, consumer = connected_pair(pc, stream_id, consumer_client=cc)
        assert producer.offer(np.zeros(4, np.uint8), trace_id=0xABCDEF0123)
        got = []
        wait_for(lambda: consumer.poll(lambda f: got.append(f.trace_id)) > 0, what="a frame")
        assert got == [0xABCDEF0123]
        with producer.claim(4) as slot:
            slot.array[:] = 1
        with producer.claim(4) as slot:
            slot.array[:] = 2
            slot.commit(trace_id=77)
        assert producer.offer(np.zeros(4, np.uint8))  # no trace id
        traces = []
        for frame in consumer.frames(timeout=5.0, limit=1):  # every frame the newest of its poll
            traces.append((int(frame.array[0]), frame.trace_id))
            if len(traces) == 3:
                break
        assert traces == [(1, 0), (2, 77), (0, 0)]
        batch = []
        for _ in batched(producer, 2, trace_ids=(5, 6)):
            batch.clear()
            consumer.poll(batch.append)
            if len(batch) == 2:
                break
            consumer.poll()  # the other one
        assert len(batch) == 2
        assert [f.trace_id for f in batch] == [5, 6]  # every frame of the poll's, not only the newest's
        consumer.poll()
        with pytest.raises(tensorpool.StaleFrameError):
            batch[0].trace_id


def test_wire_1_1_drops_trace_ids(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    assert producer.offer(np.zeros(4, np.uint8), trace_id=99)

    def check(frame):
        assert frame.trace_id == 0

    take(consumer, 1, check=check)


def test_clients_of_one_process_get_distinct_ids(driver, stream_id):
    with driver.client() as a, driver.client() as b:
        assert a.client_id != b.client_id
        ca, cb = a.consumer(stream_id), b.consumer(stream_id)
        assert ca.consumer_id != cb.consumer_id
    with driver.client(client_id=4242) as c:
        assert c.client_id == 4242
