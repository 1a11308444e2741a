"""Liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .. import openapi as doc
from ..actions.health import store_ready
from ..openapi import document
from ..schemas import Health, Readiness
from . import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@doc.documented("healthz", "Liveness", "health", {"200": doc.ok("The process is alive.", doc.ref(Health))})
def healthz():
    """The process is alive."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@doc.documented(
    "readyz",
    "Readiness",
    "health",
    {
        "200": doc.ok("Redis answers and the model is loaded.", doc.ref(Readiness)),
        "503": doc.ok("Redis does not answer (this body, not the Error shape).", doc.ref(Readiness)),
    },
)
def readyz():
    """Redis answers and the model is loaded."""
    s = services()
    redis_ok = store_ready(s)
    body = {
        "status": "ok" if redis_ok else "unavailable",
        "redis": "ok" if redis_ok else "unavailable",
        "model": s.assessor.version,
    }
    response = jsonify(body)
    response.status_code = 200 if redis_ok else 503
    return response


@bp.get("/metrics")
@doc.documented(
    "metrics",
    "Prometheus metrics",
    "health",
    {"200": {"description": "Prometheus text format 0.0.4.", "content": {"text/plain": {"schema": doc.string()}}}},
)
def metrics():
    """Prometheus text format."""
    return Response(services().metrics.render(), mimetype="text/plain; version=0.0.4")


@bp.get("/v1/openapi.json")
@doc.documented("getOpenApi", "This document", "health", {"200": doc.ok("The OpenAPI 3.0.3 document.", {"type": "object"})})
def openapi():
    """The OpenAPI 3 description of this API."""
    return jsonify(document())
