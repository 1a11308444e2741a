"""The shadow model: how its verdicts compare with the active model's on a site's new comments."""

from __future__ import annotations

from .context import Services


def summary(services: Services, site: str, limit: int = 50) -> dict:
    """Return, per shadow version, the comparisons, agreements and verdict pairs; and the ``limit`` latest
    disagreements (newest first)."""
    return services.store.shadow.summary(site, limit)
