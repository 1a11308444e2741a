"""Every request and answer shape of the HTTP API, declared once with pydantic.

From these declarations come both the validation of request bodies
(``service.validation.validate(body, SCHEMA)``: every bad field reported at
once, in the messages below) and the schemas of the OpenAPI document
(``service.openapi``). Answers are not checked at run time: their shapes are
for the document, and the tests check real answers against it.

A request field is one of a few kinds (``Id``, ``Text``, ``String``,
``Choice``, ``Integer``, ``Time``, ``ListOf``, ``Object``, ``Batch``); each
kind carries a ``Rule``, which says what its error messages are. What pydantic
checks (types, lengths, patterns, ranges, choices) runs in pydantic-core; the
few checks it cannot make as the service makes them (the text, which must show
something (``classifier.normalize.blank``: not only whitespace, control and
zero-width characters), holds no unpaired surrogate and whose limit is the
deployment's ``max_text_chars``; times; batches up to ``batch_max``; nested
objects checked later) are small Python functions. No text field that is
stored takes an unpaired surrogate (``"\\ud800"``, which JSON allows as an
escape but is no character): each says so in a 422 naming it. Unknown fields of a request are ignored;
fields left out stay out of the validated dict. Limits shown in the document
are the defaults of ``service.config.Settings``.
"""

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NotRequired, Required, Union, get_args, get_origin, get_type_hints

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    with_config,
)
from pydantic import Strict as _Strict
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType, TypedDict

from classifier.normalize import blank
from classifier.types import CATEGORIES

from .actions.events import EVENT_TYPES
from .config import MAX_SECONDS, Settings
from .store.apikeys import ROLES

_DEFAULTS = Settings()
TEXT_MAX = _DEFAULTS.max_text_chars
BATCH_MAX = _DEFAULTS.batch_max
ID_MAX = 200
TEN_YEARS_S = MAX_SECONDS
#: Times are accepted from 1970 to the end of 9998 (room for time zones and durations).
TIME_MAX = 253_370_764_800.0
VERDICTS = ("approve", "review", "reject")
STATES = ("pending", "approved", "rejected")
DECISIONS = ("approve", "reject")
AUDIT_DECISIONS = ("approve", "reject", "undo", "ban", "unban", "reset", "rules")
CORAL_FORMATS = ("PLAIN_TEXT", "HTML")
CORAL_SECRETS_MAX = 5
CORAL_SECRET_MIN, CORAL_SECRET_MAX = 16, 512
ERROR_CODES = (
    "bad_request",
    "bad_json",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "id_conflict",
    "nothing_to_undo",
    "undo_expired",
    "cursor_expired",
    "gone",
    "too_large",
    "unsupported_media_type",
    "invalid_request",
    "rate_limited",
    "overloaded",
    "internal_error",
    "unavailable",
    "store_unavailable",
    "error",
)
#: No control characters (C0, DEL, C1) in an identifier; pydantic-core refuses unpaired surrogates in any checked string.
ID_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: The error type of the kinds checked in Python: its message is the message answered.
FIELD_ERROR = "field"
#: What a comment text that shows nothing is told (empty, or only whitespace, control and zero-width characters).
EMPTY_TEXT = "must not be empty or only whitespace and invisible characters"


# -- the kinds of request fields ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A request field's kind and limits, from which its error messages come (``required``/``nullable``: in a body)."""

    kind: str  # "id", "text", "string", "int", "time", "list", "object", "batch"
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple | None = None
    items: "Rule | None" = None
    required: bool = True
    nullable: bool = False

    def messages(self, error: Mapping[str, Any]) -> list[str]:
        """Return what to answer for one of pydantic's errors about a value of this kind."""
        kind, value = error["type"], error.get("input")
        if kind == "missing":
            return ["is required"]
        if value is None:
            return ["must not be null"]
        if kind == FIELD_ERROR:
            return [error["msg"]]
        found = self._problems(value)
        return found or [error["msg"]]  # not reached: pydantic and _problems make the same checks

    def _problems(self, value: Any) -> list[str]:
        """Tell what is wrong with ``value`` (pydantic said something is), in the service's words."""
        if self.kind in ("id", "string"):
            if not isinstance(value, str):
                return ["must be a string or an integer" if self.kind == "id" else "must be a string"]
            if self.kind == "id":
                if not 1 <= len(value) <= self.max_length:
                    return [f"must be 1 to {self.max_length} characters"]
                if _SURROGATE.search(value):
                    return ["must not contain unpaired surrogates"]
                return ["must not contain control characters"]
            out = []
            if self.max_length is not None and len(value) > self.max_length:
                out.append(f"must be at most {self.max_length} characters")
            elif _SURROGATE.search(value):
                out.append("must not contain unpaired surrogates")
            if self.choices is not None and value not in self.choices:
                out.append(f"must be one of {', '.join(map(str, self.choices))}")
            return out
        if self.kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                return ["must be an integer"]
            if self.minimum is not None and value < self.minimum:
                return [f"must be at least {self.minimum}"]
            return [f"must be at most {self.maximum}"]
        if self.kind == "list":
            if not isinstance(value, list):
                return ["must be a list"]
            return [f"must have at most {self.max_length} items"]
        return []


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError(FIELD_ERROR, message)


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
        Rule("id", max_length=max_length),
    ]


def _encodable(value: str) -> str:
    # pydantic-core already refuses unpaired surrogates in a string it measures (string_unicode); this says it for all.
    if _SURROGATE.search(value):
        raise _fail("must not contain unpaired surrogates")
    return value


def String(description: str | None = None, max_length: int | None = None, doc: dict | None = None) -> Any:
    """Free text other than the comment (names, notes, reasons): stored as it is, so no unpaired surrogates."""
    return Annotated[
        str,
        _Strict(),
        StringConstraints(max_length=max_length),
        AfterValidator(_encodable),
        Rule("string", max_length=max_length),
        _doc(description, doc),
    ]


def Choice(choices: tuple, description: str | None = None) -> Any:
    """One of a few strings."""
    return Annotated[Literal[choices], Rule("string", choices=tuple(choices)), _doc(description)]


def Integer(description: str | None = None, minimum: int | None = None, maximum: int | None = None) -> Any:
    """An integer (not a boolean, not 1.0) from ``minimum`` to ``maximum``."""
    return Annotated[
        int, _Strict(), Field(ge=minimum, le=maximum), Rule("int", minimum=minimum, maximum=maximum), _doc(description)
    ]


def ListOf(items: Any, max_length: int, description: str | None = None, doc: dict | None = None) -> Any:
    """A list of at most ``max_length`` items (too long: the items are not checked)."""
    return Annotated[
        list[items],
        _Strict(),
        Field(max_length=max_length),
        Rule("list", max_length=max_length, items=rule_of(items)),
        _doc(description, doc),
    ]


def _text(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise _fail("must be a string")
    limit = (info.context or {}).get("text", TEXT_MAX)
    if blank(value):
        raise _fail(EMPTY_TEXT)
    if len(value) > limit:
        raise _fail(f"must be at most {limit} characters (got {len(value)})")
    if _SURROGATE.search(value):
        raise _fail("must not contain unpaired surrogates")
    return value


def Text(description: str) -> Any:
    """The comment: any Unicode but unpaired surrogates, something visible (not empty, not only whitespace, control and
    zero-width characters: ``classifier.normalize.blank``), at most the deployment's ``max_text_chars`` characters."""
    shown = Annotated[str, StringConstraints(min_length=1, max_length=TEXT_MAX, pattern="\\S")]
    return Annotated[str, PlainValidator(_text, json_schema_input_type=shown), Rule("text"), _doc(description)]


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
        raise _fail("must be an ISO 8601 time or seconds since the epoch, from 1970 to 9998")
    return found


def Time(description: str) -> Any:
    """A time: an ISO 8601 string or seconds since the epoch, from 1970 to 9998; validated to seconds (float)."""
    shown = Union[Annotated[str, Field(description="ISO 8601, e.g. 2027-01-15T08:00:00Z.")], float]  # noqa: UP007
    return Annotated[float, PlainValidator(_time, json_schema_input_type=shown), Rule("time"), _doc(description)]


def _object(value: Any) -> dict:
    if not isinstance(value, dict):
        raise _fail("must be an object")
    return value


def Object(shape: Any, description: str | None = None) -> Any:
    """A JSON object, documented as ``shape`` but only checked to be an object here (its fields are checked later)."""
    return Annotated[dict, PlainValidator(_object, json_schema_input_type=shape), Rule("object"), _doc(description)]


def _batch(value: Any, info: ValidationInfo) -> list:
    if not isinstance(value, list):
        raise _fail("must be a list")
    limit = (info.context or {}).get("batch", BATCH_MAX)
    if len(value) > limit:
        raise _fail(f"must have at most {limit} items")
    return value


def Batch(items: Any, description: str) -> Any:
    """A list of at most the deployment's ``batch_max`` items, documented as ``items`` but checked one by one later."""
    shown = Annotated[list[items], Field(max_length=BATCH_MAX)]
    return Annotated[list, PlainValidator(_batch, json_schema_input_type=shown), Rule("batch"), _doc(description)]


def rule_of(annotation: Any) -> Rule | None:
    """Return the Rule of a field's type (through aliases, ``Annotated`` and ``| None``)."""
    if isinstance(annotation, TypeAliasType):
        return rule_of(annotation.__value__)
    if get_origin(annotation) in (Required, NotRequired):
        return rule_of(get_args(annotation)[0])
    if get_origin(annotation) is Annotated:
        return next((m for m in annotation.__metadata__ if isinstance(m, Rule)), None) or rule_of(get_args(annotation)[0])
    if get_origin(annotation) is Union:
        rules = [rule_of(a) for a in get_args(annotation) if a is not type(None)]
        return replace(rules[0], nullable=True) if len(rules) == 1 and rules[0] else None
    return None


class Schema(Mapping):
    """A request body: its shape (a TypedDict), the pydantic validator made from it, and the Rule of each field."""

    def __init__(self, shape: type):
        self.shape = shape
        self.adapter = TypeAdapter(shape)
        hints = get_type_hints(shape, include_extras=True)
        self.fields: dict[str, Rule] = {}
        for name, annotation in hints.items():
            rule = rule_of(annotation)
            if rule is None:
                raise TypeError(f"{shape.__name__}.{name}: a request field needs one of the kinds of service.schemas")
            self.fields[name] = replace(rule, required=name in shape.__required_keys__)

    def __getitem__(self, name: str) -> Rule:
        return self.fields[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __repr__(self) -> str:
        return f"Schema({self.shape.__name__})"


def answer(cls: type) -> type:
    """Mark a TypedDict as an answer's shape: exactly these properties (additionalProperties false in the document)."""
    return with_config(ConfigDict(extra="forbid"))(cls)


def _shape(name: str, fields: dict, description: str, total: bool = True) -> type:
    """Return an answer's TypedDict made from a dict of fields (for shapes keyed by the categories)."""
    shape = TypedDict(name, fields, total=total)
    shape.__doc__ = description
    return answer(shape)


def Str(description: str | None = None, **constraints: Any) -> Any:
    """A string in an answer."""
    return Annotated[str, Field(description=description, **constraints)]


def Int(description: str | None = None, minimum: int | None = None, maximum: int | None = None) -> Any:
    """An integer in an answer."""
    return Annotated[int, Field(description=description, ge=minimum, le=maximum)]


def Number(description: str | None = None, minimum: float | None = None, maximum: float | None = None) -> Any:
    """A number in an answer."""
    return Annotated[float, Field(description=description, ge=minimum, le=maximum)]


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


# -- what the classifier says ------------------------------------------------------------------------------------

Verdict = TypeAliasType(
    "Verdict",
    Annotated[Literal[VERDICTS], Field(description="approve: publish; review: hold for a moderator; reject: do not publish.")],
)
Category = TypeAliasType("Category", Annotated[Literal[CATEGORIES], Rule("string", choices=CATEGORIES)])
Reason = TypeAliasType(
    "Reason",
    Str(
        "Why: `<category>:<rule|site|model>:<block|review|reject>`, strongest first (`rule`: the packaged lists, `site`:"
        " the site's own word lists, `model`: the classifier's score); `user_banned` when the user is banned,"
        " `store_unavailable` when Redis was down and the verdict was turned into review.",
        pattern=f"^(user_banned|store_unavailable|({'|'.join(CATEGORIES)}):(rule|site|model):(block|review|reject))$",
    ),
)
Probability = Number(minimum=0, maximum=1)
Scores = _shape("Scores", {c: Probability for c in CATEGORIES}, "Probability per category (6 decimals).")


@answer
class Span(TypedDict):
    """Evidence: the slice [start, end) of the original text and what it shows. ``start``/``end`` count code
    points (Python's ``text[start:end]``); ``start16``/``end16`` count UTF-16 code units (JavaScript's
    ``text.slice(start16, end16)``), where an emoji outside the Basic Multilingual Plane takes two."""

    start: Int("Code points from the start of the text.", minimum=0)
    end: Int("Code points, exclusive.", minimum=0)
    start16: NotRequired[
        Int(
            "UTF-16 code units from the start of the text. In every answer of POST /v1/comments, /v1/score and"
            " GET /v1/comments/{id}; queue items of comments stored before it was added lack it.",
            minimum=0,
        )
    ]
    end16: NotRequired[Int("UTF-16 code units, exclusive (as start16).", minimum=0)]
    category: Category
    source: Enum((*(f"rule:{c}" for c in CATEGORIES), "model"), "`rule:<list>` or `model`.")


@answer
class Assessment(TypedDict):
    """What the classifier says about a text."""

    verdict: Verdict
    scores: Scores
    reasons: list[Reason]
    spans: list[Span]
    model_version: Str("Version of the model that scored the text.")


@answer
class UserState(TypedDict):
    """A user's strikes and ban."""

    strikes: Int("Active strikes (the sum of their weights).", minimum=0)
    banned: Bool()
    banned_until: Timestamp("End of the ban; null when not banned or banned for good.") | None


# -- comments ----------------------------------------------------------------------------------------------------


class CommentInput(TypedDict):
    """A comment to moderate. Unknown fields are ignored."""

    id: Id("The site's comment id (unique per site; a repeat with the same user and text is answered again).")
    user_id: Id("The site's user id.")
    text: Text(
        "The comment; not empty or only whitespace and invisible (control, zero-width) characters, no unpaired surrogates,"
        f" at most {TEXT_MAX} characters by default (max_text_chars)."
    )
    article_id: NotRequired[Id() | None]
    parent_id: NotRequired[Id() | None]
    author_name: NotRequired[String(max_length=200) | None]
    created_at: NotRequired[
        Time("When the comment was written: an ISO 8601 time (UTC when no offset) or seconds since the epoch.") | None
    ]


@answer
class CommentAnswer(TypedDict):
    """The verdict on a submitted comment. A banned user's comment is rejected with reason user_banned."""

    id: str
    verdict: Verdict
    scores: Scores
    reasons: list[Reason]
    spans: list[Span]
    user: UserState | None
    model_version: str
    store: Enum(("ok", "unavailable"), "unavailable: Redis was down; nothing was recorded and user is null.")


class BatchInput(TypedDict):
    comments: Batch(
        CommentInput,
        f"At most {BATCH_MAX} by default (batch_max). Each item is checked on its own: a bad item gets an"
        " error result, not a 422 for the request.",
    )


@answer
class FieldError(TypedDict):
    field: Str("Field name, `name[index]` inside lists, or `(body)`.")
    message: str


@answer
class BatchSuccess(TypedDict):
    status: Literal[200]
    result: CommentAnswer


@answer
class BatchError(TypedDict):
    status: Literal[409, 422]
    code: Enum(("id_conflict", "invalid_request"))
    message: str
    fields: NotRequired[list[FieldError]]
    index: Int("Position of the comment in the request.", minimum=0)


@answer
class BatchFailure(TypedDict):
    status: Literal[409, 422]
    error: BatchError


BatchResult = TypeAliasType(
    "BatchResult", Annotated[BatchSuccess | BatchFailure, Field(description="One result per comment, in request order.")]
)


@answer
class BatchAnswer(TypedDict):
    results: list[BatchResult]


class ScoreInput(TypedDict):
    text: Text(
        "The comment; not empty or only whitespace and invisible (control, zero-width) characters, no unpaired surrogates,"
        f" at most {TEXT_MAX} characters by default (max_text_chars)."
    )


@answer
class CommentRecord(TypedDict):
    """A stored comment: its state, the latest decision and the classifier's answer."""

    id: str
    user_id: str
    text: Str("Null once the full record's term is over (full_record false).") | None
    article_id: str | None
    state: Enum(STATES)
    decision: Enum(DECISIONS, "The latest moderator decision.") | None
    verdict: Verdict
    scores: Scores
    reasons: list[Reason]
    spans: list[Span]
    model_version: str
    full_record: Bool(
        "False once the full record's term is over (MODERATION_FULL_RECORD_DAYS, 14 days by default, from its arrival):"
        " only the lasting record is left (kept MODERATION_RETENTION_DAYS), with no text and no spans, and scores in"
        " hundredths.",
    )


class DecisionFields(TypedDict):
    """What a decision says, from the API or the console."""

    decision: Choice(DECISIONS)
    categories: NotRequired[
        ListOf(
            Category,
            len(CATEGORIES),
            "What a rejection is for (duplicates are merged). Left out on reject: the categories the classifier flagged.",
        )
        | None
    ]
    note: NotRequired[String(max_length=2000) | None]


class DecisionInput(DecisionFields):
    """A moderator's decision. Unknown fields are ignored."""

    moderator: Id("Who decided.")


@answer
class DecisionAnswer(TypedDict):
    id: str
    decision: Enum(DECISIONS)
    categories: list[Category]
    previous: Enum(DECISIONS, "The decision before this one.") | None
    changed: Bool("False when the same decision was already recorded.")
    user_id: str
    user: UserState


class UndoInput(TypedDict):
    """Undo the last decision on a comment. Unknown fields are ignored."""

    moderator: Id("Who undoes: the moderator who made the decision.")


@answer
class UndoAnswer(TypedDict):
    id: str
    undone: Enum(DECISIONS, "The decision taken back.") | None
    state: Enum(STATES, "The comment's state now.")
    user_id: str
    user: UserState


# -- queue and audit ---------------------------------------------------------------------------------------------


@answer
class Lease(TypedDict):
    moderator: str
    expires_at: Timestamp()


@answer
class QueueItem(TypedDict):
    """A comment waiting for review."""

    id: str
    user_id: str
    text: str
    article_id: str | None
    parent_id: str | None
    author_name: str | None
    created_at: Timestamp() | None
    received_at: Timestamp()
    scores: Scores
    reasons: list[Reason]
    spans: list[Span]
    categories: list[Category]
    risk: Number("Highest flagged score: higher is served first.", minimum=0, maximum=1)
    lease: Lease | None


@answer
class QueuePage(TypedDict):
    items: list[QueueItem]
    depth: Int("Pending comments of the site.", minimum=0)


class ClaimInput(TypedDict):
    moderator: Id("Who takes the items.")
    limit: NotRequired[Integer("Default 10.", minimum=1, maximum=100) | None]


@answer
class ClaimAnswer(TypedDict):
    items: list[QueueItem]
    lease_s: Int(minimum=1)


@with_config(ConfigDict(extra="allow", json_schema_extra={"additionalProperties": {"type": "string"}}))
class AuditEntry(TypedDict):
    """A decision, a user action or a change of the site's word lists."""

    entry: Str("Stream entry id.")
    type: Enum(("decision", "undo", "ban", "unban", "reset", "rules"))
    decision: Enum(AUDIT_DECISIONS)
    comment_id: NotRequired[str]
    user_id: NotRequired[Str("The user acted on (every type but rules).")]
    change: NotRequired[Str("What a change of the site's word lists did (type rules).")]
    categories: NotRequired[Annotated[list[str], Field(description="The categories the decision named.")]]
    previous: NotRequired[
        Annotated[
            Literal[DECISIONS] | None,
            Field(
                description="The decision before this one, as the decision's answer gives it (for undo: the decision"
                " taken back); null: none."
            ),
        ]
    ]
    moderator: str
    note: str
    duration_s: NotRequired[Int("Ban length in seconds; 0 for good.", minimum=0)]
    at: Timestamp() | None


#: Severities of a site's own list entries.
WORD_SEVERITIES = ("block", "review", "allow")
#: The largest word-list body accepted (a bulk import of tens of thousands of entries), in bytes.
WORDS_MAX_BYTES = 4 * 1024 * 1024


@answer
class SiteWord(TypedDict):
    """One entry of the site's own word lists."""

    pattern: Str("The word, phrase or domain as kept: lower case, accents dropped, one space between words.")
    severity: Enum(WORD_SEVERITIES, "block: reject; review: hold for a moderator; allow: no rule matches it.")
    category: Str("abuse, attack or promotion (block and review); empty for allow.")
    note: str
    added_by: Str("The moderator name given with the change, else the key's id.")
    added_at: Timestamp() | None


@answer
class SiteWords(TypedDict):
    """The site's own word lists."""

    entries: list[SiteWord]
    count: Int("Entries listed.", minimum=0)
    version: Int("Moves with every change.", minimum=0)


@answer
class SiteWordsChanged(TypedDict):
    """What a change left."""

    version: Int("The lists' version after the change.", minimum=1)
    entries: Int("Entries the site has now.", minimum=0)


@answer
class SiteWordInput(TypedDict):
    """An entry to add. Words of letters, digits, ' and -, with * at a word's start or end; a phrase; or a domain."""

    pattern: Str("At most 200 characters.", max_length=200)
    severity: Enum(WORD_SEVERITIES)
    category: NotRequired[Enum(CATEGORIES, "Default: abuse for a word, promotion for a domain.")]
    note: NotRequired[Str(max_length=500)]


@answer
class SiteWordsInput(TypedDict):
    """Every entry of the lists (PUT replaces them all). Nothing is applied when any entry is bad."""

    entries: list[SiteWordInput]
    moderator: NotRequired[Str("Recorded as who added the entries.", max_length=200)]


@answer
class SiteWordsPatch(TypedDict, total=False):
    """Entries to add (or change) and patterns to remove, together."""

    add: list[SiteWordInput]
    remove: list[Str("An entry's pattern.", min_length=1, max_length=200)]
    moderator: Str("Recorded as who added the entries.", max_length=200)


@answer
class AuditPage(TypedDict):
    entries: list[AuditEntry]


# -- events ------------------------------------------------------------------------------------------------------

@answer
class EventBan(TypedDict):
    until: Timestamp("End of the ban; null for good.") | None
    indefinite: Bool("Banned for good.")


@answer
class AutomatedMeans(TypedDict):
    detection: Bool("An automated tool (the model or the rule lists) flagged the content or counted the strikes.")
    decision: Bool("The decision itself was taken by automated means (no moderator).")


@answer
class Ground(TypedDict):
    type: Enum(("terms_and_conditions",), "The decision rests on the site's own rules, not on a law.")
    clauses: Annotated[list[str], Field(description="Which of the site's rules, in words.")]
    terms_url: Str("Where the site's rules are published (its policy's terms_url).") | None


@answer
class StatementOfReasons(TypedDict, total=False):
    """What the EU Digital Services Act, Article 17(3), lists for a statement of reasons (docs/EVENTS.md)."""

    restriction: Required[Enum(("removal", "held_for_review", "none", "suspension"), "What the decision does (17(3)(a)).")]
    duration: EventBan
    facts_and_circumstances: Required[Annotated[dict[str, Any], Field(description="What the decision relied on (17(3)(b)).")]]
    automated_means: Required[AutomatedMeans]
    ground: Required[Ground]
    redress: Required[Str("How the author can contest it (the policy's appeal), 17(3)(f).") | None]


@answer
class Event(TypedDict, total=False):
    """One event of the site's log; which fields are present depends on the type (docs/EVENTS.md)."""

    id: Required[Str("The event's id, also the cursor that reads what follows it.")]
    type: Required[Enum(EVENT_TYPES)]
    at: Required[Timestamp()]
    site: Required[str]
    user_id: Required[str]
    comment_id: str
    decision: Enum(("approve", "reject")) | None
    verdict: Enum(VERDICTS)
    categories: list[Category]
    state: Enum(("approved", "pending", "rejected")) | None
    decided_by: Str("model, policy (strikes, a ban) or the moderator's name.")
    previous: Enum(("approve", "reject")) | None
    undone: Enum(("approve", "reject")) | None
    ban: EventBan
    reason: str
    strikes_before: Int(minimum=0)
    overturned_comment_id: str | None
    statement_of_reasons: StatementOfReasons


@answer
class EventPage(TypedDict):
    events: list[Event]
    cursor: Str("Give it as `after` to read what comes next.")
    more: Bool("The page is full: more events follow at once.")


# -- webhooks ----------------------------------------------------------------------------------------------------


@answer
class Webhook(TypedDict):
    id: Str("The endpoint's id (wh_...).")
    url: str
    types: Annotated[list[Enum(EVENT_TYPES)], Field(description="The event types sent; empty: all.")]
    description: str
    enabled: Bool("Off after the receiver answered 410, or when an admin turned it off.")
    disabled: Str("Why it is off.") | None
    created_at: Timestamp()


@answer
class NewWebhook(Webhook):
    secret: Str("The signing secret (Standard Webhooks, whsec_...); shown only in this answer.", pattern="^whsec_[A-Za-z0-9+/=]+$")


@answer
class WebhookDelivery(TypedDict):
    cursor: Str("The last event the endpoint took (or that was given up on).")
    attempts: Int("Failed attempts at the next event so far.", minimum=0)
    next_attempt_at: Timestamp("When the next event is tried again; null: as soon as there is one.") | None
    failing_since: Timestamp("Since when the next event fails; null: not failing.") | None


@answer
class WebhookAttempt(TypedDict, total=False):
    event_id: Required[str]
    type: Enum(EVENT_TYPES)
    at: Required[Timestamp()]
    attempt: Required[Int("The attempt at this event (0: none was made, the event was past the retention).", minimum=0)]
    redelivery: bool
    status: Int("The receiver's HTTP status; null: no answer.") | None
    error: str | None
    took_ms: Number(minimum=0)
    gave_up: Bool("The retries were used up: the endpoint went on with the next event.")


@answer
class WebhookView(Webhook):
    delivery: WebhookDelivery
    deliveries: Annotated[list[WebhookAttempt], Field(description="The latest attempts, newest first.")]


@answer
class WebhookList(TypedDict):
    webhooks: list[Webhook]


@answer
class Redelivery(TypedDict):
    id: str
    event_id: str
    queued: Bool()


class WebhookInput(TypedDict):
    """Unknown fields are refused (422)."""

    url: Annotated[str, Field(max_length=2000, description="http(s); no loopback, private or link-local address.")]
    types: NotRequired[Annotated[list[Literal[EVENT_TYPES]] | None, Field(description="Empty or null: every type.")]]
    description: NotRequired[Annotated[str | None, Field(max_length=500)]]


class WebhookPatch(TypedDict, total=False):
    """Fields left out keep their value."""

    url: Annotated[str, Field(max_length=2000)]
    types: list[Literal[EVENT_TYPES]] | None
    description: Annotated[str | None, Field(max_length=500)]
    enabled: bool


class RedeliverInput(TypedDict):
    event_id: Annotated[str, Field(pattern="^[0-9]{1,20}-[0-9]{1,20}$", description="An event id of the feed.")]


# -- users -------------------------------------------------------------------------------------------------------


@answer
class Strike(TypedDict):
    comment_id: str
    weight: Int(minimum=0)
    categories: list[Category]
    reason: str
    at: Timestamp() | None
    expires_at: Timestamp()


@answer
class Ban(TypedDict):
    until: Timestamp("Null: for good.") | None
    reason: str | None
    by: Str("Moderator, key id, or `policy` for automatic bans.") | None
    at: Timestamp()
    automatic: Bool()


@with_config(ConfigDict(extra="allow"))
class UserEvent(TypedDict):
    """A recent event: strike, ban, unban, reset or decision; fields depend on the type."""

    type: Enum(("strike", "ban", "unban", "reset", "decision", "undo"))
    at: Timestamp() | None
    until: NotRequired[Timestamp("Ban end; null when for good or not a ban.") | None]


@answer
class UserComment(TypedDict):
    id: str
    state: Enum(STATES)
    received_at: Timestamp()
    text: Str("Null once the comment's full record's term is over (MODERATION_FULL_RECORD_DAYS).") | None
    article_id: str | None
    verdict: Verdict | None
    reasons: list[Reason]


class _UserStateFields(TypedDict):
    user_id: str
    strikes: Int("Active strikes (the sum of their weights).", minimum=0)
    banned: Bool()
    banned_until: Timestamp("End of the ban; null when not banned or banned for good.") | None


@answer
class UserView(_UserStateFields):
    active_strikes: list[Strike]
    ban: Ban | None
    history: Annotated[list[UserEvent], Field(description="Newest first.")]
    comments: Annotated[list[UserComment], Field(description="Recent comments, newest first.")]


@answer
class UserStateAnswer(_UserStateFields):
    """The user's state after the change."""


class UserIdPath(TypedDict):
    user_id: Id()


class BanInput(TypedDict):
    duration_s: NotRequired[Integer("Seconds; left out or null: for good.", minimum=1, maximum=TEN_YEARS_S) | None]
    reason: String(max_length=500)
    moderator: NotRequired[Id("Who bans; default: the calling key's id.") | None]


class UserActionInput(TypedDict):
    """Optional body (an empty body is the same as {})."""

    reason: NotRequired[String(max_length=500) | None]
    moderator: NotRequired[Id("Who acts; default: the calling key's id.") | None]


# -- admin -------------------------------------------------------------------------------------------------------


@answer
class RateLimitShape(TypedDict):
    """A token bucket: ``burst`` requests at once, refilled at ``per_s`` a second."""

    per_s: Number("Requests a second, above 0.", minimum=0)
    burst: Int("Requests at once.", minimum=1)


@answer
class ApiKey(TypedDict):
    id: Str("First 16 hex digits of the key's SHA-256.", pattern="^[0-9a-f]{16}$")
    role: Enum(ROLES)
    name: str
    created_at: Timestamp()
    rate_limit: Annotated[RateLimitShape | None, Field(description="The key's own rate limit; null: the site's.")]


@answer
class KeyList(TypedDict):
    keys: list[ApiKey]


class KeyInput(TypedDict):
    """Unknown fields are ignored."""

    role: Choice(ROLES)
    name: NotRequired[String(max_length=200) | None]
    rate_limit: NotRequired[Object(RateLimitShape, "The key's own rate limit; left out or null: the site's.") | None]


class KeyChange(TypedDict):
    """Unknown fields are ignored."""

    rate_limit: Object(RateLimitShape, "The key's own rate limit; null: the site's.") | None


@answer
class NewKey(TypedDict):
    key: Str("The key; shown only in this answer.", pattern="^mk_[A-Za-z0-9_-]+$")
    id: Str(pattern="^[0-9a-f]{16}$")
    role: Enum(ROLES)
    site: str
    rate_limit: RateLimitShape | None


@answer
class Revoked(TypedDict):
    revoked: str


ThresholdPair = _shape(
    "ThresholdPair", {"review": Probability, "reject": Probability}, "Review and reject thresholds.", total=False
)
Thresholds = _shape(
    "Thresholds",
    {c: ThresholdPair for c in CATEGORIES},
    "The site's own operating point: per category, review and reject thresholds (calibrated scores) overriding the"
    " model's; categories and keys left out keep the model's. docs/MODEL.md lists the points to choose from.",
    total=False,
)
Weights = _shape(
    "Weights", {c: Int(minimum=0) for c in CATEGORIES}, "Strikes one rejection adds, per category (the largest counts)."
)
WeightsInput = _shape(
    "WeightsInput", {c: Int(minimum=0) for c in CATEGORIES}, "Categories left out keep their weight.", total=False
)
Domain = Str(min_length=1, max_length=253)


@answer
class Policy(TypedDict):
    """A site's strike and ban policy."""

    weights: Weights
    strike_ttl_s: Int("How long a strike counts.", minimum=1)
    ban_steps: Annotated[
        list[Annotated[list[Int(minimum=0)], Field(min_length=2, max_length=2)]],
        Field(description="[active strikes, ban seconds] pairs, strikes increasing; 0 seconds bans for good."),
    ]
    allowed_domains: Annotated[list[Domain], Field(description="Links to these hosts are not promotion.")]
    thresholds: Thresholds
    rate_limit: Annotated[
        RateLimitShape | None, Field(description="The limit of each of the site's keys that has none of its own; null: none.")
    ]
    events_retention_s: Int("How long the event log keeps an event (GET /v1/events).", minimum=3600, maximum=90 * 86400)
    verdict_events: Annotated[bool, Field(description="Also an event (comment.verdict) for every verdict.")]
    terms_url: Annotated[str | None, Field(description="Where the site's comment rules are published (statements of reasons).")]
    appeal: Annotated[str | None, Field(description="How an author can contest a decision: a URL or a sentence.")]


@answer
class PolicyInput(TypedDict, total=False):
    """Keys left out keep their current value. Unknown keys are refused (422)."""

    weights: WeightsInput
    strike_ttl_s: Int(minimum=1)
    ban_steps: Annotated[
        list[Annotated[list[int], Field(min_length=2, max_length=2)]],
        Field(description="[strikes > 0, seconds >= 0] pairs with strictly increasing strikes."),
    ]
    allowed_domains: list[Domain]
    thresholds: Thresholds
    rate_limit: RateLimitShape | None
    events_retention_s: Int(minimum=3600, maximum=90 * 86400)
    verdict_events: bool
    terms_url: Annotated[str | None, Field(max_length=1000)]
    appeal: Annotated[str | None, Field(max_length=1000)]


LabelRow = _shape(
    "LabelRow",
    {
        "text": Required[str],
        **{c: Literal[0, 1] for c in CATEGORIES},
        "source": Required[Str("The site the label came from.")],
    },
    "One line of GET /v1/labels: a training row for `moderator train --extra`.",
    total=False,
)


# -- integrations (ours) -----------------------------------------------------------------------------------------


class CoralSettingsInput(TypedDict):
    # At least one secret of at least 16 characters without spaces: the handler checks that (and says so) after this.
    secrets: ListOf(
        String(max_length=CORAL_SECRET_MAX, doc={"minLength": CORAL_SECRET_MIN}),
        CORAL_SECRETS_MAX,
        "The phase's signing secrets as Coral shows them (two while a rotated one is still active).",
        doc={"minItems": 1},
    )
    format: NotRequired[Choice(CORAL_FORMATS, "The phase's body format (default PLAIN_TEXT).") | None]


@answer
class CoralSecret(TypedDict, total=False):
    fingerprint: Str("First 12 hex digits of the secret's SHA-256.")
    prefix: str


@answer
class CoralSettings(TypedDict):
    integration: Literal["coral"]
    configured: Bool()
    url: Str("The URL to enter as the phase's endpoint in Coral.")
    format: NotRequired[Enum(CORAL_FORMATS)]
    secrets: NotRequired[Annotated[list[CoralSecret], Field(description="Never the secrets themselves.")]]
    updated_at: NotRequired[Timestamp() | None]


# -- models ------------------------------------------------------------------------------------------------------

ModelThreshold = _shape("ModelThreshold", {"review": float, "reject": float}, "The model's thresholds for one category.")
ModelThresholds = _shape("ModelThresholds", {c: ModelThreshold for c in CATEGORIES}, "The model's thresholds per category.")


@answer
class ShadowVersion(TypedDict):
    """The shadow model, when one is set."""

    version: str


@answer
class ModelInfo(TypedDict):
    version: Str("The active model version.")
    thresholds: ModelThresholds
    card: Annotated[dict[str, Any], Field(description="The model card: training files, metrics, thresholds, libraries.")]
    shadow: ShadowVersion | None


@answer
class ShadowVerdicts(TypedDict):
    version: str
    verdict: Enum(VERDICTS)
    scores: Scores
    reasons: list[str]


@answer
class ShadowCounts(TypedDict):
    compared: Int(minimum=0)
    agreed: Int(minimum=0)
    agreement: Number(minimum=0, maximum=1) | None
    pairs: dict[str, Int(minimum=0)]


@answer
class Disagreement(TypedDict):
    comment_id: str
    at: Number("Seconds since the epoch.")
    active: ShadowVerdicts
    shadow: ShadowVerdicts


@answer
class ShadowSummary(TypedDict):
    active: Str("The active model version.")
    shadow: Str("The shadow model version, when one is set.") | None
    versions: Annotated[
        dict[str, ShadowCounts],
        Field(description="Per shadow version: comments compared, agreed, agreement rate, counts per verdict pair."),
    ]
    disagreements: Annotated[list[Disagreement], Field(description="Newest first.")]


# -- health and errors -------------------------------------------------------------------------------------------


@answer
class Health(TypedDict):
    status: Literal["ok"]


@answer
class Readiness(TypedDict):
    status: Enum(("ok", "unavailable"))
    redis: Enum(("ok", "unavailable"))
    model: Str("Model version.")


@answer
class ErrorBody(TypedDict):
    status: Int("The HTTP status.", minimum=400, maximum=599)
    code: Enum(ERROR_CODES)
    message: str
    fields: NotRequired[Annotated[list[FieldError], Field(description="Only on 422: every bad field.")]]
    oldest_cursor: NotRequired[Str("Only on 410 (code cursor_expired): the cursor that reads from the oldest event kept.")]


@answer
class Error(TypedDict):
    """The one shape of every error answer."""

    error: ErrorBody


# -- the console's JSON and form bodies (the pages themselves are not in the document) ---------------------------


class ConsoleLogin(TypedDict):
    moderator: Id(max_length=100)


class ConsoleDecision(DecisionFields):
    """A decision posted by the console (the moderator is the signed-in one)."""

    comment_id: Id()


class ConsoleUndo(TypedDict):
    comment_id: Id()


class ConsoleBanForm(TypedDict):
    reason: String(max_length=500)
    duration_s: NotRequired[String(max_length=12) | None]


class ConsoleUserActionForm(TypedDict):
    reason: NotRequired[String(max_length=500) | None]
    duration_s: NotRequired[String(max_length=12) | None]


# -- drop-ins: Perspective (Comment Analyzer v1alpha1) ------------------------------------------------------------
# Shapes only: service.compat.perspective parses the body itself, with Google's errors. Google's JSON mapping takes
# each field under its JSON name (lowerCamel) or its proto name (snake_case), and null for "not set".


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _proto(name: str, fields: dict, description: str) -> type:
    """Return a Perspective message: every field optional and nullable, under both names, nothing else."""
    both = {}
    for camel, annotation in fields.items():
        both[camel] = annotation | None
        if _snake(camel) != camel:
            both[_snake(camel)] = annotation | None
    return _shape(name, both, description, total=False)


PERSPECTIVE_TEXT_TYPES = ("TEXT_TYPE_UNSPECIFIED", "PLAIN_TEXT", "HTML")
PERSPECTIVE_SCORE_TYPES = ("SCORE_TYPE_UNSPECIFIED", "PROBABILITY", "STD_DEV_SCORE", "PERCENTILE", "RAW")
TextEntry = _proto(
    "TextEntry",
    {"text": str, "type": Enum(PERSPECTIVE_TEXT_TYPES, "Only PLAIN_TEXT (or unset) is scored; HTML is refused.")},
    "A text (Perspective's TextEntry).",
)
ArticleAndParentComment = _proto(
    "ArticleAndParentComment", {"article": TextEntry, "parentComment": TextEntry}, "Context: the article and the parent comment."
)
PerspectiveContext = _proto(
    "PerspectiveContext",
    {"entries": list[TextEntry], "articleAndParentComment": ArticleAndParentComment},
    "Checked for type and otherwise ignored; not both kinds at once.",
)
AttributeParameters = _proto(
    "AttributeParameters",
    {
        "scoreType": Enum(PERSPECTIVE_SCORE_TYPES, "Only PROBABILITY (or unset) is answered; the others are refused."),
        "scoreThreshold": Annotated[
            Union[float, Str(pattern=r"\S")],  # noqa: UP007
            Field(description="Scores below it are left out. A number, or a numeric string as Google's JSON mapping allows."),
        ],
    },
    "What to answer for one attribute.",
)
AnalyzeCommentRequest = _proto(
    "AnalyzeCommentRequest",
    {
        "comment": TextEntry,
        "context": PerspectiveContext,
        "requestedAttributes": Annotated[
            dict[str, AttributeParameters | None],
            Field(description="Attribute name (e.g. TOXICITY, or TOXICITY@6) -> parameters; at least one is needed."),
        ],
        "languages": Annotated[list[str], Field(description="Only English is scored (en, en-US, ...); unset: English.")],
        "doNotStore": Bool("Honoured whatever its value: nothing is stored."),
        "clientToken": Str("Echoed in the answer."),
        "sessionId": str,
        "communityId": str,
        "spanAnnotations": Bool("Span scores per sentence."),
        "dropUnsupportedAttributes": Bool("Drop attributes not supported in the requested languages rather than refuse."),
    },
    "Perspective's AnalyzeCommentRequest: `comment.text` and `requestedAttributes` are needed; an unknown field is refused"
    " (400). See docs/COMPATIBILITY.md.",
)


@answer
class PerspectiveScore(TypedDict):
    value: Number(minimum=0, maximum=1)
    type: Literal["PROBABILITY"]


@answer
class SpanScore(TypedDict):
    begin: Int("UTF-16 code units from the start of the text.", minimum=0)
    end: Int("UTF-16 code units, exclusive.", minimum=0)
    score: PerspectiveScore


@answer
class AttributeScores(TypedDict):
    spanScores: NotRequired[Annotated[list[SpanScore], Field(description="With spanAnnotations: one per sentence.")]]
    summaryScore: PerspectiveScore


@answer
class AnalyzeCommentResponse(TypedDict):
    """Perspective's AnalyzeCommentResponse; attributes in the order requested, absent when none is left."""

    attributeScores: NotRequired[dict[str, AttributeScores]]
    languages: list[str]
    detectedLanguages: list[Literal["en"]]
    clientToken: NotRequired[str]


SuggestedScore = _proto(
    "SuggestedScore",
    {
        "value": Annotated[float, Field(ge=0, le=1, description="0 to 1; required.")],
        "type": Enum(PERSPECTIVE_SCORE_TYPES, "PROBABILITY (or unset) only."),
    },
    "A suggested score (Perspective's Score).",
)
SuggestedSpanScore = _proto(
    "SuggestedSpanScore",
    {"begin": Annotated[int, Field(ge=0)], "end": Annotated[int, Field(ge=0)], "score": SuggestedScore},
    "A suggested score of part of the text; begin, end and score are required.",
)
SuggestedAttributeScores = _proto(
    "SuggestedAttributeScores",
    {"summaryScore": SuggestedScore, "spanScores": list[SuggestedSpanScore]},
    "Suggested scores of one attribute: the summary, or span scores (the highest stands for the comment); not empty.",
)
SuggestCommentScoreRequest = _proto(
    "SuggestCommentScoreRequest",
    {
        "comment": TextEntry,
        "context": PerspectiveContext,
        "attributeScores": Annotated[
            dict[str, SuggestedAttributeScores],
            Field(description="Attribute name -> suggested scores; not empty. docs/COMPATIBILITY.md maps them to labels."),
        ],
        "languages": list[str],
        "clientToken": Str("Echoed in the answer."),
        "sessionId": str,
        "communityId": Str("Kept with the label."),
    },
    "Perspective's SuggestCommentScoreRequest: `comment.text` and `attributeScores` are needed. See docs/COMPATIBILITY.md.",
)


@answer
class SuggestCommentScoreResponse(TypedDict):
    """Perspective's SuggestCommentScoreResponse."""

    detectedLanguages: list[Literal["en"]]
    requestedLanguages: NotRequired[list[str]]
    clientToken: NotRequired[str]


@answer
class GoogleErrorBody(TypedDict):
    code: Int("The HTTP status.", minimum=400, maximum=599)
    message: str
    status: Str("Google's canonical code, e.g. INVALID_ARGUMENT.", pattern="^[A-Z_]+$")
    details: NotRequired[list[dict[str, Any]]]


@answer
class GoogleError(TypedDict):
    """Google's error shape, as Perspective answers it."""

    error: GoogleErrorBody


# -- drop-ins: Coral Talk's external moderation phase -------------------------------------------------------------


class CoralComment(TypedDict):
    body: String()
    parentID: NotRequired[Id() | None]


class CoralAuthor(TypedDict):
    id: Id()


class CoralStory(TypedDict):
    id: Id()


class CoralRequest(TypedDict):
    """Coral's External Moderation Request. Other fields (site, tenantID, tenantDomain, tenant, author.role, story.url)
    are read when present and otherwise ignored."""

    action: Choice(("NEW", "EDIT"))
    comment: Object(CoralComment)
    author: Object(CoralAuthor)
    story: Object(CoralStory)


@answer
class CoralAction(TypedDict):
    actionType: Literal["FLAG"]
    reason: Enum(("COMMENT_DETECTED_TOXIC", "COMMENT_DETECTED_SPAM"))


@answer
class CoralRejectionReason(TypedDict):
    code: Enum(("BANNED_WORD", "ABUSIVE", "HARASSMENT_BULLYING", "SPAM", "OTHER"), "Coral's REJECTION_REASON_CODE.")
    detailedExplanation: Str("The site's rule the comment breaks, how it was found, where the rules are, how to contest.")


@answer
class CoralModerationAction(TypedDict):
    status: Literal["REJECTED"]
    rejectionReason: CoralRejectionReason


@answer
class CoralAnswer(TypedDict):
    """Coral's External Moderation Response: REJECTED for reject, SYSTEM_WITHHELD for review (or a text too long)."""

    status: Enum(("REJECTED", "SYSTEM_WITHHELD"))
    actions: NotRequired[list[CoralAction]]
    moderationAction: NotRequired[
        Annotated[CoralModerationAction, Field(description="On a rejection: the reason Coral 9 stores and can show the author.")]
    ]


# -- drop-ins: Akismet 1.1 (form-encoded) ------------------------------------------------------------------------


class AkismetOurs(TypedDict):
    comment_id: NotRequired[Id("Our own parameter: a comment this site submitted; its stored text is used.")]


class AkismetVerifyKey(TypedDict, total=False):
    """Akismet's verify-key: `valid` for one of our API keys with a blog."""

    api_key: Str("One of this service's API keys (any role).")
    key: Str("The same, as older clients send it.")
    blog: str


class AkismetComment(AkismetOurs, total=False):
    """Akismet's comment parameters; `api_key` (or `key`) is one of our API keys. Others Akismet defines are ignored."""

    api_key: Str("One of this service's API keys (any role).")
    key: Str("The same, as older clients send it.")
    blog: Required[str]
    user_ip: Required[str]
    comment_content: Str("The text checked or labelled (cut to max_text_chars).")
    comment_author: Str("`akismet-guaranteed-spam` always answers true.")
    comment_author_email: str
    user_role: Str("`administrator` always answers false.")
    is_test: Str("`1` on submit-spam/ham: nothing is recorded.")


# -- the request bodies the endpoints validate ---------------------------------------------------------------------

COMMENT = Schema(CommentInput)
BATCH = Schema(BatchInput)
SCORE = Schema(ScoreInput)
DECISION = Schema(DecisionInput)
UNDO = Schema(UndoInput)
CLAIM = Schema(ClaimInput)
USER_ID = Schema(UserIdPath)
BAN = Schema(BanInput)
USER_ACTION = Schema(UserActionInput)
KEY = Schema(KeyInput)
KEY_CHANGE = Schema(KeyChange)
CORAL_SETTINGS = Schema(CoralSettingsInput)
CORAL_REQUEST = Schema(CoralRequest)
CORAL_COMMENT = Schema(CoralComment)
CORAL_AUTHOR = Schema(CoralAuthor)
CORAL_STORY = Schema(CoralStory)
AKISMET_COMMENT_ID = Schema(AkismetOurs)
CONSOLE_LOGIN = Schema(ConsoleLogin)
CONSOLE_DECISION = Schema(ConsoleDecision)
CONSOLE_UNDO = Schema(ConsoleUndo)
CONSOLE_BAN = Schema(ConsoleBanForm)
CONSOLE_USER_ACTION = Schema(ConsoleUserActionForm)
