"""Users of a site: strikes, ban state and history; ban, unban and reset by hand."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from ..auth import require
from ..schemas import BAN, USER_ACTION, USER_ID
from ..validation import iso, json_body, validate
from . import services

bp = Blueprint("users", __name__)


def _check_user(user_id: str) -> None:
    validate({"user_id": user_id}, USER_ID)


def _state(state: dict) -> dict:
    return {"strikes": state["strikes"], "banned": state["banned"], "banned_until": iso(state["banned_until"])}


def _log(site: str, action: str, user_id: str, moderator: str, reason: str, at: float, extra: dict | None = None) -> None:
    fields = {"type": action, "decision": action, "user_id": user_id, "moderator": moderator, "note": reason, "at": at}
    services().store.queue.log(site, {**fields, **(extra or {})})


@bp.get("/v1/users/<user_id>")
@require("users")
def view(user_id: str):
    """A user's active strikes (reason, expiry), ban, recent events and comments."""
    _check_user(user_id)
    s = services()
    with s.store_errors("users"):
        found = s.store.users.view(g.identity.site, user_id, s.clock())
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
            **_state(found["state"]),
            "active_strikes": strikes,
            "ban": ban,
            "history": history,
            "comments": comments,
        }
    )


@bp.post("/v1/users/<user_id>/ban")
@require("users")
def ban(user_id: str):
    """Ban a user for ``duration_s`` seconds, or for good without it."""
    _check_user(user_id)
    data = validate(json_body(), BAN)
    s = services()
    moderator = data.get("moderator") or g.identity.key_id
    now = s.clock()
    with s.store_errors("ban"):
        state = s.store.users.ban(g.identity.site, user_id, now, data.get("duration_s"), data["reason"], moderator)
        _log(g.identity.site, "ban", user_id, moderator, data["reason"], now, {"duration_s": data.get("duration_s") or 0})
    return jsonify({"user_id": user_id, **_state(state)})


def _optional_body() -> dict:
    if not request.get_data(cache=True):
        return {}
    return validate(json_body(), USER_ACTION)


@bp.delete("/v1/users/<user_id>/ban")
@require("users")
def unban(user_id: str):
    """Lift a user's ban."""
    _check_user(user_id)
    data = _optional_body()
    s = services()
    moderator = data.get("moderator") or g.identity.key_id
    now = s.clock()
    with s.store_errors("unban"):
        state = s.store.users.unban(g.identity.site, user_id, now, data.get("reason") or "", moderator)
        _log(g.identity.site, "unban", user_id, moderator, data.get("reason") or "", now)
    return jsonify({"user_id": user_id, **_state(state)})


@bp.post("/v1/users/<user_id>/strikes/reset")
@require("users")
def reset(user_id: str):
    """Forget a user's strikes."""
    _check_user(user_id)
    data = _optional_body()
    s = services()
    moderator = data.get("moderator") or g.identity.key_id
    now = s.clock()
    with s.store_errors("reset"):
        state = s.store.users.reset(g.identity.site, user_id, now, data.get("reason") or "", moderator)
        _log(g.identity.site, "reset", user_id, moderator, data.get("reason") or "", now)
    return jsonify({"user_id": user_id, **_state(state)})
