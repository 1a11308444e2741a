"""How a shadow model's verdicts compare with the active model's, per site."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import redis

from .. import codec
from .errors import guarded, ignore
from .keys import SiteKeys


@guarded("shadow")
class ShadowStore:
    """Counts of (active verdict, shadow verdict) per shadow version, and the latest disagreements."""

    def __init__(self, client: redis.Redis, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.on_error = on_error

    def record(self, site: str, version: str, active: str, shadow: str, disagreement: dict | None, keep: int) -> None:
        """Count one comparison and keep it if the verdicts differ (one MULTI/EXEC)."""
        keys = SiteKeys(site)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hincrby(keys.shadow_counts, f"{version}|{active}|{shadow}", 1)
            if disagreement is not None:
                pipe.lpush(keys.shadow_disagreements, codec.dumps(disagreement))
                pipe.ltrim(keys.shadow_disagreements, 0, keep - 1)
            pipe.execute()

    def summary(self, site: str, limit: int = 50) -> dict:
        """Return per shadow version: comparisons, agreements, the verdict pairs; and recent disagreements."""
        keys = SiteKeys(site)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.shadow_counts)
            pipe.lrange(keys.shadow_disagreements, 0, limit - 1)
            counts, recent = pipe.execute()
        versions: dict[str, dict] = defaultdict(lambda: {"compared": 0, "agreed": 0, "pairs": {}})
        for field, value in counts.items():
            version, active, shadow = field.split("|")
            entry = versions[version]
            entry["compared"] += int(value)
            entry["agreed"] += int(value) if active == shadow else 0
            entry["pairs"][f"{active}->{shadow}"] = int(value)
        for entry in versions.values():
            entry["agreement"] = round(entry["agreed"] / entry["compared"], 4) if entry["compared"] else None
            entry["pairs"] = dict(sorted(entry["pairs"].items()))
        return {"versions": dict(versions), "disagreements": [codec.loads(x) for x in recent]}

    def clear(self, site: str) -> None:
        """Forget the site's comparisons."""
        keys = SiteKeys(site)
        self.client.delete(keys.shadow_counts, keys.shadow_disagreements)
