"""Coral Talk's "external moderation phase": Coral posts each new or edited comment here and applies our answer.

The contract (Coral v6 and later; see docs/COMPATIBILITY.md for the sources):

* Coral sends ``POST <url>`` with a JSON body ``{action: NEW|EDIT, comment: {body, parentID},
  author: {id, role}, story: {id, url}, site: {id}, tenantID, tenantDomain}`` (role: COMMENTER, MEMBER,
  STAFF, MODERATOR or ADMIN) and the header
  ``X-Coral-Signature: sha256=<hex>[,sha256=<hex>...]``: an HMAC-SHA256 of the raw body with each of
  the phase's active signing secrets (two while a rotated secret is still active).
* It waits the phase's timeout (milliseconds). A 204, an empty body or ``{}`` means "no opinion";
  a 200 JSON ``{status?, actions?: [{actionType: FLAG, reason: COMMENT_DETECTED_TOXIC|COMMENT_DETECTED_SPAM}],
  tags?, moderationAction?: {status, rejectionReason: {code, detailedExplanation?, ...}}}`` is applied; a status
  ends Coral's pipeline. Any other status, a timeout or an invalid
  answer is logged by Coral and the phase is skipped.
* The request carries no comment id, so ours is derived from the comment itself (see ``comment_id``).

Endpoints: ``POST /coral/<site>/moderate`` (Coral calls it; authenticated by the signature) and
``GET|PUT|DELETE /v1/integrations/coral`` (an admin key of the site manages the signing secrets).
"""

from __future__ import annotations

import hashlib
import hmac
from html.parser import HTMLParser

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for

from moderation.classifier.normalize import blank
from moderation.classifier.types import Reason
from moderation.classifier.verdicts import flagged_categories

from .. import codec
from .. import openapi as doc
from ..actions import admin as admin_actions
from ..actions import comments as comment_actions
from ..actions import rate_limits
from ..actions.events import GROUNDS
from ..auth import require
from ..cache import FallbackCache
from ..current import services
from ..errors import ApiError, invalid
from ..schemas import (
    COMMENT,
    CORAL_AUTHOR,
    CORAL_COMMENT,
    CORAL_FORMATS,
    CORAL_REQUEST,
    CORAL_SECRET_MAX,
    CORAL_SECRET_MIN,
    CORAL_SECRETS_MAX,
    CORAL_SETTINGS,
    CORAL_STORY,
    CoralAnswer,
    CoralRequest,
    CoralSettings,
    CoralSettingsInput,
    Error,
)
from ..times import iso
from ..validation import field_errors, json_body, validate

bp = Blueprint("coral", __name__)

_HEADERS = {
    "X-Moderation-Comment-Id": doc.header("Our id of the comment (`coral:` and a SHA-256 of who wrote what where)."),
    "X-Moderation-Action": doc.header("Coral's action: NEW or EDIT."),
    "X-Moderation-Verdict": doc.header("Our verdict (`none`: empty text, `text_too_long`: held without reading)."),
}

NAME = "coral"
SIGNATURE_HEADER = "X-Coral-Signature"
FORMATS = CORAL_FORMATS
SECRETS_MAX = CORAL_SECRETS_MAX
SECRET_MIN, SECRET_MAX = CORAL_SECRET_MIN, CORAL_SECRET_MAX
SETTINGS_FRESH_S = 5.0
TOXIC, SPAM = "COMMENT_DETECTED_TOXIC", "COMMENT_DETECTED_SPAM"
#: Which Coral flag reason each of our categories raises.
FLAG_REASONS = {"abuse": TOXIC, "attack": TOXIC, "promotion": SPAM}

_REQUEST = CORAL_REQUEST
_COMMENT = CORAL_COMMENT
_AUTHOR = CORAL_AUTHOR
_STORY = CORAL_STORY
_SETTINGS = CORAL_SETTINGS


# -- settings, with a short in-process cache so that Coral is still answered while Redis is down -------------------


def _cache() -> FallbackCache[str, dict | None]:
    """Return this app's cache of the sites' Coral settings (None: not configured), fresh for ``SETTINGS_FRESH_S``."""
    cache = current_app.extensions.get("coral_settings")
    if cache is None:
        cache = current_app.extensions.setdefault("coral_settings", FallbackCache(SETTINGS_FRESH_S))
    return cache


def site_settings(site: str) -> dict | None:
    """Return the site's Coral settings (None: not configured); 503 when Redis fails and nothing is cached."""
    return _cache().get_or_load(site, lambda: admin_actions.integration(services(), site, NAME))


# -- the signature ---------------------------------------------------------------------------------------------


def signatures(header: str | None) -> list[str]:
    """Return the ``sha256=`` values of an ``X-Coral-Signature`` header (comma-separated ``prefix=value`` pairs)."""
    found = []
    for element in (header or "").split(","):
        prefix, _, value = element.strip().partition("=")
        if prefix == "sha256" and value:
            found.append(value.strip())
    return found


def sign(secret: str, body: bytes) -> str:
    """Return Coral's signature of ``body`` with ``secret``: the hex HMAC-SHA256."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secrets: list[str], body: bytes, header: str | None) -> bool:
    """Tell whether one of the header's signatures is the body's signature with one of ``secrets``."""
    given = [s.lower().encode("utf-8", "replace") for s in signatures(header)]
    ok = False
    for secret in secrets:
        expected = sign(secret, body).encode("ascii")
        for signature in given:
            # Compare every pair (no early exit) in constant time.
            ok |= hmac.compare_digest(expected, signature)
    return ok


# -- the comment -----------------------------------------------------------------------------------------------


_BREAKS = frozenset({"p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})


class _TextOf(HTMLParser):
    """The text of an HTML fragment: tags dropped, entities decoded, line breaks at block ends."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS:
            self.parts.append("\n")


def html_text(fragment: str) -> str:
    """Return the text of an HTML comment body (Coral phases set to the HTML format)."""
    parser = _TextOf()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts).strip()


def comment_id(tenant: str, story: str, author: str, parent: str | None, text: str) -> str:
    """Return our id for a Coral comment revision.

    Coral sends no comment id, so the id is a fingerprint of who wrote what where: a retry of the
    same request, or the same text posted again by the same author in the same place, is the same
    comment (answered from the store, one strike at most); an edit (new text) is a new comment.
    """
    material = "\x1f".join((tenant, story, author, parent or "", text))
    return "coral:" + hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def _nested(body: dict, name: str, spec: dict) -> dict:
    """Validate an object field of the request, naming bad fields ``object.field``."""
    try:
        return validate(body[name], spec)
    except ApiError as error:
        for field in error.fields or []:
            if field["field"] == "(body)":
                field["field"] = name
            else:
                field["field"] = f"{name}.{field['field']}"
        raise invalid(error.fields or []) from None


def parse(raw: bytes, settings: dict) -> tuple[str, dict]:
    """Return (action, our comment data without the text check) from Coral's request body."""
    try:
        body = codec.loads(raw)
    except ValueError as error:  # not JSON, or more than is read: as every JSON body of the service
        raise ApiError(400, f"the request body {codec.problem(error)}", "bad_json") from None
    # Every problem in one answer: the request's own fields, and the fields of each part that is an object.
    problems = field_errors(body, _REQUEST)
    if not isinstance(body, dict):
        raise invalid(problems)
    top = {k: v for k, v in body.items() if k in _REQUEST}
    parts = {}
    for name, spec in (("comment", _COMMENT), ("author", _AUTHOR), ("story", _STORY)):
        if isinstance(body.get(name), dict):
            try:
                parts[name] = _nested(body, name, spec)
            except ApiError as error:
                problems.extend(error.fields or [])
    if problems:
        raise invalid(problems)
    text = parts["comment"]["body"]
    if (settings.get("format") or "PLAIN_TEXT") == "HTML":
        text = html_text(text)
    # Coral sends "tenantID" (no release nests the tenant; a {"tenant": {"id"}} object is read too, as before).
    tenant = body.get("tenantID")
    if tenant is None and isinstance(body.get("tenant"), dict):
        tenant = body["tenant"].get("id")
    tenant = tenant if isinstance(tenant, str) else ""
    parent = parts["comment"].get("parentID")
    author, story = parts["author"]["id"], parts["story"]["id"]
    data = {
        "id": comment_id(tenant, story, author, parent, text),
        "user_id": author,
        "text": text,
        "article_id": story,
        "parent_id": parent,
        "author_name": None,
        "created_at": None,
    }
    return top["action"], data


# -- our answer in Coral's terms -------------------------------------------------------------------------------


def rejection_code(reasons: list[str]) -> str:
    """Return Coral's ``REJECTION_REASON_CODE`` for a rejection's reasons (strongest first): a listed word of the
    abuse lists -> BANNED_WORD; abuse -> ABUSIVE; a personal attack -> HARASSMENT_BULLYING; promotion -> SPAM; a
    banned author -> OTHER."""
    for reason in Reason.parse_all(reasons):
        if reason.category == "abuse":
            return "BANNED_WORD" if reason.severity == "block" and reason.source != "model" else "ABUSIVE"
        if reason.category == "attack":
            return "HARASSMENT_BULLYING"
        if reason.category == "promotion":
            return "SPAM"
    return "OTHER"


def rejection_reason(answer: dict, policy) -> dict:
    """Return the ``rejectionReason`` Coral stores with a rejection and can tell its author (Coral 9's DSA fields:
    ``code``, ``detailedExplanation``; ``legalGrounds`` is for illegal content, which we do not judge)."""
    reasons = list(answer["reasons"])
    categories = flagged_categories(reasons)
    if reasons == ["user_banned"] or "user_banned" in reasons:
        explanation = "The author is banned for repeated breaches of the comment rules."
    else:
        grounds = "; ".join(GROUNDS[c] for c in categories if c in GROUNDS) or "the comment rules"
        by_site = any(r.source == "site" for r in Reason.parse_all(reasons))
        automated = "found by the site's word lists" if by_site else "found by automated means"
        explanation = f"Removed for {grounds} ({automated})."
    if policy.terms_url:
        explanation += f" Rules: {policy.terms_url}."
    if policy.appeal:
        explanation += f" To contest: {policy.appeal}"
    return {"code": rejection_code(reasons), "detailedExplanation": explanation[:1000]}


def coral_response(answer: dict, policy=None) -> dict | None:
    """Return Coral's External Moderation Response for our answer (None: no opinion, answered 204).

    reject -> status REJECTED, with ``moderationAction: {status, rejectionReason: {code, detailedExplanation}}``
    (Coral 9 stores the reason with the rejection and can show it to the author; older Coral ignores the key);
    review -> status SYSTEM_WITHHELD (held for a moderator, as Coral's own toxicity and spam phases do); approve
    -> nothing, so Coral's later phases (site-wide pre-moderation) and defaults still decide. Each flagged
    category adds a system FLAG whose reason Coral shows to its moderators: abuse and attack ->
    COMMENT_DETECTED_TOXIC, promotion -> COMMENT_DETECTED_SPAM.
    """
    verdict = answer["verdict"]
    if verdict == "approve":
        return None
    reasons: list[str] = []
    for category in flagged_categories(answer["reasons"]):
        if FLAG_REASONS[category] not in reasons:
            reasons.append(FLAG_REASONS[category])
    out: dict = {"status": "REJECTED" if verdict == "reject" else "SYSTEM_WITHHELD"}
    if reasons:
        out["actions"] = [{"actionType": "FLAG", "reason": reason} for reason in reasons]
    if verdict == "reject" and policy is not None:
        out["moderationAction"] = {"status": "REJECTED", "rejectionReason": rejection_reason(answer, policy)}
    return out


def _answer(body: dict | None, headers: dict) -> Response:
    response = Response(status=204) if body is None else jsonify(body)
    for name, value in headers.items():
        response.headers[name] = value
    return response


@bp.post("/coral/<site>/moderate")
@doc.documented_drop_in(
    "coral",
    "coralModerate",
    "Coral Talk: external moderation phase",
    {
        "200": doc.ok(
            "Our verdict in Coral's terms (review: SYSTEM_WITHHELD, reject: REJECTED).", doc.ref(CoralAnswer), _HEADERS
        ),
        "204": {"description": "No opinion: approved, or an empty text.", "headers": _HEADERS},
        "400": {"$ref": "#/components/responses/BadRequest"},
        "401": doc.ok("`X-Coral-Signature` is missing or matches no secret of the site (code unauthorized).", doc.ref(Error)),
        "404": doc.ok("No Coral integration is configured for the site (code not_found).", doc.ref(Error)),
        "413": {"$ref": "#/components/responses/TooLarge"},
        "422": {"$ref": "#/components/responses/Invalid"},
        "429": doc.ok(
            "The site policy's rate limit is used up (code rate_limited); Coral logs it and goes on without this phase.",
            doc.ref(Error),
            doc.RETRY_LIMIT,
        ),
        "503": {"$ref": "#/components/responses/Unavailable"},
    },
    description="Coral posts each new or edited comment; we check the signature with the site's secrets"
    " (`PUT /v1/integrations/coral`), moderate it as `POST /v1/comments` does (strikes, bans, queue) and"
    " answer as Coral reads answers. Bad fields are named `comment.body`, `author.id`, ...",
    parameters=[
        doc.param("site", "path", doc.string(), "Our site whose Coral integration this is."),
        doc.param(
            "X-Coral-Signature",
            "header",
            doc.string(pattern="sha256="),
            "`sha256=<hex>` elements: the HMAC-SHA256 of the raw body with each active signing secret.",
            required=True,
        ),
    ],
    request=doc.body(CoralRequest),
)
def moderate(site: str):
    """Coral's external moderation phase for ``site``: verify the signature, moderate, answer in Coral's terms."""
    settings = site_settings(site)
    if not settings or not settings.get("secrets"):
        raise ApiError(404, f"no Coral integration is configured for site {site!r}")
    raw = request.get_data(cache=True)
    header = request.headers.get(SIGNATURE_HEADER)
    if not signatures(header):
        raise ApiError(401, f"the {SIGNATURE_HEADER} header with a sha256 signature is required")
    if not verify(settings["secrets"], raw, header):
        raise ApiError(401, f"the {SIGNATURE_HEADER} signature does not match the body and this site's secrets")
    # The site's rate limit, one bucket for its Coral: over it, 429 with Retry-After; Coral logs any answer
    # other than 200/204 and goes on to its next phase without ours.
    rate_limits.take(services(), site, NAME, None, "coral")
    action, data = parse(raw, settings)
    headers = {"X-Moderation-Comment-Id": data["id"], "X-Moderation-Action": action}
    if blank(data["text"]):  # nothing to read (only whitespace, control and zero-width characters): no opinion
        return _answer(None, {**headers, "X-Moderation-Verdict": "none"})
    limit = services().settings.max_text_chars
    if len(data["text"]) > limit:
        # Too long to check: hold it for Coral's moderators rather than let it through unread.
        return _answer({"status": "SYSTEM_WITHHELD"}, {**headers, "X-Moderation-Verdict": "text_too_long"})
    data = validate(data, COMMENT, {"text": limit})
    answer = comment_actions.submit(services(), site, comment_actions.Comment.from_dict(data))
    headers["X-Moderation-Verdict"] = answer["verdict"]
    if answer["reasons"]:
        headers["X-Moderation-Reasons"] = ",".join(answer["reasons"])
    if answer.get("store") == "unavailable":
        headers["X-Moderation-Store"] = "unavailable"
    return _answer(coral_response(answer, services().policy(site)), headers)


# -- the site admin's settings ---------------------------------------------------------------------------------


def fingerprint(secret: str) -> str:
    """Return a short fingerprint of a secret (to tell secrets apart without showing them)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]


def _view(site: str, settings: dict | None) -> dict:
    """Return what the admin endpoints answer: never the secrets themselves."""
    view = {
        "integration": NAME,
        "configured": bool(settings and settings.get("secrets")),
        "url": url_for("coral.moderate", site=site, _external=True),
    }
    if settings:
        view["format"] = settings.get("format") or "PLAIN_TEXT"
        view["secrets"] = [
            {"fingerprint": fingerprint(s), "prefix": s.split("_", 1)[0] if "_" in s else ""} for s in settings["secrets"]
        ]
        view["updated_at"] = iso(settings.get("updated_at"))
    return view


def _secrets(values: list) -> list[str]:
    """Return the secrets without duplicates, or 422 when one is unusable."""
    problems = []
    if not values:
        problems.append({"field": "secrets", "message": "must hold at least one signing secret"})
    for index, secret in enumerate(values):
        if secret is None:
            problems.append({"field": f"secrets[{index}]", "message": "must be a string"})
        elif len(secret) < SECRET_MIN or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in secret):
            problems.append(
                {"field": f"secrets[{index}]", "message": f"must be {SECRET_MIN} to {SECRET_MAX} characters without spaces"}
            )
    if problems:
        raise invalid(problems)
    return list(dict.fromkeys(values))


@bp.get("/v1/integrations/coral")
@doc.documented(
    "getCoralSettings",
    "Read the Coral Talk integration settings",
    "admin",
    {"200": doc.ok("Whether it is configured, the URL to give Coral, secret fingerprints.", doc.ref(CoralSettings))},
    description="See docs/COMPATIBILITY.md for the Coral external moderation phase.",
)
@require("admin")
def get_settings():
    """Whether the site's Coral integration is configured, the URL to give Coral and the secrets' fingerprints."""
    site = g.identity.site
    return jsonify(_view(site, admin_actions.integration(services(), site, NAME)))


@bp.put("/v1/integrations/coral")
@doc.documented(
    "putCoralSettings",
    "Set the Coral Talk signing secrets",
    "admin",
    {"200": doc.ok("The settings as stored (without the secrets).", doc.ref(CoralSettings))},
    request=doc.body(CoralSettingsInput),
)
@require("admin")
def put_settings():
    """Set the signing secrets Coral shows for the phase (two while a rotated secret is still active)."""
    data = validate(json_body(), _SETTINGS)
    site = g.identity.site
    settings = {
        "secrets": _secrets(data["secrets"]),
        "format": data.get("format") or "PLAIN_TEXT",
        "updated_at": services().clock(),
    }
    admin_actions.set_integration(services(), site, NAME, settings)
    _cache().put(site, settings)
    return jsonify(_view(site, settings))


@bp.delete("/v1/integrations/coral")
@doc.documented(
    "deleteCoralSettings",
    "Forget the Coral Talk settings (Coral's requests are refused from then on)",
    "admin",
    {"200": doc.ok("The settings, now empty.", doc.ref(CoralSettings))},
)
@require("admin")
def delete_settings():
    """Forget the site's Coral settings: Coral's requests are refused (404) from then on."""
    site = g.identity.site
    admin_actions.set_integration(services(), site, NAME, None)
    _cache().put(site, None)
    return jsonify(_view(site, None))
