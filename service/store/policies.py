"""Per-site strike policy overrides."""

from __future__ import annotations

from collections.abc import Callable

import redis

from .. import codec
from ..config import SitePolicy
from .changes import bump
from .errors import guarded, ignore
from .keys import SiteKeys


@guarded("policies")
class PolicyStore:
    """Read and write a site's strike policy."""

    def __init__(self, client: redis.Redis, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.on_error = on_error

    def get(self, site: str, default: SitePolicy) -> SitePolicy:
        """Return the site's policy, or ``default``."""
        raw = self.client.get(SiteKeys(site).policy)
        return SitePolicy.from_dict(codec.loads(raw)) if raw else default

    def set(self, site: str, policy: SitePolicy) -> None:
        """Store the site's policy."""
        self.client.set(SiteKeys(site).policy, codec.dumps(policy.to_dict()))
        bump(self.client, "policies")

    def clear(self, site: str) -> None:
        """Return the site to the default policy."""
        self.client.delete(SiteKeys(site).policy)
        bump(self.client, "policies")
