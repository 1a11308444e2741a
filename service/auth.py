"""Authenticate: an API key -> who calls (site, role), checked once per request, for every front door.

A key comes in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` (``presented_key``; the drop-ins add their
own places). Roles: ``site`` submits and scores comments; ``moderator`` works the queue, decides and manages users;
``admin`` can do all of that plus keys, policy and labels.

``authenticate(key, permission)`` is the one check, used by the API's ``require``, the Perspective and Akismet
drop-ins and the console's sign-in. It returns the caller's ``Identity`` or raises ``KeyRefused``, which each front
door words its own way (the API's JSON error, Perspective's Google-style error, Akismet's plain ``invalid``...).
The key's identity comes from ``actions.access.identify`` (a short in-process cache, which also lets known keys keep
working while Redis is down).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import current_app, g, request

from .actions import rate_limits
from .actions.access import Identity, KeyCache, identify
from .errors import ApiError
from .roles import PERMISSIONS

__all__ = ["PERMISSIONS", "Identity", "KeyCache", "KeyRefused", "authenticate", "presented_key", "require"]


class KeyRefused(Exception):
    """A key that cannot do what is asked: ``reason`` is ``missing`` (no key), ``unknown`` (no such key) or
    ``forbidden`` (its ``role`` lacks the permission)."""

    def __init__(self, reason: str, role: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.role = role


def presented_key() -> str | None:
    """Return the API key the request carries in ``Authorization: Bearer`` or ``X-API-Key``, if any."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-API-Key") or None


def authenticate(key: str | None, permission: str | tuple[str, ...] | None = None, api: str | None = None) -> Identity:
    """Return who ``key`` is, when it grants ``permission`` (a tuple: any one of them; None: any key will do).

    With ``api`` (the front door's name, for the metrics), also take a token of the key's rate limit. Raises
    ``KeyRefused``; ``RateLimited`` when the key used up its limit; ``StoreUnavailable`` when the key cannot be
    checked (Redis down and the key never seen by this process).
    """
    if not key:
        raise KeyRefused("missing")
    services = current_app.extensions["moderation"]
    identity = identify(services, key)
    if identity is None:
        raise KeyRefused("unknown")
    if permission is not None:
        granted = PERMISSIONS.get(identity.role, ())
        wanted = (permission,) if isinstance(permission, str) else permission
        if not any(p in granted for p in wanted):
            raise KeyRefused("forbidden", identity.role)
    if api is not None:
        rate_limits.take(services, identity.site, identity.key_id, identity.limit, api)
    return identity


def _api_error(refused: KeyRefused) -> ApiError:
    """The native API's answer to a refused key."""
    if refused.reason == "forbidden":
        return ApiError(403, f"a {refused.role} key cannot do this")
    message = "unknown API key" if refused.reason == "unknown" else "an API key is required (Authorization: Bearer <key>)"
    return ApiError(401, message, headers={"WWW-Authenticate": "Bearer"})


def require(permission: str) -> Callable:
    """Decorate a view: the caller's key must grant ``permission`` (and have a rate-limit token); sets ``g.identity``.

    The view keeps its permission as ``view.permission`` (the OpenAPI document reads it)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            try:
                g.identity = authenticate(presented_key(), permission, "native")
            except KeyRefused as refused:
                raise _api_error(refused) from None
            return view(*args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate
