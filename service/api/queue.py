"""The review queue: list pending comments, claim a batch with a lease, read the decision log."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from classifier.types import CATEGORIES

from ..actions import queue as actions
from ..auth import require
from ..errors import invalid
from ..schemas import CLAIM
from ..times import iso
from ..validation import json_body, query_int, validate
from . import services

bp = Blueprint("queue", __name__)


def _item(item: dict) -> dict:
    item = dict(item)
    item["received_at"] = iso(item.get("received_at"))
    if item.get("lease"):
        item["lease"] = {"moderator": item["lease"]["moderator"], "expires_at": iso(item["lease"]["expires_at"])}
    return item


@bp.get("/v1/queue")
@require("queue")
def pending():
    """Pending comments of the site, highest risk first, oldest first among equals."""
    errors: list = []
    limit = query_int("limit", 50, 1, 500, errors)
    category = request.args.get("category") or None
    if category is not None and category not in CATEGORIES:
        errors.append({"field": "category", "message": f"must be one of {', '.join(CATEGORIES)}"})
    if errors:
        raise invalid(errors)
    items, depth = actions.pending(services(), g.identity.site, limit, category)
    return jsonify({"items": [_item(i) for i in items], "depth": depth})


@bp.post("/v1/queue/claim")
@require("queue")
def claim():
    """Lease up to ``limit`` pending comments to one moderator (others do not get them)."""
    data = validate(json_body(), CLAIM)
    s = services()
    items = actions.claim(s, g.identity.site, data["moderator"], data.get("limit") or 10)
    return jsonify({"items": [_item(i) for i in items], "lease_s": s.settings.lease_s})


@bp.get("/v1/audit")
@require("queue")
def audit():
    """Recent decisions and user actions, newest first (filter by moderator and decision)."""
    errors: list = []
    limit = query_int("limit", 100, 1, 1000, errors)
    decision = request.args.get("decision") or None
    if decision is not None and decision not in ("approve", "reject", "ban", "unban", "reset"):
        errors.append({"field": "decision", "message": "must be approve, reject, ban, unban or reset"})
    if errors:
        raise invalid(errors)
    moderator = request.args.get("moderator") or None
    out = []
    for entry in actions.audit(services(), g.identity.site, limit, moderator, decision):
        entry = dict(entry)
        entry["at"] = iso(float(entry["at"])) if entry.get("at") else None
        entry.pop("key", None)
        out.append(entry)
    return jsonify({"entries": out})
