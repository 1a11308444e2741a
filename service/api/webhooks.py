"""A site's webhook endpoints (admin keys): add, list, read with its deliveries, change, remove, redeliver."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from ..actions import webhooks as actions
from ..auth import require
from ..validation import json_body
from . import services

bp = Blueprint("webhooks", __name__)


@bp.post("/v1/webhooks")
@require("admin")
def create():
    """Add an endpoint; the answer shows its signing secret, once."""
    return jsonify(actions.create(services(), g.identity.site, json_body())), 201


@bp.get("/v1/webhooks")
@require("admin")
def listing():
    """The site's endpoints (no secrets)."""
    return jsonify({"webhooks": actions.listing(services(), g.identity.site)})


@bp.get("/v1/webhooks/<endpoint_id>")
@require("admin")
def view(endpoint_id: str):
    """One endpoint: where its deliveries stand and its latest attempts."""
    return jsonify(actions.view(services(), g.identity.site, endpoint_id))


@bp.patch("/v1/webhooks/<endpoint_id>")
@require("admin")
def change(endpoint_id: str):
    """Change an endpoint's URL, event types, description, or turn it off and on."""
    return jsonify(actions.change(services(), g.identity.site, endpoint_id, json_body()))


@bp.delete("/v1/webhooks/<endpoint_id>")
@require("admin")
def remove(endpoint_id: str):
    """Remove an endpoint and its delivery log."""
    actions.remove(services(), g.identity.site, endpoint_id)
    return "", 204


@bp.post("/v1/webhooks/<endpoint_id>/redeliver")
@require("admin")
def redeliver(endpoint_id: str):
    """Send one event of the log to the endpoint again."""
    body = json_body()
    event_id = body.get("event_id") if isinstance(body, dict) else None
    return jsonify(actions.redeliver(services(), g.identity.site, endpoint_id, event_id)), 202
