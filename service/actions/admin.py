"""A site's administration: its API keys, its policy and its integrations' settings."""

from __future__ import annotations

from ..config import PolicyError, RateLimit, SitePolicy
from .context import Services
from .errors import Invalid, NotFound


def list_keys(services: Services, site: str) -> list[dict]:
    """Return the site's API keys (ids, roles, names, created_at; never the keys)."""
    return services.store.apikeys.list(site)


def rate_limit(raw: object, field: str = "rate_limit") -> RateLimit | None:
    """Return the ``RateLimit`` of a request's ``{"per_s", "burst"}`` (None for null); ``Invalid`` when it is not one."""
    try:
        return RateLimit.from_dict(raw, field)
    except PolicyError as exc:
        raise Invalid(exc.fields) from None


def create_key(services: Services, site: str, role: str, name: str = "", limit: RateLimit | None = None) -> tuple[str, str]:
    """Create a key for ``site`` (with its own rate limit, if given); return (the key, shown this once; its id)."""
    return services.store.apikeys.create(site, role, name, services.clock(), limit)


def limit_key(services: Services, site: str, key_id: str, limit: RateLimit | None) -> None:
    """Give one of the site's keys its own rate limit (None: the site's); every process applies it within a second."""
    if not services.store.apikeys.set_limit(site, key_id, limit):
        raise NotFound(f"no key {key_id!r} on this site")
    _forget_keys(services)


def _forget_keys(services: Services) -> None:
    """Drop this process's cached key checks now (the others drop theirs at their next change poll)."""
    if services.key_cache is not None:
        services.key_cache.clear()


def revoke_key(services: Services, site: str, key_id: str) -> None:
    """Revoke one of the site's keys by its id."""
    if not services.store.apikeys.revoke(site, key_id):
        raise NotFound(f"no key {key_id!r} on this site")
    _forget_keys(services)


def update_policy(services: Services, site: str, changes: object) -> SitePolicy:
    """Change the site's policy (keys left out keep their current value); return the new policy."""
    if not isinstance(changes, dict):
        raise Invalid([{"field": "(body)", "message": "must be a JSON object"}])
    try:
        policy = SitePolicy.from_dict(changes, base=services.policy(site))
    except PolicyError as exc:  # every problem, each with its path
        raise Invalid(exc.fields) from None
    services.store.policies.set(site, policy)
    services.forget_policy(site)
    return policy


def integration(services: Services, site: str, name: str) -> dict | None:
    """Return the site's settings for integration ``name`` (None: it has none)."""
    return services.store.integrations.get(site, name)


def set_integration(services: Services, site: str, name: str, settings: dict | None) -> None:
    """Store the site's settings for integration ``name`` (None: forget them)."""
    if settings is None:
        services.store.integrations.clear(site, name)
    else:
        services.store.integrations.set(site, name, settings)
