"""The native API's request and answer shapes (``/v1/...``), declared once with pydantic.

From these declarations come both the validation of request bodies
(``service.validation.validate(body, SCHEMA)``: every bad field reported at
once) and the schemas of the OpenAPI document (``service.openapi``). Answers are
not checked at run time: their shapes are for the document, and the tests check
real answers against it. The kinds of fields are ``service.schemas.kinds``'s.
"""

import re
from typing import Annotated, Any, Literal, NotRequired, Required

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    with_config,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType, TypedDict

from moderation.classifier.site_words import MAX_ENTRY, canonical, check
from moderation.classifier.types import CATEGORIES

from ..actions.events import EVENT_TYPES
from ..roles import ROLES
from .kinds import (
    BATCH_MAX,
    TEN_YEARS_S,
    TEXT_MAX,
    Batch,
    Bool,
    Choice,
    Enum,
    Id,
    Int,
    Integer,
    ListOf,
    Number,
    Object,
    Probability,
    Schema,
    Str,
    String,
    Text,
    Time,
    Timestamp,
    Words,
    answer,
    at,
    choices,
    fail,
    shape,
)
from .policy import RateLimitShape

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


# -- what the classifier says ------------------------------------------------------------------------------------

Verdict = TypeAliasType(
    "Verdict",
    Annotated[Literal[VERDICTS], Field(description="approve: publish; review: hold for a moderator; reject: do not publish.")],
)
Category = TypeAliasType("Category", Annotated[Literal[CATEGORIES], choices(CATEGORIES)])
Reason = TypeAliasType(
    "Reason",
    Str(
        "Why: `<category>:<rule|site|model>:<block|review|reject>`, strongest first (`rule`: the packaged lists, `site`:"
        " the site's own word lists, `model`: the classifier's score); `user_banned` when the user is banned,"
        " `store_unavailable` when Redis was down and the verdict was turned into review.",
        pattern=f"^(user_banned|store_unavailable|({'|'.join(CATEGORIES)}):(rule|site|model):(block|review|reject))$",
    ),
)
Scores = shape("Scores", {c: Probability for c in CATEGORIES}, "Probability per category (6 decimals).")


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


#: The longest note kept with an entry.
WORD_NOTE_MAX = 500
#: Control characters, but tab and line breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ONE_OF_SEVERITIES = f"must be one of {', '.join(WORD_SEVERITIES)}"


def _no_control(text: str) -> str:
    if _CONTROL.search(text):
        raise fail("must not contain control characters")
    return text


def Plain(description: str | None = None, max_length: int = 200, **constraints: Any) -> Any:
    """A name, a note or a pattern kept with the word lists: text of at most ``max_length`` characters, without control
    characters (tab and line breaks are fine) or unpaired surrogates."""
    return Annotated[
        str,
        Field(description=description, max_length=max_length, **constraints),
        AfterValidator(_no_control),
        Words(
            {"*": "must be text of at most {max_length} characters", "string_unicode": "must not contain unpaired surrogates"},
            {"max_length": max_length},
        ),
    ]


def _word(pattern: str) -> str:
    """A pattern the lists can hold, whatever its severity (an allow entry's one word is checked with the entry)."""
    _, problem = check(pattern, "block")
    if problem:
        raise fail(problem)
    return pattern


def _one_word_if_allowed(raw: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """An allow entry is one word: told with the entry's other problems, as its pattern's own are."""
    problem = None
    if isinstance(raw, dict) and raw.get("severity") == "allow" and isinstance(raw.get("pattern"), str):
        problem = None if check(raw["pattern"], "block")[1] else check(raw["pattern"], "allow")[1]
    try:
        entry = handler(raw)
    except ValidationError as exc:
        if not problem:
            raise
        found = [(e["loc"], e["input"], PydanticCustomError(e["type"], e["msg"], e.get("ctx")), None) for e in exc.errors()]
        raise at([*found, (("pattern",), raw["pattern"], fail(problem), None)]) from None
    if problem:
        raise at([(("pattern",), raw["pattern"], fail(problem), None)])
    return entry


def _a_pattern(text: str) -> str:
    if not canonical(text):
        raise fail("must be an entry's pattern")
    return text


@answer
class SiteWordInput(TypedDict):
    """An entry to add. Words of letters, digits, ' and -, with * at a word's start or end; a phrase; or a domain."""

    pattern: Annotated[
        Str("At most 200 characters.", max_length=MAX_ENTRY),
        AfterValidator(_word),
        Words(
            {
                "*": "must be text",
                "missing": "must be text",
                "string_too_long": "is longer than {max_length} characters",
                "string_unicode": "must not contain unpaired surrogates",
            }
        ),
    ]
    severity: Annotated[Enum(WORD_SEVERITIES), Words({"*": _ONE_OF_SEVERITIES, "missing": _ONE_OF_SEVERITIES})]
    category: NotRequired[
        Annotated[
            Enum(CATEGORIES, "Default: abuse for a word, promotion for a domain."),
            Words({"*": f"must be one of {', '.join(CATEGORIES)}"}),
        ]
    ]
    note: NotRequired[Plain(max_length=WORD_NOTE_MAX)]


@answer
class SiteWordsInput(TypedDict):
    """Every entry of the lists (PUT replaces them all). Nothing is applied when any entry is bad."""

    entries: list[SiteWordInput]
    moderator: NotRequired[Plain("Recorded as who added the entries.")]


_Patterns = Annotated[
    list[
        Annotated[
            Plain("An entry's pattern.", min_length=1, max_length=MAX_ENTRY),
            AfterValidator(_a_pattern),
            Words({"string_too_short": "must be an entry's pattern"}),
        ]
    ],
    Words({"*": "must be a list of patterns"}),
]


@answer
class SiteWordsPatch(TypedDict, total=False):
    """Entries to add (or change) and patterns to remove, together."""

    add: list[SiteWordInput]
    remove: _Patterns
    moderator: Plain("Recorded as who added the entries.")


# What the word lists' requests are checked with (the shapes above are the document's): a body's own fields first,
# then its moderator and its entries, all of whose problems are answered together (service.actions.words).


@answer
class WordsReplaced(TypedDict):
    entries: Any
    moderator: NotRequired[Any]


@answer
class WordsChanged(TypedDict, total=False):
    add: list[Any]
    remove: list[Any]
    moderator: Any


class WordsBy(TypedDict):
    moderator: Plain()


class WordsRemoved(TypedDict):
    remove: _Patterns


WORDS_REPLACED = Schema(Annotated[WordsReplaced, Words({"*": "must be an object with entries"})], strict=True)
WORDS_CHANGED = Schema(Annotated[WordsChanged, Words({"*": "must be an object with add and/or remove"})], strict=True)
#: Who a change of the word lists is recorded as made by (given in the body or the query).
WORDS_BY = Schema(WordsBy, strict=True)
#: One entry of a site's word lists, checked on its own: problems are named by its place, or its line in a text body.
WORD_ENTRY = Schema(
    Annotated[
        SiteWordInput,
        WrapValidator(_one_word_if_allowed),
        Words({"*": "must be an object with pattern and severity", "extra_forbidden": "is not a field of an entry"}),
    ],
    strict=True,
)
#: The patterns a change removes.
WORDS_REMOVED = Schema(WordsRemoved, strict=True)


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


def _shown(reason: str) -> str:
    """A ban says why: its reason is the audit note and the facts of its statement of reasons (docs/EVENTS.md)."""
    if not reason.strip():
        raise fail("must not be empty")
    return reason


class BanInput(TypedDict):
    # A ban from the API or from the console's ban form: one rule at both front doors (no docstring: it would be
    # the component's description in the document).
    duration_s: NotRequired[Integer("Seconds; left out or null: for good.", minimum=1, maximum=TEN_YEARS_S) | None]
    reason: Annotated[String(max_length=500), AfterValidator(_shown)]
    moderator: NotRequired[Id("Who bans; default: the calling key's id.") | None]


class UserActionInput(TypedDict):
    """Optional body (an empty body is the same as {})."""

    reason: NotRequired[String(max_length=500) | None]
    moderator: NotRequired[Id("Who acts; default: the calling key's id.") | None]


# -- admin -------------------------------------------------------------------------------------------------------


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




LabelRow = shape(
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

ModelThreshold = shape("ModelThreshold", {"review": float, "reject": float}, "The model's thresholds for one category.")
ModelThresholds = shape("ModelThresholds", {c: ModelThreshold for c in CATEGORIES}, "The model's thresholds per category.")


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
