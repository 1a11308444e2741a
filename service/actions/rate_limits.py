"""Rate limits: a token bucket per API key (its own limit, else its site's), shared through Redis.

The limit of a request is the key's own (set when the key is made, or later by
an admin), else the site policy's ``rate_limit``, else none (then no Redis call
is made). Taking a token is one Lua call (``store.rate_limits``). When Redis cannot
be reached the request goes on (limits fail open) and that is counted.
"""

from __future__ import annotations

from ..config import RateLimit
from ..store import StoreUnavailable
from .context import Services
from .errors import RateLimited


def limit_of(services: Services, site: str, own: RateLimit | None) -> RateLimit | None:
    """Return the limit that applies: the key's own, else the site's, else None."""
    return own or services.policy(site).rate_limit


def take(services: Services, site: str, bucket: str, own: RateLimit | None, api: str) -> None:
    """Take a token from ``bucket`` (a key id, or an integration's name); ``RateLimited`` when there is none."""
    limit = limit_of(services, site, own)
    if limit is None:
        return
    try:
        wait_s = services.store.rate_limits.take(site, bucket, limit.per_s, limit.burst)
    except StoreUnavailable:
        services.metrics.rate_limit_unchecked.labels(api).inc()
        return
    if wait_s:
        services.metrics.rate_limited.labels(api).inc()
        raise RateLimited(wait_s)
