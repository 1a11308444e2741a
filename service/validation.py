"""Request validation: every bad field is reported at once (422), nothing half-checked gets through."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import request

from .errors import ApiError, invalid

# Identifiers: printable, no control characters, no unpaired surrogates.
_BAD_ID_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Free text other than the comment itself (names, notes, reasons) is stored as
# it is: it must be encodable (no unpaired surrogates).
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: Times are accepted from 1970 to the end of 9998 (room for time zones and durations).
TIME_MAX = 253_370_764_800.0


def json_body() -> Any:
    """Return the request's JSON body; 400 when it is not JSON."""
    data = request.get_data(cache=True)
    if not data:
        raise ApiError(400, "the request body must be JSON", "bad_json")
    try:
        return request.get_json(force=True, silent=False)
    except Exception:  # noqa: BLE001 - werkzeug raises several kinds for bad JSON
        raise ApiError(400, "the request body is not valid JSON", "bad_json") from None


@dataclass(frozen=True)
class Field:
    """One field of a request body."""

    kind: str  # "id", "text", "string", "int", "number", "bool", "time", "list", "object"
    required: bool = True
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple | None = None
    items: Field | None = None
    nullable: bool = False

    def check(self, value: Any, name: str, errors: list[dict], limits: Mapping[str, int]) -> Any:
        """Return the cleaned value or append an error."""

        def bad(message: str) -> None:
            errors.append({"field": name, "message": message})

        if value is None:
            if self.nullable or not self.required:
                return None
            bad("must not be null")
            return None
        kind = self.kind
        if kind in ("id", "string", "text"):
            if not isinstance(value, str):
                bad("must be a string")
                return None
            if kind == "id":
                if not value or len(value) > (self.max_length or 200):
                    bad(f"must be 1 to {self.max_length or 200} characters")
                elif _BAD_ID_CHARS.search(value):
                    bad("must not contain control characters")
                return value
            if kind == "text":
                limit = limits.get("text", 10_000)
                if not value.strip():
                    bad("must not be empty or only whitespace")
                elif len(value) > limit:
                    bad(f"must be at most {limit} characters (got {len(value)})")
                return value
            if self.max_length is not None and len(value) > self.max_length:
                bad(f"must be at most {self.max_length} characters")
            elif _SURROGATE.search(value):
                bad("must not contain unpaired surrogates")
            if self.choices is not None and value not in self.choices:
                bad(f"must be one of {', '.join(map(str, self.choices))}")
            return value
        if kind in ("int", "number"):
            ok = isinstance(value, int) if kind == "int" else isinstance(value, (int, float))
            if not ok or isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
                bad("must be an integer" if kind == "int" else "must be a number")
                return None
            if self.minimum is not None and value < self.minimum:
                bad(f"must be at least {self.minimum:g}")
            elif self.maximum is not None and value > self.maximum:
                bad(f"must be at most {self.maximum:g}")
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                bad("must be true or false")
            return value
        if kind == "time":
            return _time(value, bad)
        if kind == "list":
            if not isinstance(value, list):
                bad("must be a list")
                return None
            if self.max_length is not None and len(value) > self.max_length:
                bad(f"must have at most {self.max_length} items")
                return None
            return [self.items.check(v, f"{name}[{i}]", errors, limits) for i, v in enumerate(value)] if self.items else value
        if kind == "object":
            if not isinstance(value, dict):
                bad("must be an object")
            return value
        raise ValueError(f"unknown field kind {kind}")


def _time(value: Any, bad: Callable[[str], None]) -> float | None:
    """Return seconds since the epoch (1970 to 9998) from an ISO 8601 string or a number."""
    seconds = None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = float(value) if abs(value) <= TIME_MAX else None
    elif isinstance(value, float) and math.isfinite(value):
        seconds = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            seconds = parsed.timestamp()
        except (ValueError, OverflowError, OSError):
            seconds = None
    if seconds is None or not 0 <= seconds <= TIME_MAX:
        bad("must be an ISO 8601 time or seconds since the epoch, from 1970 to 9998")
        return None
    return seconds


def validate(body: Any, spec: Mapping[str, Field], limits: Mapping[str, int] | None = None) -> dict:
    """Return the cleaned fields of ``body``, or raise 422 listing every bad field."""
    if not isinstance(body, dict):
        raise invalid([{"field": "(body)", "message": "must be a JSON object"}])
    errors: list[dict] = []
    out = {}
    for name, field_ in spec.items():
        if name not in body:
            if field_.required:
                errors.append({"field": name, "message": "is required"})
            continue
        out[name] = field_.check(body[name], name, errors, limits or {})
    if errors:
        raise invalid(errors)
    return out


def iso(seconds: float | None) -> str | None:
    """Return an ISO 8601 UTC time for seconds since the epoch (None stays None)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def query_int(name: str, default: int, low: int, high: int, errors: list) -> int:
    """Return the query argument ``name`` as an integer in [low, high]; problems go to ``errors``."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        errors.append({"field": name, "message": "must be an integer"})
        return default
    value = int(raw)
    if not low <= value <= high:
        errors.append({"field": name, "message": f"must be between {low} and {high}"})
    return value
