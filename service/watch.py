"""Drop cached copies soon after another process changes them: API keys, policies, integration settings.

Each process caches what it reads from Redis for a while (``service.cache``).
Writes that others cache bump a counter (``service.store.changes``); a
``ChangeWatcher`` thread in every process reads the counters every
``change_poll_s`` seconds (0.25 by default) and calls what subscribed to a
topic whose counter moved. A revoked API key therefore stops working on every
worker of every instance sharing the Redis within about ``change_poll_s``,
and the request path makes no extra Redis call for it: the watcher's one
``HGETALL`` runs on its own thread, a few times a second per process.

The thread (``service.background.Loop``) starts with the first request a
process serves, and stops when ``stop`` is called or the watcher is
garbage-collected. While Redis cannot be read the
caches are kept (they serve the last known values then; see ``service.cache``)
and each failed read is counted like any other Redis failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .background import Loop
from .store import StoreUnavailable
from .store.changes import ChangeStore

log = logging.getLogger(__name__)


class ChangeWatcher(Loop):
    """Poll the change counters; call each topic's subscribers when its counter moves."""

    name = "change-watcher"

    def __init__(self, changes: ChangeStore, interval_s: float):
        super().__init__(interval_s)
        self.changes = changes
        self._subscribers: dict[str, list[Callable[[], None]]] = {}
        self._seen: dict[str, int] | None = None

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

    round = poll

    def starting(self) -> None:
        """The baseline, before any request of this process reads a cache."""
        self._seen = None
        self.poll()
