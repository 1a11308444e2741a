"""Who calls: the identity an API key gives (checked through a per-process cache) and the console's sessions.

``service.auth.authenticate`` is the one door every front (the API, the drop-ins, the console's sign-in) goes
through; it asks ``identify`` here. A key's check is kept for ``key_cache_s`` (``KeyCache``), dropped by every
process when another changes keys (``service.watch``), and served stale while Redis is down.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cache import FallbackCache
from ..config import RateLimit
from ..store.apikeys import digest
from ..store.sessions import SESSION_S, ConsoleSession
from .context import Services

__all__ = ["SESSION_S", "ConsoleSession", "Identity", "KeyCache", "identify", "session", "sign_in", "sign_out"]


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

    Fresh for ``ttl_s`` (``key_cache_s``); the last check of a key is also served while Redis is down.
    """


def identify(services: Services, key: str) -> Identity | None:
    """Return the identity ``key`` gives (None: no such key); ``StoreUnavailable`` when it cannot be checked and this
    process has never checked it."""
    h = digest(key)

    def lookup() -> Identity | None:
        info = services.store.apikeys.lookup(key)
        return Identity(info["site"], info["role"], h[:16], info["limit"]) if info else None

    return services.key_cache.get_or_load(h, lookup)


def sign_in(services: Services, identity: Identity, moderator: str, key: str) -> str:
    """Open a console session for ``moderator`` with ``key`` (whose identity is ``identity``); return its id.

    The session keeps the key's digest: it ends when the key is revoked."""
    return services.store.sessions.create(identity.site, identity.role, identity.key_id, moderator, digest(key))


def session(services: Services, session_id: str | None) -> ConsoleSession | None:
    """Return the console session ``session_id`` (extending its life), or None: none, expired, or its key revoked."""
    return services.store.sessions.get(session_id)


def sign_out(services: Services, session_id: str | None) -> None:
    """End a console session."""
    services.store.sessions.end(session_id)
