"""A Python producer's cost a frame: offer() each array against offer_many() (BENCHMARKS.md).

    python python/bench/offer_cost.py [--stream 100] [--size 64] [--batch 32] [--rounds 400]

Needs a media driver and a tp-driver that creates the stream (tp-driver's built-in
configuration does, for streams 1-999; $TP_AERON_DIR or $AERON_DIR finds them, as for
the package). One process: a producer offers batch arrays of size bytes, one call each or
all in one offer_many() call, then a consumer of the same stream takes them, so no frame
is dropped for back-pressure. The figure is the producer's calls' CPU time (thread_time)
over the frames published, for each way twice, alternating.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tensorpool


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stream", type=int, default=100)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=400)
    a = ap.parse_args()
    with tensorpool.Client() as client:
        producer = client.producer(a.stream)
        consumer = client.consumer(a.stream)
        deadline = time.monotonic() + 10
        while not (producer.is_connected and consumer.is_connected):
            if time.monotonic() > deadline:
                raise SystemExit("producer and consumer not connected in 10 s")
            time.sleep(0.01)
        arrays = [np.full(a.size, i, np.uint8) for i in range(a.batch)]

        def drain() -> None:
            while consumer.poll(lambda f: None) > 0:
                pass

        for way in ("offer", "offer_many", "offer", "offer_many"):
            spent = frames = 0
            for _ in range(a.rounds):
                t0 = time.thread_time_ns()
                if way == "offer":
                    n = sum(1 for x in arrays if producer.offer(x))
                else:
                    n = producer.offer_many(arrays)
                spent += time.thread_time_ns() - t0
                frames += n
                drain()
            print(f"{way:10s} {spent / max(frames, 1):8.0f} ns CPU a frame ({frames} of {a.rounds * a.batch} published)")


if __name__ == "__main__":
    main()
