"""Comments: submit one or a batch, score without side effects, record a moderator's decision (``service.actions.comments``)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from .. import openapi as doc
from ..actions import comments as actions
from ..auth import require
from ..errors import ApiError, api_error
from ..schemas import (
    BATCH,
    COMMENT,
    DECISION,
    SCORE,
    UNDO,
    Assessment,
    BatchAnswer,
    BatchInput,
    CommentAnswer,
    CommentInput,
    CommentRecord,
    DecisionAnswer,
    DecisionInput,
    ScoreInput,
    UndoAnswer,
    UndoInput,
)
from ..validation import json_body, validate
from . import services

bp = Blueprint("comments", __name__)

_COMMENT_ID = doc.param("comment_id", "path", doc.string(), "The site's comment id.")


def _sizes() -> dict:
    return {"text": services().settings.max_text_chars}


@bp.post("/v1/comments")
@doc.documented(
    "submitComment",
    "Moderate one comment",
    "comments",
    {"200": doc.ok("The verdict, scores, reasons, evidence and the user's strikes.", doc.ref(CommentAnswer))},
    errors=(409,),
    request=doc.body(CommentInput),
    description="Scores, records (strike and ban on reject) and queues the comment for review once; the same"
    " request again returns the stored answer. When Redis is down the comment is still answered"
    " (store: unavailable).",
)
@require("submit")
def submit_comment():
    """Moderate one comment: verdict, scores, reasons, spans, the user's strikes."""
    data = validate(json_body(), COMMENT, _sizes())
    return jsonify(actions.submit(services(), g.identity.site, actions.Comment.from_dict(data)))


@bp.post("/v1/comments/batch")
@doc.documented(
    "submitBatch",
    "Moderate a batch of comments",
    "comments",
    {"200": doc.ok("One result per comment.", doc.ref(BatchAnswer))},
    request=doc.body(BatchInput),
)
@require("submit")
def submit_batch():
    """Moderate up to ``batch_max`` comments; each result stands alone."""
    settings = services().settings
    body = validate(json_body(), BATCH, {"batch": settings.batch_max})
    results = []
    for index, item in enumerate(body["comments"]):
        try:
            data = validate(item, COMMENT, _sizes())
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
@doc.documented(
    "scoreText",
    "Assess a text without storing anything",
    "comments",
    {"200": doc.ok("The classifier's answer.", doc.ref(Assessment))},
    request=doc.body(ScoreInput),
)
@require("score")
def score():
    """Assess a text without storing anything."""
    data = validate(json_body(), SCORE, _sizes())
    return jsonify(actions.assessment_body(actions.assess(services(), g.identity.site, data["text"]), data["text"]))


@bp.get("/v1/comments/<comment_id>")
@doc.documented(
    "getComment",
    "Read a stored comment",
    "comments",
    {"200": doc.ok("The comment's record (a site key reads its own comments).", doc.ref(CommentRecord))},
    errors=(404,),
    parameters=[_COMMENT_ID],
)
@require("read")
def get_comment(comment_id: str):
    """Return a comment's record: its answer, state and latest decision (a site key reads its own comments: nothing
    here names a moderator or carries their notes)."""
    return jsonify(actions.view(services(), g.identity.site, comment_id))


@bp.post("/v1/comments/<comment_id>/undo")
@doc.documented(
    "undoDecision",
    "Undo the last decision on a comment",
    "comments",
    {"200": doc.ok("What was undone and the user's state after it.", doc.ref(UndoAnswer))},
    errors=(404, 409),
    parameters=[_COMMENT_ID],
    request=doc.body(UndoInput),
    description=(
        "Only the moderator who decided, within `undo_window_s` seconds (10 by default): a strike the decision "
        "added is lifted, one it lifted comes back, and a comment that was pending returns to the queue. 409 when "
        "there is nothing to undo or the window has passed."
    ),
)
@require("decide")
def undo(comment_id: str):
    """Undo the last decision on a comment (the same moderator, within ``undo_window_s`` seconds)."""
    data = validate(json_body(), UNDO)
    return jsonify(actions.undo(services(), g.identity.site, comment_id, data["moderator"], g.identity.key_id))


@bp.post("/v1/comments/<comment_id>/decision")
@doc.documented(
    "decideComment",
    "Record a moderator's decision",
    "comments",
    {"200": doc.ok("The decision and the user's state after it.", doc.ref(DecisionAnswer))},
    errors=(404,),
    parameters=[_COMMENT_ID],
    request=doc.body(DecisionInput),
    description="Idempotent. Reject adds a strike; approve lifts a strike the comment caused.",
)
@require("decide")
def decide(comment_id: str):
    """Record a moderator's decision (idempotent): strike on reject, lift an overturned strike on approve."""
    data = validate(json_body(), DECISION)
    decision = actions.Decision(data["decision"], data["moderator"], _categories(data.get("categories")), data.get("note"))
    return jsonify(actions.decide(services(), g.identity.site, comment_id, decision, g.identity.key_id))


def _categories(value: list | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)
