"""Reads a tensorpool stream and prints, every second, the frame rate, the bandwidth and
the latency from the producer's commit to the read (p50, p99).

    python python/examples/consumer.py --stream 10000

Frames are read in place (zero copy); the latency is now minus the frame's timestamp_ns,
both CLOCK_MONOTONIC, which every process on the machine shares. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tensorpool


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--aeron-dir", help="the media driver's directory (default $AERON_DIR, else Aeron's)")
    p.add_argument("--stream", type=int, default=10000, help="tensorpool stream id")
    p.add_argument("--duration", type=float, default=0.0, help="seconds to run (0: until Ctrl-C)")
    args = p.parse_args()

    with tensorpool.Client(args.aeron_dir) as client, client.consumer(args.stream) as consumer:
        print(f"consuming stream {args.stream}")
        start = report_at = time.monotonic()
        frames = nbytes = torn = 0
        latencies: list[int] = []
        try:
            while not args.duration or time.monotonic() - start < args.duration:
                for frame in consumer.frames(timeout=1.0):
                    latency = time.monotonic_ns() - frame.timestamp_ns
                    image = frame.array  # a read-only view of the producer's shared memory
                    mean = float(image.mean())  # stands for the real work on the frame
                    if not frame.valid():  # overwritten while we read it: discard what we read
                        torn += 1
                        continue
                    frames += 1
                    nbytes += image.nbytes
                    latencies.append(latency)
                    now = time.monotonic()
                    if now - report_at >= 1.0:
                        lat = np.percentile(np.array(latencies), [50, 99]) / 1e3
                        print(f"{frames / (now - report_at):8.1f} frames/s  {nbytes / (now - report_at) / 2**20:8.1f} MiB/s  "
                              f"latency p50 {lat[0]:7.1f} us  p99 {lat[1]:7.1f} us  "
                              f"shape {image.shape} {image.dtype}  mean {mean:6.1f}  torn {torn}")
                        report_at, frames, nbytes, torn, latencies = now, 0, 0, 0, []
                    if args.duration and now - start >= args.duration:
                        break
                else:
                    print("no frames for 1 s" + ("" if consumer.attached else " (not attached: waiting for the driver)"))
                    report_at, frames, nbytes, torn, latencies = time.monotonic(), 0, 0, 0, []
        except KeyboardInterrupt:
            pass
        print(f"stats: {consumer.stats()}")


if __name__ == "__main__":
    main()
