"""The model being served and, when one is set, how its shadow compares."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from .. import openapi as doc
from ..actions import shadow as shadow_actions
from ..auth import require
from ..errors import invalid
from ..schemas import ModelInfo, ShadowSummary
from ..validation import query_int
from . import services

bp = Blueprint("serving", __name__)


def _describe(loaded) -> dict:
    assessor = loaded.assessor
    return {
        "version": assessor.version,
        "thresholds": {c: {"review": t.review, "reject": t.reject} for c, t in assessor.thresholds.items()},
        "card": assessor.artifact.card,
    }


@bp.get("/v1/model")
@doc.documented(
    "getModel",
    "The model being served",
    "models",
    {"200": doc.ok("The active version, its thresholds and card, and the shadow version.", doc.ref(ModelInfo))},
    description="Each worker follows the model directory and switches within `MODERATION_MODEL_POLL_S` seconds.",
)
@require("score")
def model():
    """The active model's version and card (this worker's; every worker follows the model directory within seconds)."""
    models = services().models
    active, shadow = models.active, models.shadow
    body = _describe(active)
    body["shadow"] = {"version": shadow.assessor.version} if shadow else None
    return jsonify(body)


@bp.get("/v1/shadow")
@doc.documented(
    "getShadow",
    "How the shadow model compares with the active one",
    "models",
    {"200": doc.ok("Agreement counts on this site's new comments, and the latest disagreements.", doc.ref(ShadowSummary))},
    errors=(422,),
    parameters=[doc.param("limit", "query", doc.integer(minimum=1, maximum=500, default=50), "Most disagreements to return.")],
)
@require("queue")
def shadow():
    """How the shadow model's verdicts compare with the active model's on this site's new comments."""
    s = services()
    errors: list = []
    limit = query_int("limit", 50, 1, 500, errors)
    if errors:
        raise invalid(errors)
    summary = shadow_actions.summary(s, g.identity.site, limit)
    shadow_model = s.models.shadow
    return jsonify(
        {
            "active": s.assessor.version,
            "shadow": shadow_model.assessor.version if shadow_model else None,
            **summary,
        }
    )
