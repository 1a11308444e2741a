"""A site's policy (strikes, bans, allowed domains, thresholds, rate limit, the event log): its shapes and checks.

Apart from the rest of the native API so that ``service.config`` can check a
policy (``POLICY``, ``RATE_LIMIT``) with ``service.validation`` as every request
body is checked, without loading the app: this module needs only the kinds and
the settings. Beyond what the document shows (bounds, order), a policy is
checked in Python with pydantic's own errors, each at its place.
"""

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from typing_extensions import TypedDict

from moderation.classifier.types import CATEGORIES

from ..config import EVENTS_RETENTION_RANGE_S, MAX_RATE, MAX_SECONDS, MAX_STRIKES, POLICY_KEYS, STATEMENT_TEXT_MAX
from .kinds import Int, Number, Probability, Schema, Str, Words, answer, at, bounded, error, fail, shape


@answer
class RateLimitShape(TypedDict):
    """A token bucket: ``burst`` requests at once, refilled at ``per_s`` a second."""

    per_s: Annotated[Number("Requests a second, above 0.", minimum=0), bounded(gt=0, le=MAX_RATE)]
    burst: Annotated[Int("Requests at once.", minimum=1), bounded(le=MAX_RATE)]


#: How a rate limit words its errors (a policy's, a key's).
RATE_LIMIT_WORDS = Words(
    {"*": 'must be {"per_s": number, "burst": integer} or null', "extra_forbidden": "is not a rate limit field (per_s, burst)"},
    at={
        "per_s": Words({"*": f"must be a number above 0 and at most {MAX_RATE}"}),
        "burst": Words({"*": f"must be an integer from 1 to {MAX_RATE}"}),
    },
)


def _ordered(pair: dict) -> dict:
    """A category's thresholds name one at least, and review is not above reject (a check the document does not show)."""
    if not pair:
        raise error("too_short", {"min_length": 1})
    if pair.get("review", 0) > pair.get("reject", 1):
        raise at([(("review",), pair["review"], fail("must not be above reject"), None)])
    return pair


ThresholdPair = shape(
    "ThresholdPair", {"review": Probability, "reject": Probability}, "Review and reject thresholds.", total=False
)
Thresholds = shape(
    "Thresholds",
    {c: Annotated[ThresholdPair, AfterValidator(_ordered)] for c in CATEGORIES},
    "The site's own operating point: per category, review and reject thresholds (calibrated scores) overriding the"
    " model's; categories and keys left out keep the model's. docs/MODEL.md lists the points to choose from.",
    total=False,
)
Weights = shape(
    "Weights", {c: Int(minimum=0) for c in CATEGORIES}, "Strikes one rejection adds, per category (the largest counts)."
)
WeightsInput = shape(
    "WeightsInput",
    {c: Annotated[Int(minimum=0), bounded(le=MAX_STRIKES)] for c in CATEGORIES},
    "Categories left out keep their weight.",
    total=False,
)
Domain = Str(min_length=1, max_length=253)


def _ban_steps(steps: list[list[int]]) -> list[list[int]]:
    """Strikes from 1 and increasing, seconds from 0 (for good), neither above its most."""
    errors, before = [], 0
    for i, (strikes, seconds) in enumerate(steps):
        if not 1 <= strikes <= MAX_STRIKES:
            errors.append(((i, 0), strikes, "less_than_equal", {"le": MAX_STRIKES}))
        elif strikes <= before:
            errors.append(((i, 0), strikes, fail("must be more strikes than the step before"), None))
        else:
            before = strikes
        if not 0 <= seconds <= MAX_SECONDS:
            errors.append(((i, 1), seconds, "less_than_equal", {"le": MAX_SECONDS}))
    if errors:
        raise at(errors)
    return steps


def _pair(step: Any) -> Any:
    # A step that is no pair is told so, whatever it holds (pydantic-core would look at its items first).
    if isinstance(step, list) and len(step) != 2:
        raise error("too_long" if len(step) > 2 else "too_short", {"min_length": 2, "max_length": 2})
    return step


def _ascii_host(domain: str) -> str:
    if not domain.isascii() or not domain.isprintable():
        raise error("string_unicode")
    return domain


def _printable(text: str | None) -> str | None:
    if text is not None and not text.isprintable():
        raise error("string_pattern_mismatch")
    return text


def _web(url: Any, handler: ValidatorFunctionWrapHandler) -> str | None:
    """The terms are at an http(s) URL: told too when the text is also wrong."""
    wrong = isinstance(url, str) and url and not url.startswith(("https://", "http://"))
    try:
        url = handler(url)
    except ValidationError:
        if not wrong:
            raise
        raise at([((), url, error("string_pattern_mismatch"), None), ((), url, fail("must be an http(s) URL"), None)]) from None
    if wrong:
        raise fail("must be an http(s) URL")
    return url


_STATEMENT = Words({"*": f"must be null or text of at most {STATEMENT_TEXT_MAX} printable characters"})


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

    weights: Annotated[
        WeightsInput,
        Words(
            {"*": "must be an object of category: integer", "extra_forbidden": f"is not a category ({', '.join(CATEGORIES)})"},
            items=Words({"*": f"must be an integer from 0 to {MAX_STRIKES}"}),
        ),
    ]
    strike_ttl_s: Annotated[
        Int(minimum=1), bounded(le=MAX_SECONDS), Words({"*": f"must be an integer from 1 to {MAX_SECONDS} (seconds)"})
    ]
    ban_steps: Annotated[
        list[Annotated[list[int], Field(min_length=2, max_length=2), BeforeValidator(_pair)]],
        Field(description="[strikes > 0, seconds >= 0] pairs with strictly increasing strikes."),
        AfterValidator(_ban_steps),
        Words(
            {"*": "must be a list of [strikes, seconds] pairs"},
            items=Words(
                {"*": "must be a [strikes, seconds] pair"},
                at={
                    0: Words({"*": f"must be an integer from 1 to {MAX_STRIKES} (strikes)"}),
                    1: Words({"*": f"must be an integer from 0 (for good) to {MAX_SECONDS} (seconds)"}),
                },
            ),
        ),
    ]
    allowed_domains: Annotated[
        list[
            Annotated[
                Domain,
                AfterValidator(_ascii_host),
                Words(
                    {
                        "*": "must be a host name of 1 to 253 characters",
                        "string_unicode": "must be an ASCII host name (use the xn-- form for others)",
                    },
                    {"max_length": 253},
                ),
            ]
        ],
        Words({"*": "must be a list of host names"}),
    ]
    thresholds: Annotated[
        Thresholds,
        Words(
            {
                "*": 'must be an object of category: {"review": p, "reject": p}',
                "extra_forbidden": f"is not a category ({', '.join(CATEGORIES)})",
            },
            items=Words(
                {
                    "*": 'must be {"review": p, "reject": p} (either may be left out)',
                    "extra_forbidden": "is not a threshold (review, reject)",
                },
                items=Words({"*": "must be a number from 0 to 1"}),
            ),
        ),
    ]
    rate_limit: Annotated[RateLimitShape | None, RATE_LIMIT_WORDS]
    events_retention_s: Annotated[
        Int(minimum=EVENTS_RETENTION_RANGE_S[0], maximum=EVENTS_RETENTION_RANGE_S[1]),
        Words({"*": "must be an integer from {} to {} (seconds)".format(*EVENTS_RETENTION_RANGE_S)}),
    ]
    verdict_events: Annotated[bool, Words({"*": "must be true or false"})]
    terms_url: Annotated[str | None, Field(max_length=STATEMENT_TEXT_MAX), AfterValidator(_printable), WrapValidator(_web), _STATEMENT]
    appeal: Annotated[str | None, Field(max_length=STATEMENT_TEXT_MAX), AfterValidator(_printable), _STATEMENT]


#: A site's policy (or the part of it a change gives), checked as a whole: no type conversions, no unknown key.
POLICY = Schema(Annotated[PolicyInput, Words({"*": "must be a JSON object", "extra_forbidden": f"is not a policy key ({', '.join(POLICY_KEYS)})"})], strict=True)
#: A rate limit's JSON form (null is none, and is told apart before this).
RATE_LIMIT = Schema(Annotated[RateLimitShape, RATE_LIMIT_WORDS], strict=True)
