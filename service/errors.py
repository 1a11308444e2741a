"""One error type and one JSON shape for every error the service answers.

    {"error": {"status": 422, "code": "invalid_request", "message": "...",
               "fields": [{"field": "text", "message": "..."}]}}

``fields`` is present only for validation errors and lists every bad field; a 410 adds where to start again
(``oldest_cursor`` for an event cursor past the retention).

The actions' errors (``service.actions.errors``) and the store's
``StoreUnavailable`` know nothing of HTTP; ``api_error`` is the one place that
gives each its status.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from .actions.errors import ActionError, Conflict, Gone, Invalid, NotFound, RateLimited, StoreUnavailable

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error answered to the client as JSON."""

    def __init__(
        self, status: int, message: str, code: str | None = None, fields: list[dict] | None = None, headers=None, extra=None
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.fields = fields
        self.headers = headers or {}
        self.extra = extra or {}

    def to_dict(self) -> dict:
        """Return the JSON body."""
        body = {"status": self.status, "code": self.code, "message": self.message}
        if self.fields is not None:
            body["fields"] = self.fields
        body.update(self.extra)
        return {"error": body}

    def response(self):
        """Return the Flask response."""
        response = jsonify(self.to_dict())
        response.status_code = self.status
        for name, value in self.headers.items():
            response.headers[name] = value
        return response


def invalid(fields: list[dict]) -> ApiError:
    """Return the 422 error for a list of ``{"field", "message"}``."""
    names = ", ".join(f["field"] for f in fields)
    return ApiError(422, f"invalid fields: {names}", "invalid_request", fields)


def store_unavailable() -> ApiError:
    """Return the 503 error for a Redis outage."""
    return ApiError(503, "the store (Redis) is unavailable; try again shortly", "store_unavailable", headers={"Retry-After": "5"})


_STATUS = ((NotFound, 404), (Conflict, 409), (Invalid, 422))


def api_error(error: Exception) -> ApiError:
    """Return the HTTP error for an action's error or the store's ``StoreUnavailable``."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, StoreUnavailable):
        return store_unavailable()
    if isinstance(error, Invalid):
        return invalid(error.fields)
    if isinstance(error, Gone):
        return ApiError(410, error.message, error.code, extra=error.extra)
    if isinstance(error, RateLimited):
        return ApiError(429, error.message, error.code, headers={"Retry-After": str(error.retry_after_s)})
    if isinstance(error, ActionError):
        status = next((status for kind, status in _STATUS if isinstance(error, kind)), 400)
        return ApiError(status, error.message, error.code)
    raise TypeError(f"not an error of the service: {error!r}")


def register(app: Flask) -> None:
    """Answer every error, ours and werkzeug's, in the one JSON shape."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error.response()

    @app.errorhandler(ActionError)
    @app.errorhandler(StoreUnavailable)
    def _domain_error(error: Exception):
        return api_error(error).response()

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        message = error.description or error.name
        if status == 413:
            message = f"request body larger than {app.config.get('MAX_CONTENT_LENGTH')} bytes"
        return ApiError(status, message).response()

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error")
        return ApiError(500, "internal error").response()
