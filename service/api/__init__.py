"""HTTP endpoints, one blueprint per concern; they validate and call ``service.moderation`` or the store."""

from __future__ import annotations

from flask import current_app

from ..moderation import Services


def services() -> Services:
    """Return the app's services."""
    return current_app.extensions["moderation"]
