"""Akismet's REST API (1.1) under ``/akismet``: a client written for Akismet only changes its base URL.

* ``POST /akismet/1.1/comment-check`` answers ``true`` when our promotion (spam) category is flagged,
  with ``X-akismet-pro-tip: discard`` when it is flagged at the block/reject level; ``false`` otherwise.
  It scores only: nothing is stored, no strike is given.
* ``POST /akismet/1.1/submit-spam`` and ``/submit-ham`` record a training label for the site:
  ``promotion`` 1 or 0, the other categories unknown. The label feeds ``GET /v1/labels`` and
  ``moderation export-labels``, hence ``moderation train --extra``.
* ``POST /akismet/1.1/verify-key`` answers ``valid`` for any of our API keys.

Requests are form-encoded like Akismet's; ``api_key`` is one of our API keys (any role: all may score
and give feedback). Answers are Akismet's plain-text ones, errors included: HTTP 200 with
``invalid`` for an unknown key and ``Missing required field: <name>.`` with an
``X-akismet-debug-help`` header for a missing parameter. See docs/COMPATIBILITY.md.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request

from moderation.classifier.normalize import blank
from moderation.classifier.verdicts import flagged_categories

from .. import openapi as doc
from ..actions.comments import assess, stored_text
from ..actions.errors import RateLimited, StoreUnavailable
from ..actions.labels import record_feedback, training_text
from ..auth import Identity, KeyRefused, authenticate
from ..current import services
from ..schemas import AKISMET_COMMENT_ID, AkismetComment, AkismetVerifyKey
from ..validation import field_errors

bp = Blueprint("akismet", __name__)

_ABOUT = (
    "Akismet's REST API 1.1: form fields in, plain text out. `api_key` (or `key`) is one of this service's API keys"
    " (any role); the site comes from the key. Akismet-style problems (a missing field, an unknown key) are answered"
    " 200 with a plain-text body and an `X-akismet-debug-help` header, as Akismet does."
)
_ANSWERS = {
    "200": doc.text("`true`/`false`, `valid`/`invalid`, the thanks sentence, or Akismet's wording of a problem."),
    "413": {"$ref": "#/components/responses/TooLarge"},
    "429": doc.text(
        "The key's rate limit is used up (comment-check, submit-spam, submit-ham); the reason is also in `X-akismet-debug-help`.",
        doc.RETRY_LIMIT,
    ),
    "503": doc.text("The store (Redis) is needed and unavailable: a key never seen by this process, or a label.", doc.RETRY),
}

PREFIX = "/akismet/1.1"
THANKS = "Thanks for making the web a better place."
DEBUG = "X-akismet-debug-help"
PRO_TIP = "X-akismet-pro-tip"
UNKNOWN_KEY = "Unknown API key: use one of this service's API keys"
#: Akismet's documented test values: this author (or e-mail) is always spam, this role never.
GUARANTEED_SPAM_AUTHOR = "akismet-guaranteed-spam"
GUARANTEED_SPAM_EMAIL = "akismet-guaranteed-spam@example.com"
NEVER_SPAM_ROLE = "administrator"
_ID = AKISMET_COMMENT_ID


class _Answer(Exception):
    """An Akismet-style answer that ends the request early (a missing field, an invalid key ...)."""

    def __init__(self, response: Response):
        super().__init__()
        self.response = response


@bp.errorhandler(_Answer)
def _early(answer: _Answer) -> Response:
    return answer.response


@bp.errorhandler(StoreUnavailable)
def _store_down(_: StoreUnavailable) -> Response:
    return unavailable().response


def text_answer(body: str, status: int = 200, headers: dict | None = None) -> Response:
    """Return a plain-text answer, as Akismet gives."""
    response = Response(body, status=status, mimetype="text/plain")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def param(name: str) -> str:
    """Return a form parameter, stripped ('' when absent)."""
    return (request.form.get(name) or "").strip()


def required(name: str, *aliases: str) -> str:
    """Return a required parameter, or end the request as Akismet does when it is missing."""
    for candidate in (name, *aliases):
        value = param(candidate)
        if value:
            return value
    raise _Answer(text_answer(f"Missing required field: {name}.", headers={DEBUG: f'Empty "{name}" value'}))


def truthy(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


def unavailable() -> _Answer:
    return _Answer(text_answer("The moderation store is unavailable; try again shortly.", 503, {"Retry-After": "5"}))


def caller(*permissions: str) -> Identity:
    """Return who calls (``api_key``, or ``key`` as older clients send it); Akismet's ``invalid`` otherwise."""
    key = required("api_key", "key")
    try:
        return authenticate(key, permissions, "akismet")
    except KeyRefused as refused:
        if refused.reason == "forbidden":
            raise _Answer(text_answer("invalid", headers={DEBUG: f"A {refused.role} key cannot do this"})) from None
        raise _Answer(text_answer("invalid", headers={DEBUG: UNKNOWN_KEY})) from None
    except RateLimited as limited:
        raise rate_limited(limited) from None


def rate_limited(limited: RateLimited) -> _Answer:
    """Akismet answers plain text, never JSON: 429 with ``Retry-After`` and the reason in its debug header."""
    message = f"Rate limit reached for this API key; retry in {limited.retry_after_s} s."
    return _Answer(text_answer(message, 429, {"Retry-After": str(limited.retry_after_s), DEBUG: message}))


def clean(text: str) -> str:
    """Return text fit for the store and training: valid Unicode, at most ``max_text_chars`` characters."""
    return training_text(text)[: services().settings.max_text_chars]


def our_comment_id() -> str | None:
    """Return the optional ``comment_id`` parameter (our comment id: not an Akismet parameter)."""
    value = param("comment_id")
    if not value:
        return None
    problems = field_errors({"comment_id": value}, _ID)
    if problems:
        raise _Answer(text_answer("Invalid field: comment_id.", headers={DEBUG: problems[0]["message"]}))
    return value


@bp.post(f"{PREFIX}/verify-key")
@doc.documented_drop_in(
    "akismet",
    "akismetVerifyKey",
    "Akismet: verify a key",
    {status: answer for status, answer in _ANSWERS.items() if status != "429"},  # not rate-limited
    description=f"`valid` for one of our keys with a `blog`. {_ABOUT}",
    request=doc.form(AkismetVerifyKey),
)
def verify_key():
    """``valid`` for one of our API keys (with a ``blog``), ``invalid`` otherwise."""
    key = param("api_key") or param("key")
    if not key:
        return text_answer("invalid", headers={DEBUG: 'Empty "api_key" value'})
    if not param("blog"):
        return text_answer("invalid", headers={DEBUG: 'Empty "blog" value'})
    try:
        authenticate(key)
    except KeyRefused:
        return text_answer("invalid", headers={DEBUG: UNKNOWN_KEY})
    return text_answer("valid")


@bp.post(f"{PREFIX}/comment-check")
@doc.documented_drop_in(
    "akismet",
    "akismetCommentCheck",
    "Akismet: is this comment spam",
    _ANSWERS,
    description="`true` when our promotion category is flagged (`X-akismet-pro-tip: discard` at the block or reject level),"
    f" `false` otherwise. Scores only: nothing is stored. {_ABOUT}",
    request=doc.form(AkismetComment),
)
def comment_check():
    """``true`` when the promotion (spam) category is flagged; ``X-akismet-pro-tip: discard`` when it is blocked."""
    identity = caller("score")
    required("blog")
    required("user_ip")
    if param("comment_author") == GUARANTEED_SPAM_AUTHOR or param("comment_author_email") == GUARANTEED_SPAM_EMAIL:
        return text_answer("true", headers={"X-Moderation-Verdict": "test"})
    if param("user_role").lower() == NEVER_SPAM_ROLE:
        return text_answer("false", headers={"X-Moderation-Verdict": "test"})
    site = identity.site
    text = request.form.get("comment_content") or ""
    comment_id = our_comment_id()
    if blank(text) and comment_id:
        text = stored_text(services(), site, comment_id) or ""
    if blank(text):
        return text_answer("false", headers={"X-Moderation-Verdict": "none"})
    assessment = assess(services(), site, clean(text))
    reasons = list(assessment.reasons)
    headers = {"X-Moderation-Verdict": assessment.verdict}
    if reasons:
        headers["X-Moderation-Reasons"] = ",".join(reasons)
    if "promotion" not in flagged_categories(reasons):
        return text_answer("false", headers=headers)
    if any(r.category == "promotion" and r.severity in ("block", "reject") for r in assessment.reasons):
        headers[PRO_TIP] = "discard"
    return text_answer("true", headers=headers)


def _feedback(kind: str, promotion: int) -> Response:
    """Record what the site says about a comment: a ``promotion`` label for training."""
    identity = caller("submit", "decide")
    required("blog")
    required("user_ip")
    site = identity.site
    comment_id = our_comment_id()
    text = stored_text(services(), site, comment_id) if comment_id else None
    if text is None:
        text = request.form.get("comment_content") or ""
    if blank(text):
        raise _Answer(text_answer("Missing required field: comment_content.", headers={DEBUG: 'Empty "comment_content" value'}))
    text = clean(text)
    name = f"akismet:{comment_id}" if comment_id else "akismet:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    if truthy(param("is_test")):
        # Akismet learns nothing from a test request; neither do we.
        return text_answer(THANKS, headers={"X-Moderation-Label": "none (is_test)"})
    label: dict = {"text": text, "promotion": promotion, "source": site}
    if comment_id:
        label["comment_id"] = comment_id
    label.update({"feedback": f"akismet:{kind}", "decided_at": services().clock()})
    record_feedback(services(), site, name, label)
    return text_answer(THANKS, headers={"X-Moderation-Label": name})


@bp.post(f"{PREFIX}/submit-spam")
@doc.documented_drop_in(
    "akismet",
    "akismetSubmitSpam",
    "Akismet: this was spam",
    _ANSWERS,
    description=f"Records a training label `promotion: 1`. {_ABOUT}",
    request=doc.form(AkismetComment),
)
def submit_spam():
    """A comment the site found to be spam: label it ``promotion: 1``."""
    return _feedback("submit-spam", 1)


@bp.post(f"{PREFIX}/submit-ham")
@doc.documented_drop_in(
    "akismet",
    "akismetSubmitHam",
    "Akismet: this was not spam",
    _ANSWERS,
    description=f"Records a training label `promotion: 0`. {_ABOUT}",
    request=doc.form(AkismetComment),
)
def submit_ham():
    """A comment the site found not to be spam: label it ``promotion: 0``."""
    return _feedback("submit-ham", 0)
