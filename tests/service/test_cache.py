"""The in-process cache of what was last read from Redis: fresh for a TTL, kept after it as a fallback."""

from __future__ import annotations

import threading

import pytest

from moderation.service.auth import Identity, KeyCache
from moderation.service.cache import FallbackCache
from moderation.service.store import StoreUnavailable


class Timer:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fresh_for_the_ttl_then_only_as_a_fallback():
    timer = Timer()
    cache = FallbackCache(30.0, timer=timer)
    assert cache.get("k") == (False, None) and cache.get("k", fresh_only=False) == (False, None)
    cache.put("k", "v")
    timer.now += 29.9
    assert cache.get("k") == (True, "v")
    timer.now += 0.2
    assert cache.get("k") == (False, None)
    assert cache.get("k", fresh_only=False) == (True, "v")
    cache.put("other", "x")  # expiring other entries keeps the fallback
    assert cache.get("k", fresh_only=False) == (True, "v")
    cache.put("k", "w")
    assert cache.get("k") == (True, "w")


def test_none_is_a_value():
    cache = FallbackCache(5.0)
    cache.put("site", None)
    assert cache.get("site") == (True, None)


def test_a_zero_ttl_is_never_fresh():
    cache = FallbackCache(0.0)
    cache.put("k", 1)
    assert cache.get("k") == (False, None) and cache.get("k", fresh_only=False) == (True, 1)


def test_invalidate_and_clear():
    cache = FallbackCache(30.0)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.invalidate("a")
    cache.invalidate("never")
    assert cache.get("a", fresh_only=False) == (False, None) and cache.get("b") == (True, 2)
    cache.clear()
    assert cache.get("b", fresh_only=False) == (False, None)


def test_bounded_least_recently_used_go_first():
    cache = FallbackCache(30.0, max_entries=3)
    for key in "abcd":
        cache.put(key, key)
    assert [cache.get(k, fresh_only=False)[0] for k in "abcd"] == [False, True, True, True]


def test_the_key_cache_keeps_its_ttl_and_identities():
    cache = KeyCache(30.0)
    assert cache.ttl_s == 30.0
    identity = Identity("news", "admin", "0123456789abcdef")
    cache.put("digest", identity)
    cache.put("unknown", None)
    assert cache.get("digest") == (True, identity) and cache.get("unknown") == (True, None)


def test_threads_share_it():
    cache = FallbackCache(30.0, max_entries=500)
    errors = []

    def work(n):
        try:
            for i in range(2000):
                cache.put((n, i % 700), i)
                cache.get((n, (i * 7) % 700))
                cache.get((n, i % 50), fresh_only=False)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_get_or_load_reads_through_and_falls_back_on_the_stale_value():
    timer = Timer()
    cache = FallbackCache(5.0, timer=timer)
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    def down():
        raise StoreUnavailable("test")

    assert cache.get_or_load("k", load) == 1 and cache.get_or_load("k", load) == 1 and len(loads) == 1  # fresh: no load
    timer.now += 6
    assert cache.get_or_load("k", load) == 2  # stale: loaded again
    timer.now += 6
    assert cache.get_or_load("k", down) == 2  # the store is down: the stale value
    with pytest.raises(StoreUnavailable):
        cache.get_or_load("never", down)  # nothing to fall back on: the error passes
    assert cache.get_or_load("none", lambda: None) is None and cache.get("none") == (True, None)  # None is kept
