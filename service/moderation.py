"""What the API does, apart from HTTP: submit a comment, decide on it, manage a user.

Flow of a submission: claim the (site, comment id) -> a repeat returns the
stored answer without scoring again -> assess -> record (strike and ban in the
same script) -> enqueue for review -> answer. If Redis fails anywhere, the
comment is still answered with its scores and verdict, marked
``"store": "unavailable"``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import redis

from classifier.moderator import Moderator
from classifier.policy import flagged_categories
from classifier.types import CATEGORIES, Assessment

from .auth import KeyCache
from .config import Settings, SitePolicy
from .errors import ApiError, store_unavailable
from .metrics import Metrics
from .models import Comparison, LiveModels, ShadowScorer
from .store import Store
from .validation import iso

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything a request needs, created once per app."""

    settings: Settings
    models: LiveModels
    store: Store
    clock: Callable[[], float]
    metrics: Metrics
    key_cache: KeyCache
    shadow: ShadowScorer
    _policies: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def moderator(self) -> Moderator:
        """Return the active model (read it once per request: it can change between requests)."""
        return self.models.moderator

    def policy(self, site: str) -> SitePolicy:
        """Return the site's strike policy (cached for a few seconds; the default if Redis fails)."""
        now = time.monotonic()
        with self._lock:
            cached = self._policies.get(site)
        if cached and now - cached[0] < 5.0:
            return cached[1]
        try:
            policy = self.store.policies.get(site, self.settings.site_policy)
        except redis.RedisError:
            self.metrics.redis_error("policy")
            return cached[1] if cached else self.settings.site_policy
        with self._lock:
            self._policies[site] = (now, policy)
        return policy

    @contextlib.contextmanager
    def store_errors(self, operation: str, unavailable: Callable[[], Exception] = store_unavailable) -> Iterator[None]:
        """Turn a Redis failure inside the block into ``unavailable()`` (503), counted under ``operation``."""
        try:
            yield
        except redis.RedisError:
            self.metrics.redis_error(operation)
            raise unavailable() from None

    def forget_policy(self, site: str) -> None:
        """Drop the cached policy of a site (after an admin changed it)."""
        with self._lock:
            self._policies.pop(site, None)


def assessment_body(assessment: Assessment) -> dict:
    """Return the stored and answered form of an assessment."""
    return {
        "verdict": assessment.verdict,
        "scores": {c: round(assessment.scores[c], 6) for c in CATEGORIES},
        "reasons": list(assessment.reasons),
        "spans": [s.to_dict() for s in assessment.spans],
        "model_version": assessment.model_version,
    }


def _user_body(state: dict | None) -> dict | None:
    if state is None:
        return None
    return {"strikes": state["strikes"], "banned": state["banned"], "banned_until": iso(state["banned_until"])}


def _answer(comment_id: str, stored: dict, banned: bool, user: dict | None, store_ok: bool) -> dict:
    verdict, reasons = stored["verdict"], stored["reasons"]
    if banned:
        verdict, reasons = "reject", ["user_banned", *reasons]
    return {
        "id": comment_id,
        "verdict": verdict,
        "scores": stored["scores"],
        "reasons": reasons,
        "spans": stored["spans"],
        "user": _user_body(user),
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


def submit(services: Services, site: str, data: dict, assessment: Assessment | None = None) -> dict:
    """Moderate one comment (validated ``data``) of ``site``; return the answer body."""
    comment_id, user, text = data["id"], data["user_id"], data["text"]
    sha = text_sha(text)
    store, metrics = services.store, services.metrics
    now = services.clock()
    policy = services.policy(site)
    try:
        claim = store.comments.claim(site, comment_id, user, sha)
        if claim is not None:
            if claim != (user, sha):
                raise ApiError(409, "this comment id was already submitted with a different text or user", "id_conflict")
            record = store.comments.record(site, user, comment_id)
            if record is not None:
                if record["state"] == "pending" and not record["banned"] and record["decision"] is None:
                    # a retry after a failure between recording and queueing
                    item = queue_item(comment_id, user, record["assessment"], record["fields"], record["created"])
                    store.queue.enqueue(site, comment_id, item)
                state = store.users.state(site, user, now)
                return _answer(comment_id, record["assessment"], record["banned"], state, True)
    except redis.RedisError:
        return _degraded(services, comment_id, text, assessment, policy)
    assessment = assessment or services.moderator.assess(
        text, allowed_domains=policy.allowed_domains, thresholds=policy.thresholds
    )
    stored = assessment_body(assessment)
    categories = flagged_categories(assessment.reasons)
    strike = (policy.weight(categories), {"categories": categories, "reason": ", ".join(assessment.reasons), "at": now})
    fields = {k: data.get(k) for k in ("text", "article_id", "parent_id", "author_name", "created_at")}
    fields["user_id"] = user
    try:
        result = store.comments.submit(site, user, comment_id, sha, assessment.verdict, stored, fields, strike, policy, now)
        if result.sha != sha:
            raise ApiError(409, "this comment id was already submitted with a different text or user", "id_conflict")
        answer = _answer(comment_id, result.assessment, result.banned, result.user, True)
        if result.new:
            flagged = flagged_categories(answer["reasons"])
            metrics.verdicts.labels(answer["verdict"]).inc()
            for category in flagged:
                metrics.flags.labels(category).inc()
            item = queue_item(comment_id, user, result.assessment, fields, now) if answer["verdict"] == "review" else None
            store.queue.finish(site, comment_id, answer["verdict"], flagged, now, item)
            if services.models.shadow is not None:
                services.shadow.offer(Comparison(site, comment_id, text, frozenset(policy.allowed_domains), stored))
        return answer
    except redis.RedisError:
        return _degraded(services, comment_id, text, assessment, policy)


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


def _degraded(services: Services, comment_id: str, text: str, assessment: Assessment | None, policy: SitePolicy) -> dict:
    """Answer without the store: scores and verdict only (approve may become review)."""
    services.metrics.redis_error("submit")
    services.metrics.degraded.inc()
    assessment = assessment or services.moderator.assess(
        text, allowed_domains=policy.allowed_domains, thresholds=policy.thresholds
    )
    stored = assessment_body(assessment)
    if services.settings.degraded_verdict == "review" and stored["verdict"] == "approve":
        stored["verdict"] = "review"
        stored["reasons"] = [*stored["reasons"], "store_unavailable"]
    return _answer(comment_id, stored, False, None, False)


def decide(services: Services, site: str, comment_id: str, data: dict, moderator_key: str) -> dict:
    """Apply a moderator's decision on a comment of ``site``; return the answer body."""
    store = services.store
    now = services.clock()
    decision = data["decision"]
    with services.store_errors("decide"):
        user, record = store.comments.find(site, comment_id)
        if record is None:
            raise ApiError(404, f"no comment {comment_id!r} on this site")
        categories = data.get("categories")
        if categories is None:
            categories = flagged_categories(record["assessment"]["reasons"]) if decision == "reject" else []
        categories = sorted(set(categories))
        policy = services.policy(site)
        strike = (policy.weight(categories), {"categories": categories, "reason": f"moderator: {data['moderator']}", "at": now})
        event = {
            "type": "decision",
            "comment_id": comment_id,
            "decision": decision,
            "categories": categories,
            "moderator": data["moderator"],
            "note": data.get("note"),
            "at": now,
        }
        result = store.comments.decide(
            site,
            user,
            comment_id,
            decision,
            categories,
            strike,
            policy,
            event,
            now,
            data["moderator"],
            services.settings.undo_window_s,
        )
        if result is None:
            raise ApiError(404, f"no comment {comment_id!r} on this site")
        # Training text must be valid Unicode: an unpaired surrogate becomes U+FFFD.
        text = record["fields"].get("text", "").encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        label = _label(text, site, comment_id, decision, categories, data["moderator"], now)
        audit = {
            "type": "decision",
            "comment_id": comment_id,
            "user_id": user,
            "decision": decision,
            "categories": ",".join(categories),
            "previous": result.previous or record["state"],
            "moderator": data["moderator"],
            "note": data.get("note") or "",
            "at": now,
            "key": moderator_key,
        }
        store.queue.record_decision(site, comment_id, result.number, label, audit)
    return {
        "id": comment_id,
        "decision": decision,
        "categories": categories,
        "previous": result.previous,
        "changed": result.changed,
        "user_id": user,
        "user": _user_body(result.user),
    }


def _label(text: str, site: str, comment_id: str, decision: str, categories: list[str], moderator: str, now: float) -> dict:
    """Return the training label a decision makes: approve says no category; reject says its categories."""
    label = {"text": text, "source": site, "comment_id": comment_id}
    for category in CATEGORIES:
        if decision == "approve":
            label[category] = 0
        elif category in categories:
            label[category] = 1
    label.update({"decision": decision, "moderator": moderator, "decided_at": now})
    return label


def undo(services: Services, site: str, comment_id: str, moderator: str, key_id: str) -> dict:
    """Undo the last decision on a comment: same moderator, within ``undo_window_s`` seconds."""
    store = services.store
    now = services.clock()
    with services.store_errors("undo"):
        user, record = store.comments.find(site, comment_id)
        if record is None:
            raise ApiError(404, f"no comment {comment_id!r} on this site")
        policy = services.policy(site)
        event = {"type": "undo", "comment_id": comment_id, "moderator": moderator, "at": now}
        result = store.comments.decide(
            site, user, comment_id, "undo", [], (1, {}), policy, event, now, moderator, services.settings.undo_window_s
        )
        if result is None:
            raise ApiError(404, f"no comment {comment_id!r} on this site")
        if result.status == "nothing":
            raise ApiError(409, "there is no decision to undo on this comment", "nothing_to_undo")
        if result.status == "expired":
            raise ApiError(
                409,
                f"only the moderator who decided can undo, within {services.settings.undo_window_s:g} seconds",
                "undo_expired",
            )
        restored = store.comments.record(site, user, comment_id)
        text = record["fields"].get("text", "").encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        decision = restored["decision"] if restored else None
        label = None
        if decision:
            categories = sorted(c for c in (restored.get("decided_categories") or "").split(",") if c)
            label = _label(text, site, comment_id, decision, categories, moderator, now)
        requeue = None
        if result.state == "pending":
            requeue = queue_item(comment_id, user, record["assessment"], record["fields"], record["created"])
        audit = {
            "type": "undo",
            "comment_id": comment_id,
            "user_id": user,
            "decision": "undo",
            "categories": "",
            "previous": result.previous or "",
            "moderator": moderator,
            "note": "",
            "at": now,
            "key": key_id,
        }
        store.queue.record_decision(site, comment_id, result.number, label, audit, requeue)
    return {"id": comment_id, "undone": result.previous, "state": result.state, "user_id": user, "user": _user_body(result.user)}
