"""What a process last read from Redis: fresh for a while (a ``cachetools`` TTL cache), and kept after that as a
fallback for when Redis cannot be reached.

One read-through path, ``FallbackCache.get_or_load``, used for API key checks (``actions.access.KeyCache``), the
sites' policies (``actions.context.Services.policy``) and their Coral settings (``compat.coral.site_settings``).
Thread-safe: the workers' threads share one cache, behind one lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import cachetools

from .store.errors import StoreUnavailable

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Most entries kept; beyond it the least recently used go first.
MAX_ENTRIES = 10_000


class FallbackCache(Generic[K, V]):
    """Values by key: fresh for ``ttl_s`` seconds after they are put, then still there for ``get(fresh_only=False)``."""

    def __init__(self, ttl_s: float, max_entries: int = MAX_ENTRIES, timer: Callable[[], float] = time.monotonic):
        self.ttl_s = ttl_s
        self._fresh: cachetools.TTLCache = cachetools.TTLCache(max_entries, ttl_s, timer=timer)
        self._last: cachetools.LRUCache = cachetools.LRUCache(max_entries)
        self._lock = threading.Lock()

    def get(self, key: K, fresh_only: bool = True) -> tuple[bool, V | None]:
        """Return (known, value): the value put less than ``ttl_s`` ago, or with ``fresh_only=False`` the last one put.

        ``known`` tells a cached ``None`` from nothing cached."""
        with self._lock:
            try:
                return True, (self._fresh if fresh_only else self._last)[key]
            except KeyError:
                return False, None

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        """Return the fresh value of ``key``, else ``load()`` it and keep it; when ``load`` raises ``StoreUnavailable``,
        return the last value put (stale) if there is one, else let the error pass.

        Two threads missing the same key may both load it: the later ``put`` wins, as either is as recent."""
        known, value = self.get(key)
        if known:
            return value  # type: ignore[return-value]
        try:
            value = load()
        except StoreUnavailable:
            known, value = self.get(key, fresh_only=False)
            if not known:
                raise
            return value  # type: ignore[return-value]
        self.put(key, value)
        return value

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` (``None`` too) for ``key``, fresh from now."""
        with self._lock:
            self._fresh[key] = value
            self._last[key] = value

    def invalidate(self, key: K) -> None:
        """Forget ``key``: the next ``get`` finds nothing, fresh or not."""
        with self._lock:
            self._fresh.pop(key, None)
            self._last.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._fresh.clear()
            self._last.clear()
