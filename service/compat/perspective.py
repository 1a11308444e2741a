"""Perspective API (Comment Analyzer v1alpha1) compatibility: ``POST /v1alpha1/comments:analyze``.

A client written for Google's Perspective API works here by changing its base
URL only. The request and answer shapes, the error shape (Google's
``{"error": {"code", "message", "status", "details"}}``) and the error
messages follow Perspective's; the scores come from this service's three
categories (abuse, attack, promotion) through the mapping in ``ATTRIBUTES``.
``docs/COMPATIBILITY.md`` describes the contract, the mapping and its reasons.

Nothing is stored: the endpoint only reads the API key and the site's allowed
domains, so ``doNotStore`` holds whatever its value.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from moderation.classifier.normalize import blank
from moderation.classifier.types import Assessment

from .. import codec
from .. import openapi as doc
from ..actions.errors import ActionError, StoreUnavailable
from ..actions.labels import record_feedback, training_text
from ..auth import KeyRefused, authenticate, presented_key
from ..current import services
from ..errors import ApiError, api_error
from ..offsets import utf16_offsets
from ..schemas import (
    AnalyzeCommentRequest,
    AnalyzeCommentResponse,
    GoogleError,
    SuggestCommentScoreRequest,
    SuggestCommentScoreResponse,
)
from . import perspective_discovery, relaxed_json

log = logging.getLogger(__name__)

bp = Blueprint("perspective", __name__)

_GOOGLE_ERROR = "Google's error shape, with the messages Perspective's documentation lists"
_KEY = (
    "One of this service's API keys (any role) where the Google key was: `?key=`, `X-Goog-Api-Key`,"
    " `Authorization: Bearer` or `X-API-Key`."
)
_KEY_PARAMETERS = [
    doc.param("key", "query", doc.string(), _KEY),
    doc.param("X-Goog-Api-Key", "header", doc.string(), "The key, as Google's clients may send it."),
]

PATH = "/v1alpha1/comments:analyze"
#: Perspective's own limit on the comment text: 20 KB of UTF-8.
MAX_TEXT_BYTES = 20 * 1024
#: The only language the model was trained on.
LANGUAGE = "en"
PACKAGE = "google.commentanalyzer.v1alpha1"
ERROR_TYPE = f"type.googleapis.com/{PACKAGE}.Error"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
#: ErrorInfo ``domain`` of the key errors this service raises (Google's are "googleapis.com").
DOMAIN = "comment-moderation"
#: HTTP status -> google.rpc.Code name, for errors raised outside this module.
GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    415: "INVALID_ARGUMENT",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


# -- attributes --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    """How one Perspective attribute is scored from a comment's category probabilities.

    ``score`` takes ``(evidence, model, text)``: ``evidence`` is the category
    probabilities raised to 1.0 where a ``block`` rule of that category matched,
    ``model`` the model's probabilities alone. ``spans`` says whether the
    attribute is scored per sentence (attributes that carry no signal are not).
    """

    score: Callable[[dict, dict, str], float]
    spans: bool = True


def _toxicity(e: dict, m: dict, text: str) -> float:
    return max(e["abuse"], e["attack"])


def _severe(e: dict, m: dict, text: str) -> float:
    return max(m["abuse"], m["attack"]) ** 2


def _category(name: str) -> Callable[[dict, dict, str], float]:
    return lambda e, m, text: e[name]


def _likely_to_reject(e: dict, m: dict, text: str) -> float:
    return max(e.values())


def _respect(e: dict, m: dict, text: str) -> float:
    return 1.0 - _toxicity(e, m, text)


_WORD = re.compile(r"\w+")


def _unsubstantial(e: dict, m: dict, text: str) -> float:
    """A length heuristic, not the model: 3 words or fewer 1.0, falling linearly to 0.0 at 30 words."""
    words = len(_WORD.findall(text))
    return min(1.0, max(0.0, (30 - words) / 27))


def _nothing(e: dict, m: dict, text: str) -> float:
    return 0.0


_TOXICITY = Attribute(_toxicity)
_SEVERE = Attribute(_severe)
_ABUSE = Attribute(_category("abuse"))
_ATTACK = Attribute(_category("attack"))
_PROMOTION = Attribute(_category("promotion"))
_NO_SIGNAL = Attribute(_nothing, spans=False)

#: Every attribute Perspective documents (production, experimental, New York Times, bridging) -> how it is scored.
ATTRIBUTES: dict[str, Attribute] = {
    # production
    "TOXICITY": _TOXICITY,
    "SEVERE_TOXICITY": _SEVERE,
    "IDENTITY_ATTACK": _ABUSE,
    "INSULT": _ATTACK,
    "PROFANITY": _ABUSE,
    "THREAT": _ATTACK,
    # experimental
    "TOXICITY_EXPERIMENTAL": _TOXICITY,
    "SEVERE_TOXICITY_EXPERIMENTAL": _SEVERE,
    "IDENTITY_ATTACK_EXPERIMENTAL": _ABUSE,
    "INSULT_EXPERIMENTAL": _ATTACK,
    "PROFANITY_EXPERIMENTAL": _ABUSE,
    "THREAT_EXPERIMENTAL": _ATTACK,
    "SEXUALLY_EXPLICIT": _ABUSE,
    "FLIRTATION": _NO_SIGNAL,
    # trained on New York Times moderation
    "ATTACK_ON_AUTHOR": _ATTACK,
    "ATTACK_ON_COMMENTER": _ATTACK,
    "INCOHERENT": _NO_SIGNAL,
    "INFLAMMATORY": _TOXICITY,
    "LIKELY_TO_REJECT": Attribute(_likely_to_reject),
    "OBSCENE": _ABUSE,
    "SPAM": _PROMOTION,
    "UNSUBSTANTIAL": Attribute(_unsubstantial, spans=False),
    # bridging (experimental)
    "AFFINITY_EXPERIMENTAL": _NO_SIGNAL,
    "COMPASSION_EXPERIMENTAL": _NO_SIGNAL,
    "CURIOSITY_EXPERIMENTAL": _NO_SIGNAL,
    "NUANCE_EXPERIMENTAL": _NO_SIGNAL,
    "PERSONAL_STORY_EXPERIMENTAL": _NO_SIGNAL,
    "REASONING_EXPERIMENTAL": _NO_SIGNAL,
    "RESPECT_EXPERIMENTAL": Attribute(_respect),
}
#: ``NAME@VERSION`` asks for a version of an attribute; every version is answered by the one model.
_VERSIONED = re.compile(r"^([A-Z_]+)@[0-9]+$")
_SCORE_TYPES = ("PROBABILITY", "STD_DEV_SCORE", "PERCENTILE", "RAW")


def attribute_of(name: str) -> Attribute | None:
    """Return how ``name`` (``ATTR`` or ``ATTR@VERSION``) is scored; None when Perspective has no such attribute."""
    match = _VERSIONED.match(name)
    return ATTRIBUTES.get(match.group(1) if match else name)


def evidence(assessment: Assessment) -> tuple[dict, dict]:
    """Return (evidence, model) probabilities: evidence counts a ``block`` rule's category as certain."""
    model = dict(assessment.scores)
    raised = dict(model)
    for hit in assessment.rule_hits:
        if hit.severity == "block" and hit.category in raised:
            raised[hit.category] = 1.0
    return raised, model


# -- errors ------------------------------------------------------------------------------------------------------


class PerspectiveError(Exception):
    """An error answered in Google's error shape."""

    def __init__(self, code: int, status: str, message: str, details: list[dict] | None = None, headers=None):
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    def response(self):
        """Return the Flask response."""
        body = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            body["details"] = self.details
        response = jsonify({"error": body})
        response.status_code = self.code
        for name, value in self.headers.items():
            response.headers[name] = value
        return response


def invalid(message: str, error_type: str = "INVALID_REQUEST", **extra) -> PerspectiveError:
    """Return a 400 with Comment Analyzer's own error detail (``errorType`` as Perspective names it)."""
    return PerspectiveError(400, "INVALID_ARGUMENT", message, [{"@type": ERROR_TYPE, "errorType": error_type, **extra}])


def bad_payload(message: str, field: str | None = None) -> PerspectiveError:
    """Return a 400 for a body that does not parse into the request message (Google's JSON mapping errors)."""
    violation = {"field": field, "description": message} if field else {"description": message}
    return PerspectiveError(400, "INVALID_ARGUMENT", message, [{"@type": BAD_REQUEST, "fieldViolations": [violation]}])


def key_error(code: int, status: str, message: str, reason: str) -> PerspectiveError:
    """Return an API key error with a google.rpc.ErrorInfo detail."""
    info = {"@type": ERROR_INFO, "reason": reason, "domain": DOMAIN, "metadata": {"service": "commentanalyzer"}}
    return PerspectiveError(code, status, message, [info])


def from_api_error(error: ApiError) -> PerspectiveError:
    """Return the Google-shaped form of one of the service's own errors (e.g. the store being down)."""
    status = GOOGLE_STATUS.get(error.status, "UNKNOWN")
    reason = error.code.upper()
    if error.status == 503:
        message = "The service is currently unavailable."
    elif error.status == 429:  # Google's quota error: its message and ErrorInfo reason
        message = (
            "Quota exceeded for quota metric 'Analysis requests (AnalyzeComment)' and limit 'Analysis requests "
            "(AnalyzeComment) per second' of service 'commentanalyzer.googleapis.com'."
        )
        reason = "RATE_LIMIT_EXCEEDED"
    else:
        message = error.message
    info = {"@type": ERROR_INFO, "reason": reason, "domain": DOMAIN}
    headers = {k: v for k, v in error.headers.items() if k.lower() != "www-authenticate"}
    return PerspectiveError(error.status, status, message, [info], headers)


@bp.errorhandler(PerspectiveError)
def _perspective_error(error: PerspectiveError):
    return error.response()


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return from_api_error(error).response()


@bp.errorhandler(ActionError)
@bp.errorhandler(StoreUnavailable)
def _domain_error(error: Exception):
    return from_api_error(api_error(error)).response()


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    code = error.code or 500
    if code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return bad_payload(f"Request payload size exceeds the limit: {limit} bytes.").response()
    if code == 400:
        return bad_payload("Invalid JSON payload received.").response()
    status = GOOGLE_STATUS.get(code, "UNKNOWN")
    return PerspectiveError(code, status, error.description or error.name).response()


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    log.exception("unhandled error in the Perspective endpoint")
    return PerspectiveError(500, "INTERNAL", "Internal error encountered.").response()


# -- request parsing ---------------------------------------------------------------------------------------------

# Field name (lowerCamel as in the JSON mapping) -> its proto name; Google's JSON parser accepts both. The names are
# those the discovery document lists (dropUnsupportedAttributes is accepted and not listed there).
_REQUEST_FIELDS = perspective_discovery.fields("AnalyzeCommentRequest", "dropUnsupportedAttributes")
_TEXT_ENTRY_FIELDS = perspective_discovery.fields("TextEntry")
_CONTEXT_FIELDS = perspective_discovery.fields("Context")
_ARTICLE_FIELDS = perspective_discovery.fields("ArticleAndParentComment")
_PARAMETER_FIELDS = perspective_discovery.fields("AttributeParameters")
_TEXT_TYPES = perspective_discovery.TEXT_TYPES


def _message(value: Any, fields: dict[str, str], path: str, type_name: str) -> dict:
    """Return the fields of a JSON object as {lowerCamel name: value}; unknown names and non-objects are refused."""
    if not isinstance(value, dict):
        if not path:
            raise bad_payload("Invalid JSON payload received. Root element must be a message.")
        raise bad_payload(f"Invalid value at '{path}' (type.googleapis.com/{PACKAGE}.{type_name}), {_show(value)}", path)
    by_proto = {proto: camel for camel, proto in fields.items()}
    out: dict[str, Any] = {}
    for name, item in value.items():
        camel = name if name in fields else by_proto.get(name)
        if camel is None:
            where = f" at '{path}'" if path else ""
            raise bad_payload(f'Invalid JSON payload received. Unknown name "{name}"{where}: Cannot find field.', path or None)
        if item is not None:  # null means "not set" in Google's JSON mapping
            out[camel] = item
    return out


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise bad_payload(f"Invalid value at '{path}' (TYPE_STRING), {_show(value)}", path)
    lone = _SURROGATE.search(value)
    if lone:  # "\ud800" is valid JSON but no character: refused as the service's own endpoints refuse it
        raise bad_payload(f"Invalid value at '{path}' (TYPE_STRING), unpaired surrogate U+{ord(lone.group()):04X}", path)
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise bad_payload(f"Invalid value at '{path}' (TYPE_BOOL), {_show(value)}", path)
    return value


def _float(value: Any, path: str) -> float:
    """Return a proto float: a JSON number or a numeric string (as Google's JSON mapping allows), finite."""
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and value.strip() and len(value) <= 40:
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise bad_payload(f"Invalid value at '{path}' (TYPE_FLOAT), {_show(value)}", path)
    return number


def _enum(value: Any, choices: tuple[str, ...], enum_name: str, path: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise bad_payload(f"Invalid value at '{path}' (type.googleapis.com/{PACKAGE}.{enum_name}), {_show(value)}", path)
    return value


def _text_entry(value: Any, path: str) -> dict:
    entry = _message(value, _TEXT_ENTRY_FIELDS, path, "TextEntry")
    if "text" in entry:
        entry["text"] = _string(entry["text"], f"{path}.text")
    if "type" in entry:
        entry["type"] = _enum(entry["type"], _TEXT_TYPES, "TextEntry.TextType", f"{path}.type")
    return entry


def _languages(value: Any) -> list[str]:
    """Return a request's ``languages``: a list of strings."""
    if not isinstance(value, list):
        raise bad_payload(f"Invalid value at 'languages' (TYPE_STRING), {_show(value)}", "languages")
    return [_string(code, f"languages[{i}]") for i, code in enumerate(value)]


def _comment_text(comment: dict, max_chars: int) -> str:
    """Return the comment's text as Comment Analyzer checks it: not empty, plain text, not too long."""
    text = comment.get("text", "")
    if blank(text):  # nothing to read: empty, or only whitespace, control and zero-width characters
        raise invalid("Comment must be non-empty.", "COMMENT_EMPTY")
    if comment.get("type") == "HTML":
        raise invalid("Currently, only 'PLAIN_TEXT' comments are supported")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES or len(text) > max_chars:
        raise invalid("Comment text too long.", "COMMENT_TOO_LONG")
    return text


@dataclass
class AnalyzeRequest:
    """A parsed AnalyzeCommentRequest."""

    text: str
    attributes: list[tuple[str, Attribute, float | None]]  # (requested name, attribute, threshold)
    languages: list[str]
    span_annotations: bool
    drop_unsupported: bool
    client_token: str | None


def parse(body: Any, max_chars: int) -> AnalyzeRequest:
    """Return the request ``body`` parsed and checked, or raise the error Perspective answers."""
    data = _message(body, _REQUEST_FIELDS, "", "AnalyzeCommentRequest")
    comment = _text_entry(data["comment"], "comment") if "comment" in data else {}
    for name in ("clientToken", "sessionId", "communityId"):
        if name in data:
            data[name] = _string(data[name], _REQUEST_FIELDS[name])
    for name in ("doNotStore", "spanAnnotations", "dropUnsupportedAttributes"):
        if name in data:
            data[name] = _bool(data[name], _REQUEST_FIELDS[name])
    languages = _languages(data.get("languages", []))
    context = _message(data["context"], _CONTEXT_FIELDS, "context", "Context") if "context" in data else {}
    if "entries" in context:
        if not isinstance(context["entries"], list):
            raise bad_payload(
                f"Invalid value at 'context.entries' (TYPE_MESSAGE), {_show(context['entries'])}", "context.entries"
            )
        for i, entry in enumerate(context["entries"]):
            _text_entry(entry, f"context.entries[{i}]")
    if "articleAndParentComment" in context:
        parts = _message(
            context["articleAndParentComment"], _ARTICLE_FIELDS, "context.article_and_parent_comment", "ArticleAndParentComment"
        )
        for camel, item in parts.items():
            _text_entry(item, f"context.article_and_parent_comment.{_ARTICLE_FIELDS[camel]}")
    requested = data.get("requestedAttributes", {})
    if not isinstance(requested, dict):
        raise bad_payload(f"Invalid value at 'requested_attributes' (TYPE_MESSAGE), {_show(requested)}", "requested_attributes")
    parameters = {}
    for name, value in requested.items():
        path = f"requested_attributes[{name}].value"
        params = _message(value if value is not None else {}, _PARAMETER_FIELDS, path, "AttributeParameters")
        if "scoreType" in params:
            params["scoreType"] = _enum(
                params["scoreType"],
                ("SCORE_TYPE_UNSPECIFIED", *_SCORE_TYPES),
                "AttributeParameters.ScoreType",
                f"{path}.score_type",
            )
        if "scoreThreshold" in params:
            params["scoreThreshold"] = _float(params["scoreThreshold"], f"{path}.score_threshold")
        parameters[name] = params

    # What Comment Analyzer itself checks, in its order.
    text = _comment_text(comment, max_chars)
    if not parameters:
        raise invalid("Missing requested_attributes", "NO_REQUESTED_ATTRIBUTES")
    attributes = []
    for name, params in parameters.items():
        attribute = attribute_of(name)
        if attribute is None:
            raise invalid(f"Unknown requested attribute: {name}")
        if params.get("scoreType", "PROBABILITY") not in ("PROBABILITY", "SCORE_TYPE_UNSPECIFIED"):
            raise invalid(f"Requested score type {params['scoreType']} is not supported by attribute {name}")
        attributes.append((name, attribute, params.get("scoreThreshold")))
    if "entries" in context and "articleAndParentComment" in context:
        raise invalid("Context can have either entries or article_and_parent_comment, but both fields were populated.")
    return AnalyzeRequest(
        text=text,
        attributes=attributes,
        languages=languages,
        span_annotations=data.get("spanAnnotations", False),
        drop_unsupported=data.get("dropUnsupportedAttributes", False),
        client_token=data.get("clientToken") or None,
    )


def is_english(code: str) -> bool:
    """Return whether an ISO 639-1 / BCP-47 code names English ("en", "en-US", "en_GB", any case)."""
    return re.split(r"[-_]", code, maxsplit=1)[0].lower() == LANGUAGE


# -- sentences and offsets ---------------------------------------------------------------------------------------

# A sentence ends after . ! ? or … (and any closing quotes or brackets) followed by white space; a line break
# always ends one.
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u2019\u201d)\]]*(?=\s)|\n")


def sentences(text: str) -> list[tuple[int, int]]:
    """Return the [start, end) of each sentence of ``text`` (Python indices), without surrounding white space."""
    bounds = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        bounds.append((start, match.end()))
        start = match.end()
    bounds.append((start, len(text)))
    out = []
    for a, b in bounds:
        piece = text[a:b]
        stripped = piece.strip()
        if stripped:
            a += len(piece) - len(piece.lstrip())
            out.append((a, a + len(stripped)))
    return out


# -- the endpoint ------------------------------------------------------------------------------------------------


def _presented_key() -> str | None:
    """Return the key from ``?key=`` (Perspective's way), ``X-Goog-Api-Key``, ``Authorization: Bearer`` or ``X-API-Key``."""
    return request.args.get("key") or request.headers.get("X-Goog-Api-Key") or presented_key()


def _authenticate():
    """Return who calls (a key that may score, with a rate-limit token); Perspective's own key errors otherwise."""
    try:
        return authenticate(_presented_key(), "score", "perspective")  # RateLimited: 429 RESOURCE_EXHAUSTED
    except KeyRefused as refused:
        if refused.reason == "missing":
            raise key_error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established identity). "
                "Please use API Key or other form of API consumer identity to call this API.",
                "API_KEY_MISSING",
            ) from None
        if refused.reason == "unknown":
            raise key_error(
                400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "API_KEY_INVALID"
            ) from None
        raise key_error(403, "PERMISSION_DENIED", "The caller does not have permission", "ROLE_CANNOT_SCORE") from None


def _body() -> Any:
    raw = request.get_data(cache=True)  # may raise 413 (MAX_CONTENT_LENGTH): answered by _http_error
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_payload("Invalid JSON payload received. Invalid UTF-8 in the request body.") from None
    try:  # the service's one JSON reader (service.codec): its limits on nesting and numbers, its errors
        return codec.loads(text)
    except codec.Unreadable as error:
        raise bad_payload(_unreadable(error)) from None
    except json.JSONDecodeError as error:
        strict_error = error
    try:  # Google's reader also takes unquoted keys and single-quoted strings (relaxed_json)
        return codec.loads(relaxed_json.to_strict(text))
    except codec.Unreadable as error:
        raise bad_payload(_unreadable(error)) from None
    except ValueError:
        error = strict_error
        raise bad_payload(f"Invalid JSON payload received. {error.msg} at line {error.lineno} column {error.colno}.") from None


def _unreadable(error: codec.Unreadable) -> str:
    """Google's words for a body nested too deep or with a number too long to read."""
    if isinstance(error, codec.TooLong):
        return f"Invalid JSON payload received. Number too long: {error.digits} digits (at most {error.most})."
    return "Invalid JSON payload received. Nesting too deep."


def _score(value: float, kind: str = "PROBABILITY") -> dict:
    return {"value": round(min(1.0, max(0.0, value)), 6), "type": kind}


@bp.route(PATH, methods=["POST", "GET", "PUT", "PATCH", "DELETE"])
@doc.documented_drop_in(
    "perspective",
    "perspectiveAnalyze",
    "Perspective API: AnalyzeComment",
    {
        "200": doc.ok("The scores asked for, in Perspective's shape.", doc.ref(AnalyzeCommentResponse)),
        "400": doc.ok(
            f"{_GOOGLE_ERROR} (INVALID_ARGUMENT): a body that is not a request, a bad or unknown field, no or"
            " too long a text, no or unknown attributes, a language other than English, an unknown API key,"
            f" a body over {doc.BODY_MAX} bytes.",
            doc.ref(GoogleError),
        ),
        "403": doc.ok(f"{_GOOGLE_ERROR} (PERMISSION_DENIED): no API key.", doc.ref(GoogleError)),
        "429": doc.ok(
            f"{_GOOGLE_ERROR} (RESOURCE_EXHAUSTED, reason RATE_LIMIT_EXCEEDED): the key's rate limit is"
            " used up, as Google answers a quota.",
            doc.ref(GoogleError),
            doc.RETRY_LIMIT,
        ),
        "503": doc.ok(f"{_GOOGLE_ERROR} (UNAVAILABLE): the key could not be checked (Redis).", doc.ref(GoogleError), doc.RETRY),
    },
    description="Scores a comment for Perspective attributes from our three categories; nothing is stored. " + _KEY,
    parameters=_KEY_PARAMETERS,
    request=doc.body(AnalyzeCommentRequest),
    method="POST",
)
@doc.documented_drop_in(  # the route's other methods
    "perspective",
    "perspectiveAnalyze{Method}",
    "{METHOD} on AnalyzeComment: not found, as Google answers a wrong method",
    {"404": doc.ok(f"{_GOOGLE_ERROR}: NOT_FOUND, Method not found.", doc.ref(GoogleError), {"Allow": doc.header("POST.")})},
    description="Google's front end answers a wrong HTTP method on an API method with 404.",
)
def analyze():
    """Score a comment for the requested Perspective attributes (nothing is stored)."""
    if request.method != "POST":
        # Google's front end answers a wrong HTTP method on an API method this way.
        raise PerspectiveError(404, "NOT_FOUND", "Method not found.", headers={"Allow": "POST"})
    identity = _authenticate()
    svc = services()
    req = parse(_body(), svc.settings.max_text_chars)

    unsupported = [code for code in req.languages if not is_english(code)]
    attributes = req.attributes
    if unsupported:
        if not req.drop_unsupported:
            name = attributes[0][0]
            raise invalid(
                f"Attribute {name} does not support request languages: {', '.join(req.languages)}",
                "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
                languageNotSupportedByAttributeError={"requestedLanguages": req.languages, "attribute": name},
            )
        attributes = []

    scores: dict[str, dict] = {}
    if attributes:
        domains = svc.policy(identity.site).allowed_domains
        site_words = svc.site_words(identity.site)
        assessor = svc.assessor  # read per request: the active model may change
        whole = assessor.assess(req.text, allowed_domains=domains, site=site_words)
        e, m = evidence(whole)
        parts: list[tuple[int, int, dict, dict]] = []
        if req.span_annotations and any(a.spans for _, a, _ in attributes):
            bounds = sentences(req.text)
            if len(bounds) == 1 and bounds[0] == (0, len(req.text)):
                assessed = [whole]
            else:
                assessed = assessor.assess_many([req.text[a:b] for a, b in bounds], allowed_domains=domains, site=site_words)
            offsets = utf16_offsets(req.text)
            parts = [(offsets[a], offsets[b], *evidence(x)) for (a, b), x in zip(bounds, assessed)]
        for name, attribute, threshold in attributes:
            summary = attribute.score(e, m, req.text)
            if threshold is not None and summary < threshold:
                continue  # Perspective leaves out scores below the requested threshold
            entry: dict[str, Any] = {}
            if parts and attribute.spans:
                spans = []
                for begin, end, pe, pm in parts:
                    value = attribute.score(pe, pm, req.text)
                    if threshold is None or value >= threshold:
                        spans.append({"begin": begin, "end": end, "score": _score(value)})
                if spans:
                    entry["spanScores"] = spans
            entry["summaryScore"] = _score(summary)
            scores[name] = entry

    answer: dict[str, Any] = {}
    if scores:  # Google's JSON mapping leaves out empty fields
        answer["attributeScores"] = scores
    answer["languages"] = req.languages or [LANGUAGE]
    answer["detectedLanguages"] = [LANGUAGE]
    if req.client_token:
        answer["clientToken"] = req.client_token
    return jsonify(answer)


DISCOVERY_PATH = "/$discovery/rest"


@bp.get(DISCOVERY_PATH)
@doc.documented_drop_in(
    "perspective",
    "perspectiveDiscovery",
    "Perspective API: discovery document",
    {
        "200": doc.ok(
            "The discovery document of comments.analyze and comments.suggestscore, with `rootUrl` this service's address.",
            {"type": "object"},
        ),
        "404": doc.ok(f"{_GOOGLE_ERROR} (NOT_FOUND): a version other than v1alpha1.", doc.ref(GoogleError)),
    },
    description="What Google's client libraries build a Perspective client from at run time (Perspective's"
    " Python sample: `googleapiclient.discovery.build(..., discoveryServiceUrl=...)`). No key needed.",
    parameters=[doc.param("version", "query", doc.string(enum=["v1alpha1"]), "The API version (default v1alpha1).")],
)
def discovery():
    """The discovery document Google's clients build a Perspective client from (no key needed, as at Google)."""
    version = request.args.get("version", perspective_discovery.VERSION)
    if version != perspective_discovery.VERSION:
        raise PerspectiveError(
            404, "NOT_FOUND", f"Discovery document not found for API service: commentanalyzer, version: {version}"
        )
    root = request.host_url if request.host_url.endswith("/") else request.host_url + "/"
    return jsonify(perspective_discovery.document(root))


# -- SuggestCommentScore: feedback, recorded as training labels --------------------------------------------------

SUGGEST_PATH = "/v1alpha1/comments:suggestscore"
_SUGGEST_FIELDS = perspective_discovery.fields("SuggestCommentScoreRequest")
_ATTRIBUTE_SCORES_FIELDS = perspective_discovery.fields("AttributeScores")
_SCORE_FIELDS = perspective_discovery.fields("Score")
_SPAN_SCORE_FIELDS = perspective_discovery.fields("SpanScore")

#: What a suggested attribute says about our categories (docs/COMPATIBILITY.md, "SuggestCommentScore"). The
#: attributes of one category vote together: any at 0.5 or more makes it 1, all below make it 0. A high TOXICITY
#: does not say which of abuse or attack it is, so it labels nothing; a low one says neither.
SUGGESTED_CATEGORIES: dict[str, tuple[str, ...]] = {
    "TOXICITY": ("abuse", "attack"),
    "SEVERE_TOXICITY": ("abuse", "attack"),
    "INFLAMMATORY": ("abuse", "attack"),
    "IDENTITY_ATTACK": ("abuse",),
    "PROFANITY": ("abuse",),
    "OBSCENE": ("abuse",),
    "SEXUALLY_EXPLICIT": ("abuse",),
    "INSULT": ("attack",),
    "THREAT": ("attack",),
    "ATTACK_ON_AUTHOR": ("attack",),
    "ATTACK_ON_COMMENTER": ("attack",),
    "SPAM": ("promotion",),
}
#: Attributes whose high score labels nothing (their low score still says "neither").
_ONLY_LOW = frozenset(("TOXICITY", "SEVERE_TOXICITY", "INFLAMMATORY"))


def _suggested_score(value: Any, path: str) -> float:
    score = _message(value, _SCORE_FIELDS, path, "Score")
    if "value" not in score:
        raise invalid(f"All Score objects must be explicitly set: {path}.value is missing")
    if "type" in score:
        kind = _enum(score["type"], ("SCORE_TYPE_UNSPECIFIED", *_SCORE_TYPES), "Score.ScoreType", f"{path}.type")
        if kind not in ("PROBABILITY", "SCORE_TYPE_UNSPECIFIED"):
            raise invalid(f"Score type {kind} is not supported: {path}.type")
    number = _float(score["value"], f"{path}.value")
    if not 0 <= number <= 1:
        raise invalid(f"A PROBABILITY score must be from 0 to 1: {path}.value")
    return number


def parse_suggestion(body: Any, max_chars: int) -> tuple[str, dict[str, float], list[str], str | None, str | None]:
    """Return (text, {attribute: suggested score}, languages, client token, community id) of a SuggestCommentScoreRequest."""
    data = _message(body, _SUGGEST_FIELDS, "", "SuggestCommentScoreRequest")
    comment = _text_entry(data["comment"], "comment") if "comment" in data else {}
    for name in ("clientToken", "sessionId", "communityId"):
        if name in data:
            data[name] = _string(data[name], _SUGGEST_FIELDS[name])
    languages = _languages(data.get("languages", []))
    if "context" in data:
        _message(data["context"], _CONTEXT_FIELDS, "context", "Context")
    raw_scores = data.get("attributeScores", {})
    if not isinstance(raw_scores, dict):
        raise bad_payload(f"Invalid value at 'attribute_scores' (TYPE_MESSAGE), {_show(raw_scores)}", "attribute_scores")
    text = _comment_text(comment, max_chars)
    if not raw_scores:
        raise invalid("attribute_scores must not be empty.")
    suggested: dict[str, float] = {}
    for name, value in raw_scores.items():
        path = f"attribute_scores[{name}].value"
        if attribute_of(name) is None:
            raise invalid(f"Unknown attribute: {name}")
        scores = _message(value if value is not None else {}, _ATTRIBUTE_SCORES_FIELDS, path, "AttributeScores")
        if not scores:
            raise invalid(f"The AttributeScores of {name} must not be empty.")
        values = []
        if "summaryScore" in scores:
            values.append(_suggested_score(scores["summaryScore"], f"{path}.summary_score"))
        spans = scores.get("spanScores", [])
        if not isinstance(spans, list):
            raise bad_payload(f"Invalid value at '{path}.span_scores' (TYPE_MESSAGE), {_show(spans)}", f"{path}.span_scores")
        span_values = []
        for i, span in enumerate(spans):
            where = f"{path}.span_scores[{i}]"
            parts = _message(span, _SPAN_SCORE_FIELDS, where, "SpanScore")
            if "begin" not in parts or "end" not in parts or "score" not in parts:
                raise invalid(f"All SpanScore objects must have begin, end and score set: {where}")
            for edge in ("begin", "end"):
                if isinstance(parts[edge], bool) or not isinstance(parts[edge], int) or parts[edge] < 0:
                    raise bad_payload(f"Invalid value at '{where}.{edge}' (TYPE_INT32), {_show(parts[edge])}", f"{where}.{edge}")
            span_values.append(_suggested_score(parts["score"], f"{where}.score"))
        # The comment as a whole: its summary score, else its highest span score.
        suggested[name.split("@", 1)[0]] = values[0] if values else max(span_values, default=0.0)
    return text, suggested, languages, data.get("clientToken") or None, data.get("communityId") or None


def suggested_labels(suggested: dict[str, float]) -> dict[str, int]:
    """Return our category labels from suggested Perspective attribute scores (categories it says nothing of: left out)."""
    votes: dict[str, list[bool]] = {}
    for name, value in suggested.items():
        high = value >= 0.5
        if high and name in _ONLY_LOW:
            continue
        for category in SUGGESTED_CATEGORIES.get(name, ()):
            votes.setdefault(category, []).append(high)
    return {c: int(any(v)) for c, v in votes.items()}


@bp.post(SUGGEST_PATH)
@doc.documented_drop_in(
    "perspective",
    "perspectiveSuggestScore",
    "Perspective API: SuggestCommentScore",
    {
        "200": doc.ok(
            "Recorded (`X-Moderation-Label` names the label, or `none` when the attributes say nothing of our categories).",
            doc.ref(SuggestCommentScoreResponse),
            {"X-Moderation-Label": doc.header("The training label's name, or none.", {"type": "string"})},
        ),
        "400": doc.ok(
            f"{_GOOGLE_ERROR} (INVALID_ARGUMENT): a body that is not a request, no or too long a text, no or"
            " empty or unknown attribute scores, a score that is not set or not a probability, an unknown"
            " API key.",
            doc.ref(GoogleError),
        ),
        "403": doc.ok(f"{_GOOGLE_ERROR} (PERMISSION_DENIED): no API key.", doc.ref(GoogleError)),
        "429": doc.ok(
            f"{_GOOGLE_ERROR} (RESOURCE_EXHAUSTED): the key's rate limit is used up.", doc.ref(GoogleError), doc.RETRY_LIMIT
        ),
        "503": doc.ok(
            f"{_GOOGLE_ERROR} (UNAVAILABLE): the key could not be checked, or the label not stored (Redis).",
            doc.ref(GoogleError),
            doc.RETRY,
        ),
    },
    description="A client's suggested scores for a comment, recorded as a training label for our categories"
    " (`moderation retrain` reads it, like the moderators' decisions). " + _KEY,
    parameters=_KEY_PARAMETERS,
    request=doc.body(SuggestCommentScoreRequest),
)
def suggest_score():
    """Record a client's suggested scores for a comment as a training label (``moderation retrain`` reads it)."""
    identity = _authenticate()
    svc = services()
    text, suggested, languages, client_token, community_id = parse_suggestion(_body(), svc.settings.max_text_chars)
    labels = suggested_labels(suggested)
    headers = {}
    if labels:
        name = "perspective:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        label = {"text": training_text(text), **labels, "source": identity.site, "feedback": "perspective:suggestscore"}
        if community_id:
            label["community_id"] = community_id
        label["suggested"] = suggested
        label["decided_at"] = svc.clock()
        record_feedback(svc, identity.site, name, label)
        headers["X-Moderation-Label"] = name
    else:
        headers["X-Moderation-Label"] = "none"
    answer: dict[str, Any] = {"detectedLanguages": [LANGUAGE]}
    if languages:
        answer["requestedLanguages"] = languages
    if client_token:
        answer["clientToken"] = client_token
    response = jsonify(answer)
    response.headers.update(headers)
    return response
