"""Publishes synthetic 480x640 RGB images on a tensorpool stream, written in place.

    tp-driver --config config/examples/driver.toml     # in another terminal
    python python/examples/producer.py --stream 10000 --rate 30

Each frame is claimed from the stream's shared memory and drawn straight into it (no
copy): a gradient that scrolls by one pixel a frame, the frame number in the first row.
Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tensorpool

HEIGHT, WIDTH = 480, 640


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--aeron-dir", help="the media driver's directory (default $AERON_DIR, else Aeron's)")
    p.add_argument("--stream", type=int, default=10000, help="tensorpool stream id")
    p.add_argument("--rate", type=float, default=30.0, help="frames a second (0: as fast as possible)")
    p.add_argument("--count", type=int, default=0, help="frames to publish (0: until Ctrl-C)")
    args = p.parse_args()

    rows = np.arange(HEIGHT, dtype=np.uint16)[:, None]
    cols = np.arange(WIDTH, dtype=np.uint16)[None, :]
    with tensorpool.Client(args.aeron_dir) as client, client.producer(args.stream) as producer:
        print(f"producing {HEIGHT}x{WIDTH}x3 uint8 on stream {args.stream}; waiting for a consumer")
        interval = 1.0 / args.rate if args.rate > 0 else 0.0
        next_at = time.monotonic()
        sent = dropped = 0
        try:
            while args.count == 0 or sent < args.count:
                try:
                    slot = producer.claim((HEIGHT, WIDTH, 3), np.uint8)
                except tensorpool.BusyError:  # no slot now (reattaching): try again shortly
                    time.sleep(0.001)
                    continue
                img = slot.array
                shift = slot.seq % WIDTH
                img[:, :, 0] = (cols + shift) % 256
                img[:, :, 1] = rows % 256
                img[:, :, 2] = (cols + rows + shift) % 256
                img[0, :8, 0] = np.frombuffer(int(slot.seq).to_bytes(8, "little"), np.uint8)
                if slot.commit():
                    sent += 1
                else:
                    dropped += 1  # no consumer yet, or back-pressure
                if interval:
                    next_at += interval
                    time.sleep(max(0.0, next_at - time.monotonic()))
        except KeyboardInterrupt:
            pass
        print(f"published {sent} frames, {dropped} dropped")


if __name__ == "__main__":
    main()
