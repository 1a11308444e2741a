"""HTTP endpoints, one blueprint per concern: they validate the request, call ``service.actions`` and shape the answer."""

from __future__ import annotations

from ..current import services

__all__ = ["services"]
