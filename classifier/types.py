"""Values shared by the classifier modules: categories, hits, spans, assessments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: The policy's categories, in the order every score vector uses.
CATEGORIES: tuple[str, ...] = ("abuse", "attack", "promotion")
Category = Literal["abuse", "attack", "promotion"]

#: Rule severities, strongest first.
SEVERITIES: tuple[str, ...] = ("block", "review")
Severity = Literal["block", "review"]

Verdict = Literal["approve", "review", "reject"]


@dataclass(frozen=True)
class Span:
    """Evidence: a slice [start, end) of the original text and what it shows."""

    start: int
    end: int
    category: str
    source: str  # "rule:<list>", "rule:site" or "model"

    def to_dict(self) -> dict:
        """Return the JSON form used by the CLI and the API."""
        return {"start": self.start, "end": self.end, "category": self.category, "source": self.source}


@dataclass(frozen=True)
class RuleHit:
    """One rule that matched, with the original-text span it matched."""

    category: str
    severity: str
    rule: str  # the rule as written in its list, e.g. "fuck*" or "{url:shortener}"
    start: int
    end: int
    site: bool = False  # an entry of the site's own lists (classifier/site_rules.py), not of the packaged ones

    @property
    def source(self) -> str:
        """Return the evidence source name: ``rule:<list>``, or ``rule:site`` for a site's own entry."""
        return "rule:site" if self.site else f"rule:{self.category}"

    def to_dict(self) -> dict:
        """Return the JSON form (``"list": "site"`` on a site's own entry)."""
        out = {
            "category": self.category,
            "severity": self.severity,
            "rule": self.rule,
            "start": self.start,
            "end": self.end,
        }
        if self.site:
            out["list"] = "site"
        return out


@dataclass(frozen=True)
class Assessment:
    """Everything the classifier says about one comment."""

    verdict: Verdict
    scores: dict[str, float]
    reasons: list[str]
    spans: list[Span]
    rule_hits: list[RuleHit]
    model_version: str
    normalized: str = field(default="", repr=False)

    def to_dict(self) -> dict:
        """Return the JSON form (without the normalised text)."""
        return {
            "verdict": self.verdict,
            "scores": {c: round(self.scores[c], 6) for c in CATEGORIES},
            "reasons": list(self.reasons),
            "spans": [s.to_dict() for s in self.spans],
            "rule_hits": [h.to_dict() for h in self.rule_hits],
            "model_version": self.model_version,
        }
