"""Admin: API keys, the site policy, and the training labels moderators produced."""

from __future__ import annotations

import json

from flask import Blueprint, Response, g, jsonify

from .. import openapi as doc
from ..actions import admin as actions
from ..actions.labels import site_labels
from ..auth import require
from ..schemas import KEY, KEY_CHANGE, ApiKey, KeyChange, KeyInput, KeyList, NewKey, Policy, PolicyInput, Revoked
from ..times import iso
from ..validation import json_body, validate
from . import services

bp = Blueprint("admin", __name__)

_KEY_ID = doc.param("key_id", "path", doc.string(), "The key's id (at least its first 16 hex digits).")


@bp.get("/v1/keys")
@doc.documented(
    "listKeys",
    "List the site's API keys",
    "admin",
    {"200": doc.ok("Ids, roles and names; keys themselves are never stored.", doc.ref(KeyList))},
)
@require("admin")
def list_keys():
    """The site's API keys (ids, roles and names; keys themselves are never stored)."""
    keys = actions.list_keys(services(), g.identity.site)
    return jsonify({"keys": [{**k, "created_at": iso(k["created_at"])} for k in keys]})


@bp.post("/v1/keys")
@doc.documented(
    "createKey",
    "Create an API key for the site",
    "admin",
    {"201": doc.ok("The new key (the only time it is shown).", doc.ref(NewKey))},
    request=doc.body(KeyInput),
)
@require("admin")
def create_key():
    """Create a key for this site; the answer is the only time the key is shown."""
    data = validate(json_body(), KEY)
    limit = actions.rate_limit(data.get("rate_limit"))
    key, key_id = actions.create_key(services(), g.identity.site, data["role"], data.get("name") or "", limit)
    response = jsonify(
        {
            "key": key,
            "id": key_id,
            "role": data["role"],
            "site": g.identity.site,
            "rate_limit": limit.to_dict() if limit else None,
        }
    )
    response.status_code = 201
    return response


@bp.patch("/v1/keys/<key_id>")
@doc.documented(
    "changeKey",
    "Set or clear a key's own rate limit",
    "admin",
    {"200": doc.ok("The key as listed; every process applies the change within a second.", doc.ref(ApiKey))},
    request=doc.body(KeyChange),
    errors=(404, 422),
    parameters=[_KEY_ID],
)
@require("admin")
def change_key(key_id: str):
    """Set or clear one of the site's keys' own rate limit (``{"rate_limit": {"per_s", "burst"} | null}``)."""
    data = validate(json_body(), KEY_CHANGE)
    limit = actions.rate_limit(data["rate_limit"])
    actions.limit_key(services(), g.identity.site, key_id, limit)
    [key] = [k for k in actions.list_keys(services(), g.identity.site) if k["id"] == key_id[:16]]
    return jsonify({**key, "created_at": iso(key["created_at"])})


@bp.delete("/v1/keys/<key_id>")
@doc.documented(
    "revokeKey",
    "Revoke one of the site's keys",
    "admin",
    {"200": doc.ok("The revoked key id.", doc.ref(Revoked))},
    errors=(404,),
    parameters=[_KEY_ID],
)
@require("admin")
def revoke_key(key_id: str):
    """Revoke one of the site's keys by its id."""
    actions.revoke_key(services(), g.identity.site, key_id)
    return jsonify({"revoked": key_id})


@bp.get("/v1/policy")
@doc.documented(
    "getPolicy",
    "Read the site's policy",
    "admin",
    {"200": doc.ok("The policy (the default one while Redis is down).", doc.ref(Policy))},
)
@require("admin")
def get_policy():
    """The site's policy: strike weights, strike lifetime, ban steps, allowed domains."""
    return jsonify(services().policy(g.identity.site).to_dict())


@bp.put("/v1/policy")
@doc.documented(
    "putPolicy",
    "Change the site's policy",
    "admin",
    {"200": doc.ok("The policy now in force.", doc.ref(Policy))},
    request=doc.body(PolicyInput),
)
@require("admin")
def put_policy():
    """Change the site's policy (keys left out keep their current value)."""
    return jsonify(actions.update_policy(services(), g.identity.site, json_body()).to_dict())


@bp.get("/v1/labels")
@doc.documented(
    "exportLabels",
    "Export moderator labels",
    "admin",
    {
        "200": {
            "description": "JSON Lines, one LabelRow per line (the latest decision per comment).",
            "content": {"application/x-ndjson": {"schema": doc.string()}},
        }
    },
)
@require("admin")
def labels():
    """The site's moderator labels as JSON Lines, for ``moderation train --extra``."""
    rows = site_labels(services(), g.identity.site)
    body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return Response(body, mimetype="application/x-ndjson")
