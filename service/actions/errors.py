"""What an action can refuse, in the service's own terms (no HTTP here).

``service/errors.py`` maps each of these, and the store's ``StoreUnavailable``,
to the one JSON error shape; the console and the drop-in endpoints map them to
their own answers. Actions let ``StoreUnavailable`` pass: it is named here too,
so that the HTTP layer catches it without importing the store.
"""

from __future__ import annotations

import math

from ..store.errors import StoreUnavailable

__all__ = ["ActionError", "Conflict", "Gone", "Invalid", "NotFound", "RateLimited", "StoreUnavailable"]


class ActionError(Exception):
    """An action that cannot be done as asked; ``code`` is the machine-readable reason."""

    code = "bad_request"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(ActionError):
    """The thing acted on does not exist (for this site)."""

    code = "not_found"


class Conflict(ActionError):
    """The request contradicts what is stored (an id reused with another text, nothing to undo...)."""

    code = "conflict"


class Invalid(ActionError):
    """Values that pass the request's shape but not the service's rules; ``fields`` names each."""

    code = "invalid_request"

    def __init__(self, fields: list[dict]):
        super().__init__("invalid fields: " + ", ".join(f["field"] for f in fields))
        self.fields = fields


class RateLimited(ActionError):
    """The caller used up its rate limit; ``retry_after_s`` says when a request will be taken again."""

    code = "rate_limited"

    def __init__(self, retry_after_s: float):
        seconds = max(1, math.ceil(retry_after_s))
        super().__init__(f"rate limit reached; retry in {seconds} s")
        self.retry_after_s = seconds


class Gone(ActionError):
    """What was asked for existed and is no longer kept; ``extra`` tells where to start again."""

    code = "gone"

    def __init__(self, message: str, code: str | None = None, extra: dict | None = None):
        super().__init__(message, code)
        self.extra = extra or {}
