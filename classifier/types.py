"""Values shared by the classifier modules: categories, hits, spans, reasons, assessments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

#: The policy's categories, in the order every score vector uses.
CATEGORIES: tuple[str, ...] = ("abuse", "attack", "promotion")
Category = Literal["abuse", "attack", "promotion"]

#: Rule severities, strongest first.
SEVERITIES: tuple[str, ...] = ("block", "review")
Severity = Literal["block", "review"]

Verdict = Literal["approve", "review", "reject"]


class Reason(str):
    """What decided a verdict: a category, where it was found and how strong (a rule's severity, the threshold the
    model's score reached, a moderator's decision), written ``<category>:<source>:<severity>``: ``abuse:rule:block``,
    ``promotion:model:review``, ``attack:moderator:reject``.

    A reason is its written form (a ``str``), so it leaves the service as it always has (answers, events, stored
    records, webhooks, the console) with nothing to convert. The form is written only here and read back only by
    ``Reason.parse``; code asks for ``category``, ``source`` and ``severity``. Other reasons the service gives
    (``user_banned``, ``store_unavailable``) are plain strings: ``parse`` returns None for them.
    """

    category: str
    source: str  # "rule" (the packaged lists), "site" (the site's own lists), "model" or "moderator"
    severity: str  # a rule's "block" or "review", the model's "reject" or "review", a moderator's decision

    def __new__(cls, category: str, source: str, severity: str) -> Reason:
        reason = super().__new__(cls, f"{category}:{source}:{severity}")
        reason.__dict__.update(category=category, source=source, severity=severity)
        return reason

    def __getnewargs__(self) -> tuple[str, str, str]:
        return self.category, self.source, self.severity

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"a Reason is immutable: cannot set {name!r}")

    @classmethod
    def parse(cls, text: str) -> Reason | None:
        """Return the reason ``text`` writes, or None when it is not of the form ``<category>:<source>:<severity>``."""
        if isinstance(text, Reason):
            return text
        parts = text.split(":")
        return cls(*parts) if len(parts) == 3 and all(parts) else None

    @classmethod
    def parse_all(cls, texts: Iterable[str]) -> list[Reason]:
        """Return the reasons among ``texts``, in order, leaving out those of another form (``user_banned``)."""
        return [reason for reason in map(cls.parse, texts) if reason is not None]


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
    site: bool = False  # an entry of the site's own lists (classifier/site_words.py), not of the packaged ones

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
    reasons: list[Reason]
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
