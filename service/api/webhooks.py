"""A site's webhook endpoints (admin keys): add, list, read with its deliveries, change, remove, redeliver."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from .. import openapi as doc
from ..actions import webhooks as actions
from ..auth import require
from ..schemas import NewWebhook, RedeliverInput, Redelivery, Webhook, WebhookInput, WebhookList, WebhookPatch, WebhookView
from ..validation import json_body
from . import services

bp = Blueprint("webhooks", __name__)

_ENDPOINT_ID = doc.param("endpoint_id", "path", doc.string(), "The endpoint's id (wh_...).")


@bp.post("/v1/webhooks")
@doc.documented(
    "createWebhook",
    "Add a webhook endpoint",
    "events",
    {"201": doc.ok("The endpoint, with its signing secret (shown only here).", doc.ref(NewWebhook))},
    request=doc.body(WebhookInput),
    description=(
        "Every event of the feed from now on (or of `types`) is POSTed to the URL, signed as the Standard"
        " Webhooks specification says, and retried for about 27 hours until the receiver answers 2xx;"
        " 410 turns the endpoint off. docs/EVENTS.md."
    ),
)
@require("admin")
def create():
    """Add an endpoint; the answer shows its signing secret, once."""
    return jsonify(actions.create(services(), g.identity.site, json_body())), 201


@bp.get("/v1/webhooks")
@doc.documented(
    "listWebhooks", "List the site's webhook endpoints", "events", {"200": doc.ok("No secrets.", doc.ref(WebhookList))}
)
@require("admin")
def listing():
    """The site's endpoints (no secrets)."""
    return jsonify({"webhooks": actions.listing(services(), g.identity.site)})


@bp.get("/v1/webhooks/<endpoint_id>")
@doc.documented(
    "getWebhook",
    "Read an endpoint and its latest deliveries",
    "events",
    {"200": doc.ok("Where its deliveries stand, and the latest attempts.", doc.ref(WebhookView))},
    errors=(404,),
    parameters=[_ENDPOINT_ID],
)
@require("admin")
def view(endpoint_id: str):
    """One endpoint: where its deliveries stand and its latest attempts."""
    return jsonify(actions.view(services(), g.identity.site, endpoint_id))


@bp.patch("/v1/webhooks/<endpoint_id>")
@doc.documented(
    "changeWebhook",
    "Change an endpoint, or turn it off and on",
    "events",
    {"200": doc.ok("The endpoint.", doc.ref(Webhook))},
    errors=(404,),
    parameters=[_ENDPOINT_ID],
    request=doc.body(WebhookPatch),
)
@require("admin")
def change(endpoint_id: str):
    """Change an endpoint's URL, event types, description, or turn it off and on."""
    return jsonify(actions.change(services(), g.identity.site, endpoint_id, json_body()))


@bp.delete("/v1/webhooks/<endpoint_id>")
@doc.documented(
    "deleteWebhook",
    "Remove an endpoint",
    "events",
    {"204": {"description": "Removed, with its delivery log."}},
    errors=(404,),
    parameters=[_ENDPOINT_ID],
)
@require("admin")
def remove(endpoint_id: str):
    """Remove an endpoint and its delivery log."""
    actions.remove(services(), g.identity.site, endpoint_id)
    return "", 204


@bp.post("/v1/webhooks/<endpoint_id>/redeliver")
@doc.documented(
    "redeliverWebhook",
    "Send an event to an endpoint again",
    "events",
    {"202": doc.ok("Queued: sent once more, whatever happened before.", doc.ref(Redelivery))},
    errors=(404,),
    parameters=[_ENDPOINT_ID],
    request=doc.body(RedeliverInput),
)
@require("admin")
def redeliver(endpoint_id: str):
    """Send one event of the log to the endpoint again."""
    body = json_body()
    event_id = body.get("event_id") if isinstance(body, dict) else None
    return jsonify(actions.redeliver(services(), g.identity.site, endpoint_id, event_id)), 202
