"""The site's event feed: every later decision, ban, unban and strike reset (``service.actions.events``)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from ..actions import events as actions
from ..auth import require
from ..errors import invalid
from ..validation import query_int
from . import services

bp = Blueprint("events", __name__)


@bp.get("/v1/events")
@require("events")
def feed():
    """The site's events after ``after`` (oldest first; none: from the oldest kept), of ``types`` (comma-separated),
    at most ``limit``; ``wait`` seconds (up to 30) for one when there is none yet. 410 past the retention."""
    errors: list = []
    after = request.args.get("after") or None
    if after is not None and not actions.CURSOR.fullmatch(after):
        errors.append({"field": "after", "message": "must be a cursor from this feed (<digits>-<digits>)"})
    types = None
    if request.args.get("types"):
        types = frozenset(t.strip() for t in request.args["types"].split(",") if t.strip())
        unknown = sorted(types - set(actions.EVENT_TYPES))
        if unknown:
            errors.append(
                {"field": "types", "message": f"unknown types {', '.join(unknown)}; one of {', '.join(actions.EVENT_TYPES)}"}
            )
    limit = query_int("limit", 100, 1, 1000, errors)
    wait = query_int("wait", 0, 0, int(actions.MAX_WAIT_S), errors)
    if errors:
        raise invalid(errors)
    return jsonify(actions.feed(services(), g.identity.site, after, types, limit, float(wait)))
