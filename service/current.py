"""What an endpoint (API, console or drop-in) reads of the app it runs in: its services."""

from __future__ import annotations

from flask import current_app

from .actions.context import Services


def services() -> Services:
    """Return the app's services."""
    return current_app.extensions["moderation"]
