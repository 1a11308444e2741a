"""Events a site must act on: what each says, with its statement of reasons, and the feed that serves them.

A change and its event are written in one step (``service.store.events``); this module turns the outbox's raw
entries into the events a site reads (``build``), publishes them (``settle``), and serves the log
(``feed``). docs/EVENTS.md has the shapes and the mapping of the statement of reasons to the EU Digital
Services Act, Article 17(3).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable

from moderation.classifier.types import Reason

from ..config import SitePolicy
from ..offsets import with_utf16
from ..store import StoreUnavailable
from ..store.events import id_before
from ..times import iso
from .context import Services
from .errors import Gone

#: Every event type, in the order docs/EVENTS.md lists them.
EVENT_TYPES = (
    "comment.decided",
    "comment.decision_undone",
    "user.banned",
    "user.unbanned",
    "user.strikes_reset",
    "comment.verdict",
)

#: What each category of the site's policy forbids, as a statement of reasons names it.
GROUNDS = {
    "abuse": "abusive or obscene language",
    "attack": "a personal attack or insult aimed at a person",
    "promotion": "promotion: spam, advertising or self-promotion",
}
#: The ground of a ban by strikes.
REPEATED = "repeated breaches of the comment rules: {strikes} strikes within the strike period (a ban from {threshold})"
#: The ground of a comment refused because its author is banned.
REPEATED_BAN = "the author is banned for repeated breaches of the comment rules"

#: What a decision does to the comment (Art. 17(3)(a)), by the state it leaves the comment in.
RESTRICTIONS = {"rejected": "removal", "pending": "held_for_review", "approved": "none"}

#: An event id, which is also a cursor ("<ms>-<seq>", Redis stream ids).
CURSOR = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")

#: The longest long poll of ``GET /v1/events`` (seconds), and how often it looks again while it waits.
MAX_WAIT_S = 30.0
POLL_S = 0.05


def _categories(value: object) -> list[str]:
    """Return an entry's categories (a list, as the store decodes them) sorted; none when missing."""
    return sorted(str(c) for c in value) if isinstance(value, list) else []


def _ground(categories: Iterable[str], policy: SitePolicy, extra: str | None = None) -> dict:
    clauses = [GROUNDS[c] for c in categories if c in GROUNDS]
    if extra:
        clauses.append(extra)
    return {"type": "terms_and_conditions", "clauses": clauses, "terms_url": policy.terms_url}


def build(site: str, user: str, raw: dict, policy: SitePolicy, record: dict | None) -> dict:
    """Return the event a site reads for one raw outbox entry (``record``: the comment's, when it names one)."""
    kind = raw.get("type", "")
    event: dict = {"type": kind, "at": iso(raw.get("at")), "site": site, "user_id": user}
    by = raw.get("by") or "model"
    assessment = (record or {}).get("assessment") or {}
    text = ((record or {}).get("fields") or {}).get("text")
    evidence = [
        {k: s[k] for k in ("start", "end", "start16", "end16", "category", "source") if k in s}
        for s in with_utf16(list(assessment.get("spans") or []), text)
    ]
    flagged = assessment.get("verdict") in ("review", "reject")
    if "comment_id" in raw:
        event["comment_id"] = raw["comment_id"]
    if kind in ("comment.decided", "comment.decision_undone", "comment.verdict"):
        if kind == "comment.verdict":
            decision = raw.get("verdict")
            categories = sorted({r.category for r in Reason.parse_all(assessment.get("reasons", []))})
            automated = True
            event.update(
                verdict=decision,
                categories=categories,
                state=raw.get("state"),
                decided_by="policy" if raw.get("banned") else "model",
            )
            reasons = list(assessment.get("reasons", []))
            if raw.get("banned"):
                reasons.append("user_banned")
        else:
            decision = raw.get("decision") or None
            categories = _categories(raw.get("categories"))
            automated = False
            event.update(decision=decision, categories=categories, state=raw.get("state"), decided_by=by)
            if kind == "comment.decided":
                event["previous"] = raw.get("previous") or None
            else:
                event["undone"] = raw.get("undone") or None
            reasons = [Reason(c, "moderator", decision) for c in categories] if decision else []
        restriction = RESTRICTIONS.get(raw.get("state"), "none")  # the comment's state after the event
        event["statement_of_reasons"] = {
            "restriction": restriction,
            "facts_and_circumstances": {"categories": categories, "reasons": reasons, "evidence": evidence},
            "automated_means": {"detection": flagged or kind == "comment.verdict", "decision": automated},
            "ground": _ground(categories, policy, REPEATED_BAN if raw.get("banned") else None),
            "redress": policy.appeal,
        }
        return event
    if kind == "user.banned":
        until = raw.get("until") or 0
        automatic = by == "policy"
        event.update(decided_by=by, ban={"until": iso(until) if until else None, "indefinite": not until})
        facts: dict = {"reason": raw.get("reason") or ""}
        extra = None
        if automatic:
            strike = raw.get("strike") or {}
            facts.update(
                strikes=raw.get("strikes"),
                threshold=raw.get("threshold"),
                last_strike={
                    "comment_id": raw.get("comment_id"),
                    "categories": _categories(strike.get("categories")),
                    "evidence": evidence,
                },
            )
            extra = REPEATED.format(strikes=raw.get("strikes"), threshold=raw.get("threshold"))
        event["statement_of_reasons"] = {
            "restriction": "suspension",
            "duration": {"until": iso(until) if until else None, "indefinite": not until},
            "facts_and_circumstances": facts,
            "automated_means": {"detection": automatic, "decision": automatic},
            "ground": _ground((), policy, extra),
            "redress": policy.appeal,
        }
        return event
    if kind in ("user.unbanned", "user.strikes_reset"):
        event.update(decided_by=by, reason=raw.get("reason") or "")
        if kind == "user.strikes_reset":
            event["strikes_before"] = raw.get("strikes")
        elif by == "policy":
            event["overturned_comment_id"] = raw.get("comment_id")
        return event
    return event


def mark(services: Services, site: str, user: str) -> str:
    """Mark a change of ``user`` under way (before making it); return the token ``settle`` clears."""
    return services.store.events.mark(site, user, services.clock())


def settle(services: Services, site: str, user: str, token: str = "") -> int:
    """Publish a user's outbox to the site's log (each event once) and clear the mark ``token``; return how many
    events the outbox held."""
    store = services.store
    policy = services.policy(site)
    total = 0
    while True:
        entries = store.events.outbox(site, user)
        total += len(entries)
        records: dict[str, dict | None] = {}
        built = []
        for entry_id, raw in entries:
            comment_id = raw.get("comment_id")
            if comment_id and comment_id not in records:
                records[comment_id] = store.comments.record(site, user, comment_id, services.clock())
            event = build(site, user, raw, policy, records.get(comment_id) if comment_id else None)
            built.append((entry_id, event))
        # The log is kept for the policy's events_retention_s, on Redis's clock (the service's may be set by tests).
        store.events.publish(site, user, built, token if len(entries) < 100 else "", policy.events_retention_s)
        if built:
            services.published()
        if len(entries) < 100:
            return total


def settle_quietly(services: Services, site: str, user: str, token: str) -> None:
    """``settle`` after a change that is done: Redis failing now (counted by the store) leaves the mark, and the
    relay publishes the events later."""
    try:
        settle(services, site, user, token)
    except StoreUnavailable:
        pass


def feed(services: Services, site: str, after: str | None, types: frozenset[str] | None, limit: int, wait_s: float) -> dict:
    """Return the site's events after the cursor ``after`` (None: from the oldest kept), at most ``limit``, of
    ``types`` (None: all); with ``wait_s``, wait up to that long for one. ``Gone`` when events after the cursor
    were already trimmed."""
    store = services.store.events
    floor = store.floor(site)
    cursor = after or "0-0"
    if after is not None and floor is not None and id_before(after, floor):
        raise Gone(
            "events after this cursor are past the site's retention; start again from oldest_cursor",
            "cursor_expired",
            {"oldest_cursor": floor},
        )
    waiting = wait_s > 0 and _WAITERS.enter(max(1, services.settings.threads - 1))
    try:
        return _read(store, site, cursor, types, limit, wait_s if waiting else 0.0)
    finally:
        if waiting:
            _WAITERS.leave()


class _Waiters:
    """How many requests of this process are waiting in a long poll: each holds a worker thread, so at most all but
    one of a worker's threads wait (the others answer at once), and verdicts always have a thread."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    def enter(self, most: int) -> bool:
        with self.lock:
            if self.count >= most:
                return False
            self.count += 1
            return True

    def leave(self) -> None:
        with self.lock:
            self.count -= 1


_WAITERS = _Waiters()


def _read(store, site: str, cursor: str, types: frozenset[str] | None, limit: int, wait_s: float) -> dict:
    deadline = time.monotonic() + min(max(wait_s, 0.0), MAX_WAIT_S)
    while True:
        found = store.read(site, cursor, limit)
        events = [{"id": i, **event} for i, event in found]
        if found:
            cursor = found[-1][0]
        if types is not None:
            events = [e for e in events if e.get("type") in types]
        if events or len(found) >= limit or time.monotonic() >= deadline:
            break
        if not found:
            time.sleep(POLL_S)
    return {"events": events, "cursor": cursor, "more": len(found) >= limit}
