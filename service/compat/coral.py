"""Coral compatibility (to be written)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("coral", __name__)
