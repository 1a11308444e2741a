"""What the benchmark scripts do the same way: the CPU's name, their sections of docs/BENCHMARKS.md, counting Redis
commands, and two app processes on one Redis."""

from __future__ import annotations

import contextlib
import platform
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


def cpu_model() -> str:
    """Return the CPU's model name (from /proc/cpuinfo where there is one)."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return model


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


def publish(path: Path, start: str, end: str, section: str, write: bool = True) -> None:
    """Print ``section``, and (unless ``write`` is false) put it in its place in ``path`` (``write_section``)."""
    if write:
        write_section(path, start, end, section)
    print(section)


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
def two_apps(prefix: str) -> Iterator[tuple[str, object, object]]:
    """Two apps on one fresh redis-server (no append-only file), standing for two processes of one deployment: yield
    (the Redis URL, app A, app B); afterwards stop both apps' change watchers and the server."""
    from service import create_app
    from service.redis_server import RedisServer

    with tempfile.TemporaryDirectory(prefix=prefix, dir="/tmp") as folder:
        server = RedisServer(folder, persist=False).start()
        apps = []
        try:
            apps = [create_app({"redis_url": server.url, "data_dir": folder}) for _ in range(2)]
            yield server.url, apps[0], apps[1]
        finally:
            for app in apps:
                app.extensions["moderation"].watcher.stop()
            server.stop()
