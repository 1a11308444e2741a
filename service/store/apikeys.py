"""API keys: only their SHA-256 is stored, with the site and role they grant."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

import redis

from .changes import bump
from .errors import guarded, ignore
from .keys import SITES, api_key, api_keys

ROLES = ("site", "moderator", "admin")


def digest(key: str) -> str:
    """Return the stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@guarded("keys")
class ApiKeyStore:
    """Create, look up, list and revoke API keys."""

    def __init__(self, client: redis.Redis, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.on_error = on_error

    def create(self, site: str, role: str, name: str, now: float) -> tuple[str, str]:
        """Return (the new key, its id); only the key's hash is stored."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        key = "mk_" + secrets.token_urlsafe(32)
        h = digest(key)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(api_key(h), mapping={"site": site, "role": role, "name": name, "created_at": now})
        pipe.sadd(api_keys(site), h)
        pipe.sadd(SITES, site)
        pipe.execute()
        return key, h[:16]

    def lookup(self, key: str) -> dict | None:
        """Return {site, role, name, created_at} for a key, or None."""
        found = self.client.hgetall(api_key(digest(key)))
        return found or None

    def list(self, site: str) -> list[dict]:
        """Return the site's keys (ids, roles, names; never the keys)."""
        out = []
        for h in sorted(self.client.smembers(api_keys(site))):
            info = self.client.hgetall(api_key(h))
            if info:
                out.append(
                    {"id": h[:16], "role": info["role"], "name": info.get("name", ""), "created_at": float(info["created_at"])}
                )
        return out

    def revoke(self, site: str, key_id: str) -> bool:
        """Delete the site's key whose id is ``key_id``."""
        for h in self.client.smembers(api_keys(site)):
            if h.startswith(key_id) and len(key_id) >= 16:
                pipe = self.client.pipeline(transaction=True)
                pipe.delete(api_key(h))
                pipe.srem(api_keys(site), h)
                pipe.execute()
                bump(self.client, "apikeys")  # every process drops its cached checks (service.watch)
                return True
        return False

    def sites(self) -> list[str]:
        """Return every site that has keys."""
        return sorted(self.client.smembers(SITES))
