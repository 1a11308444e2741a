"""Admin: API keys, the site policy, and the training labels moderators produced."""

from __future__ import annotations

import json

import redis
from flask import Blueprint, Response, g, jsonify

from ..auth import require
from ..config import SitePolicy
from ..errors import ApiError, invalid, store_unavailable
from ..schemas import KEY
from ..validation import iso, json_body, validate
from . import services

bp = Blueprint("admin", __name__)


def _unavailable(operation: str):
    services().metrics.redis_error(operation)
    return store_unavailable()


@bp.get("/v1/keys")
@require("admin")
def list_keys():
    """The site's API keys (ids, roles and names; keys themselves are never stored)."""
    try:
        keys = services().store.apikeys.list(g.identity.site)
    except redis.RedisError:
        raise _unavailable("keys") from None
    return jsonify({"keys": [{**k, "created_at": iso(k["created_at"])} for k in keys]})


@bp.post("/v1/keys")
@require("admin")
def create_key():
    """Create a key for this site; the answer is the only time the key is shown."""
    data = validate(json_body(), KEY)
    s = services()
    try:
        key, key_id = s.store.apikeys.create(g.identity.site, data["role"], data.get("name") or "", s.clock())
    except redis.RedisError:
        raise _unavailable("keys") from None
    response = jsonify({"key": key, "id": key_id, "role": data["role"], "site": g.identity.site})
    response.status_code = 201
    return response


@bp.delete("/v1/keys/<key_id>")
@require("admin")
def revoke_key(key_id: str):
    """Revoke one of the site's keys by its id."""
    try:
        done = services().store.apikeys.revoke(g.identity.site, key_id)
    except redis.RedisError:
        raise _unavailable("keys") from None
    if not done:
        raise ApiError(404, f"no key {key_id!r} on this site")
    return jsonify({"revoked": key_id})


@bp.get("/v1/policy")
@require("admin")
def get_policy():
    """The site's policy: strike weights, strike lifetime, ban steps, allowed domains."""
    return jsonify(services().policy(g.identity.site).to_dict())


@bp.put("/v1/policy")
@require("admin")
def put_policy():
    """Change the site's policy (keys left out keep their current value)."""
    body = json_body()
    if not isinstance(body, dict):
        raise invalid([{"field": "(body)", "message": "must be a JSON object"}])
    s = services()
    site = g.identity.site
    try:
        policy = SitePolicy.from_dict(body, base=s.policy(site))
    except (ValueError, TypeError) as exc:
        raise invalid([{"field": "(body)", "message": str(exc)}]) from None
    try:
        s.store.policies.set(site, policy)
    except redis.RedisError:
        raise _unavailable("policy") from None
    s.forget_policy(site)
    return jsonify(policy.to_dict())


@bp.get("/v1/labels")
@require("admin")
def labels():
    """The site's moderator labels as JSON Lines, for ``moderator train --extra``."""
    try:
        rows = list(services().store.queue.labels(g.identity.site))
    except redis.RedisError:
        raise _unavailable("labels") from None
    body = "".join(json.dumps(label_row(r), ensure_ascii=False) + "\n" for r in rows)
    return Response(body, mimetype="application/x-ndjson")


def label_row(stored: dict) -> dict:
    """Return the training form of a stored label: text, known labels, source."""
    from classifier.types import CATEGORIES

    row = {"text": stored["text"]}
    row.update({c: stored[c] for c in CATEGORIES if c in stored})
    row["source"] = stored.get("source", "site")
    return row
