"""Verdict rules: a pure function from rule hits, scores and thresholds to a verdict (``verdict_for``).

    reject  if a ``block`` rule hits, or a category's score reaches its reject threshold;
    review  if a ``review`` rule hits, or a score reaches its review threshold;
    approve otherwise.

Reasons name what decided, as ``<category>:<rule|site|model>:<block|review|reject>``
(``rule``: the packaged lists; ``site``: the site's own lists), strongest first, so a
client can show them or act on them.

(Not to be confused with a site's policy, ``service.config.SitePolicy``: its
strike weights, bans and own thresholds.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .types import CATEGORIES, RuleHit


@dataclass(frozen=True)
class Thresholds:
    """Score thresholds of one category: review at ``review``, reject at ``reject``."""

    review: float
    reject: float

    def __post_init__(self):
        if not (0.0 <= self.review <= self.reject <= 1.0):
            raise ValueError(f"thresholds must satisfy 0 <= review <= reject <= 1, got {self.review}, {self.reject}")

    def to_dict(self) -> dict:
        """Return the JSON form."""
        return {"review": self.review, "reject": self.reject}


def parse_thresholds(raw: Mapping[str, Mapping[str, float]]) -> dict[str, Thresholds]:
    """Return thresholds for every category from ``{"abuse": {"review": .., "reject": ..}, ...}``."""
    missing = [c for c in CATEGORIES if c not in raw]
    if missing:
        raise ValueError(f"thresholds missing for {missing}")
    return {c: Thresholds(float(raw[c]["review"]), float(raw[c]["reject"])) for c in CATEGORIES}


def verdict_for(
    hits: Iterable[RuleHit], scores: Mapping[str, float], thresholds: Mapping[str, Thresholds]
) -> tuple[str, list[str]]:
    """Return (verdict, reasons) for one comment."""
    rejects: list[str] = []
    reviews: list[str] = []
    levels: dict[tuple[str, str], str] = {}  # (category, "rule" or "site") -> the strongest severity
    for hit in hits:
        key = (hit.category, "site" if hit.site else "rule")
        if hit.severity == "block" or levels.get(key) != "block":
            levels[key] = hit.severity
    for category in CATEGORIES:
        for origin in ("rule", "site"):  # the packaged lists' hits, then the site's own ("abuse:site:block")
            level = levels.get((category, origin))
            if level == "block":
                rejects.append(f"{category}:{origin}:block")
            elif level == "review":
                reviews.append(f"{category}:{origin}:review")
        score = scores[category]
        limits = thresholds[category]
        if score >= limits.reject:
            rejects.append(f"{category}:model:reject")
        elif score >= limits.review:
            reviews.append(f"{category}:model:review")
    if rejects:
        return "reject", rejects + reviews
    if reviews:
        return "review", reviews
    return "approve", []


def flagged_categories(reasons: Iterable[str]) -> list[str]:
    """Return the categories named in ``reasons``, in category order."""
    named = {r.split(":", 1)[0] for r in reasons}
    return [c for c in CATEGORIES if c in named]
