"""Comments: submit one or a batch, score without side effects, record a moderator's decision (``service.actions.comments``)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from ..actions import comments as actions
from ..auth import require
from ..errors import ApiError, api_error
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
    return jsonify(actions.submit(services(), g.identity.site, actions.Comment.from_dict(data)))


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
            results.append(
                {"status": 200, "result": actions.submit(services(), g.identity.site, actions.Comment.from_dict(data))}
            )
        except (ApiError, actions.Conflict) as failure:
            error = api_error(failure)
            body_ = error.to_dict()
            body_["error"]["index"] = index
            results.append({"status": error.status, **body_})
    return jsonify({"results": results})


@bp.post("/v1/score")
@require("score")
def score():
    """Assess a text without storing anything."""
    data = validate(json_body(), SCORE, _limits())
    return jsonify(actions.assessment_body(actions.assess(services(), g.identity.site, data["text"]), data["text"]))


@bp.get("/v1/comments/<comment_id>")
@require("read")
def get_comment(comment_id: str):
    """Return a comment's record: its answer, state and latest decision (a site key reads its own comments: nothing
    here names a moderator or carries their notes)."""
    return jsonify(actions.view(services(), g.identity.site, comment_id))


@bp.post("/v1/comments/<comment_id>/undo")
@require("decide")
def undo(comment_id: str):
    """Undo the last decision on a comment (the same moderator, within ``undo_window_s`` seconds)."""
    data = validate(json_body(), UNDO)
    return jsonify(actions.undo(services(), g.identity.site, comment_id, data["moderator"], g.identity.key_id))


@bp.post("/v1/comments/<comment_id>/decision")
@require("decide")
def decide(comment_id: str):
    """Record a moderator's decision (idempotent): strike on reject, lift an overturned strike on approve."""
    data = validate(json_body(), DECISION)
    decision = actions.Decision(data["decision"], data["moderator"], _categories(data.get("categories")), data.get("note"))
    return jsonify(actions.decide(services(), g.identity.site, comment_id, decision, g.identity.key_id))


def _categories(value: list | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)
