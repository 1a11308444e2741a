"""Comments: submit one, score a text, read one back, decide on one, undo a decision.

Flow of a submission: claim the (site, comment id) -> a repeat returns the
stored answer without scoring again -> assess -> record (strike and ban in the
same script) -> enqueue for review -> answer. If the store fails anywhere, the
comment is still answered with its scores and verdict, marked
``"store": "unavailable"``.

A decision changes the user's keys (one script in the user's slot) and then the
site's queue, audit log and labels (one script in the site's slot), the second
write numbered so that repeating it records nothing twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from moderation.classifier.types import CATEGORIES, Assessment
from moderation.classifier.verdicts import flagged_categories

from ..config import SitePolicy
from ..offsets import with_utf16
from ..serving import Comparison
from ..store import StoreUnavailable
from ..store.comments import short_sha
from ..times import iso
from . import events
from .context import Services
from .errors import Conflict, NotFound
from .labels import decision_label
from .users import user_body

ID_CONFLICT = "this comment id was already submitted with a different text or user"


@dataclass(slots=True)
class Comment:
    """A validated comment as a site sends it."""

    id: str
    user_id: str
    text: str
    article_id: str | None = None
    parent_id: str | None = None
    author_name: str | None = None
    created_at: float | None = None

    @classmethod
    def from_dict(cls, data: dict) -> Comment:
        """Return the comment of a validated request body (unknown keys ignored)."""
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})

    def fields(self) -> dict:
        """Return what is stored with the comment besides its answer."""
        return {
            "text": self.text,
            "article_id": self.article_id,
            "parent_id": self.parent_id,
            "author_name": self.author_name,
            "created_at": self.created_at,
            "user_id": self.user_id,
        }


@dataclass(frozen=True)
class Decision:
    """A moderator's decision on a comment; ``categories`` None: those the comment was flagged for."""

    decision: str  # "approve" or "reject"
    moderator: str
    categories: tuple[str, ...] | None = None
    note: str | None = None


def assessment_body(assessment: Assessment, text: str | None = None) -> dict:
    """Return the stored and answered form of an assessment; with ``text``, its spans in UTF-16 units too."""
    return {
        "verdict": assessment.verdict,
        "scores": {c: round(assessment.scores[c], 6) for c in CATEGORIES},
        "reasons": list(assessment.reasons),
        "spans": with_utf16([s.to_dict() for s in assessment.spans], text),
        "model_version": assessment.model_version,
    }


def assess(services: Services, site: str, text: str) -> Assessment:
    """Score ``text`` with the active model and the site's policy; nothing is stored."""
    policy = services.policy(site)
    return services.assessor.assess(
        text, allowed_domains=policy.allowed_domains, thresholds=policy.thresholds, site=services.site_words(site)
    )


def _answer(comment_id: str, text: str, stored: dict, banned: bool, user: dict | None, store_ok: bool) -> dict:
    verdict, reasons = stored["verdict"], stored["reasons"]
    if banned:
        verdict, reasons = "reject", ["user_banned", *reasons]
    return {
        "id": comment_id,
        "verdict": verdict,
        "scores": stored["scores"],
        "reasons": reasons,
        "spans": with_utf16(stored["spans"], text),  # stored before they were: added here
        "user": user_body(user),
        "model_version": stored["model_version"],
        "store": "ok" if store_ok else "unavailable",
    }


def risk(stored: dict) -> float:
    """Return how urgent a comment is for review: its highest flagged score (or highest score)."""
    scores = stored["scores"]
    flagged = flagged_categories(stored["reasons"])
    return max((scores[c] for c in flagged), default=max(scores.values()))


def text_sha(text: str) -> str:
    """Return the fingerprint of a comment's text (to tell a retry from a reuse of the id)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def queue_item(comment_id: str, user: str, stored: dict, fields: dict, received: float) -> dict:
    """Return what a moderator sees of a queued comment."""
    return {
        "id": comment_id,
        "user_id": user,
        "text": fields.get("text", ""),
        "article_id": fields.get("article_id"),
        "parent_id": fields.get("parent_id"),
        "author_name": fields.get("author_name"),
        "created_at": iso(fields["created_at"]) if fields.get("created_at") is not None else None,
        "received_at": received,
        "scores": stored["scores"],
        "reasons": stored["reasons"],
        "spans": stored["spans"],
        "categories": flagged_categories(stored["reasons"]),
        "risk": round(risk(stored), 6),
    }


def submit(services: Services, site: str, comment: Comment, assessment: Assessment | None = None) -> dict:
    """Moderate one comment of ``site``; return the answer body (``assessment``: already scored)."""
    comment_id, user, text = comment.id, comment.user_id, comment.text
    sha = text_sha(text)
    store, metrics = services.store, services.metrics
    now = services.clock()
    policy = services.policy(site)
    try:
        owner = store.comments.claim(site, comment_id, user, now)
        if owner is not None:
            if owner != user:
                raise Conflict(ID_CONFLICT, "id_conflict")
            repeat = _repeat(services, site, user, comment_id, text, sha, now)
            if repeat is not None:
                return repeat
    except StoreUnavailable:
        return _degraded(services, site, comment_id, text, assessment, policy)
    assessment = assessment or services.assessor.assess(
        text, allowed_domains=policy.allowed_domains, thresholds=policy.thresholds, site=services.site_words(site)
    )
    stored = assessment_body(assessment, text)
    categories = flagged_categories(assessment.reasons)
    strike = (policy.weight(categories), {"categories": categories, "reason": ", ".join(assessment.reasons), "at": now})
    fields = comment.fields()
    # A rejection's strike may ban the user: an event the site must learn of (service/actions/events.py).
    emits = assessment.verdict == "reject" or policy.verdict_events
    try:
        token = events.mark(services, site, user) if emits else ""
        result = store.comments.submit(
            site, user, comment_id, sha, assessment.verdict, stored, fields, strike, policy, now,
            verdict_event=policy.verdict_events,
        )
        if token:
            events.settle_quietly(services, site, user, token)
        if not result.new:
            # recorded by a request running beside this one, between its claim and this one's
            repeat = _repeat(services, site, user, comment_id, text, sha, now)
            if repeat is not None:
                return repeat
        answer = _answer(comment_id, text, stored, result.banned, result.user, True)
        if result.new:
            flagged = flagged_categories(answer["reasons"])
            metrics.verdicts.labels(answer["verdict"]).inc()
            for category in flagged:
                metrics.flags.labels(category).inc()
            item = queue_item(comment_id, user, stored, fields, now) if answer["verdict"] == "review" else None
            store.queue.finish(site, comment_id, answer["verdict"], flagged, now, item)
            if services.models.shadow is not None:
                services.shadow.offer(
                    Comparison(site, comment_id, text, frozenset(policy.allowed_domains), stored, services.site_words(site))
                )
        return answer
    except StoreUnavailable:
        return _degraded(services, site, comment_id, text, assessment, policy)


def _repeat(services: Services, site: str, user: str, comment_id: str, text: str, sha: str, now: float) -> dict | None:
    """Return the answer to a repeated submission from what is recorded (None: nothing is, yet); Conflict when the
    text differs."""
    store = services.store
    record = store.comments.record(site, user, comment_id, now)
    if record is None:
        return None
    if record["sha"] != short_sha(sha):
        raise Conflict(ID_CONFLICT, "id_conflict")
    if record["state"] == "pending" and not record["banned"] and record["decision"] is None and record["full"]:
        # a retry after a failure between recording and queueing
        item = queue_item(comment_id, user, record["assessment"], record["fields"], record["created"])
        store.queue.enqueue(site, comment_id, item)
    state = store.users.state(site, user, now)
    return _answer(comment_id, text, record["assessment"], record["banned"], state, True)


def _degraded(
    services: Services, site: str, comment_id: str, text: str, assessment: Assessment | None, policy: SitePolicy
) -> dict:
    """Answer without the store: scores and verdict only (approve may become review)."""
    services.metrics.degraded.inc()
    assessment = assessment or services.assessor.assess(
        text, allowed_domains=policy.allowed_domains, thresholds=policy.thresholds, site=services.site_words(site)
    )
    stored = assessment_body(assessment, text)
    if services.settings.degraded_verdict == "review" and stored["verdict"] == "approve":
        stored["verdict"] = "review"
        stored["reasons"] = [*stored["reasons"], "store_unavailable"]
    return _answer(comment_id, text, stored, False, None, False)


def lookup(services: Services, site: str, comment_id: str) -> tuple[str | None, dict | None]:
    """Return (user, record) of one of the site's comments; (None, None) when there is none (or no longer)."""
    return services.store.comments.find(site, comment_id, services.clock())


def find(services: Services, site: str, comment_id: str) -> tuple[str, dict]:
    """Return (user, record) of one of the site's comments; NotFound when there is none."""
    user, record = lookup(services, site, comment_id)
    if record is None:
        raise NotFound(f"no comment {comment_id!r} on this site")
    return user, record


def view(services: Services, site: str, comment_id: str) -> dict:
    """Return a comment's record as the API shows it: its answer, state and latest decision."""
    user, record = find(services, site, comment_id)
    fields = record["fields"]
    return {
        "id": comment_id,
        "user_id": user,
        "text": fields.get("text"),
        "article_id": fields.get("article_id"),
        "state": record["state"],
        "decision": record["decision"],
        **{k: record["assessment"][k] for k in ("verdict", "scores", "reasons", "model_version")},
        "spans": with_utf16(record["assessment"]["spans"], fields.get("text")),
        "full_record": record["full"],
    }


def stored_text(services: Services, site: str, comment_id: str) -> str | None:
    """Return the text of one of the site's comments, or None when there is no such comment."""
    _, record = lookup(services, site, comment_id)
    return record["fields"].get("text") if record else None


def decide(services: Services, site: str, comment_id: str, decision: Decision, key_id: str) -> dict:
    """Apply a moderator's decision on a comment of ``site`` (idempotent); return the answer body."""
    store = services.store
    now = services.clock()
    user, record = find(services, site, comment_id)
    categories = decision.categories
    if categories is None:
        categories = flagged_categories(record["assessment"]["reasons"]) if decision.decision == "reject" else []
    categories = sorted(set(categories))
    policy = services.policy(site)
    strike = (policy.weight(categories), {"categories": categories, "reason": f"moderator: {decision.moderator}", "at": now})
    event = {
        "type": "decision",
        "comment_id": comment_id,
        "decision": decision.decision,
        "categories": categories,
        "moderator": decision.moderator,
        "note": decision.note,
        "at": now,
    }
    token = events.mark(services, site, user)
    result = store.comments.apply_decision(
        site,
        user,
        comment_id,
        decision.decision,
        categories,
        strike,
        policy,
        event,
        now,
        decision.moderator,
        services.settings.undo_window_s,
    )
    if result is None:
        raise NotFound(f"no comment {comment_id!r} on this site")
    # a training label needs the text: none once the full record is gone
    text = record["fields"].get("text")
    label = decision_label(text, site, comment_id, decision.decision, categories, decision.moderator, now) if text else None
    audit = {
        "type": "decision",
        "comment_id": comment_id,
        "user_id": user,
        "decision": decision.decision,
        "categories": categories,
        "previous": result.previous,  # none before this one: null in the log, as in the answer
        "moderator": decision.moderator,
        "note": decision.note,
        "at": now,
        "key": key_id,
    }
    store.queue.record_decision(site, comment_id, result.number, label, audit, now)
    events.settle_quietly(services, site, user, token)
    return {
        "id": comment_id,
        "decision": decision.decision,
        "categories": categories,
        "previous": result.previous,
        "changed": result.changed,
        "user_id": user,
        "user": user_body(result.user),
    }


def undo(services: Services, site: str, comment_id: str, moderator: str, key_id: str) -> dict:
    """Undo the last decision on a comment: same moderator, within ``undo_window_s`` seconds."""
    store = services.store
    now = services.clock()
    window = services.settings.undo_window_s
    user, record = find(services, site, comment_id)
    policy = services.policy(site)
    event = {"type": "undo", "comment_id": comment_id, "moderator": moderator, "at": now}
    token = events.mark(services, site, user)
    result = store.comments.apply_decision(site, user, comment_id, "undo", [], (1, {}), policy, event, now, moderator, window)
    if result is None:
        raise NotFound(f"no comment {comment_id!r} on this site")
    if result.status == "nothing":
        raise Conflict("there is no decision to undo on this comment", "nothing_to_undo")
    if result.status == "expired":
        raise Conflict(f"only the moderator who decided can undo, within {window:g} seconds", "undo_expired")
    restored = store.comments.record(site, user, comment_id, now)
    decision = restored["decision"] if restored else None
    label = None
    if decision and record["fields"].get("text"):
        label = decision_label(record["fields"]["text"], site, comment_id, decision, restored["decided_categories"], moderator, now)
    requeue = None
    if result.state == "pending":
        requeue = queue_item(comment_id, user, record["assessment"], record["fields"], record["created"])
    audit = {
        "type": "undo",
        "comment_id": comment_id,
        "user_id": user,
        "decision": "undo",
        "categories": [],
        "previous": result.previous,
        "moderator": moderator,
        "note": "",
        "at": now,
        "key": key_id,
    }
    store.queue.record_decision(site, comment_id, result.number, label, audit, now, requeue)
    events.settle_quietly(services, site, user, token)
    return {"id": comment_id, "undone": result.previous, "state": result.state, "user_id": user, "user": user_body(result.user)}
