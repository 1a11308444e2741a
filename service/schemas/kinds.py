"""The kinds of fields every shape of ``service.schemas`` is made of, and ``Schema``, the validator made from a shape.

A request field is one of a few kinds (``Id``, ``Text``, ``String``,
``Choice``, ``Integer``, ``Time``, ``ListOf``, ``Object``, ``Batch``); an
answer's fields are ``Str``, ``Int``, ``Number``, ``Bool``, ``Enum`` and
``Timestamp``. What pydantic checks (types, lengths, patterns, ranges, choices)
runs in pydantic-core; the few checks it cannot make as the service makes them
(the comment text, which must show something (``classifier.normalize.blank``:
not only whitespace, control and zero-width characters), holds no unpaired
surrogate and whose limit is the deployment's ``max_text_chars``; times; batches
up to ``batch_max``; nested objects checked later) are small Python functions
that raise pydantic's own error types with their context.

The words answered for an error come from its pydantic type and context, in one
table (``MESSAGES``, below; ``service.validation`` answers them in a 422). A
field that words an error its own way says so beside its declaration, with
``Words`` in its ``Annotated`` metadata.
No text field that is stored takes an unpaired surrogate (``"\\ud800"``, which
JSON allows as an escape but is no character): each says so in a 422 naming it.
Unknown fields of a request are ignored unless the shape forbids them; fields
left out stay out of the validated dict. Limits shown in the document are the
defaults of ``service.config.Settings``.
"""

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import lru_cache
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, NotRequired, Required, Union, get_args, get_origin, get_type_hints

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    with_config,
)
from pydantic import Strict as _Strict
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError
from typing_extensions import TypeAliasType, TypedDict, is_typeddict

from moderation.classifier.normalize import blank

from ..config import MAX_SECONDS, Settings

_DEFAULTS = {f.name: f.default for f in fields(Settings)}  # the defaults, without making a Settings (and its policy)
TEXT_MAX = _DEFAULTS["max_text_chars"]
BATCH_MAX = _DEFAULTS["batch_max"]
ID_MAX = 200
TEN_YEARS_S = MAX_SECONDS
#: Times are accepted from 1970 to the end of 9998 (room for time zones and durations).
TIME_MAX = 253_370_764_800.0
#: No control characters (C0, DEL, C1) in an identifier; pydantic-core refuses unpaired surrogates in any checked string.
ID_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: The error type of a check of the service's own, which pydantic has no type for: its message is the message answered.
FIELD_ERROR = "field"
#: What a comment text that shows nothing is told (empty, or only whitespace, control and zero-width characters).
EMPTY_TEXT = "must not be empty or only whitespace and invisible characters"
#: What a time that is not one is told.
TIME_ERROR = "must be an ISO 8601 time or seconds since the epoch, from 1970 to 9998"


# -- how a field words its errors --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Words:
    """How a field words its errors, declared beside it in its ``Annotated`` metadata (pydantic ignores it).

    ``messages``: a message per pydantic error type, ``{name}`` taking the error's context (``"*"``: every error but
    a missing field and the service's own checks); ``ctx``: more context (a field's ``max_length``, a choice's
    ``choices``); ``items``: the words of what the field holds (list items, object values) that declare none;
    ``at``: those of one item or key. Messages not given are ``MESSAGES``'s."""

    messages: Mapping[str, str] = field(default_factory=dict)
    ctx: Mapping[str, Any] = field(default_factory=dict)
    items: "Words | None" = None
    at: Mapping[int | str, "Words"] = field(default_factory=dict)


    def over(self, inner: "Words") -> "Words":
        """These words with ``inner``'s where these say nothing (an ``Annotated`` around a kind rewording some errors)."""
        return Words(
            {**inner.messages, **self.messages}, {**inner.ctx, **self.ctx}, self.items or inner.items, {**inner.at, **self.at}
        )


NO_WORDS = Words()


def _peel(annotation: Any) -> tuple[Any, list[tuple], bool]:
    """Return a type without its aliases, ``Required``, ``Annotated`` and ``| None``: the type left, the ``Annotated``
    metadata met (outer first; nested ones are flattened, inner metadata first) and whether it takes null."""
    levels, nullable = [], False
    while True:
        if isinstance(annotation, TypeAliasType):
            annotation = annotation.__value__
        elif get_origin(annotation) in (Required, NotRequired):
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) is Annotated:
            levels.append(annotation.__metadata__)
            annotation = annotation.__origin__
        elif get_origin(annotation) in (Union, UnionType) and NoneType in get_args(annotation):
            others = [a for a in get_args(annotation) if a is not NoneType]
            if len(others) != 1:
                return annotation, levels, nullable
            nullable, annotation = True, others[0]
        else:
            return annotation, levels, nullable


def _unwrap(annotation: Any) -> tuple[Any, Words | None]:
    """Return a type without its aliases, ``Required``, ``Annotated`` and ``| None``, and its ``Words`` (the outer
    over the inner)."""
    core, levels, _ = _peel(annotation)
    found = None
    for markers in reversed(levels):  # from the innermost; in one level, a later Words is an outer one
        for marker in markers:
            if isinstance(marker, Words):
                found = marker.over(found) if found else marker
    return core, found


@lru_cache(maxsize=256)
def _hints(shape: type) -> dict[str, Any]:
    return get_type_hints(shape, include_extras=True)


def _child(annotation: Any, part: int | str) -> Any:
    """Return the type of ``part`` (a list's index, an object's key) of a value of ``annotation``; None: not declared."""
    origin, args = get_origin(annotation), get_args(annotation)
    if isinstance(part, int) and origin in (list, tuple) and args:
        return args[0]
    if isinstance(part, str) and origin is dict and len(args) == 2:
        return args[1]
    if isinstance(part, str) and is_typeddict(annotation):
        return _hints(annotation).get(part)
    return None


def words_at(shape: Any, location: tuple) -> Words:
    """Return the ``Words`` of the value at ``location`` in a value of ``shape``: those declared with its type, else
    those its container gives its items; an undeclared key (an unknown field) is worded by its container's."""
    current, words = _unwrap(shape)
    words = words or NO_WORDS
    for part in location:
        child = _child(current, part)
        if child is None:
            break
        current, own = _unwrap(child)
        words = own or words.at.get(part) or words.items or NO_WORDS
    return words


def fail(message: str) -> PydanticCustomError:
    """A check of the service's own failed: ``message`` is answered as it is."""
    return PydanticCustomError(FIELD_ERROR, message)


def error(kind: str, ctx: dict | None = None) -> PydanticCustomError:
    """One of pydantic's own error types (``string_type``, ``too_long``, ``less_than_equal``...), raised by a check made
    in Python; the service words it as when pydantic-core raises it."""
    return PydanticCustomError(kind, kind.replace("_", " "), ctx)


def at(errors: list[tuple[tuple, Any, str | PydanticCustomError, dict | None]]) -> ValidationError:
    """Errors found inside a value by a check of the whole (``(location, input, type or error, context)``), raised as
    pydantic's so that each is named by its own place (``ban_steps[1][0]``)."""
    details = []
    for location, value, kind, ctx in errors:
        detail = InitErrorDetails(type=kind, loc=location, input=value)
        if ctx:
            detail["ctx"] = ctx
        details.append(detail)
    return ValidationError.from_exception_data("checks", details)


def bounded(ge: float | None = None, le: float | None = None, gt: float | None = None) -> AfterValidator:
    """Check a number's range in Python, with pydantic's own error types: for bounds the document does not show."""

    def check(value: Any) -> Any:
        if ge is not None and value < ge:
            raise error("greater_than_equal", {"ge": ge})
        if gt is not None and value <= gt:
            raise error("greater_than", {"gt": gt})
        if le is not None and value > le:
            raise error("less_than_equal", {"le": le})
        return value

    return AfterValidator(check)


# -- the service's words for pydantic's errors --------------------------------------------------------------------


def field_errors(body: Any, schema: "Schema", sizes: Mapping[str, int] | None = None, prefix: str = "") -> list[dict]:
    """Return the ``{"field", "message"}`` of every bad field of ``body`` (empty: valid); ``prefix``: the path of
    ``body`` in what holds it (``rate_limit``), put before each field's name."""
    try:
        schema.adapter.validate_python(body, strict=schema.strict, context=sizes)
    except ValidationError as error:
        return fields_of(error, schema, prefix)
    return []


#: The service's words for pydantic's error types, ``{name}`` taking the error's context (and the field's ``Words``).
MESSAGES = {
    "missing": "is required",
    "null": "must not be null",
    "string_type": "must be a string",
    "string_unicode": "must not contain unpaired surrogates",
    "string_too_long": "must be at most {max_length} characters",
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "list_type": "must be a list",
    "too_long": "must have at most {max_length} items",
    "literal_error": "must be one of {choices}",
    "dict_type": "must be an object",
    "extra_forbidden": "is not a field of this request",
}
#: What a body that is no object is told, unless its shape words it otherwise.
_BODY = Words({"*": "must be a JSON object"})
_NAME = re.compile(r"\{(\w+)\}")


def fields_of(error: ValidationError, schema: "Schema", prefix: str = "") -> list[dict]:
    """Return pydantic's errors as the service's: the field (``name``, ``name[index]``, ``name.key``) and its message."""
    out = []
    for found in error.errors(include_url=False):
        location = found["loc"]
        name = prefix
        for part in location:
            name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
        words = words_at(schema.shape, location)
        if not location:  # the body itself, in its shape's words if it has some
            name, words = name or "(body)", words if words is not NO_WORDS else _BODY
        out.extend({"field": name, "message": message} for message in messages(found, words))
    return out


def messages(found: Mapping[str, Any], words: Words = NO_WORDS) -> list[str]:
    """Return what to answer for one of pydantic's errors, in the words of its field (``words``) or else the service's
    (``MESSAGES``). A null is told "must not be null" (but as an unknown field); a check of the service's own
    (``FIELD_ERROR``) says its message; a choice given something else than a string is told to be a string."""
    kind, value = found["type"], found.get("input")
    context = {**words.ctx, **found.get("ctx", {})}
    if kind == FIELD_ERROR:
        return [found["msg"]]
    if value is None and kind not in ("missing", "extra_forbidden"):
        kind = "null"
    elif kind == "literal_error" and not isinstance(value, str):
        kind = "string_type"
    elif kind == "string_unicode":
        # pydantic-core refuses a string with an unpaired surrogate before measuring it: a string too long is told
        # so first, as any other; a choice is told its choices too.
        most = context.get("max_length")
        if most is not None and isinstance(value, str) and len(value) > most:
            return [_worded("string_too_long", words, context, found)]
        out = [_worded(kind, words, context, found)]
        if "choices" in context:
            out.append(_worded("literal_error", words, context, found))
        return out
    return [_worded(kind, words, context, found)]


def _worded(kind: str, words: Words, context: Mapping[str, Any], found: Mapping[str, Any]) -> str:
    own = words.messages
    template = own.get(kind) or (own.get("*") if kind != "missing" else None) or MESSAGES.get(kind) or found["msg"]
    return _NAME.sub(lambda m: str(context[m.group(1)]) if m.group(1) in context else m.group(0), template)


# -- the kinds of request fields ---------------------------------------------------------------------------------


def _doc(description: str | None, extra: dict | None = None) -> Any:
    return Field(description=description, json_schema_extra=extra)


def _decimal(value: Any) -> Any:
    """An integer id (many comment systems number their comments and users) as its decimal string."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # more digits than Python turns into a string: left to be refused as not a string
            return value
    return value


#: An identifier's length, whichever way it is wrong.
_ID_LENGTH = "must be 1 to {max_length} characters"


def Id(description: str | None = None, max_length: int = ID_MAX) -> Any:
    """An identifier (comment, user, article, moderator): 1 to ``max_length`` characters, no control characters; an
    integer is taken as its decimal string (``5`` is ``"5"``)."""
    description = description or (
        f"1 to {max_length} characters; no control characters (U+0000-U+001F, U+007F-U+009F) or unpaired surrogates."
    )
    return Annotated[
        str,
        _Strict(),
        StringConstraints(min_length=1, max_length=max_length, pattern=ID_PATTERN),
        BeforeValidator(_decimal),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": ID_PATTERN},
                    {"type": "integer"},
                ],
                "description": description + " An integer is taken as its decimal string.",
            }
        ),
        Words(
            {
                "string_type": "must be a string or an integer",
                "string_too_short": _ID_LENGTH,
                "string_too_long": _ID_LENGTH,
                "string_pattern_mismatch": "must not contain control characters",
            },
            {"max_length": max_length},
        ),
    ]


def _encodable(value: str) -> str:
    # pydantic-core refuses unpaired surrogates in a string it measures (string_unicode); this says it for all.
    if _SURROGATE.search(value):
        raise error("string_unicode")
    return value


def String(description: str | None = None, max_length: int | None = None, doc: dict | None = None) -> Any:
    """Free text other than the comment (names, notes, reasons): stored as it is, so no unpaired surrogates."""
    return Annotated[
        str,
        _Strict(),
        StringConstraints(max_length=max_length),
        AfterValidator(_encodable),
        Words(ctx={"max_length": max_length} if max_length is not None else {}),
        _doc(description, doc),
    ]


def choices(values: tuple) -> Words:
    """The words of a choice: ``must be one of a, b, c``."""
    return Words(ctx={"choices": ", ".join(map(str, values))})


def Choice(values: tuple, description: str | None = None) -> Any:
    """One of a few strings."""
    return Annotated[Literal[values], choices(values), _doc(description)]


def Integer(description: str | None = None, minimum: int | None = None, maximum: int | None = None) -> Any:
    """An integer (not a boolean, not 1.0) from ``minimum`` to ``maximum``."""
    return Annotated[int, _Strict(), Field(ge=minimum, le=maximum), _doc(description)]


def ListOf(items: Any, max_length: int, description: str | None = None, doc: dict | None = None) -> Any:
    """A list of at most ``max_length`` items (too long: the items are not checked)."""
    return Annotated[list[items], _Strict(), Field(max_length=max_length), _doc(description, doc)]


def _text(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise error("string_type")
    limit = (info.context or {}).get("text", TEXT_MAX)
    if blank(value):
        raise fail(EMPTY_TEXT)
    if len(value) > limit:
        raise error("string_too_long", {"max_length": limit, "length": len(value)})
    if _SURROGATE.search(value):
        raise error("string_unicode")
    return value


def Text(description: str) -> Any:
    """The comment: any Unicode but unpaired surrogates, something visible (not empty, not only whitespace, control and
    zero-width characters: ``classifier.normalize.blank``), at most the deployment's ``max_text_chars`` characters."""
    shown = Annotated[str, StringConstraints(min_length=1, max_length=TEXT_MAX, pattern="\\S")]
    return Annotated[
        str,
        PlainValidator(_text, json_schema_input_type=shown),
        Words({"string_too_long": "must be at most {max_length} characters (got {length})"}),
        _doc(description),
    ]


def seconds(value: Any) -> float | None:
    """Return seconds since the epoch from an ISO 8601 string (UTC when no offset) or a number; None when not one (1970-9998)."""
    found = None
    if isinstance(value, int) and not isinstance(value, bool):
        found = float(value) if abs(value) <= TIME_MAX else None
    elif isinstance(value, float) and math.isfinite(value):
        found = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            found = parsed.timestamp()
        except (ValueError, OverflowError, OSError):
            found = None
    if found is None or not 0 <= found <= TIME_MAX:
        return None
    return found


def _time(value: Any) -> float:
    found = seconds(value)
    if found is None:
        raise fail(TIME_ERROR)
    return found


def Time(description: str) -> Any:
    """A time: an ISO 8601 string or seconds since the epoch, from 1970 to 9998; validated to seconds (float)."""
    shown = Union[Annotated[str, Field(description="ISO 8601, e.g. 2027-01-15T08:00:00Z.")], float]  # noqa: UP007
    return Annotated[float, PlainValidator(_time, json_schema_input_type=shown), _doc(description)]


def _object(value: Any) -> dict:
    if not isinstance(value, dict):
        raise error("dict_type")
    return value


def Object(shape: Any, description: str | None = None) -> Any:
    """A JSON object, documented as ``shape`` but only checked to be an object here (its fields are checked later)."""
    return Annotated[dict, PlainValidator(_object, json_schema_input_type=shape), _doc(description)]


def _batch(value: Any, info: ValidationInfo) -> list:
    if not isinstance(value, list):
        raise error("list_type")
    limit = (info.context or {}).get("batch", BATCH_MAX)
    if len(value) > limit:
        raise error("too_long", {"max_length": limit})
    return value


def Batch(items: Any, description: str) -> Any:
    """A list of at most the deployment's ``batch_max`` items, documented as ``items`` but checked one by one later."""
    shown = Annotated[list[items], Field(max_length=BATCH_MAX)]
    return Annotated[list, PlainValidator(_batch, json_schema_input_type=shown), _doc(description)]


@dataclass(frozen=True)
class Summary:
    """What a request field's validation checks, read from its declaration (the tests compare it with the document)."""

    kind: str  # "id", "text", "string", "int", "time", "list", "object", "batch"
    required: bool = True
    nullable: bool = False
    max_length: int | None = None
    choices: tuple | None = None
    items: "Summary | None" = None


#: The kinds checked by a function of their own, by its name.
_CHECKED_BY = {"_text": "text", "_time": "time", "_object": "object", "_batch": "batch"}


def summary(annotation: Any, required: bool = True) -> Summary:
    """Return what the validation of a field of type ``annotation`` checks (through aliases, ``Annotated``, ``| None``)."""
    annotation, levels, nullable = _peel(annotation)
    metadata = [marker for markers in levels for marker in markers]
    checked, max_length, pattern, items = None, None, None, None
    for found in metadata:
        if isinstance(found, StringConstraints):
            max_length, pattern = found.max_length, found.pattern
        elif isinstance(found, FieldInfo):
            max_length = next((m.max_length for m in found.metadata if hasattr(m, "max_length")), max_length)
        elif isinstance(found, PlainValidator):
            checked = _CHECKED_BY.get(found.func.__name__)
    choices = get_args(annotation) if get_origin(annotation) is Literal else None
    if checked:
        kind = checked
    elif choices is not None or annotation is str:
        kind = "id" if pattern == ID_PATTERN else "string"
    elif get_origin(annotation) is list:
        kind, items = "list", summary(get_args(annotation)[0])
    else:
        kind = "int" if annotation is int else "object"
    return Summary(kind, required, nullable, max_length, choices, items)


class Schema(Mapping):
    """A request body: its shape (a TypedDict, perhaps ``Annotated`` with the ``Words`` of the whole), the pydantic
    validator made from it, and a ``Summary`` of each field by name. ``strict``: no type conversions anywhere (``"5"``
    is no integer, ``1.0`` no integer either); request kinds are strict on their own."""

    def __init__(self, shape: Any, strict: bool | None = None):
        self.shape = shape
        self.strict = strict
        self.adapter = TypeAdapter(shape)
        self.typeddict = _unwrap(shape)[0]
        self.required: frozenset[str] = self.typeddict.__required_keys__
        self.fields = {name: summary(a, name in self.required) for name, a in _hints(self.typeddict).items()}

    def __getitem__(self, name: str) -> Summary:
        return self.fields[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __repr__(self) -> str:
        return f"Schema({self.typeddict.__name__})"


# -- the kinds of answer fields ----------------------------------------------------------------------------------


def answer(cls: type) -> type:
    """Mark a TypedDict as an answer's shape: exactly these properties (additionalProperties false in the document)."""
    return with_config(ConfigDict(extra="forbid"))(cls)


def shape(name: str, fields: dict, description: str, total: bool = True) -> type:
    """Return an answer's TypedDict made from a dict of fields (for shapes keyed by the categories)."""
    made = TypedDict(name, fields, total=total)
    made.__doc__ = description
    return answer(made)


def Str(description: str | None = None, **constraints: Any) -> Any:
    """A string in an answer."""
    return Annotated[str, Field(description=description, **constraints)]


def Int(description: str | None = None, minimum: int | None = None, maximum: int | None = None) -> Any:
    """An integer in an answer."""
    return Annotated[int, Field(description=description, ge=minimum, le=maximum)]


def Number(description: str | None = None, minimum: float | None = None, maximum: float | None = None) -> Any:
    """A number in an answer."""
    return Annotated[float, Field(description=description, ge=minimum, le=maximum)]


#: A calibrated probability, 0 to 1.
Probability = Number(minimum=0, maximum=1)


def Bool(description: str | None = None) -> Any:
    """A boolean in an answer."""
    return Annotated[bool, Field(description=description)]


def Enum(values: tuple, description: str | None = None) -> Any:
    """One of a few strings, in an answer."""
    return Annotated[Literal[tuple(values)], Field(description=description)]


def Timestamp(description: str | None = None) -> Any:
    """A time the server writes: UTC, milliseconds, ``Z``."""
    return Annotated[
        str,
        Field(
            description=description,
            pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$",
            json_schema_extra={"format": "date-time", "example": "2027-01-15T08:00:00.000Z"},
        ),
    ]
