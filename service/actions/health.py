"""Readiness: whether the store answers (``GET /readyz``)."""

from __future__ import annotations

from ..store.errors import StoreUnavailable
from .context import Services


def store_ready(services: Services) -> bool:
    """Tell whether Redis answers a ping (a failure is counted by the store, like any other)."""
    try:
        return services.store.ping()
    except StoreUnavailable:
        return False
