"""Bad input raises a tensorpool.Error carrying the C code and message; nothing crashes."""

from __future__ import annotations

import time

import numpy as np
import pytest

import tensorpool
from conftest import POOLS
from tensorpool import POLL_LIMIT
from helpers import connected_pair, wait_for


def test_wrong_dtypes_are_refused(client, stream_id):
    producer = client.producer(stream_id)
    for bad in (np.zeros(4, np.complex64), np.zeros(4, np.float16), np.array(["a", "b"]), np.array([object()]),
                np.zeros(4, ">i4")):
        with pytest.raises(tensorpool.ArgumentError) as err:
            producer.offer(bad)
        assert err.value.code == -1 and err.value.name == "TP_ERR_ARG"
        assert str(bad.dtype) in err.value.message or bad.dtype.str in err.value.message
        with pytest.raises(tensorpool.ArgumentError):
            producer.offer_many([np.zeros(4, np.uint8), bad])  # before any is offered
    with pytest.raises(tensorpool.ArgumentError):
        producer.claim((2, 2), np.complex128)
    with pytest.raises(tensorpool.ArgumentError):
        producer.claim((2, 2), "not a dtype")
    with pytest.raises(tensorpool.ArgumentError):
        producer.claim((1,) * 9, np.uint8)  # more dimensions than a tensor header holds


def test_oversize_arrays_are_refused(client, stream_id):
    producer, _ = connected_pair(client, stream_id)
    too_big = np.zeros(POOLS[-1] + 1, np.uint8)
    with pytest.raises(tensorpool.ArgumentError) as err:
        producer.offer(too_big)
    assert err.value.code == -1 and err.value.message  # the library's own message
    with pytest.raises(tensorpool.ArgumentError):
        producer.claim(POOLS[-1] // 4 + 1, np.float32)
    assert producer.offer(np.zeros(POOLS[-1], np.uint8))  # the largest pool's size fits
    # In a batch, the library's refusal comes after the frames before it were published.
    deadline = time.monotonic() + 10
    while True:
        assert time.monotonic() < deadline
        try:
            assert producer.offer_many([np.zeros(4, np.uint8), too_big]) == 0  # dropped: retry
        except tensorpool.ArgumentError as err:
            assert err.published == 1 and err.message
            break


def test_a_closed_client_raises(driver, stream_id):
    client = driver.client()
    producer, consumer = connected_pair(client, stream_id)
    client.close()
    client.close()  # twice is fine
    assert client.closed
    with pytest.raises(tensorpool.ArgumentError) as err:
        client.producer(stream_id)
    assert err.value.code == -1
    with pytest.raises(tensorpool.Error):
        producer.offer(np.zeros(4, np.uint8))
    with pytest.raises(tensorpool.Error):
        producer.claim(4)
    with pytest.raises(tensorpool.Error):
        consumer.poll()
    with pytest.raises(tensorpool.Error):
        list(consumer.frames(timeout=0.1))
    producer.close()
    consumer.close()


def test_closed_producer_and_consumer_raise(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    claim = producer.claim(8)
    producer.close()
    with pytest.raises(tensorpool.ArgumentError):
        claim.commit()  # the claim closed with its producer
    with pytest.raises(tensorpool.ArgumentError):
        producer.offer(np.zeros(8, np.uint8))
    consumer.close()
    with pytest.raises(tensorpool.ArgumentError):
        consumer.poll()


def test_bad_arguments(driver, client, stream_id):
    with pytest.raises(tensorpool.ArgumentError):
        client.producer(-1)
    with pytest.raises(tensorpool.ArgumentError):
        client.consumer(2**32)
    with pytest.raises(tensorpool.ArgumentError):
        tensorpool.Client(driver.aeron_dir, attach_timeout=0)
    with pytest.raises(tensorpool.ArgumentError):
        tensorpool.Client(driver.aeron_dir, control_stream_id=2**31)
    for version in ("2.0", "1", ""):
        with pytest.raises(tensorpool.ArgumentError) as err:
            tensorpool.Client(driver.aeron_dir, wire_version=version)
        assert err.value.code == -1 and err.value.message
    with pytest.raises(tensorpool.ArgumentError):
        tensorpool.Client(driver.aeron_dir, wire_version=1.2)
    consumer = client.consumer(stream_id)
    with pytest.raises(tensorpool.ArgumentError):
        consumer.poll(limit=0)
    with pytest.raises(tensorpool.ArgumentError):
        next(consumer.frames(limit=POLL_LIMIT + 1))
    producer = client.producer(stream_id)
    wait_for(lambda: producer.is_connected, what="the producer's publications")
    for bad in (-1, 2**64, "7"):
        with pytest.raises(tensorpool.ArgumentError):
            producer.offer(np.zeros(4, np.uint8), trace_id=bad)
        with producer.claim(4) as claim, pytest.raises(tensorpool.ArgumentError):
            claim.commit(trace_id=bad)


def test_no_media_driver_raises(tmp_path):
    with pytest.raises(tensorpool.AeronError) as err:
        tensorpool.Client(tmp_path, attach_timeout=0.2)
    assert err.value.code == -2 and str(tmp_path) in err.value.message


def test_unprovisioned_stream_is_refused(driver):
    with driver.client(attach_timeout=1.0) as client, pytest.raises(tensorpool.Error) as err:
        client.producer(19999)  # the driver serves only the streams it was configured with
    assert "19999" in err.value.message


def test_handler_exceptions_propagate_after_the_poll(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    for _ in range(3):
        producer.offer(np.zeros(4, np.uint8))
    calls = []

    def handler(frame):
        calls.append(frame.seq)
        raise KeyError("from the handler")

    deadline = time.monotonic() + 10
    with pytest.raises(KeyError):
        while time.monotonic() < deadline:
            consumer.poll(handler)
    assert len(calls) == 1  # the rest of that poll's frames skip the handler


def test_polling_from_inside_the_handler_is_refused(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    for _ in range(3):
        producer.offer(np.zeros(4, np.uint8))
    got = []

    def handler(frame):
        with pytest.raises(tensorpool.BusyError):
            consumer.poll()  # would overwrite the frames being handed out
        with pytest.raises(tensorpool.BusyError):
            next(consumer.frames())
        assert frame.valid()
        got.append(frame.seq)

    deadline = time.monotonic() + 10
    while len(got) < 3 and time.monotonic() < deadline:
        consumer.poll(handler)
    assert len(got) == 3


def test_closing_the_consumer_inside_the_handler_ends_the_poll(client, stream_id):
    producer, consumer = connected_pair(client, stream_id)
    for _ in range(3):
        producer.offer(np.zeros(4, np.uint8))
    seen = []

    def handler(frame):
        seen.append(frame)
        consumer.close()

    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        consumer.poll(handler)
    assert len(seen) == 1 and not seen[0].valid()
