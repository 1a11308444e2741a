"""Comments: submit one or a batch, score without side effects, record a moderator's decision."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from .. import moderation
from ..auth import require
from ..errors import ApiError
from ..schemas import BATCH, COMMENT, DECISION, SCORE, UNDO
from ..validation import json_body, validate
from . import services

bp = Blueprint("comments", __name__)


def _limits() -> dict:
    return {"text": services().settings.max_text_chars}


@bp.post("/v1/comments")
@require("submit")
def submit_comment():
    """Moderate one comment: verdict, scores, reasons, spans, the user's strikes."""
    data = validate(json_body(), COMMENT, _limits())
    return jsonify(moderation.submit(services(), g.identity.site, data))


@bp.post("/v1/comments/batch")
@require("submit")
def submit_batch():
    """Moderate up to ``batch_max`` comments; each result stands alone."""
    settings = services().settings
    body = validate(json_body(), BATCH, {"batch": settings.batch_max})
    results = []
    for index, item in enumerate(body["comments"]):
        try:
            data = validate(item, COMMENT, _limits())
            results.append({"status": 200, "result": moderation.submit(services(), g.identity.site, data)})
        except ApiError as error:
            body_ = error.to_dict()
            body_["error"]["index"] = index
            results.append({"status": error.status, **body_})
    return jsonify({"results": results})


@bp.post("/v1/score")
@require("score")
def score():
    """Assess a text without storing anything."""
    data = validate(json_body(), SCORE, _limits())
    site = g.identity.site
    policy = services().policy(site)
    assessment = services().moderator.assess(data["text"], allowed_domains=policy.allowed_domains, thresholds=policy.thresholds)
    return jsonify(moderation.assessment_body(assessment))


@bp.get("/v1/comments/<comment_id>")
@require("queue")
def get_comment(comment_id: str):
    """Return a comment's record: its answer, state and latest decision."""
    store = services().store
    site = g.identity.site
    with services().store_errors("comment"):
        user, record = store.comments.find(site, comment_id)
    if record is None:
        raise ApiError(404, f"no comment {comment_id!r} on this site")
    fields = record["fields"]
    return jsonify(
        {
            "id": comment_id,
            "user_id": user,
            "text": fields.get("text"),
            "article_id": fields.get("article_id"),
            "state": record["state"],
            "decision": record["decision"],
            **{k: record["assessment"][k] for k in ("verdict", "scores", "reasons", "spans", "model_version")},
        }
    )


@bp.post("/v1/comments/<comment_id>/undo")
@require("decide")
def undo(comment_id: str):
    """Undo the last decision on a comment (the same moderator, within ``undo_window_s`` seconds)."""
    data = validate(json_body(), UNDO)
    return jsonify(moderation.undo(services(), g.identity.site, comment_id, data["moderator"], g.identity.key_id))


@bp.post("/v1/comments/<comment_id>/decision")
@require("decide")
def decide(comment_id: str):
    """Record a moderator's decision (idempotent): strike on reject, lift an overturned strike on approve."""
    data = validate(json_body(), DECISION)
    return jsonify(moderation.decide(services(), g.identity.site, comment_id, data, g.identity.key_id))
