"""Liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..actions.health import store_ready
from ..openapi import document
from . import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
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
def metrics():
    """Prometheus text format."""
    return Response(services().metrics.render(), mimetype="text/plain; version=0.0.4")


@bp.get("/v1/openapi.json")
def openapi():
    """The OpenAPI 3 description of this API."""
    return jsonify(document())
