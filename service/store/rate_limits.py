"""Rate limits: token buckets in Redis, one per API key (or integration) in its site's slot."""

from __future__ import annotations

from collections.abc import Callable

import redis

from .errors import guarded, ignore
from .keys import bucket
from .lua import Scripts


@guarded("limits")
class RateLimitStore:
    """Take tokens from the buckets."""

    def __init__(self, client: redis.Redis, scripts: Scripts, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.scripts = scripts
        self.on_error = on_error

    def take(self, site: str, name: str, per_s: float, burst: int) -> float:
        """Take a token from the bucket ``name`` of ``site``; return 0 when taken, else seconds until one is there."""
        taken, wait_ms = self.scripts.call("take_token", [bucket(site, name)], per_s=per_s, burst=burst)
        return 0.0 if taken else wait_ms / 1000
