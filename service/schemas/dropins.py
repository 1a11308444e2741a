"""The drop-in APIs' shapes: Perspective (Comment Analyzer v1alpha1), Coral Talk's external moderation phase and
Akismet 1.1, declared once with pydantic for the OpenAPI document and, where the service validates them this way, for
``service.validation``."""

import re
from typing import Annotated, Any, Literal, NotRequired, Required, Union

from pydantic import Field
from typing_extensions import TypedDict

from .kinds import Bool, Choice, Enum, Id, Int, Number, Object, Schema, Str, String, answer, shape

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
    return shape(name, both, description, total=False)


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


# -- the request bodies the drop-ins validate this way ---------------------------------------------------------------

CORAL_REQUEST = Schema(CoralRequest)
CORAL_COMMENT = Schema(CoralComment)
CORAL_AUTHOR = Schema(CoralAuthor)
CORAL_STORY = Schema(CoralStory)
AKISMET_COMMENT_ID = Schema(AkismetOurs)
