"""HTTP endpoints, one blueprint per concern: they validate the request, call ``service.actions`` and shape the answer."""

from __future__ import annotations

from flask import current_app

from ..actions.context import Services


def services() -> Services:
    """Return the app's services."""
    return current_app.extensions["moderation"]
