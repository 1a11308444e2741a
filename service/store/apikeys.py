"""API keys: only their SHA-256 is stored, with the site and role they grant."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

import redis

from ..config import RateLimit
from ..roles import ROLES
from .changes import bump
from .errors import guarded, ignore
from .keys import FORMAT, SITES, api_key, api_keys, bucket


def _limit(record: dict) -> RateLimit | None:
    """Return a key record's own rate limit, or None."""
    if "rate_per_s" not in record:
        return None
    return RateLimit(float(record["rate_per_s"]), int(record["rate_burst"]))


def digest(key: str) -> str:
    """Return the stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@guarded("keys")
class ApiKeyStore:
    """Create, look up, list and revoke API keys."""

    def __init__(self, client: redis.Redis, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.on_error = on_error

    def create(self, site: str, role: str, name: str, now: float, limit: RateLimit | None = None) -> tuple[str, str]:
        """Return (the new key, its id); only the key's hash is stored, with its own rate limit if it has one."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        key = "mk_" + secrets.token_urlsafe(32)
        h = digest(key)
        record = {"site": site, "role": role, "name": name, "created_at": now}
        if limit is not None:
            record |= {"rate_per_s": limit.per_s, "rate_burst": limit.burst}
        # Three slots on a cluster, so no transaction: the site's lists first, the record that makes the key work
        # last. A failure in between leaves a digest without a record, which no one can use and ``list`` skips.
        if not self.client.exists(SITES):
            # the store's first site: no comment of a format before this one can be in it
            self.client.hsetnx(FORMAT, "comments", "2")
        self.client.sadd(SITES, site)
        self.client.sadd(api_keys(site), h)
        self.client.hset(api_key(h), mapping=record)
        return key, h[:16]

    def lookup(self, key: str) -> dict | None:
        """Return {site, role, name, created_at, limit} for a key (``limit``: its own RateLimit or None), or None."""
        found = self.client.hgetall(api_key(digest(key)))
        return {**found, "limit": _limit(found)} if found else None

    def list(self, site: str) -> list[dict]:
        """Return the site's keys (ids, roles, names; never the keys)."""
        out = []
        for h in sorted(self.client.smembers(api_keys(site))):
            info = self.client.hgetall(api_key(h))
            if info:
                out.append(
                    {
                        "id": h[:16],
                        "role": info["role"],
                        "name": info.get("name", ""),
                        "created_at": float(info["created_at"]),
                        "rate_limit": limit.to_dict() if (limit := _limit(info)) else None,
                    }
                )
        return out

    def set_limit(self, site: str, key_id: str, limit: RateLimit | None) -> bool:
        """Give the site's key ``key_id`` its own rate limit (None: the site's), starting with a full bucket; False when
        there is no such key."""
        h = self._find(site, key_id)
        if h is None:
            return False
        pipe = self.client.pipeline(transaction=True)
        pipe.exists(api_key(h))
        if limit is None:
            pipe.hdel(api_key(h), "rate_per_s", "rate_burst")
        else:
            pipe.hset(api_key(h), mapping={"rate_per_s": limit.per_s, "rate_burst": limit.burst})
        if not pipe.execute()[0]:
            self.client.delete(api_key(h))  # revoked meanwhile: drop what this wrote
            return False
        self.client.delete(bucket(site, h[:16]))  # the new limit starts with a full bucket
        bump(self.client, "apikeys")
        return True

    def _find(self, site: str, key_id: str) -> str | None:
        if len(key_id) < 16:
            return None
        return next((h for h in self.client.smembers(api_keys(site)) if h.startswith(key_id)), None)

    def revoke(self, site: str, key_id: str) -> bool:
        """Delete the site's key whose id is ``key_id``."""
        h = self._find(site, key_id)
        if h is None:
            return False
        # The record first: the key stops working at once; the site's list after (two slots on a cluster).
        self.client.delete(api_key(h))
        self.client.srem(api_keys(site), h)
        bump(self.client, "apikeys")  # every process drops its cached checks (service.watch)
        return True

    def sites(self) -> list[str]:
        """Return every site that has keys."""
        return sorted(self.client.smembers(SITES))
