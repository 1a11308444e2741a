"""Drop cached copies soon after another process changes them: API keys, policies, integration settings.

Each process caches what it reads from Redis for a while (``service.cache``).
Writes that others cache bump a counter (``service.store.changes``); a
``ChangeWatcher`` thread in every process reads the counters every
``change_poll_s`` seconds (0.25 by default) and calls what subscribed to a
topic whose counter moved. A revoked API key therefore stops working on every
worker of every instance sharing the Redis within about ``change_poll_s``,
and the request path makes no extra Redis call for it: the watcher's one
``HGETALL`` runs on its own thread, a few times a second per process.

The thread starts with the first request a process serves (gunicorn forks its
workers from a master that must not run threads), and stops when ``stop`` is
called or the watcher is garbage-collected. While Redis cannot be read the
caches are kept (they serve the last known values then; see ``service.cache``)
and each failed read is counted like any other Redis failure.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable

from .store import StoreUnavailable
from .store.changes import ChangeStore

log = logging.getLogger(__name__)


class ChangeWatcher:
    """Poll the change counters; call each topic's subscribers when its counter moves."""

    def __init__(self, changes: ChangeStore, interval_s: float):
        self.changes = changes
        self.interval_s = interval_s
        self._subscribers: dict[str, list[Callable[[], None]]] = {}
        self._seen: dict[str, int] | None = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def subscribe(self, topic: str, callback: Callable[[], None]) -> None:
        """Call ``callback()`` whenever ``topic`` changes."""
        self._subscribers.setdefault(topic, []).append(callback)

    def poll(self) -> list[str]:
        """Read the counters once; call the subscribers of each topic that moved; return those topics."""
        try:
            counters = self.changes.counters()
        except StoreUnavailable:
            return []
        with self._lock:
            seen, self._seen = self._seen, counters
        if seen is None:  # the first read: what is cached now was read after it anyway
            return []
        moved = [topic for topic, count in counters.items() if seen.get(topic) != count]
        for topic in moved:
            for callback in self._subscribers.get(topic, ()):
                try:
                    callback()
                except Exception:  # one bad subscriber must not stop the others
                    log.exception("change watcher: a subscriber of %s failed", topic)
        return moved

    def ensure_running(self) -> None:
        """Start the polling thread in this process if it is not running (cheap when it is)."""
        if self._pid == os.getpid() or self.interval_s <= 0:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._seen = None
            self._stop.clear()
        self.poll()  # the baseline, before any request of this process reads a cache
        threading.Thread(
            target=_run, args=(weakref.ref(self), self._stop, self.interval_s), name="change-watcher", daemon=True
        ).start()

    def stop(self) -> None:
        """Stop the polling thread."""
        self._stop.set()
        self._pid = None


def _run(ref: weakref.ref, stop: threading.Event, interval_s: float) -> None:
    """The thread: it holds the watcher weakly, so an app that is gone takes its thread with it."""
    while not stop.wait(interval_s):
        watcher = ref()
        if watcher is None:
            return
        watcher.poll()
        del watcher
