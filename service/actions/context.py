"""``Services``: what every action needs, created once per app by ``service.create_app``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache, TTLCache

from classifier.moderator import Moderator

from ..config import Settings, SitePolicy
from ..metrics import Metrics
from ..models import LiveModels, ShadowScorer
from ..store import Store, StoreUnavailable

if TYPE_CHECKING:
    from ..auth import KeyCache

#: A site's policy is read from Redis at most this often per process.
POLICY_FRESH_S = 5.0
_SITES_CACHED = 10_000


@dataclass
class Services:
    """Everything an action needs, created once per app."""

    settings: Settings
    models: LiveModels
    store: Store
    clock: Callable[[], float]
    metrics: Metrics
    key_cache: KeyCache
    shadow: ShadowScorer
    # Fresh policies, and the last one read of each site (served while Redis is down).
    _fresh: Any = field(default_factory=lambda: TTLCache(_SITES_CACHED, POLICY_FRESH_S))
    _known: Any = field(default_factory=lambda: LRUCache(_SITES_CACHED))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def moderator(self) -> Moderator:
        """Return the active model (read it once per request: it can change between requests)."""
        return self.models.moderator

    def policy(self, site: str) -> SitePolicy:
        """Return the site's policy (cached for a few seconds; the last known, or the default, while Redis fails)."""
        with self._lock:
            policy = self._fresh.get(site)
        if policy is not None:
            return policy
        try:
            policy = self.store.policies.get(site, self.settings.site_policy)
        except StoreUnavailable:
            with self._lock:
                return self._known.get(site, self.settings.site_policy)
        with self._lock:
            self._fresh[site] = self._known[site] = policy
        return policy

    def forget_policy(self, site: str) -> None:
        """Drop the cached policy of a site (after an admin changed it)."""
        with self._lock:
            self._fresh.pop(site, None)
            self._known.pop(site, None)
