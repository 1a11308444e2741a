"""The OpenAPI 3.0.3 document of the API (served at /v1/openapi.json), written by hand.

It describes what the server does today: every route, the role each one needs
(from ``service.auth.PERMISSIONS``), request bodies that mirror the validation
rules of ``service.api`` (unknown fields are ignored, so request schemas allow
extra properties), exact response shapes, and the one error shape of
``service.errors`` for every error status an operation can answer. Limits are
the defaults of ``service.config.Settings``; a deployment can change them.
"""

from __future__ import annotations

from typing import Any

from classifier.types import CATEGORIES

from .auth import PERMISSIONS
from .config import Settings
from .store.apikeys import ROLES

_DEFAULTS = Settings()
TEXT_MAX = _DEFAULTS.max_text_chars
BATCH_MAX = _DEFAULTS.batch_max
BODY_MAX = _DEFAULTS.max_body_bytes
ID_MAX = 200
TEN_YEARS_S = 10 * 365 * 86400
VERDICTS = ("approve", "review", "reject")
STATES = ("pending", "approved", "rejected")
DECISIONS = ("approve", "reject")
AUDIT_DECISIONS = ("approve", "reject", "undo", "ban", "unban", "reset")
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
    "too_large",
    "unsupported_media_type",
    "invalid_request",
    "internal_error",
    "unavailable",
    "store_unavailable",
    "error",
)

Schema = dict[str, Any]


# -- schema helpers ---------------------------------------------------------------------------------------------


def ref(name: str) -> Schema:
    """Return a reference to a schema component."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """Return ``schema`` that also allows null (a reference is wrapped in allOf)."""
    if "$ref" in schema:
        return {"nullable": True, "allOf": [schema]}
    out = {**schema, "nullable": True}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def string(description: str | None = None, **keywords: Any) -> Schema:
    """Return a string schema."""
    return _with({"type": "string", **keywords}, description)


def integer(description: str | None = None, **keywords: Any) -> Schema:
    """Return an integer schema."""
    return _with({"type": "integer", **keywords}, description)


def number(description: str | None = None, **keywords: Any) -> Schema:
    """Return a number schema."""
    return _with({"type": "number", **keywords}, description)


def boolean(description: str | None = None) -> Schema:
    """Return a boolean schema."""
    return _with({"type": "boolean"}, description)


def enum(values: tuple | list, description: str | None = None) -> Schema:
    """Return a string schema limited to ``values``."""
    return _with({"type": "string", "enum": list(values)}, description)


def array(items: Schema, description: str | None = None, **keywords: Any) -> Schema:
    """Return an array schema."""
    return _with({"type": "array", "items": items, **keywords}, description)


def obj(
    properties: dict[str, Schema], required: tuple | list = (), description: str | None = None, *, extra: bool = False
) -> Schema:
    """Return an object schema; ``extra`` allows properties not listed (request bodies)."""
    schema: Schema = {"type": "object"}
    if required:
        schema["required"] = list(required)
    schema["properties"] = properties
    schema["additionalProperties"] = extra
    return _with(schema, description)


def _with(schema: Schema, description: str | None) -> Schema:
    if description:
        schema["description"] = description
    return schema


def timestamp(description: str | None = None) -> Schema:
    """Return the schema of the times the server writes: UTC, milliseconds, ``Z``."""
    return string(
        description,
        format="date-time",
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$",
        example="2027-01-15T08:00:00.000Z",
    )


def identifier(description: str | None = None) -> Schema:
    """Return the schema of a client identifier (comment, user, article, moderator ids)."""
    return string(
        description or f"1 to {ID_MAX} characters; no control characters (U+0000-U+001F, U+007F-U+009F) or unpaired surrogates.",
        minLength=1,
        maxLength=ID_MAX,
        pattern="^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
    )


def categories_scores() -> Schema:
    """Return the per-category score object."""
    return obj({c: number(minimum=0, maximum=1) for c in CATEGORIES}, CATEGORIES, "Probability per category (6 decimals).")


# -- operation helpers ------------------------------------------------------------------------------------------

_ERROR_RESPONSES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "TooLarge",
    422: "Invalid",
    503: "Unavailable",
}


def roles_for(permission: str) -> list[str]:
    """Return the roles whose keys grant ``permission``."""
    return [role for role in ROLES if permission in PERMISSIONS.get(role, ())]


def json_content(schema: Schema) -> dict:
    """Return a JSON content map."""
    return {"application/json": {"schema": schema}}


def ok(description: str, schema: Schema, headers: dict | None = None) -> dict:
    """Return a JSON success response."""
    response = {"description": description, "content": json_content(schema)}
    if headers:
        response["headers"] = headers
    return response


def body(schema_name: str, description: str | None = None, required: bool = True) -> dict:
    """Return a JSON request body."""
    out = {"required": required, "content": json_content(ref(schema_name))}
    return _with(out, description)


def param(name: str, where: str, schema: Schema, description: str, required: bool = False) -> dict:
    """Return a parameter (path parameters are always required)."""
    return {"name": name, "in": where, "required": required or where == "path", "description": description, "schema": schema}


def operation(
    operation_id: str,
    summary: str,
    tag: str,
    responses: dict,
    *,
    permission: str | None = None,
    errors: tuple[int, ...] = (),
    parameters: list | None = None,
    request: dict | None = None,
    description: str | None = None,
) -> dict:
    """Return an operation; ``permission`` adds the security, the roles and the 401/403/503 answers."""
    op: dict = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    text = description or ""
    statuses = set(errors)
    if permission is not None:
        roles = roles_for(permission)
        op["security"] = [{"bearerKey": []}, {"headerKey": []}]
        op["x-permission"] = permission
        op["x-roles"] = roles
        text = f"{text} Roles: {', '.join(roles)}.".strip()
        statuses |= {401, 503}
        if len(roles) < len(ROLES):
            statuses.add(403)
    else:
        op["security"] = []
    if text:
        op["description"] = text
    if parameters:
        op["parameters"] = parameters
    if request is not None:
        op["requestBody"] = request
        statuses |= {400, 413, 422}
    all_responses = dict(responses)
    for status in sorted(statuses):
        all_responses[str(status)] = {"$ref": f"#/components/responses/{_ERROR_RESPONSES[status]}"}
    op["responses"] = all_responses
    return op


# -- components -------------------------------------------------------------------------------------------------


def schemas() -> dict[str, Schema]:
    """Return the schema components."""
    verdict = enum(VERDICTS, "approve: publish; review: hold for a moderator; reject: do not publish.")
    reason = string(
        "Why: `<category>:<rule|model>:<block|review|reject>`, strongest first; `user_banned` when the user is banned,"
        " `store_unavailable` when Redis was down and the verdict was turned into review.",
        pattern=f"^(user_banned|store_unavailable|({'|'.join(CATEGORIES)}):(rule|model):(block|review|reject))$",
    )
    category = enum(CATEGORIES)
    assessment_properties = {
        "verdict": ref("Verdict"),
        "scores": ref("Scores"),
        "reasons": array(ref("Reason")),
        "spans": array(ref("Span")),
        "model_version": string("Version of the model that scored the text."),
    }
    user_state_properties = {
        "strikes": integer("Active strikes (the sum of their weights).", minimum=0),
        "banned": boolean(),
        "banned_until": nullable(timestamp("End of the ban; null when not banned or banned for good.")),
    }
    comment_fields = {
        "id": identifier("The site's comment id (unique per site; a repeat with the same user and text is answered again)."),
        "user_id": identifier("The site's user id."),
        "text": string(
            f"The comment; not empty or only whitespace, at most {TEXT_MAX} characters by default (max_text_chars).",
            minLength=1,
            maxLength=TEXT_MAX,
            pattern="\\S",
        ),
        "article_id": nullable(identifier()),
        "parent_id": nullable(identifier()),
        "author_name": nullable(string(maxLength=200)),
        "created_at": {
            "description": "When the comment was written: an ISO 8601 time (UTC when no offset) or seconds since the epoch.",
            "nullable": True,
            "anyOf": [string("ISO 8601, e.g. 2027-01-15T08:00:00Z."), number()],
        },
    }
    return {
        # Classifier answers
        "Verdict": verdict,
        "Category": category,
        "Reason": reason,
        "Scores": categories_scores(),
        "Span": obj(
            {
                "start": integer(minimum=0),
                "end": integer(minimum=0),
                "category": ref("Category"),
                "source": enum([*(f"rule:{c}" for c in CATEGORIES), "model"], "`rule:<list>` or `model`."),
            },
            ("start", "end", "category", "source"),
            "Evidence: the slice [start, end) of the original text (in characters) and what it shows.",
        ),
        "Assessment": obj(assessment_properties, list(assessment_properties), "What the classifier says about a text."),
        "UserState": obj(user_state_properties, list(user_state_properties), "A user's strikes and ban."),
        # Comments
        "CommentInput": obj(
            comment_fields, ("id", "user_id", "text"), "A comment to moderate. Unknown fields are ignored.", extra=True
        ),
        "CommentAnswer": obj(
            {
                "id": string(),
                "verdict": ref("Verdict"),
                "scores": ref("Scores"),
                "reasons": array(ref("Reason")),
                "spans": array(ref("Span")),
                "user": nullable(ref("UserState")),
                "model_version": string(),
                "store": enum(("ok", "unavailable"), "unavailable: Redis was down; nothing was recorded and user is null."),
            },
            ("id", "verdict", "scores", "reasons", "spans", "user", "model_version", "store"),
            "The verdict on a submitted comment. A banned user's comment is rejected with reason user_banned.",
        ),
        "BatchInput": obj(
            {
                "comments": array(
                    ref("CommentInput"),
                    f"At most {BATCH_MAX} by default (batch_max). Each item is checked on its own: a bad item gets an"
                    " error result, not a 422 for the request.",
                    maxItems=BATCH_MAX,
                )
            },
            ("comments",),
            extra=True,
        ),
        "BatchResult": {
            "description": "One result per comment, in request order.",
            "oneOf": [ref("BatchSuccess"), ref("BatchFailure")],
        },
        "BatchSuccess": obj({"status": integer(enum=[200]), "result": ref("CommentAnswer")}, ("status", "result")),
        "BatchFailure": obj(
            {
                "status": integer(enum=[409, 422]),
                "error": obj(
                    {
                        "status": integer(enum=[409, 422]),
                        "code": enum(("id_conflict", "invalid_request")),
                        "message": string(),
                        "fields": array(ref("FieldError")),
                        "index": integer("Position of the comment in the request.", minimum=0),
                    },
                    ("status", "code", "message", "index"),
                ),
            },
            ("status", "error"),
        ),
        "BatchAnswer": obj({"results": array(ref("BatchResult"))}, ("results",)),
        "ScoreInput": obj({"text": comment_fields["text"]}, ("text",), extra=True),
        "CommentRecord": obj(
            {
                "id": string(),
                "user_id": string(),
                "text": string(),
                "article_id": nullable(string()),
                "state": enum(STATES),
                "decision": nullable(enum(DECISIONS, "The latest moderator decision.")),
                "verdict": ref("Verdict"),
                "scores": ref("Scores"),
                "reasons": array(ref("Reason")),
                "spans": array(ref("Span")),
                "model_version": string(),
            },
            (
                "id",
                "user_id",
                "text",
                "article_id",
                "state",
                "decision",
                "verdict",
                "scores",
                "reasons",
                "spans",
                "model_version",
            ),
            "A stored comment: its state, the latest decision and the classifier's answer.",
        ),
        "DecisionInput": obj(
            {
                "decision": enum(DECISIONS),
                "categories": nullable(
                    array(
                        ref("Category"),
                        "What a rejection is for (duplicates are merged). Left out on reject: the categories the classifier flagged.",
                        maxItems=len(CATEGORIES),
                    )
                ),
                "moderator": identifier("Who decided."),
                "note": nullable(string(maxLength=2000)),
            },
            ("decision", "moderator"),
            "A moderator's decision. Unknown fields are ignored.",
            extra=True,
        ),
        "DecisionAnswer": obj(
            {
                "id": string(),
                "decision": enum(DECISIONS),
                "categories": array(ref("Category")),
                "previous": nullable(enum(DECISIONS, "The decision before this one.")),
                "changed": boolean("False when the same decision was already recorded."),
                "user_id": string(),
                "user": ref("UserState"),
            },
            ("id", "decision", "categories", "previous", "changed", "user_id", "user"),
        ),
        "UndoInput": obj(
            {"moderator": identifier("Who undoes: the moderator who made the decision.")},
            ("moderator",),
            "Undo the last decision on a comment. Unknown fields are ignored.",
            extra=True,
        ),
        "UndoAnswer": obj(
            {
                "id": string(),
                "undone": nullable(enum(DECISIONS, "The decision taken back.")),
                "state": enum(("pending", "approved", "rejected"), "The comment's state now."),
                "user_id": string(),
                "user": ref("UserState"),
            },
            ("id", "undone", "state", "user_id", "user"),
        ),
        # Queue and audit
        "Lease": obj({"moderator": string(), "expires_at": timestamp()}, ("moderator", "expires_at")),
        "QueueItem": obj(
            {
                "id": string(),
                "user_id": string(),
                "text": string(),
                "article_id": nullable(string()),
                "parent_id": nullable(string()),
                "author_name": nullable(string()),
                "created_at": nullable(timestamp()),
                "received_at": timestamp(),
                "scores": ref("Scores"),
                "reasons": array(ref("Reason")),
                "spans": array(ref("Span")),
                "categories": array(ref("Category")),
                "risk": number("Highest flagged score: higher is served first.", minimum=0, maximum=1),
                "lease": nullable(ref("Lease")),
            },
            (
                "id",
                "user_id",
                "text",
                "article_id",
                "parent_id",
                "author_name",
                "created_at",
                "received_at",
                "scores",
                "reasons",
                "spans",
                "categories",
                "risk",
                "lease",
            ),
            "A comment waiting for review.",
        ),
        "QueuePage": obj(
            {"items": array(ref("QueueItem")), "depth": integer("Pending comments of the site.", minimum=0)}, ("items", "depth")
        ),
        "ClaimInput": obj(
            {"moderator": identifier("Who takes the items."), "limit": nullable(integer("Default 10.", minimum=1, maximum=100))},
            ("moderator",),
            extra=True,
        ),
        "ClaimAnswer": obj({"items": array(ref("QueueItem")), "lease_s": integer(minimum=1)}, ("items", "lease_s")),
        "AuditEntry": {
            "type": "object",
            "description": "A decision or a user action. Every field but `at` is the string the log stored.",
            "required": ["entry", "type", "decision", "user_id", "moderator", "note", "at"],
            "properties": {
                "entry": string("Stream entry id."),
                "type": enum(("decision", "undo", "ban", "unban", "reset")),
                "decision": enum(AUDIT_DECISIONS),
                "comment_id": string(),
                "user_id": string(),
                "categories": string("Comma-joined categories."),
                "previous": string("Previous decision, or the comment's state before the first decision."),
                "moderator": string(),
                "note": string(),
                "duration_s": string("Ban length in seconds; 0 for good."),
                "at": nullable(timestamp()),
            },
            "additionalProperties": {"type": "string"},
        },
        "AuditPage": obj({"entries": array(ref("AuditEntry"))}, ("entries",)),
        # Users
        "Strike": obj(
            {
                "comment_id": string(),
                "weight": integer(minimum=0),
                "categories": array(ref("Category")),
                "reason": string(),
                "at": nullable(timestamp()),
                "expires_at": timestamp(),
            },
            ("comment_id", "weight", "categories", "reason", "at", "expires_at"),
        ),
        "Ban": obj(
            {
                "until": nullable(timestamp("Null: for good.")),
                "reason": nullable(string()),
                "by": nullable(string("Moderator, key id, or `policy` for automatic bans.")),
                "at": timestamp(),
                "automatic": boolean(),
            },
            ("until", "reason", "by", "at", "automatic"),
        ),
        "UserEvent": {
            "type": "object",
            "description": "A recent event: strike, ban, unban, reset or decision; fields depend on the type.",
            "required": ["type", "at"],
            "properties": {
                "type": enum(("strike", "ban", "unban", "reset", "decision", "undo")),
                "at": nullable(timestamp()),
                "until": nullable(timestamp("Ban end; null when for good or not a ban.")),
            },
            "additionalProperties": True,
        },
        "UserComment": obj(
            {
                "id": string(),
                "state": enum(STATES),
                "received_at": timestamp(),
                "text": string(),
                "article_id": nullable(string()),
                "verdict": nullable(ref("Verdict")),
                "reasons": array(ref("Reason")),
            },
            ("id", "state", "received_at", "text", "article_id", "verdict", "reasons"),
        ),
        "UserView": obj(
            {
                "user_id": string(),
                **user_state_properties,
                "active_strikes": array(ref("Strike")),
                "ban": nullable(ref("Ban")),
                "history": array(ref("UserEvent"), "Newest first."),
                "comments": array(ref("UserComment"), "Recent comments, newest first."),
            },
            ("user_id", *user_state_properties, "active_strikes", "ban", "history", "comments"),
        ),
        "UserStateAnswer": obj(
            {"user_id": string(), **user_state_properties},
            ("user_id", *user_state_properties),
            "The user's state after the change.",
        ),
        "BanInput": obj(
            {
                "duration_s": nullable(integer("Seconds; left out or null: for good.", minimum=1, maximum=TEN_YEARS_S)),
                "reason": string(maxLength=500),
                "moderator": nullable(identifier("Who bans; default: the calling key's id.")),
            },
            ("reason",),
            extra=True,
        ),
        "UserActionInput": obj(
            {
                "reason": nullable(string(maxLength=500)),
                "moderator": nullable(identifier("Who acts; default: the calling key's id.")),
            },
            description="Optional body (an empty body is the same as {}).",
            extra=True,
        ),
        # Admin
        "ApiKey": obj(
            {
                "id": string("First 16 hex digits of the key's SHA-256.", pattern="^[0-9a-f]{16}$"),
                "role": enum(ROLES),
                "name": string(),
                "created_at": timestamp(),
            },
            ("id", "role", "name", "created_at"),
        ),
        "KeyList": obj({"keys": array(ref("ApiKey"))}, ("keys",)),
        "KeyInput": obj(
            {"role": enum(ROLES), "name": nullable(string(maxLength=200))}, ("role",), "Unknown fields are ignored.", extra=True
        ),
        "NewKey": obj(
            {
                "key": string("The key; shown only in this answer.", pattern="^mk_[A-Za-z0-9_-]+$"),
                "id": string(pattern="^[0-9a-f]{16}$"),
                "role": enum(ROLES),
                "site": string(),
            },
            ("key", "id", "role", "site"),
        ),
        "Revoked": obj({"revoked": string()}, ("revoked",)),
        "Policy": obj(
            {
                "weights": obj(
                    {c: integer(minimum=0) for c in CATEGORIES},
                    CATEGORIES,
                    "Strikes one rejection adds, per category (the largest counts).",
                ),
                "strike_ttl_s": integer("How long a strike counts.", minimum=1),
                "ban_steps": array(
                    array(integer(minimum=0), minItems=2, maxItems=2),
                    "[active strikes, ban seconds] pairs, strikes increasing; 0 seconds bans for good.",
                ),
                "allowed_domains": array(string(minLength=1, maxLength=253), "Links to these hosts are not promotion."),
                "thresholds": obj(
                    {
                        c: obj({"review": number(minimum=0, maximum=1), "reject": number(minimum=0, maximum=1)})
                        for c in CATEGORIES
                    },
                    description="The site's own operating point: per category, review and reject thresholds "
                    "(calibrated scores) overriding the model's; categories and keys left out keep the model's. "
                    "docs/MODEL.md lists the points to choose from.",
                ),
            },
            ("weights", "strike_ttl_s", "ban_steps", "allowed_domains", "thresholds"),
            "A site's strike and ban policy.",
        ),
        "PolicyInput": obj(
            {
                "weights": obj({c: integer(minimum=0) for c in CATEGORIES}, description="Categories left out keep their weight."),
                "strike_ttl_s": integer(minimum=1),
                "ban_steps": array(
                    array(integer(), minItems=2, maxItems=2),
                    "[strikes > 0, seconds >= 0] pairs with strictly increasing strikes.",
                ),
                "allowed_domains": array(string(minLength=1, maxLength=253)),
                "thresholds": obj(
                    {
                        c: obj({"review": number(minimum=0, maximum=1), "reject": number(minimum=0, maximum=1)})
                        for c in CATEGORIES
                    },
                    description="The site's own operating point: per category, review and reject thresholds "
                    "(calibrated scores) overriding the model's; categories and keys left out keep the model's. "
                    "docs/MODEL.md lists the points to choose from.",
                ),
            },
            description="Keys left out keep their current value. Unknown keys are refused (422).",
        ),
        "LabelRow": obj(
            {
                "text": string(),
                **{c: integer(enum=[0, 1]) for c in CATEGORIES},
                "source": string("The site the label came from."),
            },
            ("text", "source"),
            "One line of GET /v1/labels: a training row for `moderation train --extra`.",
        ),
        # Integrations
        "CoralSettingsInput": obj(
            {
                "secrets": array(
                    string(minLength=16, maxLength=512),
                    "The phase's signing secrets as Coral shows them (two while a rotated one is still active).",
                    minItems=1,
                    maxItems=5,
                ),
                "format": nullable(enum(("PLAIN_TEXT", "HTML"), "The phase's body format (default PLAIN_TEXT).")),
            },
            ("secrets",),
            extra=True,
        ),
        "CoralSettings": obj(
            {
                "integration": enum(("coral",)),
                "configured": boolean(),
                "url": string("The URL to enter as the phase's endpoint in Coral."),
                "format": enum(("PLAIN_TEXT", "HTML")),
                "secrets": array(
                    obj({"fingerprint": string("First 12 hex digits of the secret's SHA-256."), "prefix": string()}),
                    "Never the secrets themselves.",
                ),
                "updated_at": nullable(timestamp()),
            },
            ("integration", "configured", "url"),
        ),
        # Models
        "ModelInfo": obj(
            {
                "version": string("The active model version."),
                "thresholds": obj(
                    {c: obj({"review": number(), "reject": number()}, ("review", "reject")) for c in CATEGORIES},
                    tuple(CATEGORIES),
                ),
                "card": {"type": "object", "description": "The model card: training files, metrics, thresholds, libraries."},
                "shadow": nullable(obj({"version": string()}, ("version",), "The shadow model, when one is set.")),
            },
            ("version", "thresholds", "card", "shadow"),
        ),
        "ShadowVerdicts": obj(
            {
                "version": string(),
                "verdict": enum(("approve", "review", "reject")),
                "scores": categories_scores(),
                "reasons": array(string()),
            },
            ("version", "verdict", "scores", "reasons"),
        ),
        "ShadowSummary": obj(
            {
                "active": string("The active model version."),
                "shadow": nullable(string("The shadow model version, when one is set.")),
                "versions": {
                    "type": "object",
                    "description": "Per shadow version: comments compared, agreed, agreement rate, counts per verdict pair.",
                    "additionalProperties": obj(
                        {
                            "compared": integer(minimum=0),
                            "agreed": integer(minimum=0),
                            "agreement": nullable(number(minimum=0, maximum=1)),
                            "pairs": {"type": "object", "additionalProperties": integer(minimum=0)},
                        },
                        ("compared", "agreed", "agreement", "pairs"),
                    ),
                },
                "disagreements": array(
                    obj(
                        {
                            "comment_id": string(),
                            "at": number("Seconds since the epoch."),
                            "active": ref("ShadowVerdicts"),
                            "shadow": ref("ShadowVerdicts"),
                        },
                        ("comment_id", "at", "active", "shadow"),
                    ),
                    "Newest first.",
                ),
            },
            ("active", "shadow", "versions", "disagreements"),
        ),
        # Health
        "Health": obj({"status": enum(("ok",))}, ("status",)),
        "Readiness": obj(
            {"status": enum(("ok", "unavailable")), "redis": enum(("ok", "unavailable")), "model": string("Model version.")},
            ("status", "redis", "model"),
        ),
        # Errors
        "FieldError": obj(
            {"field": string("Field name, `name[index]` inside lists, or `(body)`."), "message": string()}, ("field", "message")
        ),
        "Error": obj(
            {
                "error": obj(
                    {
                        "status": integer("The HTTP status.", minimum=400, maximum=599),
                        "code": enum(ERROR_CODES),
                        "message": string(),
                        "fields": array(ref("FieldError"), "Only on 422: every bad field."),
                    },
                    ("status", "code", "message"),
                )
            },
            ("error",),
            "The one shape of every error answer.",
        ),
    }


def _error_response(description: str, headers: dict | None = None) -> dict:
    return ok(description, ref("Error"), headers)


def responses() -> dict:
    """Return the shared error responses."""
    retry = {"Retry-After": {"description": "Seconds to wait (5).", "schema": {"type": "integer"}}}
    return {
        "BadRequest": _error_response("The body is not JSON (code bad_json)."),
        "Unauthorized": _error_response(
            "No API key, or an unknown one (code unauthorized).",
            {"WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}}},
        ),
        "Forbidden": _error_response("The key's role may not do this (code forbidden)."),
        "NotFound": _error_response("No such item on the key's site (code not_found)."),
        "Conflict": _error_response("The comment id was already used with another text or user (code id_conflict)."),
        "TooLarge": _error_response(f"The body is larger than {BODY_MAX} bytes by default (max_body_bytes; code too_large)."),
        "Invalid": _error_response("Invalid fields, every one listed in `fields` (code invalid_request)."),
        "Unavailable": _error_response(
            "Redis is unavailable: the key could not be checked or the store is needed (code store_unavailable).", retry
        ),
    }


# -- paths ------------------------------------------------------------------------------------------------------

_COMMENT_ID = param("comment_id", "path", string(), "The site's comment id.")
_USER_ID = param("user_id", "path", identifier(), "The site's user id (422 when not a valid identifier).")


def paths() -> dict:
    """Return the paths."""
    return {
        "/v1/comments": {
            "post": operation(
                "submitComment",
                "Moderate one comment",
                "comments",
                {"200": ok("The verdict, scores, reasons, evidence and the user's strikes.", ref("CommentAnswer"))},
                permission="submit",
                errors=(409,),
                request=body("CommentInput"),
                description="Scores, records (strike and ban on reject) and queues the comment for review once; the same"
                " request again returns the stored answer. When Redis is down the comment is still answered"
                " (store: unavailable).",
            )
        },
        "/v1/comments/batch": {
            "post": operation(
                "submitBatch",
                "Moderate a batch of comments",
                "comments",
                {"200": ok("One result per comment.", ref("BatchAnswer"))},
                permission="submit",
                request=body("BatchInput"),
            )
        },
        "/v1/score": {
            "post": operation(
                "scoreText",
                "Assess a text without storing anything",
                "comments",
                {"200": ok("The classifier's answer.", ref("Assessment"))},
                permission="score",
                request=body("ScoreInput"),
            )
        },
        "/v1/comments/{comment_id}": {
            "get": operation(
                "getComment",
                "Read a stored comment",
                "comments",
                {"200": ok("The comment's record.", ref("CommentRecord"))},
                permission="queue",
                errors=(404,),
                parameters=[_COMMENT_ID],
            )
        },
        "/v1/comments/{comment_id}/decision": {
            "post": operation(
                "decideComment",
                "Record a moderator's decision",
                "comments",
                {"200": ok("The decision and the user's state after it.", ref("DecisionAnswer"))},
                permission="decide",
                errors=(404,),
                parameters=[_COMMENT_ID],
                request=body("DecisionInput"),
                description="Idempotent. Reject adds a strike; approve lifts a strike the comment caused.",
            )
        },
        "/v1/comments/{comment_id}/undo": {
            "post": operation(
                "undoDecision",
                "Undo the last decision on a comment",
                "comments",
                {"200": ok("What was undone and the user's state after it.", ref("UndoAnswer"))},
                permission="decide",
                errors=(404, 409),
                parameters=[_COMMENT_ID],
                request=body("UndoInput"),
                description=(
                    "Only the moderator who decided, within `undo_window_s` seconds (10 by default): a strike the decision "
                    "added is lifted, one it lifted comes back, and a comment that was pending returns to the queue. 409 when "
                    "there is nothing to undo or the window has passed."
                ),
            )
        },
        "/v1/queue": {
            "get": operation(
                "listQueue",
                "List pending comments",
                "queue",
                {"200": ok("Highest risk first, oldest first among equals.", ref("QueuePage"))},
                permission="queue",
                errors=(422,),
                parameters=[
                    param("limit", "query", integer(minimum=1, maximum=500, default=50), "Most items to return."),
                    param("category", "query", ref("Category"), "Only items flagged for this category."),
                ],
            )
        },
        "/v1/queue/claim": {
            "post": operation(
                "claimQueue",
                "Lease pending comments to a moderator",
                "queue",
                {"200": ok("The leased items (items already leased to the same moderator come again).", ref("ClaimAnswer"))},
                permission="queue",
                request=body("ClaimInput"),
            )
        },
        "/v1/audit": {
            "get": operation(
                "listAudit",
                "Read the decision and user-action log",
                "queue",
                {"200": ok("Newest first.", ref("AuditPage"))},
                permission="queue",
                errors=(422,),
                parameters=[
                    param("limit", "query", integer(minimum=1, maximum=1000, default=100), "Most entries to return."),
                    param("decision", "query", enum(AUDIT_DECISIONS), "Only entries with this decision or action."),
                    param("moderator", "query", string(), "Only entries by this moderator."),
                ],
            )
        },
        "/v1/users/{user_id}": {
            "get": operation(
                "getUser",
                "Read a user's strikes, ban, history and comments",
                "users",
                {"200": ok("What a moderator sees about the user.", ref("UserView"))},
                permission="users",
                errors=(422,),
                parameters=[_USER_ID],
            )
        },
        "/v1/users/{user_id}/ban": {
            "post": operation(
                "banUser",
                "Ban a user",
                "users",
                {"200": ok("The user's state.", ref("UserStateAnswer"))},
                permission="users",
                parameters=[_USER_ID],
                request=body("BanInput"),
            ),
            "delete": operation(
                "unbanUser",
                "Lift a user's ban",
                "users",
                {"200": ok("The user's state.", ref("UserStateAnswer"))},
                permission="users",
                parameters=[_USER_ID],
                request=body("UserActionInput", required=False),
            ),
        },
        "/v1/users/{user_id}/strikes/reset": {
            "post": operation(
                "resetStrikes",
                "Forget a user's strikes",
                "users",
                {"200": ok("The user's state (a ban stays).", ref("UserStateAnswer"))},
                permission="users",
                parameters=[_USER_ID],
                request=body("UserActionInput", required=False),
            )
        },
        "/v1/keys": {
            "get": operation(
                "listKeys",
                "List the site's API keys",
                "admin",
                {"200": ok("Ids, roles and names; keys themselves are never stored.", ref("KeyList"))},
                permission="admin",
            ),
            "post": operation(
                "createKey",
                "Create an API key for the site",
                "admin",
                {"201": ok("The new key (the only time it is shown).", ref("NewKey"))},
                permission="admin",
                request=body("KeyInput"),
            ),
        },
        "/v1/keys/{key_id}": {
            "delete": operation(
                "revokeKey",
                "Revoke one of the site's keys",
                "admin",
                {"200": ok("The revoked key id.", ref("Revoked"))},
                permission="admin",
                errors=(404,),
                parameters=[param("key_id", "path", string(), "The key's id (at least its first 16 hex digits).")],
            )
        },
        "/v1/policy": {
            "get": operation(
                "getPolicy",
                "Read the site's policy",
                "admin",
                {"200": ok("The policy (the default one while Redis is down).", ref("Policy"))},
                permission="admin",
            ),
            "put": operation(
                "putPolicy",
                "Change the site's policy",
                "admin",
                {"200": ok("The policy now in force.", ref("Policy"))},
                permission="admin",
                request=body("PolicyInput"),
            ),
        },
        "/v1/labels": {
            "get": operation(
                "exportLabels",
                "Export moderator labels",
                "admin",
                {
                    "200": {
                        "description": "JSON Lines, one LabelRow per line (the latest decision per comment).",
                        "content": {"application/x-ndjson": {"schema": string()}},
                    }
                },
                permission="admin",
            )
        },
        "/v1/integrations/coral": {
            "get": operation(
                "getCoralSettings",
                "Read the Coral Talk integration settings",
                "admin",
                {"200": ok("Whether it is configured, the URL to give Coral, secret fingerprints.", ref("CoralSettings"))},
                permission="admin",
                description="See docs/COMPATIBILITY.md for the Coral external moderation phase.",
            ),
            "put": operation(
                "putCoralSettings",
                "Set the Coral Talk signing secrets",
                "admin",
                {"200": ok("The settings as stored (without the secrets).", ref("CoralSettings"))},
                permission="admin",
                request=body("CoralSettingsInput"),
            ),
            "delete": operation(
                "deleteCoralSettings",
                "Forget the Coral Talk settings (Coral's requests are refused from then on)",
                "admin",
                {"200": ok("The settings, now empty.", ref("CoralSettings"))},
                permission="admin",
            ),
        },
        "/v1/model": {
            "get": operation(
                "getModel",
                "The model being served",
                "models",
                {"200": ok("The active version, its thresholds and card, and the shadow version.", ref("ModelInfo"))},
                permission="score",
                description="Each worker follows the model directory and switches within `MODERATION_MODEL_POLL_S` seconds.",
            )
        },
        "/v1/shadow": {
            "get": operation(
                "getShadow",
                "How the shadow model compares with the active one",
                "models",
                {"200": ok("Agreement counts on this site's new comments, and the latest disagreements.", ref("ShadowSummary"))},
                permission="queue",
                errors=(422,),
                parameters=[
                    param("limit", "query", integer(minimum=1, maximum=500, default=50), "Most disagreements to return.")
                ],
            )
        },
        "/v1/openapi.json": {
            "get": operation(
                "getOpenApi",
                "This document",
                "health",
                {"200": ok("The OpenAPI 3.0.3 document.", {"type": "object"})},
            )
        },
        "/healthz": {"get": operation("healthz", "Liveness", "health", {"200": ok("The process is alive.", ref("Health"))})},
        "/readyz": {
            "get": operation(
                "readyz",
                "Readiness",
                "health",
                {
                    "200": ok("Redis answers and the model is loaded.", ref("Readiness")),
                    "503": ok("Redis does not answer (this body, not the Error shape).", ref("Readiness")),
                },
            )
        },
        "/metrics": {
            "get": operation(
                "metrics",
                "Prometheus metrics",
                "health",
                {"200": {"description": "Prometheus text format 0.0.4.", "content": {"text/plain": {"schema": string()}}}},
            )
        },
    }


def document() -> dict:
    """Return the OpenAPI document."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Comment moderation",
            "version": "1",
            "description": (
                "Verdicts, scores and evidence for comments, a review queue, strikes and bans.\n\n"
                "Authentication: an API key in `Authorization: Bearer <key>` (or `X-API-Key: <key>`). A key belongs to one"
                " site and has a role: `site` submits and scores comments; `moderator` scores, works the queue, decides and"
                " manages users; `admin` does all of that plus keys, policy and labels. Everything is scoped to the key's site.\n\n"
                "Errors: every error answer, including 404 for unknown paths and 405 for unsupported methods, has the Error"
                " shape. Request bodies are JSON whatever the Content-Type; unknown fields are ignored."
                f" Limits (defaults): bodies up to {BODY_MAX} bytes, texts up to {TEXT_MAX} characters,"
                f" batches up to {BATCH_MAX} comments."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "comments", "description": "Submit, score and decide on comments."},
            {"name": "queue", "description": "The review queue and the audit log."},
            {"name": "users", "description": "Strikes and bans."},
            {"name": "admin", "description": "API keys, policy and training labels."},
            {"name": "models", "description": "The model being served and its shadow."},
            {"name": "health", "description": "Probes, metrics and this document."},
        ],
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "responses": responses(),
            "securitySchemes": {
                "bearerKey": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <key>`."},
                "headerKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "The same key in X-API-Key."},
            },
        },
    }
