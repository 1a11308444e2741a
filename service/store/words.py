"""A site's own word lists in Redis: entries, their version, and each change in the audit stream.

Every key is in the site's slot, so a change (replace all, or add and remove)
is one script (``scripts/change_words.lua``), logged in the same step, and the
``rules`` change counter tells every process to look at the versions of the
sites it has compiled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import redis

from .. import codec
from .changes import bump
from .errors import guarded, ignore
from .keys import SiteKeys
from .lua import Scripts
from .queue import audit_pairs


@guarded("words")
class WordStore:
    """Read and change sites' own word lists."""

    def __init__(self, client: redis.Redis, scripts: Scripts, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.scripts = scripts
        self.on_error = on_error

    def load(self, site: str) -> tuple[int, dict[str, dict]]:
        """Return (version, {pattern: entry}) of a site's lists, read together."""
        keys = SiteKeys(site)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.get(keys.words_version)
            pipe.hgetall(keys.words)
            version, raw = pipe.execute()
        return int(version or 0), {pattern: codec.loads(value) for pattern, value in raw.items()}

    def versions(self, sites: Iterable[str]) -> dict[str, int]:
        """Return the version of each site's lists (0: never changed)."""
        sites = list(sites)
        with self.client.pipeline(transaction=False) as pipe:
            for site in sites:
                pipe.get(SiteKeys(site).words_version)
            found = pipe.execute()
        return {site: int(v or 0) for site, v in zip(sites, found)}

    def change(
        self, site: str, put: dict[str, dict], remove: Iterable[str], audit: dict, replace: bool = False
    ) -> tuple[int, int]:
        """Set ``put`` and delete ``remove`` (every entry first, with ``replace``), logging ``audit`` (typed values, as
        ``queue.audit_pairs`` takes them); return (the new version, how many entries the site has now)."""
        keys = SiteKeys(site)
        removed = list(remove)
        rest: list = [*removed]
        for pattern, entry in put.items():
            rest += [pattern, codec.dumps(entry)]
        rest.append("")
        rest += audit_pairs(audit)
        version, count = self.scripts.call(
            "change_words",
            [keys.words, keys.words_version, keys.audit],
            replace=replace,
            removed_count=len(removed),
            changes=rest,
        )
        bump(self.client, "rules")
        return int(version), int(count)
