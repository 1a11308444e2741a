"""API key -> (site, role), checked once per request, with a short in-process cache.

A key comes in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. Roles:
``site`` submits and scores comments; ``moderator`` works the queue, decides and
manages users; ``admin`` can do all of that plus keys, policy and labels. The
cache (``key_cache_s``) also lets known keys keep scoring while Redis is down.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, request

from .actions import limits
from .cache import FallbackCache
from .config import RateLimit
from .errors import ApiError
from .store import StoreUnavailable
from .store.apikeys import digest

PERMISSIONS = {
    "site": {"submit", "score", "read", "events"},
    "moderator": {"score", "read", "queue", "decide", "users"},
    "admin": {"submit", "score", "read", "queue", "decide", "users", "admin", "events"},
}


@dataclass(frozen=True)
class Identity:
    """Who is calling."""

    site: str
    role: str
    key_id: str
    #: The key's own rate limit (None: the site's applies, if it has one).
    limit: RateLimit | None = None


class KeyCache(FallbackCache[str, Identity | None]):
    """Recently verified keys, by digest: an identity, or None for an unknown key.

    Fresh for ``ttl_s`` (``key_cache_s``); ``get(h, fresh_only=False)`` also returns older checks, for while Redis
    is down.
    """


def presented_key() -> str | None:
    """Return the API key the request carries, if any."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-API-Key") or None


def identify(key: str | None) -> Identity:
    """Return the identity of ``key``; 401 when missing or unknown, ``StoreUnavailable`` when it cannot be checked."""
    if not key:
        raise ApiError(401, "an API key is required (Authorization: Bearer <key>)", headers={"WWW-Authenticate": "Bearer"})
    services = current_app.extensions["moderation"]
    h = digest(key)
    known, identity = services.key_cache.get(h)
    if not known:
        try:
            info = services.store.apikeys.lookup(key)
        except StoreUnavailable:
            known, identity = services.key_cache.get(h, fresh_only=False)
            if not known:
                raise
        else:
            identity = Identity(info["site"], info["role"], h[:16], info["limit"]) if info else None
            services.key_cache.put(h, identity)
    if identity is None:
        raise ApiError(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
    return identity


def require(permission: str) -> Callable:
    """Decorate a view: the caller's key must grant ``permission``; sets ``g.identity``."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            identity = identify(presented_key())
            if permission not in PERMISSIONS.get(identity.role, ()):
                raise ApiError(403, f"a {identity.role} key cannot do this")
            g.identity = identity
            limits.take(current_app.extensions["moderation"], identity.site, identity.key_id, identity.limit, "native")
            return view(*args, **kwargs)

        return wrapper

    return decorate
