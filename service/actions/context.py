"""``Services``: what every action needs, created once per app by ``service.create_app``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from classifier.assessor import Assessor

from ..cache import FallbackCache
from ..config import Settings, SitePolicy
from ..metrics import Metrics
from ..models import LiveModels, ShadowScorer
from ..store import Store, StoreUnavailable

if TYPE_CHECKING:
    from ..auth import KeyCache
    from ..watch import ChangeWatcher

#: A site's policy is read from Redis at most this often per process.
POLICY_FRESH_S = 5.0


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
    #: Drops this process's cached keys, policies and integration settings when another process changes them.
    watcher: ChangeWatcher | None = None
    # The sites' policies as last read (the last known is served while Redis is down).
    _policies: FallbackCache[str, SitePolicy] = field(default_factory=lambda: FallbackCache(POLICY_FRESH_S))

    @classmethod
    def offline(cls, store: Store, settings: Settings, clock: Callable[[], float]) -> Services:
        """Return services for actions run outside the server (the CLI): a store and a clock, no model."""
        return cls(settings, None, store, clock, None, None, None, None)  # type: ignore[arg-type]

    @property
    def assessor(self) -> Assessor:
        """Return the active model (read it once per request: it can change between requests)."""
        return self.models.assessor

    def policy(self, site: str) -> SitePolicy:
        """Return the site's policy (cached for a few seconds; the last known, or the default, while Redis fails)."""
        fresh, policy = self._policies.get(site)
        if fresh:
            return policy
        try:
            policy = self.store.policies.get(site, self.settings.site_policy)
        except StoreUnavailable:
            known, policy = self._policies.get(site, fresh_only=False)
            return policy if known else self.settings.site_policy
        self._policies.put(site, policy)
        return policy

    def forget_policy(self, site: str) -> None:
        """Drop the cached policy of a site (after an admin changed it)."""
        self._policies.invalidate(site)

    def forget_policies(self) -> None:
        """Drop every cached policy (another process changed one)."""
        self._policies.clear()
