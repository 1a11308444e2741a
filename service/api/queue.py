"""The review queue: list pending comments, claim a batch with a lease, read the decision log."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from moderation.classifier.types import CATEGORIES

from .. import openapi as doc
from ..actions import queue as actions
from ..auth import require
from ..errors import invalid
from ..schemas import AUDIT_DECISIONS, CLAIM, AuditPage, Category, ClaimAnswer, ClaimInput, QueuePage
from ..times import iso
from ..validation import json_body, query_choice, query_int, validate
from . import services

bp = Blueprint("queue", __name__)


def _item(item: dict) -> dict:
    item = dict(item)
    item["received_at"] = iso(item.get("received_at"))
    if item.get("lease"):
        item["lease"] = {"moderator": item["lease"]["moderator"], "expires_at": iso(item["lease"]["expires_at"])}
    return item


def _query(default: int, most: int, name: str, choices: tuple[str, ...]) -> tuple[int, str | None]:
    """Return the query's ``limit`` (1 to ``most``) and its filter ``name`` (one of ``choices``, or None); 422 otherwise."""
    errors: list = []
    limit = query_int("limit", default, 1, most, errors)
    value = query_choice(name, choices, errors)
    if errors:
        raise invalid(errors)
    return limit, value


@bp.get("/v1/queue")
@doc.documented(
    "listQueue",
    "List pending comments",
    "queue",
    {"200": doc.ok("Highest risk first, oldest first among equals.", doc.ref(QueuePage))},
    errors=(422,),
    parameters=[
        doc.param("limit", "query", doc.integer(minimum=1, maximum=500, default=50), "Most items to return."),
        doc.param("category", "query", doc.ref(Category), "Only items flagged for this category."),
    ],
)
@require("queue")
def pending():
    """Pending comments of the site, highest risk first, oldest first among equals."""
    limit, category = _query(50, 500, "category", CATEGORIES)
    items, depth = actions.pending(services(), g.identity.site, limit, category)
    return jsonify({"items": [_item(i) for i in items], "depth": depth})


@bp.post("/v1/queue/claim")
@doc.documented(
    "claimQueue",
    "Lease pending comments to a moderator",
    "queue",
    {"200": doc.ok("The leased items (items already leased to the same moderator come again).", doc.ref(ClaimAnswer))},
    request=doc.body(ClaimInput),
)
@require("queue")
def claim():
    """Lease up to ``limit`` pending comments to one moderator (others do not get them)."""
    data = validate(json_body(), CLAIM)
    s = services()
    items = actions.claim(s, g.identity.site, data["moderator"], data.get("limit") or 10)
    return jsonify({"items": [_item(i) for i in items], "lease_s": s.settings.lease_s})


@bp.get("/v1/audit")
@doc.documented(
    "listAudit",
    "Read the decision and user-action log",
    "queue",
    {"200": doc.ok("Newest first.", doc.ref(AuditPage))},
    errors=(422,),
    parameters=[
        doc.param("limit", "query", doc.integer(minimum=1, maximum=1000, default=100), "Most entries to return."),
        doc.param("decision", "query", doc.enum(AUDIT_DECISIONS), "Only entries with this decision or action."),
        doc.param("moderator", "query", doc.string(), "Only entries by this moderator."),
    ],
)
@require("queue")
def audit():
    """Recent decisions and user actions, newest first (filter by moderator and decision)."""
    limit, decision = _query(100, 1000, "decision", AUDIT_DECISIONS)
    moderator = request.args.get("moderator") or None
    out = []
    for entry in actions.audit(services(), g.identity.site, limit, moderator, decision):
        entry = dict(entry)
        entry["at"] = iso(entry["at"]) if entry["at"] is not None else None
        entry.pop("key", None)
        out.append(entry)
    return jsonify({"entries": out})
