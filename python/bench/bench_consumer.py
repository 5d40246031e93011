"""The Python consumer against the C consumer, in one command (BENCHMARKS.md).

    python python/bench/bench_consumer.py [--sizes 64,640K] [--rounds 5] [--json] [--baseline DIR]
    make bench-python BENCH_ARGS="--rounds 5"

One tp-driver (with the Java media driver it starts) in a directory of its own under
/dev/shm. Every round is a fresh stream with two processes on it: the C producer of
tp_bench_peer.c (claim, copy, seq stamp, commit, busy-spinning, never more than slots - 1
frames ahead of what the consumer has seen) and one consumer: the C one of
tp_bench_peer.c, or this package's, iterating (`consumer.frames(idle=0)`) or with
poll(handler); with --baseline DIR also the same two of the tensorpool package found in
DIR (py-iter@base, py-poll@base: e.g. another version, for before and after in one
command). Like for like: every consumer busy-spins, takes up to 256 frames a call into
the library through tp_consumer_poll_batch (the package's path, so the difference is the
Python layer), reads the frame's seq stamp from its payload, re-checks it with
tp_polled_frame_is_valid (valid()) and counts the intact frames between its first and
last clock reads in the window; each stores the frames it has seen in the shared word
when frames came. Rounds alternate sides after a warm-up round each; figures are
medians. -v prints each round with the producer's waits for the consumer (flow control)
and both processes' CPU time.

Stream geometry as tp-bench's: the smallest power-of-two stride of at least a page that
holds the frame, 64 MiB of slots clamped to 16..1024 (64 x 1 MiB at 640 KiB).

Prints per size the frames/s of each side, the Python/C ratios and the per-frame time
(1 / rate) of each; the per-frame overhead of Python is its time minus C's. CPU ns/frame
is the consumer process's CPU time in the window over the frames it counted there, which
a machine shared with other work disturbs less than the rate (it includes polls that
found nothing: most of it at 640 KiB, where the producer sets the pace).
"""

from __future__ import annotations

import argparse
import json
import mmap
import os
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import tensorpool
from tensorpool import _native

ROOT = Path(os.environ.get("TENSORPOOL_SOURCE_DIR") or Path(__file__).resolve().parents[2])
HERE = Path(__file__).resolve().parent
CONTROL_BYTES = 192
SIDES = ("c", "py-iter", "py-poll")
BASE_SIDES = ("py-iter@base", "py-poll@base")


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20}
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    return int(t[:-1]) * units[t[-1]] if t and t[-1] in units else int(t)


def geometry(size: int) -> tuple[int, int]:
    stride = 4096
    while stride < size:
        stride *= 2
    return stride, min(1024, max(16, (64 << 20) // stride))


def consume_python(args) -> None:
    """A consumer round of this package's (runs in a child process)."""
    # The control words as a memoryview over the mapping: storing to one costs what a
    # store to a Python list does (a NumPy memmap's item store is ~10 times that, which
    # the iterating side pays every frame).
    with open(args.control, "r+b") as f:
        mapping = mmap.mmap(f.fileno(), CONTROL_BYTES)
    ctl = memoryview(mapping).cast("Q")
    size = args.size
    # The stamp read as C's load_le64 does it: struct reads the bytes of the array
    # (a.view(np.uint64)[0] would make an array and a NumPy scalar, ~0.5 us a frame
    # that belongs to neither the package nor the C side).
    stamp = struct.Struct("<Q").unpack_from
    seen = frames = bad = torn = 0
    first_ns = last_ns = first_frames = last_frames = 0
    first_cpu = last_cpu = 0.0
    with tensorpool.Client(args.aeron_dir, attach_timeout=30.0) as client:
        consumer = client.consumer(args.stream)
        start_ns = time.monotonic_ns() + args.warmup_ms * 1_000_000
        end_ns = start_ns + args.window_ms * 1_000_000

        def handle(frame) -> None:
            nonlocal seen, frames, bad, torn
            seen += 1
            try:
                a = frame.array
                ok = a.nbytes == size and stamp(a)[0] == frame.seq
            except tensorpool.TornFrameError:  # from a --baseline package whose array re-checked first
                torn += 1
                return
            if not frame.valid():
                torn += 1
                return
            frames += 1
            bad += not ok

        def tick() -> bool:
            """After a poll: flow control, the clock; True once the window is over."""
            nonlocal first_ns, first_frames, last_ns, last_frames, first_cpu, last_cpu
            if ctl[0] != seen:  # as C: a store only when frames came (the producer reads the line)
                ctl[0] = seen
            now = time.monotonic_ns()
            if not first_ns and now >= start_ns and frames:
                first_ns, first_frames, first_cpu = now, frames, time.process_time()
            if first_ns:
                last_ns, last_frames = now, frames
            if now >= end_ns and first_ns:
                last_cpu = time.process_time()
                return True
            return False

        try:
            if args.side == "py-iter":
                for frame in consumer.frames(timeout=30, idle=args.idle):
                    handle(frame)
                    if tick():
                        break
            else:
                deadline = end_ns + 30_000_000_000
                while time.monotonic_ns() < deadline:
                    consumer.poll(handle)
                    if tick():
                        break
        finally:
            ctl[8] = 1  # stop the producer, whatever happened
        stats = consumer.stats()
    ctl.release()
    mapping.close()
    seconds = (last_ns - first_ns) / 1e9
    n = last_frames - first_frames
    print(json.dumps({"package": str(Path(tensorpool.__file__).parent), "frames": n, "seconds": seconds, "frames_per_sec": n / seconds if seconds else 0.0,
                      "bad": bad, "torn": torn, "drops_late": stats["drops_late"], "drops_gap": stats["drops_gap"],
                      "consumer_cpu_s": time.process_time(), "window_cpu_s": last_cpu - first_cpu}))


class Bench:
    def __init__(self, args):
        self.args = args
        self.base = Path(tempfile.mkdtemp(prefix="tp-bench-python-", dir="/dev/shm"))
        self.aeron_dir, self.shm_dir = self.base / "aeron", self.base / "shm"
        self.build = Path(tempfile.mkdtemp(prefix="tp-bench-python-build-"))
        self.driver: subprocess.Popen | None = None
        self.next_stream = 30001

    def close(self) -> None:
        if self.driver is not None:
            self.driver.send_signal(signal.SIGINT)
            try:
                self.driver.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.driver.kill()
                self.driver.wait()
        shutil.rmtree(self.base, ignore_errors=True)
        shutil.rmtree(self.build, ignore_errors=True)

    def setup(self, sizes: list[int], streams_per_size: int) -> None:
        go = os.environ.get("GO") or "go"
        cc = os.environ.get("CC") or "cc"
        subprocess.run([go, "build", "-o", str(self.build / "tp-driver"), "./cmd/tp-driver"], cwd=ROOT, check=True)
        lib = _native.LIBRARY_PATH
        subprocess.run([cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread",
                        f"-I{ROOT / 'include'}", f"-I{ROOT / 'cabi/sbe/control'}", f"-I{ROOT / 'cabi/sbe/driver'}",
                        "-o", str(self.build / "tp_bench_peer"), str(HERE / "tp_bench_peer.c"), str(lib),
                        f"-Wl,-rpath,{lib.parent}"], check=True)
        config = [f'[driver]\ninstance_id = "bench"\ncontrol_channel = "aeron:ipc?term-length=4m"\n'
                  f'control_stream_id = 1000\n\n[shm]\nbase_dir = "{self.shm_dir}"\n\n'
                  f"[policies]\ncleanup_shm_on_exit = true\n"]
        self.streams: dict[int, list[int]] = {}
        for size in sizes:
            stride, slots = geometry(size)
            config.append(f"\n[profiles.p{size}]\nheader_nslots = {slots}\n"
                          f"payload_pools = [{{ pool_id = 1, stride_bytes = {stride} }}]\n")
            ids = []
            for _ in range(streams_per_size):
                sid = self.next_stream
                self.next_stream += 1
                ids.append(sid)
                config.append(f'\n[streams.s{sid}]\nstream_id = {sid}\nprofile = "p{size}"\n')
            self.streams[size] = ids
        cfg = self.build / "driver.toml"
        cfg.write_text("".join(config))
        env = dict(os.environ, TP_AERON_JAR=str(ROOT / "third_party" / "aeron-all.jar"))
        self.driver = subprocess.Popen([str(self.build / "tp-driver"), "--config", str(cfg), "--aeron-dir",
                                        str(self.aeron_dir)], stdout=open(self.build / "driver.log", "wb"),
                                       stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 90
        while True:
            try:
                with tensorpool.Client(self.aeron_dir, attach_timeout=5.0):
                    return
            except tensorpool.Error:
                if time.monotonic() > deadline or self.driver.poll() is not None:
                    raise RuntimeError(f"tp-driver did not come up:\n{(self.build / 'driver.log').read_text()}")
                time.sleep(0.2)

    def round(self, side: str, size: int) -> dict:
        stream = self.streams[size].pop(0)
        _, slots = geometry(size)
        control = self.base / f"control-{stream}"
        control.write_bytes(bytes(CONTROL_BYTES))
        env = dict(os.environ, TP_AERON_DIR=str(self.aeron_dir), TP_STREAM_ID=str(stream),
                   TP_PAYLOAD_BYTES=str(size), TP_TIMEOUT_MS="30000", TP_BENCH_CONTROL=str(control),
                   TP_BENCH_SLOTS=str(slots), TP_BENCH_WARMUP_MS=str(self.args.warmup_ms),
                   TP_BENCH_WINDOW_MS=str(self.args.window_ms))
        peer = str(self.build / "tp_bench_peer")
        producer = subprocess.Popen([peer], env=dict(env, TP_BENCH_ROLE="producer"), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        if side == "c":
            cmd = [peer]
            env["TP_BENCH_ROLE"] = "consumer"
        else:
            if side in BASE_SIDES:
                env["PYTHONPATH"] = os.pathsep.join(filter(None, (self.args.baseline, env.get("PYTHONPATH"))))
            cmd = [sys.executable, __file__, "--consume", side.removesuffix("@base"), "--aeron-dir", str(self.aeron_dir),
                   "--stream", str(stream), "--size", str(size), "--control", str(control),
                   "--warmup-ms", str(self.args.warmup_ms), "--window-ms", str(self.args.window_ms),
                   "--idle", str(self.args.idle)]
        try:
            consumer = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
            try:
                pout, perr = producer.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                producer.kill()
                _, perr = producer.communicate()
                raise RuntimeError(f"{side} round at {size} B: the producer did not stop within 60 s of the consumer's "
                                   f"end (consumer exit {consumer.returncode}):\nconsumer: {consumer.stderr}\n"
                                   f"producer: {perr}") from None
        finally:
            if producer.poll() is None:
                producer.kill()
                producer.communicate()
            control.unlink(missing_ok=True)
        if consumer.returncode != 0 or producer.returncode != 0:
            raise RuntimeError(f"{side} round at {size} B failed:\nconsumer: {consumer.stderr}\nproducer: {perr}")
        r = json.loads(consumer.stdout.strip().splitlines()[-1])
        r.update(json.loads(pout.strip().splitlines()[-1]))
        if side in BASE_SIDES and not r["package"].startswith(str(Path(self.args.baseline).resolve())):
            raise RuntimeError(f"{side}: loaded the package in {r['package']}, not the baseline's")
        r["side"] = side
        return r


def run(args) -> int:
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    sides = SIDES + (BASE_SIDES if args.baseline else ())
    bench = Bench(args)
    report = {"baseline": args.baseline, "load_before": os.getloadavg(), "cpus": os.cpu_count(), "rounds": args.rounds,
              "warmup_ms": args.warmup_ms, "window_ms": args.window_ms, "python": sys.version.split()[0],
              "numpy": np.__version__, "sizes": []}
    try:
        bench.setup(sizes, (args.rounds + 1) * len(sides))
        for size in sizes:
            results: dict[str, list[dict]] = {s: [] for s in sides}
            for side in sides:
                bench.round(side, size)  # warm-up
            for i in range(args.rounds):
                order = sides if i % 2 == 0 else tuple(reversed(sides))
                for side in order:
                    r = bench.round(side, size)
                    results[side].append(r)
                    if args.verbose:
                        print(f"{size} B {side}: {r['frames_per_sec']:,.0f} frames/s; producer: {r['published']:,} "
                              f"published, {r['waits']:,} waits for the consumer, {r['producer_cpu_s']:.2f} s CPU; "
                              f"consumer {r['consumer_cpu_s']:.2f} s CPU", file=sys.stderr)
            row = {"size": size}
            for side in sides:
                rates = [r["frames_per_sec"] for r in results[side]]
                cpu = [r["window_cpu_s"] * 1e9 / r["frames"] for r in results[side] if r["frames"]]
                row[side] = {"frames_per_sec": statistics.median(rates), "min": min(rates), "max": max(rates),
                             "ns_per_frame": 1e9 / statistics.median(rates),
                             "cpu_ns_per_frame": statistics.median(cpu) if cpu else float("nan"),
                             "producer_waits": statistics.median(r["waits"] for r in results[side]),
                             "bad": sum(r["bad"] for r in results[side]),
                             "torn": sum(r["torn"] for r in results[side])}
            for side in sides[1:]:
                row[side]["ratio_to_c"] = row[side]["frames_per_sec"] / row["c"]["frames_per_sec"]
                row[side]["overhead_ns"] = row[side]["ns_per_frame"] - row["c"]["ns_per_frame"]
                row[side]["cpu_overhead_ns"] = row[side]["cpu_ns_per_frame"] - row["c"]["cpu_ns_per_frame"]
            report["sizes"].append(row)
    finally:
        bench.close()
    report["load_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"load {report['load_before'][0]:.2f} before, {report['load_after'][0]:.2f} after; "
              f"{args.rounds} rounds a side, {args.window_ms} ms windows; medians (min-max)")
        print("| size | side | frames/s | ns/frame | x C | overhead/frame | CPU ns/frame | CPU overhead | bad | torn |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for row in report["sizes"]:
            for side in sides:
                s = row[side]
                ratio = f"{s['ratio_to_c']:.3f}" if side != "c" else "1"
                over = f"{s['overhead_ns']:+,.0f} ns" if side != "c" else "-"
                cpu_over = f"{s['cpu_overhead_ns']:+,.0f} ns" if side != "c" else "-"
                print(f"| {row['size']} B | {side} | {s['frames_per_sec']:,.0f} ({s['min']:,.0f}-{s['max']:,.0f}) | "
                      f"{s['ns_per_frame']:,.0f} | {ratio} | {over} | {s['cpu_ns_per_frame']:,.0f} | {cpu_over} | "
                      f"{s['bad']} | {s['torn']} |")
    bad = sum(row[s]["bad"] for row in report["sizes"] for s in sides)
    return 1 if bad else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="64,640K", help="comma-separated payload sizes (K, M suffixes)")
    p.add_argument("--rounds", type=int, default=5, help="measured rounds a side and size")
    p.add_argument("--warmup-ms", type=int, default=500)
    p.add_argument("--window-ms", type=int, default=2000)
    p.add_argument("--idle", type=float, default=0.0,
                   help="py-iter: frames(idle=) seconds, the longest sleep between empty polls (default 0: busy-spin, as the C consumer)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--baseline", metavar="DIR",
                   help="also run the Python consumers with the tensorpool package found in DIR (put first on PYTHONPATH)")
    p.add_argument("-v", "--verbose", action="store_true", help="every round on stderr")
    # The consumer round of this package's, in a child process:
    p.add_argument("--consume", choices=SIDES[1:], dest="side", help=argparse.SUPPRESS)
    p.add_argument("--aeron-dir", help=argparse.SUPPRESS)
    p.add_argument("--stream", type=int, help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--control", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.side:
        consume_python(args)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
