"""What every benchmark does the same way: its command line and where it publishes, the machine it ran on,
percentiles, child processes and servers on free ports, HTTP load in a closed loop, and apps on a private Redis.

Each benchmark is a module of this package, run from the project root as ``python -m benchmarks.<name>``. Its
results go into its own section of docs/BENCHMARKS.md (or docs/SCALING.md), between ``<!-- name:start -->`` and
``<!-- name:end -->``; ``--no-write`` prints the section only and ``--out FILE`` writes it elsewhere (the smoke
test, tests/test_benchmarks.py, does both).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import functools
import json
import math
import os
import platform
import random
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "docs" / "BENCHMARKS.md"
SCALING = ROOT / "docs" / "SCALING.md"
HOST = "127.0.0.1"

# --- the command line and publishing ---


def parser(doc: str, out: Path | None = BENCHMARKS) -> argparse.ArgumentParser:
    """Return a parser described by the first line of ``doc``, with ``--out`` (default ``out``; None: nothing is
    written unless given) and ``--no-write``."""
    made = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    default = f"default {out.relative_to(ROOT)}" if out else "default: none, print only"
    made.add_argument("--out", type=Path, default=out, help=f"markdown file to update ({default})")
    made.add_argument("--no-write", action="store_true", help="print the section only")
    return made


def markers(name: str) -> tuple[str, str]:
    """Return the comments that delimit section ``name`` of a results file."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(path: Path, start: str, end: str, section: str) -> None:
    """Put ``section`` between the markers ``start`` and ``end`` of ``path`` (added at the end when they are not
    there), keeping every other byte of the file."""
    block = f"{start}\n{section}\n{end}"
    if path.exists():
        text = path.read_bytes().decode("utf-8")
        a, b = text.find(start), text.find(end)
        if a != -1 and b > a:
            text = text[:a] + block + text[b + len(end) :]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    else:
        text = f"# Benchmarks\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def publish(args: argparse.Namespace, name: str, section: str) -> None:
    """Print ``section`` and, unless ``--no-write``, put it in its place (section ``name``) of ``--out``."""
    print(section)
    if not args.no_write and args.out is not None:
        write_section(args.out, *markers(name), section)
        print(f"written to {args.out}", file=sys.stderr)


def command_line(name: str, argv: list[str] | None = None) -> str:
    """Return the command that runs benchmark ``name`` with ``argv`` (default: this process's arguments), the
    interpreter relative to the project root when it is inside it: what a section says it was measured with."""
    exe = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else sys.executable
    return shlex.join([exe, "-m", f"benchmarks.{name}", *(sys.argv[1:] if argv is None else argv)])


# --- the machine ---


def cpu_model() -> str:
    """Return the CPU's model name (from /proc/cpuinfo where there is one)."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return model


def version(distribution: str) -> str:
    """Return an installed distribution's version, or "not installed"."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine(cores: str | None = None, libraries: Iterable[str] = ()) -> str:
    """Return the CPU, the cores (``cores``, default "N cores"), Python's version and those of ``libraries`` (names
    of distributions), on one line."""
    line = f"{cpu_model()}, {cores or f'{os.cpu_count()} cores'}; Python {platform.python_version()}"
    return ", ".join([line, *(f"{name} {version(name)}" for name in libraries)])


# --- figures ---


def percentile(values: Iterable[float], p: float) -> float:
    """Return the nearest-rank ``p``-th percentile (``p`` from 0 to 100) of ``values``, in any order; 0.0 when
    there are none. The value itself, never an interpolation: the p99 of 1,000 answers is the 990th slowest."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


@functools.cache
def splits(data_dir: Path | None = None) -> dict[str, list]:
    """Return the shared datasets (``data_dir``, default ../shared/datasets) split as training does
    (``training.splits``), loaded once per process; exit with a message when there are none."""
    from moderation.training.datasets import default_data_dir, load_dir
    from moderation.training.splits import split

    folder = data_dir or default_data_dir()
    if folder is None or not Path(folder).is_dir():
        raise SystemExit(f"no datasets folder ({folder or '../shared/datasets not found'}); pass --data DIR")
    return split(load_dir(folder))


# --- processes and servers ---


class Proc:
    """A child process in a process group of its own, stopped with everything it started."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path, stdout: Path | None = None, cwd: Path = ROOT):
        self.name, self.args, self.log = name, args, log
        self._log_file = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self._out_file = open(stdout, "wb") if stdout else None  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._out_file or self._log_file,
            stderr=self._log_file,
            # Its own session: Ctrl-C reaches only the benchmark, which then stops the children in order.
            start_new_session=True,
        )
        self.pgid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM the leader (gunicorn: graceful stop; moderation serve then stops its Redis), then clean up the group."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        # Anything left in the group (a worker, an orphaned redis-server) is ended too.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not self._group_alive():
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, sig)
            deadline = time.monotonic() + 5.0
            while self._group_alive() and time.monotonic() < deadline:
                time.sleep(0.05)
        for f in (self._log_file, self._out_file):
            if f:
                f.close()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# Straight to the local servers, whatever HTTP_PROXY says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_call(url: str, body: dict | None = None, key: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    """Return (status, body) of a GET (or a JSON POST when ``body`` is given)."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_ready(proc: Proc, url: str, timeout_s: float = 90.0) -> None:
    """Wait until ``url`` answers 200; fail with the log's tail if the process dies or never answers."""
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}):\n{proc.tail()}")
        try:
            status, body = http_call(url, timeout=2.0)
            if status == 200:
                return
            last = f"{status} {body[:200]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name}: {url} not ready after {timeout_s:.0f}s ({last}):\n{proc.tail()}")


def service_env(data_dir: Path | None = None, **settings: str) -> dict[str, str]:
    """Return a server's environment: this one's without any service setting, ``REDIS_URL`` or
    ``PROMETHEUS_MULTIPROC_DIR`` (so a private embedded Redis), then ``MODERATION_DATA_DIR=data_dir`` and
    ``settings`` (full variable names)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MODERATION_") and k not in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    if data_dir is not None:
        env["MODERATION_DATA_DIR"] = str(data_dir)
    env.update(settings)
    return env


def cli_command(root: Path | None = None) -> list[str]:
    """Return how to run this environment's ``moderation`` command; with ``root``, that checkout's code instead
    (``python -m moderation.cli`` run from there)."""
    script = Path(sys.executable).with_name("moderation")
    if root is None and script.exists():
        return [str(script)]
    return [sys.executable, "-m", "moderation.cli"]


@contextlib.contextmanager
def serving(
    env: dict[str, str], log: Path, options: Iterable[str] = (), nice: int = 0, root: Path = ROOT
) -> Iterator[tuple[Proc, int]]:
    """Run ``moderation serve`` on a free port of 127.0.0.1 (with ``options``, at niceness ``nice``, from checkout
    ``root``) until it answers ``/readyz``; yield (the process, its port); stop it and all it started afterwards."""
    port = free_port()
    command = [*cli_command(None if root == ROOT else root), "serve", "--bind", f"{HOST}:{port}", *options]
    if nice:
        command = ["nice", "-n", str(nice), *command]
    server = Proc("moderation serve", command, env, log, cwd=root)
    try:
        wait_ready(server, f"http://{HOST}:{port}/readyz")
        yield server, port
    finally:
        server.stop()


def site_key(data_dir: Path, site: str, name: str) -> str:
    """Make a ``site`` key on the embedded Redis of a server whose data folder is ``data_dir``; return it."""
    from moderation.service.redis_server import RedisServer
    from moderation.service.store import Store, connect

    return Store(connect(RedisServer(data_dir / "redis").url, 5.0)).apikeys.create(site, "site", name, time.time())[0]


# --- HTTP load: keep-alive connections, a closed loop ---


@dataclass
class Result:
    """What one load run saw."""

    rate: float
    seconds: float
    sent: int = 0
    latencies: dict[int, list[float]] = field(default_factory=lambda: collections.defaultdict(list))  # status -> ms
    errors: collections.Counter = field(default_factory=collections.Counter)  # socket errors by kind
    accepted: list[tuple[str, str, bytes]] = field(default_factory=list)  # (comment id, user, answer body)
    refused: list[tuple[str, str]] = field(default_factory=list)
    connections_opened: int = 0
    lag: list[float] = field(default_factory=list)  # ms from the planned time to the moment the generator got to it
    slow: list[tuple[float, int, float, float]] = field(default_factory=list)  # (wall clock, status, ms, lag ms)
    generator_cores: float = 0.0

    def count(self, *statuses: int) -> int:
        return sum(len(self.latencies[s]) for s in statuses)

    def pct(self, statuses: tuple[int, ...], p: float) -> float:
        return percentile((v for s in statuses for v in self.latencies[s]), p)

    def within(self, statuses: tuple[int, ...], ms: float) -> float:
        values = [v for s in statuses for v in self.latencies[s]]
        return sum(1 for v in values if v <= ms) / len(values) if values else 1.0

    def worst(self, statuses: tuple[int, ...]) -> float:
        return max((v for s in statuses for v in self.latencies[s]), default=0.0)


#: A keep-alive connection idle this long is not used again (gunicorn's keepalive is 5 s).
IDLE_S = 4.0


class Client:
    """Keep-alive HTTP/1.1 connections to the server: one ``POST /v1/comments`` at a time on each, a new one when
    none is idle."""

    def __init__(self, port: int, key: str, result: Result):
        self.port, self.key, self.result = port, key, result
        self.idle: collections.deque = collections.deque()
        self.head = (
            f"POST /v1/comments HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()

    async def send(self, body: bytes) -> tuple[int, bytes]:
        now = time.monotonic()
        while self.idle and now - self.idle[-1][2] > IDLE_S:  # the server closes idle connections after 5 s
            self.idle.pop()[1].close()
        if self.idle:
            reader, writer, _ = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection(HOST, self.port)
            self.result.connections_opened += 1
        try:
            writer.write(self.head + str(len(body)).encode() + b"\r\n\r\n" + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length, close = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            answer = await reader.readexactly(length) if length else b""
        except BaseException:
            writer.close()
            raise
        if close:
            writer.close()
        else:
            self.idle.append((reader, writer, time.monotonic()))
        return status, answer

    def close(self) -> None:
        while self.idle:
            self.idle.pop()[1].close()


#: A request body: (connection number, its request number, its random generator) -> JSON bytes.
Body = Callable[[int, int, random.Random], bytes]


async def closed_loop(port: int, key: str, connections: int, seconds: float, nonce: str, body: Body) -> Result:
    """Return what ``connections`` connections saw, each sending its next ``POST /v1/comments`` as soon as the last
    was answered (latency from the request's start), for ``seconds``."""
    result = Result(0, seconds)
    loop = asyncio.get_running_loop()
    stop = loop.time() + seconds

    async def worker(w: int) -> None:
        client = Client(port, key, result)
        rng = random.Random(f"{nonce}-{w}")
        n = 0
        while loop.time() < stop:
            data = body(w, n, rng)
            started = loop.time()
            try:
                status, _ = await asyncio.wait_for(client.send(data), 10.0)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
                result.errors[type(error).__name__] += 1
                continue
            result.latencies[status].append((loop.time() - started) * 1000)
            result.sent += 1
            n += 1
        client.close()

    started = time.monotonic()
    await asyncio.gather(*(worker(w) for w in range(connections)))
    result.seconds = time.monotonic() - started
    return result


# --- apps in this process on a private Redis ---


def commands_during(client, action: Callable[[], None]) -> dict[str, int]:
    """Run ``action`` and return the Redis commands ``client``'s server ran meanwhile, by name (``INFO
    commandstats`` before and after; the ``info`` calls themselves left out)."""
    before = client.info("commandstats")
    action()
    after = client.info("commandstats")
    counts = {}
    for name, stats in after.items():
        calls = stats["calls"] - before.get(name, {}).get("calls", 0)
        if calls and name != "cmdstat_info":
            counts[name.removeprefix("cmdstat_")] = calls
    return counts


@contextlib.contextmanager
def private_redis(prefix: str) -> Iterator[tuple[str, str]]:
    """A fresh redis-server (no append-only file) in a temporary folder: yield (its URL, the folder); stop it after."""
    from moderation.service.redis_server import RedisServer

    os.environ.pop("REDIS_URL", None)
    with tempfile.TemporaryDirectory(prefix=prefix, dir="/tmp") as folder:
        server = RedisServer(folder, persist=False).start()
        try:
            yield server.url, folder
        finally:
            server.stop()


@contextlib.contextmanager
def two_apps(prefix: str) -> Iterator[tuple[str, object, object]]:
    """Two apps on one fresh redis-server, standing for two processes of one deployment: yield (the Redis URL, app
    A, app B); afterwards stop both apps' change watchers and the server."""
    from moderation.service import create_app

    with private_redis(prefix) as (url, folder):
        apps = []
        try:
            apps = [create_app({"redis_url": url, "data_dir": folder}) for _ in range(2)]
            yield url, apps[0], apps[1]
        finally:
            for app in apps:
                app.extensions["moderation"].watcher.stop()
