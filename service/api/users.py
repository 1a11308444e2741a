"""Users of a site: strikes, ban state and history; ban, unban and reset by hand (``service.actions.users``)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from .. import openapi as doc
from ..actions import users as actions
from ..auth import require
from ..schemas import BAN, USER_ACTION, USER_ID, BanInput, UserActionInput, UserIdPath, UserStateAnswer, UserView
from ..times import iso
from ..validation import json_body, validate
from . import services

bp = Blueprint("users", __name__)

_USER_ID = doc.param(
    "user_id", "path", doc.field_schema(UserIdPath, "user_id"), "The site's user id (422 when not a valid identifier)."
)


def _check_user(user_id: str) -> None:
    validate({"user_id": user_id}, USER_ID)


@bp.get("/v1/users/<user_id>")
@doc.documented(
    "getUser",
    "Read a user's strikes, ban, history and comments",
    "users",
    {"200": doc.ok("What a moderator sees about the user.", doc.ref(UserView))},
    errors=(422,),
    parameters=[_USER_ID],
)
@require("users")
def view(user_id: str):
    """A user's active strikes (reason, expiry), ban, recent events and comments."""
    _check_user(user_id)
    found = actions.view(services(), g.identity.site, user_id)
    strikes = [
        {
            "comment_id": x["comment_id"],
            "weight": x.get("weight", 1),
            "categories": x.get("categories", []),
            "reason": x.get("reason", ""),
            "at": iso(x.get("at")),
            "expires_at": iso(x["expires_at"]),
        }
        for x in found["strikes"]
    ]
    ban = found["ban"]
    if ban:
        ban = {**ban, "until": iso(ban["until"]), "at": iso(ban["at"])}
    history = [
        {**e, "at": iso(e.get("at")), **({"until": iso(e["until"]) if e.get("until") else None} if "until" in e else {})}
        for e in found["history"]
    ]
    comments = [{**c, "received_at": iso(c["received_at"])} for c in found["comments"]]
    return jsonify(
        {
            "user_id": user_id,
            **actions.user_body(found["state"]),
            "active_strikes": strikes,
            "ban": ban,
            "history": history,
            "comments": comments,
        }
    )


@bp.post("/v1/users/<user_id>/ban")
@doc.documented(
    "banUser",
    "Ban a user",
    "users",
    {"200": doc.ok("The user's state.", doc.ref(UserStateAnswer))},
    parameters=[_USER_ID],
    request=doc.body(BanInput),
)
@require("users")
def ban(user_id: str):
    """Ban a user for ``duration_s`` seconds, or for good without it."""
    return _change(user_id, "ban")


def _change(user_id: str, action: str):
    """Ban (a body is needed), unban or reset (the body is optional) a user."""
    _check_user(user_id)
    if action == "ban":
        data = validate(json_body(), BAN)
    else:
        data = validate(json_body(), USER_ACTION) if request.get_data(cache=True) else {}
    moderator = data.get("moderator") or g.identity.key_id
    state = actions.change(
        services(), g.identity.site, user_id, action, moderator, data.get("reason") or "", data.get("duration_s")
    )
    return jsonify({"user_id": user_id, **state})


@bp.delete("/v1/users/<user_id>/ban")
@doc.documented(
    "unbanUser",
    "Lift a user's ban",
    "users",
    {"200": doc.ok("The user's state.", doc.ref(UserStateAnswer))},
    parameters=[_USER_ID],
    request=doc.body(UserActionInput, required=False),
)
@require("users")
def unban(user_id: str):
    """Lift a user's ban."""
    return _change(user_id, "unban")


@bp.post("/v1/users/<user_id>/strikes/reset")
@doc.documented(
    "resetStrikes",
    "Forget a user's strikes",
    "users",
    {"200": doc.ok("The user's state (a ban stays).", doc.ref(UserStateAnswer))},
    parameters=[_USER_ID],
    request=doc.body(UserActionInput, required=False),
)
@require("users")
def reset(user_id: str):
    """Forget a user's strikes."""
    return _change(user_id, "reset")
