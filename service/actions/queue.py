"""The review queue: pending comments, claims with a lease, and the audit log with its filters."""

from __future__ import annotations

from .context import Services

#: How far back a filtered audit read looks (entries, newest first).
AUDIT_SCAN = 5000
_PAGE = 500


def pending(services: Services, site: str, limit: int, category: str | None = None) -> tuple[list[dict], int]:
    """Return up to ``limit`` pending items, highest risk first, and the queue depth."""
    return services.store.queue.pending(site, services.clock(), limit, category)


def claim(services: Services, site: str, moderator: str, limit: int) -> list[dict]:
    """Lease up to ``limit`` pending comments to ``moderator`` (others do not get them meanwhile)."""
    return services.store.queue.claim(site, moderator, limit, services.settings.lease_s, services.clock())


def depth(services: Services, site: str) -> int:
    """Return how many comments wait for review."""
    return services.store.queue.depth(site)


def activity(services: Services, site: str, hours: int = 24) -> dict:
    """Return what the dashboard shows: ``hours`` (hour start, counts by verdict and category) for the last ``hours``
    hours, oldest first; ``depth``, the comments waiting; ``oldest``, when the oldest of them arrived (None: none);
    ``now``, the time they were read at."""
    queue, now = services.store.queue, services.clock()
    return {"hours": queue.hourly(site, now, hours), "depth": queue.depth(site), "oldest": queue.oldest(site), "now": now}


def audit(
    services: Services,
    site: str,
    limit: int,
    moderator: str | None = None,
    decision: str | None = None,
    comment_id: str | None = None,
) -> list[dict]:
    """Return up to ``limit`` audit entries, newest first, by ``moderator``, of ``decision`` and on ``comment_id``
    when given.

    A filtered read pages back through at most ``AUDIT_SCAN`` entries.
    """
    queue = services.store.queue
    if not (moderator or decision or comment_id):
        return queue.audit(site, count=limit)
    out: list[dict] = []
    before, seen = "+", 0
    while seen < AUDIT_SCAN and len(out) < limit:
        page = queue.audit(site, count=min(_PAGE, AUDIT_SCAN - seen), before=before)
        for entry in page:
            seen += 1
            if moderator and entry.get("moderator") != moderator:
                continue
            if decision and entry.get("decision", entry.get("type")) != decision:
                continue
            if comment_id and entry.get("comment_id") != comment_id:
                continue
            out.append(entry)
            if len(out) >= limit:
                break
        if len(page) < _PAGE or not page:
            break
        before = "(" + page[-1]["entry"]  # exclusive: the next page starts below it
    return out
