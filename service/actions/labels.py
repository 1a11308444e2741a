"""Training labels: what a moderator's decision, or a site's feedback, teaches the next model."""

from __future__ import annotations

from moderation.classifier.types import CATEGORIES

from .context import Services


def training_text(text: str) -> str:
    """Return ``text`` as training can read it: valid Unicode (an unpaired surrogate becomes U+FFFD)."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def decision_label(
    text: str, site: str, comment_id: str, decision: str, categories: list[str], moderator: str, now: float
) -> dict:
    """Return the label a decision makes: approve says no category applies; reject says its categories do."""
    label: dict = {"text": training_text(text), "source": site, "comment_id": comment_id}
    for category in CATEGORIES:
        if decision == "approve":
            label[category] = 0
        elif category in categories:
            label[category] = 1
    label.update({"decision": decision, "moderator": moderator, "decided_at": now})
    return label


def record_feedback(services: Services, site: str, name: str, label: dict) -> None:
    """Keep a label that no queue decision made (e.g. Akismet's submit-spam) under ``name``; a later one replaces it."""
    services.store.queue.put_label(site, name, label)


def label_row(stored: dict) -> dict:
    """Return the training form of a stored label: text, known labels, source."""
    row = {"text": stored["text"]}
    row.update({c: stored[c] for c in CATEGORIES if c in stored})
    row["source"] = stored.get("source", "site")
    return row


def stored_labels(services: Services, site: str) -> list[dict]:
    """Return the site's labels as stored (with who decided and when; ``source`` the site unless recorded)."""
    return [dict(row, source=row.get("source", site)) for row in services.store.queue.labels(site)]


def site_labels(services: Services, site: str) -> list[dict]:
    """Return the site's labels in training form (for ``moderation retrain`` and ``GET /v1/labels``)."""
    return [label_row(r) for r in services.store.queue.labels(site)]
