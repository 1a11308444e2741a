"""Change counters: what other processes cache (API keys, policies, integration settings, model pointers, site word
lists) changed.

A write that others cache bumps its topic's counter in one hash (``keys.CHANGES``)
after the data itself is written; every process polls the hash
(``service.watch.ChangeWatcher``, a few times a second, off the request path)
and drops its cached copies of a topic whose counter moved. Counters are
compared for difference, not growth, so a Redis that lost them still
invalidates.
"""

from __future__ import annotations

from collections.abc import Callable

import redis

from .errors import guarded, ignore
from .keys import CHANGES

TOPICS = ("apikeys", "policies", "integrations", "models", "rules")


def bump(client: redis.Redis | redis.client.Pipeline, topic: str) -> None:
    """Count a change of ``topic`` (the stores call it right after the change)."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    client.hincrby(CHANGES, topic, 1)


@guarded("changes")
class ChangeStore:
    """Read the change counters."""

    def __init__(self, client: redis.Redis, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.on_error = on_error

    def counters(self) -> dict[str, int]:
        """Return every topic's counter (0 for a topic never changed)."""
        found = self.client.hgetall(CHANGES)
        return {topic: int(found.get(topic, 0)) for topic in TOPICS}
