"""Per-site settings of the integrations with other platforms (Coral Talk's signing secrets)."""

from __future__ import annotations

from collections.abc import Callable

import redis

from .. import codec
from .changes import bump
from .errors import guarded, ignore
from .keys import SiteKeys


@guarded("integrations")
class IntegrationStore:
    """Read and write one site's settings for a named integration (a JSON object)."""

    def __init__(self, client: redis.Redis, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.on_error = on_error

    def get(self, site: str, name: str) -> dict | None:
        """Return the site's settings for ``name``, or None when it has none."""
        raw = self.client.hget(SiteKeys(site).integrations, name)
        return codec.loads(raw) if raw else None

    def set(self, site: str, name: str, settings: dict) -> None:
        """Store the site's settings for ``name``."""
        self.client.hset(SiteKeys(site).integrations, name, codec.dumps(settings))
        bump(self.client, "integrations")

    def clear(self, site: str, name: str) -> None:
        """Forget the site's settings for ``name``."""
        self.client.hdel(SiteKeys(site).integrations, name)
        bump(self.client, "integrations")
