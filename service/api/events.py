"""The site's event feed: every later decision, ban, unban and strike reset (``service.actions.events``)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from .. import openapi as doc
from ..actions import events as actions
from ..actions.events import EVENT_TYPES
from ..auth import require
from ..errors import invalid
from ..schemas import EventPage
from ..validation import query_int
from . import services

bp = Blueprint("events", __name__)


@bp.get("/v1/events")
@doc.documented(
    "listEvents",
    "Follow the site's decisions, bans, unbans and strike resets",
    "events",
    {"200": doc.ok("Oldest first, after the cursor.", doc.ref(EventPage))},
    errors=(410, 422),
    description=(
        "Every later decision on the site's comments (a held comment approved or rejected, a decision"
        " undone), every ban (by strikes or by a moderator), unban and strike reset, each with a statement"
        " of reasons; every verdict too when the site policy's `verdict_events` is on. Kept for the"
        " policy's `events_retention_s` (14 days by default). Read with the cursor of the last page"
        " (`after`); a cursor whose next events were trimmed answers 410 with `oldest_cursor`."
        " docs/EVENTS.md."
    ),
    parameters=[
        doc.param("after", "query", doc.string(), "The cursor of the last page (none: from the oldest event kept)."),
        doc.param("types", "query", doc.string(), f"Comma-separated event types ({', '.join(EVENT_TYPES)})."),
        doc.param("limit", "query", doc.integer(minimum=1, maximum=1000, default=100), "Most events to return."),
        doc.param(
            "wait", "query", doc.integer(minimum=0, maximum=30, default=0), "Seconds to wait for an event when there is none yet."
        ),
    ],
)
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
