"""Users of a site: what a moderator sees of one, and ban, unban and strike reset by hand.

Each change is two writes in two Redis Cluster slots: the user's (strikes and
ban, one script, which numbers the change) and the site's audit log (one
script that logs a number once). A repeated second write logs nothing twice.
"""

from __future__ import annotations

from ..times import iso
from . import events
from .context import Services

USER_ACTIONS = ("ban", "unban", "reset")


def user_body(state: dict | None) -> dict | None:
    """Return a user's state as answers show it: strikes, banned, banned_until (ISO time or None)."""
    if state is None:
        return None
    return {"strikes": state["strikes"], "banned": state["banned"], "banned_until": iso(state["banned_until"])}


def view(services: Services, site: str, user_id: str) -> dict:
    """Return everything a moderator sees about a user (times in seconds since the epoch)."""
    store, now = services.store, services.clock()
    found = store.users.view(site, user_id, now)
    recent = []
    for comment_id in found.pop("comment_ids"):
        record = store.comments.record(site, user_id, comment_id, now)
        if record is None:
            continue  # past its term
        banned, assessment = record["banned"], record["assessment"]
        recent.append(
            {
                "id": comment_id,
                "state": record["state"],
                "received_at": record["created"],
                "text": record["fields"].get("text"),
                "article_id": record["fields"].get("article_id"),
                "verdict": "reject" if banned else assessment["verdict"],
                "reasons": ["user_banned"] if banned else assessment["reasons"],
            }
        )
    return {**found, "comments": recent}


def change(
    services: Services, site: str, user_id: str, action: str, moderator: str, reason: str = "", duration_s: int | None = None
) -> dict:
    """Ban (``duration_s`` seconds; None: for good), unban or reset the strikes of a user; log it once.

    Returns the user's state (``user_body``).
    """
    now = services.clock()
    store = services.store
    token = events.mark(services, site, user_id)
    changed = store.users.change(site, user_id, action, now, reason, moderator, duration_s)
    audit = {"type": action, "decision": action, "user_id": user_id, "moderator": moderator, "note": reason, "at": now}
    if action == "ban":
        audit["duration_s"] = duration_s or 0
    store.queue.record_action(site, user_id, changed.number, audit, now)
    events.settle_quietly(services, site, user_id, token)
    return user_body(changed.state)
