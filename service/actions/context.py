"""``Services``: what every action needs, created once per app by ``service.create_app``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from moderation.classifier.assessor import Assessor
from moderation.classifier.site_words import SiteEntry, SiteWordLists

from ..cache import FallbackCache
from ..config import Settings, SitePolicy
from ..metrics import Metrics
from ..serving import LiveModels, ShadowScorer
from ..store import Store, StoreUnavailable

if TYPE_CHECKING:
    from ..watch import ChangeWatcher
    from .access import KeyCache

#: A site's policy is read from Redis at most this often per process.
POLICY_FRESH_S = 5.0
#: A site whose word lists could not be read (Redis down) is tried again after this long.
SITE_RULES_RETRY_S = 5.0


def compile_site_words(found: dict[str, dict]) -> SiteWordLists | None:
    """Compile a site's stored entries (None when there are none)."""
    if not found:
        return None
    return SiteWordLists(SiteEntry(p, e["severity"], e.get("category") or "") for p, e in found.items())


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
    #: Called when this process published events (wakes its webhook deliveries).
    published: Callable[[], None] = field(default=lambda: None)
    # The sites' policies as last read (the last known is served while Redis is down).
    _policies: FallbackCache[str, SitePolicy] = field(default_factory=lambda: FallbackCache(POLICY_FRESH_S))
    # The sites' own word lists, compiled: site -> (version, rules or None when the site has none).
    _site_words: dict[str, tuple[int, SiteWordLists | None]] = field(default_factory=dict)
    # Sites whose lists could not be read, and when (tried again after SITE_RULES_RETRY_S).
    _site_rules_failed: dict[str, float] = field(default_factory=dict)

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
        try:
            return self._policies.get_or_load(site, lambda: self.store.policies.get(site, self.settings.site_policy))
        except StoreUnavailable:
            return self.settings.site_policy

    def forget_policy(self, site: str) -> None:
        """Drop the cached policy of a site (after an admin changed it)."""
        self._policies.invalidate(site)

    def forget_policies(self) -> None:
        """Drop every cached policy (another process changed one)."""
        self._policies.clear()

    def site_words(self, site: str) -> SiteWordLists | None:
        """Return the site's own word lists, compiled (None: it has none).

        Read from Redis the first time a process needs them and kept: the request path makes no Redis call for them
        afterwards. When a site's lists change, every process recompiles them on its change watcher's thread
        (``refresh_site_rules``) and swaps them in. While Redis cannot be read, the last compiled lists are used,
        or none.
        """
        known = self._site_words.get(site)
        if known is not None:
            return known[1]
        failed = self._site_rules_failed.get(site)
        if failed is not None and time.monotonic() - failed < SITE_RULES_RETRY_S:
            return None
        try:
            version, found = self.store.words.load(site)
        except StoreUnavailable:
            self._site_rules_failed[site] = time.monotonic()
            return None
        self._site_rules_failed.pop(site, None)
        self._site_words[site] = (version, compile_site_words(found))
        return self._site_words[site][1]

    def forget_site_rules(self, site: str) -> None:
        """Drop a site's compiled lists (this process changed them: the next request reads them again)."""
        self._site_words.pop(site, None)

    def refresh_site_rules(self) -> None:
        """Recompile the lists of the sites this process knows whose version moved (another process changed them)."""
        sites = list(self._site_words)
        if not sites:
            return
        try:
            versions = self.store.words.versions(sites)
        except StoreUnavailable:
            return
        for site, version in versions.items():
            known = self._site_words.get(site)
            if known is not None and known[0] == version:
                continue
            try:
                version, found = self.store.words.load(site)
            except StoreUnavailable:
                return
            self._site_words[site] = (version, compile_site_words(found))
