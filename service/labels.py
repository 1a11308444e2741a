"""Moderator labels in their training form (no HTTP): what ``GET /v1/labels`` and ``moderator export-labels`` write."""

from __future__ import annotations

from classifier.types import CATEGORIES


def label_row(stored: dict) -> dict:
    """Return the training form of a stored label: text, known labels, source."""
    row = {"text": stored["text"]}
    row.update({c: stored[c] for c in CATEGORIES if c in stored})
    row["source"] = stored.get("source", "site")
    return row
