"""Fixtures: a real tp-driver (with the Java media driver it starts) in a directory of its
own under /dev/shm, removed afterwards, and the Go and C peers the tests run against it.

The peers are built from the repository that holds these tests ($TENSORPOOL_SOURCE_DIR
overrides): tp-driver and tests/gopeer with go build, the C examples of cabi/examples
with the C compiler against the libtensorpool.so the installed package bundles.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import tensorpool
from tensorpool import _native

ROOT = Path(os.environ.get("TENSORPOOL_SOURCE_DIR") or Path(__file__).resolve().parents[2])
CONTROL_STREAM = 1000  # the C library's default: clients here leave it unset
CHANNEL = "aeron:ipc?term-length=4m"  # tp-driver's, as the reference's; clients keep plain "aeron:ipc"
SLOTS = 16  # header ring of every stream: small, so a fast producer wraps it often
POOLS = (4096, 65536, 1 << 20)  # payload strides; frames above 1 MiB fit no pool
PEER_TIMEOUT = 60.0  # seconds any peer process may run
ATTACH_TIMEOUT = 20.0

FIRST_STREAM, STREAMS = 20001, 100  # static streams: tp clients attach to provisioned ones only
_stream_ids = iter(range(FIRST_STREAM, FIRST_STREAM + STREAMS))


@dataclass
class Tools:
    tp_driver: Path
    gopeer: Path
    c_producer: Path
    c_consumer: Path


@dataclass
class Driver:
    aeron_dir: str
    shm_dir: str
    log: Path

    def client(self, **kwargs) -> tensorpool.Client:
        kwargs.setdefault("attach_timeout", ATTACH_TIMEOUT)
        return tensorpool.Client(self.aeron_dir, **kwargs)

    def peer_env(self, stream_id: int, **settings) -> dict[str, str]:
        """The environment of a C example (cabi/examples/tp_example_common.h) on stream_id."""
        env = dict(os.environ)
        env.update(
            TP_AERON_DIR=self.aeron_dir,
            TP_STREAM_ID=str(stream_id),
            TP_TIMEOUT_MS=str(int(ATTACH_TIMEOUT * 1000)),
        )
        env.update({k: str(v) for k, v in settings.items()})
        return env


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"{what}: {' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


@pytest.fixture(scope="session")
def tools(tmp_path_factory) -> Tools:
    out = tmp_path_factory.mktemp("tools")
    go = os.environ.get("GO") or "go"
    _run([go, "build", "-o", str(out / "tp-driver"), "./cmd/tp-driver"], ROOT, "building tp-driver")
    _run([go, "build", "-o", str(out / "gopeer"), "./python/tests/gopeer"], ROOT, "building the Go peer")
    lib = _native.LIBRARY_PATH
    cc = os.environ.get("CC") or "cc"
    progs = {}
    for name in ("tp_example_producer", "tp_example_consumer"):
        progs[name] = out / name
        _run(
            [cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(progs[name]),
             f"-I{ROOT / 'include'}", f"-I{ROOT / 'cabi/sbe/control'}", f"-I{ROOT / 'cabi/sbe/driver'}",
             str(ROOT / "cabi/examples" / f"{name}.c"), str(lib), f"-Wl,-rpath,{lib.parent}"],
            ROOT, f"compiling {name}",
        )
    return Tools(out / "tp-driver", out / "gopeer", progs["tp_example_producer"], progs["tp_example_consumer"])


def _config(aeron_dir: str, shm_dir: str) -> str:
    pools = ", ".join(f"{{ pool_id = {i + 1}, stride_bytes = {s} }}" for i, s in enumerate(POOLS))
    return f"""
[driver]
instance_id = "pytest"
aeron_dir = "{aeron_dir}"
control_channel = "{CHANNEL}"
control_stream_id = {CONTROL_STREAM}
announce_channel = "{CHANNEL}"
announce_stream_id = {CONTROL_STREAM}
qos_channel = "{CHANNEL}"

[shm]
base_dir = "{shm_dir}"

[policies]
cleanup_shm_on_exit = true
prefault_shm = false
shutdown_timeout_ms = 200

[profiles.tests]
header_nslots = {SLOTS}
payload_pools = [{pools}]
""" + "".join(
        f'\n[streams.s{i}]\nstream_id = {i}\nprofile = "tests"\n' for i in range(FIRST_STREAM, FIRST_STREAM + STREAMS)
    )


@pytest.fixture(scope="session")
def driver(tools) -> Driver:
    """tp-driver on the session's own Aeron and SHM directories; everything under
    /dev/shm that it and the media driver made is removed afterwards."""
    base = tempfile.mkdtemp(prefix="tp-pytest-", dir="/dev/shm")
    aeron_dir, shm_dir = os.path.join(base, "aeron"), os.path.join(base, "shm")
    log_dir = Path(tempfile.mkdtemp(prefix="tp-pytest-log-"))
    config = log_dir / "driver.toml"
    config.write_text(_config(aeron_dir, shm_dir))
    log = log_dir / "tp-driver.log"
    env = dict(os.environ, TP_AERON_JAR=str(ROOT / "third_party" / "aeron-all.jar"))
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(tools.tp_driver), "--config", str(config), "--aeron-dir", aeron_dir],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    d = Driver(aeron_dir, shm_dir, log)
    try:
        _wait_ready(d, proc)
        yield d
    finally:
        proc.send_signal(signal.SIGINT)  # drains, then stops the media driver it started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(log_dir, ignore_errors=True)


def _wait_ready(d: Driver, proc: subprocess.Popen) -> None:
    """Waits until a producer can attach (the media driver is up and tp-driver answers)."""
    deadline = time.monotonic() + 90
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"tp-driver exited ({proc.returncode}):\n{d.log.read_text()}")
        try:
            with d.client(attach_timeout=5.0) as c:
                c.producer(next(_stream_ids)).close()
            return
        except tensorpool.Error as err:
            last = err
            time.sleep(0.2)
    pytest.fail(f"tp-driver not ready in 90 s ({last}):\n{d.log.read_text()}")


@pytest.fixture
def stream_id() -> int:
    """A stream no other test uses."""
    return next(_stream_ids)


@pytest.fixture
def client(driver):
    with driver.client() as c:
        yield c


class Peer:
    """A Go or C program running next to the test; killed if it outlives it."""

    def __init__(self, cmd: list[str], env: dict[str, str] | None = None):
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def wait(self, timeout: float = PEER_TIMEOUT) -> str:
        """Waits for the program to exit 0 and returns its output."""
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            pytest.fail(f"{self.cmd[0]} still running after {timeout} s:\n{out}")
        if self.proc.returncode != 0:
            pytest.fail(f"{' '.join(self.cmd)} exited {self.proc.returncode}:\n{out}")
        return out

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        if not self.proc.stdout.closed:
            self.proc.communicate()


@pytest.fixture
def peers():
    """Starts peers with peers(cmd, env); any still running at the end is killed."""
    started: list[Peer] = []

    def start(cmd: list[str], env: dict[str, str] | None = None) -> Peer:
        p = Peer([str(c) for c in cmd], env)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()
