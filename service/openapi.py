"""The OpenAPI 3.0.3 document of the API (served at /v1/openapi.json).

Its schemas are generated from the shapes declared in ``service.schemas``,
the same declarations the request validation is made from (pydantic's JSON
Schema, turned into OpenAPI 3.0's dialect here). Written by hand is only what
those shapes cannot say: the routes, the role each one needs (from
``service.auth.PERMISSIONS``), summaries and descriptions, the error statuses
each operation can answer (all in the one error shape of ``service.errors``),
query and path parameters, the security schemes, and the drop-in endpoints'
own ways (docs/COMPATIBILITY.md): Perspective's Google-style errors, Coral's
signature and empty answers, Akismet's form fields and plain-text answers.
Limits are the defaults of ``service.config.Settings``; a deployment can
change them.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from .actions.events import EVENT_TYPES
from .auth import PERMISSIONS
from .codec import DEPTH_MAX
from .config import Settings
from .schemas import (
    AUDIT_DECISIONS,
    BATCH_MAX,
    TEXT_MAX,
    WORD_SEVERITIES,
    WORDS_MAX_BYTES,
    AkismetComment,
    AkismetVerifyKey,
    AnalyzeCommentRequest,
    AnalyzeCommentResponse,
    ApiKey,
    Assessment,
    AuditPage,
    BanInput,
    BatchAnswer,
    BatchInput,
    Category,
    ClaimAnswer,
    ClaimInput,
    CommentAnswer,
    CommentInput,
    CommentRecord,
    CoralAnswer,
    CoralRequest,
    CoralSettings,
    CoralSettingsInput,
    DecisionAnswer,
    DecisionInput,
    Error,
    EventPage,
    GoogleError,
    Health,
    KeyChange,
    KeyInput,
    KeyList,
    LabelRow,
    ModelInfo,
    NewKey,
    NewWebhook,
    Policy,
    PolicyInput,
    QueuePage,
    Readiness,
    RedeliverInput,
    Redelivery,
    Revoked,
    ScoreInput,
    ShadowSummary,
    SiteWords,
    SiteWordsChanged,
    SiteWordsInput,
    SiteWordsPatch,
    SuggestCommentScoreRequest,
    SuggestCommentScoreResponse,
    UndoAnswer,
    UndoInput,
    UserActionInput,
    UserIdPath,
    UserStateAnswer,
    UserView,
    Webhook,
    WebhookInput,
    WebhookList,
    WebhookPatch,
    WebhookView,
)
from .store.apikeys import ROLES

BODY_MAX = Settings().max_body_bytes
REF = "#/components/schemas/{model}"

Schema = dict[str, Any]


# -- schemas from the shapes ------------------------------------------------------------------------------------

#: The shapes the operations refer to, by name (filled while the paths are written).
_REFERRED: dict[str, Any] = {}


def ref(shape: Any) -> Schema:
    """Return a reference to the component schema of a shape of ``service.schemas``."""
    _REFERRED[shape.__name__] = shape
    return {"$ref": REF.format(model=shape.__name__)}


def components(extra: tuple = ()) -> dict[str, Schema]:
    """Return the component schemas of every shape referred to (and ``extra``), with the shapes they use."""
    wanted = {**_REFERRED, **{s.__name__: s for s in extra}}
    inputs = [(shape, "validation", TypeAdapter(shape).core_schema) for shape in wanted.values()]
    refs, definitions = GenerateJsonSchema(ref_template=REF).generate_definitions(inputs)
    for (shape, _), schema in refs.items():
        if schema != {"$ref": REF.format(model=shape.__name__)}:
            raise RuntimeError(f"pydantic named the schema of {shape.__name__} {schema}: give the shape a unique name")
    return {name: openapi_schema(definitions[name]) for name in sorted(definitions)}


def field_schema(shape: Any, name: str) -> Schema:
    """Return the schema of one field of a shape (for a path parameter), inline."""
    return openapi_schema(TypeAdapter(shape.__annotations__[name]).json_schema(ref_template=REF))


def openapi_schema(node: Any) -> Any:
    """Return pydantic's JSON Schema (2020-12) in OpenAPI 3.0's dialect.

    ``anyOf [X, null]`` becomes X with ``nullable`` (a reference: ``allOf [ref]``, an enum also lists null);
    ``const`` an enum of one; a reference with siblings goes into ``allOf``; titles go; an object with
    properties that does not forbid others (a request) says ``additionalProperties: true``.
    """
    if isinstance(node, list):
        return [openapi_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: v for k, v in node.items() if k != "title"}
    options = node.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        siblings = {k: v for k, v in node.items() if k != "anyOf"}
        inner = openapi_schema(rest[0] if len(rest) == 1 else {"anyOf": rest})
        if "$ref" in inner:
            return {"nullable": True, "allOf": [inner], **openapi_schema(siblings)}
        out = {**inner, **openapi_schema(siblings), "nullable": True}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if "$ref" in node and len(node) > 1:
        node = {"allOf": [{"$ref": node.pop("$ref")}], **node}
    out = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: openapi_schema(s) for name, s in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[key] = openapi_schema(value)
        else:
            out[key] = value
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = True
    return out


# -- hand-written schemas of parameters -------------------------------------------------------------------------


def _with(schema: Schema, description: str | None) -> Schema:
    if description:
        schema["description"] = description
    return schema


def string(description: str | None = None, **keywords: Any) -> Schema:
    """Return a string schema."""
    return _with({"type": "string", **keywords}, description)


def integer(description: str | None = None, **keywords: Any) -> Schema:
    """Return an integer schema."""
    return _with({"type": "integer", **keywords}, description)


def enum(values: tuple | list, description: str | None = None) -> Schema:
    """Return a string schema limited to ``values``."""
    return _with({"type": "string", "enum": list(values)}, description)


# -- operation helpers ------------------------------------------------------------------------------------------

_ERROR_RESPONSES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Gone",
    413: "TooLarge",
    422: "Invalid",
    429: "RateLimited",
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


def text(description: str, headers: dict | None = None) -> dict:
    """Return a plain-text response."""
    response = {"description": description, "content": {"text/plain": {"schema": string()}}}
    if headers:
        response["headers"] = headers
    return response


def body(shape: Any, description: str | None = None, required: bool = True) -> dict:
    """Return a JSON request body."""
    out = {"required": required, "content": json_content(ref(shape))}
    return _with(out, description)


def form(shape: Any, description: str | None = None) -> dict:
    """Return a form-encoded request body."""
    return _with({"required": True, "content": {"application/x-www-form-urlencoded": {"schema": ref(shape)}}}, description)


def param(name: str, where: str, schema: Schema, description: str, required: bool = False) -> dict:
    """Return a parameter (path parameters are always required)."""
    return {"name": name, "in": where, "required": required or where == "path", "description": description, "schema": schema}


def header(description: str, schema: Schema | None = None) -> dict:
    """Return a response header."""
    return {"description": description, "schema": schema or string()}


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
    """Return an operation; ``permission`` adds the security, the roles and the 401/403/429/503 answers."""
    op: dict = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    text_ = description or ""
    statuses = set(errors)
    if permission is not None:
        roles = roles_for(permission)
        op["security"] = [{"bearerKey": []}, {"headerKey": []}]
        op["x-permission"] = permission
        op["x-roles"] = roles
        text_ = f"{text_} Roles: {', '.join(roles)}.".strip()
        statuses |= {401, 429, 503}
        if len(roles) < len(ROLES):
            statuses.add(403)
    else:
        op["security"] = []
    if text_:
        op["description"] = text_
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


def drop_in(
    original: str,
    operation_id: str,
    summary: str,
    responses: dict,
    *,
    description: str,
    parameters: list | None = None,
    request: dict | None = None,
) -> dict:
    """Return an operation of a drop-in endpoint: its original's authentication and answers, every status listed."""
    op: dict = {"operationId": operation_id, "summary": summary, "tags": ["compatibility"], "x-compatibility": original}
    # Not this API's key schemes: each drop-in authenticates as its original does (see the description).
    op["security"] = []
    op["description"] = f"{description} See docs/COMPATIBILITY.md."
    if parameters:
        op["parameters"] = parameters
    if request is not None:
        op["requestBody"] = request
    op["responses"] = dict(sorted(responses.items()))
    return op


# -- shared error answers ---------------------------------------------------------------------------------------


def _error_response(description: str, headers: dict | None = None) -> dict:
    return ok(description, ref(Error), headers)


def responses() -> dict:
    """Return the shared error responses."""
    retry = {"Retry-After": {"description": "Seconds to wait (5).", "schema": {"type": "integer"}}}
    return {
        "BadRequest": _error_response(
            f"The body is not JSON, or is more than is read: nested more than {DEPTH_MAX} levels deep, or a number of more"
            " digits than Python reads (code bad_json; the message says which)."
        ),
        "Unauthorized": _error_response(
            "No API key, or an unknown one (code unauthorized).",
            {"WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}}},
        ),
        "Forbidden": _error_response("The key's role may not do this (code forbidden)."),
        "NotFound": _error_response("No such item on the key's site (code not_found)."),
        "Conflict": _error_response("The comment id was already used with another text or user (code id_conflict)."),
        "Gone": _error_response(
            "Events after the cursor are past the site's retention (code cursor_expired); `oldest_cursor` reads from"
            " the oldest event kept."
        ),
        "TooLarge": _error_response(f"The body is larger than {BODY_MAX} bytes by default (max_body_bytes; code too_large)."),
        "Invalid": _error_response("Invalid fields, every one listed in `fields` (code invalid_request)."),
        "RateLimited": _error_response(
            "The key's rate limit (its own, else the site policy's `rate_limit`) is used up (code rate_limited).",
            {"Retry-After": {"description": "Seconds until a request is taken again.", "schema": {"type": "integer"}}},
        ),
        "Unavailable": _error_response(
            "Redis is unavailable: the key could not be checked or the store is needed (code store_unavailable).", retry
        ),
    }


# -- paths ------------------------------------------------------------------------------------------------------

_COMMENT_ID = param("comment_id", "path", string(), "The site's comment id.")
_USER_ID = param("user_id", "path", field_schema(UserIdPath, "user_id"), "The site's user id (422 when not a valid identifier).")
_ENDPOINT_ID = param("endpoint_id", "path", string(), "The endpoint's id (wh_...).")


def paths() -> dict:
    """Return the paths of this service's own API."""
    return {
        "/v1/comments": {
            "post": operation(
                "submitComment",
                "Moderate one comment",
                "comments",
                {"200": ok("The verdict, scores, reasons, evidence and the user's strikes.", ref(CommentAnswer))},
                permission="submit",
                errors=(409,),
                request=body(CommentInput),
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
                {"200": ok("One result per comment.", ref(BatchAnswer))},
                permission="submit",
                request=body(BatchInput),
            )
        },
        "/v1/score": {
            "post": operation(
                "scoreText",
                "Assess a text without storing anything",
                "comments",
                {"200": ok("The classifier's answer.", ref(Assessment))},
                permission="score",
                request=body(ScoreInput),
            )
        },
        "/v1/comments/{comment_id}": {
            "get": operation(
                "getComment",
                "Read a stored comment",
                "comments",
                {"200": ok("The comment's record (a site key reads its own comments).", ref(CommentRecord))},
                permission="read",
                errors=(404,),
                parameters=[_COMMENT_ID],
            )
        },
        "/v1/comments/{comment_id}/decision": {
            "post": operation(
                "decideComment",
                "Record a moderator's decision",
                "comments",
                {"200": ok("The decision and the user's state after it.", ref(DecisionAnswer))},
                permission="decide",
                errors=(404,),
                parameters=[_COMMENT_ID],
                request=body(DecisionInput),
                description="Idempotent. Reject adds a strike; approve lifts a strike the comment caused.",
            )
        },
        "/v1/comments/{comment_id}/undo": {
            "post": operation(
                "undoDecision",
                "Undo the last decision on a comment",
                "comments",
                {"200": ok("What was undone and the user's state after it.", ref(UndoAnswer))},
                permission="decide",
                errors=(404, 409),
                parameters=[_COMMENT_ID],
                request=body(UndoInput),
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
                {"200": ok("Highest risk first, oldest first among equals.", ref(QueuePage))},
                permission="queue",
                errors=(422,),
                parameters=[
                    param("limit", "query", integer(minimum=1, maximum=500, default=50), "Most items to return."),
                    param("category", "query", ref(Category), "Only items flagged for this category."),
                ],
            )
        },
        "/v1/queue/claim": {
            "post": operation(
                "claimQueue",
                "Lease pending comments to a moderator",
                "queue",
                {"200": ok("The leased items (items already leased to the same moderator come again).", ref(ClaimAnswer))},
                permission="queue",
                request=body(ClaimInput),
            )
        },
        "/v1/audit": {
            "get": operation(
                "listAudit",
                "Read the decision and user-action log",
                "queue",
                {"200": ok("Newest first.", ref(AuditPage))},
                permission="queue",
                errors=(422,),
                parameters=[
                    param("limit", "query", integer(minimum=1, maximum=1000, default=100), "Most entries to return."),
                    param("decision", "query", enum(AUDIT_DECISIONS), "Only entries with this decision or action."),
                    param("moderator", "query", string(), "Only entries by this moderator."),
                ],
            )
        },
        "/v1/events": {
            "get": operation(
                "listEvents",
                "Follow the site's decisions, bans, unbans and strike resets",
                "events",
                {"200": ok("Oldest first, after the cursor.", ref(EventPage))},
                permission="events",
                errors=(410, 422),
                description=(
                    "Every later decision on the site's comments (a held comment approved or rejected, a decision"
                    " undone), every ban (by strikes or by a moderator), unban and strike reset, each with a statement"
                    " of reasons; every verdict too when the site policy's `verdict_events` is on. Kept for the"
                    " policy's `events_retention_s` (14 days by default). Read with the cursor of the last page"
                    " (`after`); a cursor whose next events were trimmed answers 410 with `oldest_cursor`."
                    " docs/EVENTS.md."
                ),
                parameters=[
                    param("after", "query", string(), "The cursor of the last page (none: from the oldest event kept)."),
                    param("types", "query", string(), f"Comma-separated event types ({', '.join(EVENT_TYPES)})."),
                    param("limit", "query", integer(minimum=1, maximum=1000, default=100), "Most events to return."),
                    param("wait", "query", integer(minimum=0, maximum=30, default=0), "Seconds to wait for an event when there is none yet."),
                ],
            )
        },
        "/v1/webhooks": {
            "post": operation(
                "createWebhook",
                "Add a webhook endpoint",
                "events",
                {"201": ok("The endpoint, with its signing secret (shown only here).", ref(NewWebhook))},
                permission="admin",
                request=body(WebhookInput),
                description=(
                    "Every event of the feed from now on (or of `types`) is POSTed to the URL, signed as the Standard"
                    " Webhooks specification says, and retried for about 27 hours until the receiver answers 2xx;"
                    " 410 turns the endpoint off. docs/EVENTS.md."
                ),
            ),
            "get": operation(
                "listWebhooks",
                "List the site's webhook endpoints",
                "events",
                {"200": ok("No secrets.", ref(WebhookList))},
                permission="admin",
            ),
        },
        "/v1/webhooks/{endpoint_id}": {
            "get": operation(
                "getWebhook",
                "Read an endpoint and its latest deliveries",
                "events",
                {"200": ok("Where its deliveries stand, and the latest attempts.", ref(WebhookView))},
                permission="admin",
                errors=(404,),
                parameters=[_ENDPOINT_ID],
            ),
            "patch": operation(
                "changeWebhook",
                "Change an endpoint, or turn it off and on",
                "events",
                {"200": ok("The endpoint.", ref(Webhook))},
                permission="admin",
                errors=(404,),
                parameters=[_ENDPOINT_ID],
                request=body(WebhookPatch),
            ),
            "delete": operation(
                "deleteWebhook",
                "Remove an endpoint",
                "events",
                {"204": {"description": "Removed, with its delivery log."}},
                permission="admin",
                errors=(404,),
                parameters=[_ENDPOINT_ID],
            ),
        },
        "/v1/webhooks/{endpoint_id}/redeliver": {
            "post": operation(
                "redeliverWebhook",
                "Send an event to an endpoint again",
                "events",
                {"202": ok("Queued: sent once more, whatever happened before.", ref(Redelivery))},
                permission="admin",
                errors=(404,),
                parameters=[_ENDPOINT_ID],
                request=body(RedeliverInput),
            )
        },
        "/v1/users/{user_id}": {
            "get": operation(
                "getUser",
                "Read a user's strikes, ban, history and comments",
                "users",
                {"200": ok("What a moderator sees about the user.", ref(UserView))},
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
                {"200": ok("The user's state.", ref(UserStateAnswer))},
                permission="users",
                parameters=[_USER_ID],
                request=body(BanInput),
            ),
            "delete": operation(
                "unbanUser",
                "Lift a user's ban",
                "users",
                {"200": ok("The user's state.", ref(UserStateAnswer))},
                permission="users",
                parameters=[_USER_ID],
                request=body(UserActionInput, required=False),
            ),
        },
        "/v1/users/{user_id}/strikes/reset": {
            "post": operation(
                "resetStrikes",
                "Forget a user's strikes",
                "users",
                {"200": ok("The user's state (a ban stays).", ref(UserStateAnswer))},
                permission="users",
                parameters=[_USER_ID],
                request=body(UserActionInput, required=False),
            )
        },
        "/v1/keys": {
            "get": operation(
                "listKeys",
                "List the site's API keys",
                "admin",
                {"200": ok("Ids, roles and names; keys themselves are never stored.", ref(KeyList))},
                permission="admin",
            ),
            "post": operation(
                "createKey",
                "Create an API key for the site",
                "admin",
                {"201": ok("The new key (the only time it is shown).", ref(NewKey))},
                permission="admin",
                request=body(KeyInput),
            ),
        },
        "/v1/keys/{key_id}": {
            "delete": operation(
                "revokeKey",
                "Revoke one of the site's keys",
                "admin",
                {"200": ok("The revoked key id.", ref(Revoked))},
                permission="admin",
                errors=(404,),
                parameters=[param("key_id", "path", string(), "The key's id (at least its first 16 hex digits).")],
            ),
            "patch": operation(
                "changeKey",
                "Set or clear a key's own rate limit",
                "admin",
                {"200": ok("The key as listed; every process applies the change within a second.", ref(ApiKey))},
                permission="admin",
                request=body(KeyChange),
                errors=(404, 422),
                parameters=[param("key_id", "path", string(), "The key's id (at least its first 16 hex digits).")],
            ),
        },
        "/v1/policy": {
            "get": operation(
                "getPolicy",
                "Read the site's policy",
                "admin",
                {"200": ok("The policy (the default one while Redis is down).", ref(Policy))},
                permission="admin",
            ),
            "put": operation(
                "putPolicy",
                "Change the site's policy",
                "admin",
                {"200": ok("The policy now in force.", ref(Policy))},
                permission="admin",
                request=body(PolicyInput),
            ),
        },
        "/v1/rules": {
            "get": operation(
                "listRules",
                "Read (or export) the site's own word lists",
                "admin",
                {
                    "200": {
                        "description": "The entries (JSON), or with format=text or csv the list to save and import again.",
                        "content": {
                            **json_content(ref(SiteWords)),
                            "text/plain": {"schema": string()},
                            "text/csv": {"schema": string()},
                        },
                    }
                },
                permission="admin",
                errors=(422,),
                parameters=[
                    param("q", "query", string(), "Only entries whose pattern or note contains this."),
                    param("severity", "query", enum(WORD_SEVERITIES), "Only entries of this severity."),
                    param("format", "query", enum(("json", "text", "csv")), "json (default), text or csv."),
                ],
                description=_RULES,
            ),
            "put": operation(
                "replaceRules",
                "Replace the site's own word lists (bulk import)",
                "admin",
                {"200": ok("Replaced: the lists' version and size.", ref(SiteWordsChanged))},
                permission="admin",
                request={
                    "required": True,
                    "content": {
                        **json_content(ref(SiteWordsInput)),
                        "text/plain": {"schema": string("One entry a line: <severity>[:<category>] <pattern>  # note")},
                        "text/csv": {"schema": string("A header with pattern,severity and optionally category,note.")},
                    },
                },
                parameters=[param("moderator", "query", string(), "Who adds them, for a text or CSV body.")],
                description=_RULES + " Every entry is checked first: any bad one (422, each listed) and nothing is"
                f" applied. Up to {WORDS_MAX_BYTES // (1024 * 1024)} MB.",
            ),
            "patch": operation(
                "changeRules",
                "Add and remove entries of the site's own word lists",
                "admin",
                {"200": ok("Changed: the lists' version and size.", ref(SiteWordsChanged))},
                permission="admin",
                request=body(SiteWordsPatch),
                description=_RULES,
            ),
            "delete": operation(
                "deleteRules",
                "Remove entries (or all) of the site's own word lists",
                "admin",
                {"200": ok("Removed: the lists' version and size.", ref(SiteWordsChanged))},
                permission="admin",
                errors=(422,),
                parameters=[param("pattern", "query", string(), "An entry to remove (repeatable); none: remove every entry.")],
                description=_RULES,
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
                {"200": ok("Whether it is configured, the URL to give Coral, secret fingerprints.", ref(CoralSettings))},
                permission="admin",
                description="See docs/COMPATIBILITY.md for the Coral external moderation phase.",
            ),
            "put": operation(
                "putCoralSettings",
                "Set the Coral Talk signing secrets",
                "admin",
                {"200": ok("The settings as stored (without the secrets).", ref(CoralSettings))},
                permission="admin",
                request=body(CoralSettingsInput),
            ),
            "delete": operation(
                "deleteCoralSettings",
                "Forget the Coral Talk settings (Coral's requests are refused from then on)",
                "admin",
                {"200": ok("The settings, now empty.", ref(CoralSettings))},
                permission="admin",
            ),
        },
        "/v1/model": {
            "get": operation(
                "getModel",
                "The model being served",
                "models",
                {"200": ok("The active version, its thresholds and card, and the shadow version.", ref(ModelInfo))},
                permission="score",
                description="Each worker follows the model directory and switches within `MODERATION_MODEL_POLL_S` seconds.",
            )
        },
        "/v1/shadow": {
            "get": operation(
                "getShadow",
                "How the shadow model compares with the active one",
                "models",
                {"200": ok("Agreement counts on this site's new comments, and the latest disagreements.", ref(ShadowSummary))},
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
        "/healthz": {"get": operation("healthz", "Liveness", "health", {"200": ok("The process is alive.", ref(Health))})},
        "/readyz": {
            "get": operation(
                "readyz",
                "Readiness",
                "health",
                {
                    "200": ok("Redis answers and the model is loaded.", ref(Readiness)),
                    "503": ok("Redis does not answer (this body, not the Error shape).", ref(Readiness)),
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


# -- the drop-ins -----------------------------------------------------------------------------------------------

_GOOGLE_ERROR = "Google's error shape, with the messages Perspective's documentation lists"
_PERSPECTIVE_KEY = (
    "One of this service's API keys (any role) where the Google key was: `?key=`, `X-Goog-Api-Key`,"
    " `Authorization: Bearer` or `X-API-Key`."
)
_RETRY = {"Retry-After": header("Seconds to wait (5).", {"type": "integer"})}
_RETRY_LIMIT = {"Retry-After": header("Seconds until a request is taken again.", {"type": "integer"})}
_CORAL_HEADERS = {
    "X-Moderation-Comment-Id": header("Our id of the comment (`coral:` and a SHA-256 of who wrote what where)."),
    "X-Moderation-Action": header("Coral's action: NEW or EDIT."),
    "X-Moderation-Verdict": header("Our verdict (`none`: empty text, `text_too_long`: held without reading)."),
}
_AKISMET = (
    "Akismet's REST API 1.1: form fields in, plain text out. `api_key` (or `key`) is one of this service's API keys"
    " (any role); the site comes from the key. Akismet-style problems (a missing field, an unknown key) are answered"
    " 200 with a plain-text body and an `X-akismet-debug-help` header, as Akismet does."
)


_RULES = (
    "The site's own words and phrases: block (reject), review (hold for a moderator), allow (no rule, packaged or"
    " the site's, matches it; a domain is allowed as the policy's allowed_domains are). Matched like the packaged lists,"
    " through the same normalisation; hits are evidence with source rule:site and reasons <category>:site:<severity>."
    " Every process uses a change within about MODERATION_CHANGE_POLL_S; each change is in the audit log."
)


def drop_in_paths() -> dict:
    """Return the paths of the drop-in endpoints: Perspective, Coral Talk, Akismet."""
    perspective = "/v1alpha1/comments:analyze"
    wrong_method = {
        method: drop_in(
            "perspective",
            f"perspectiveAnalyze{method.title()}",
            f"{method.upper()} on AnalyzeComment: not found, as Google answers a wrong method",
            {"404": ok(f"{_GOOGLE_ERROR}: NOT_FOUND, Method not found.", ref(GoogleError), {"Allow": header("POST.")})},
            description="Google's front end answers a wrong HTTP method on an API method with 404.",
        )
        for method in ("get", "put", "patch", "delete")
    }
    perspective_key = [
        param("key", "query", string(), _PERSPECTIVE_KEY),
        param("X-Goog-Api-Key", "header", string(), "The key, as Google's clients may send it."),
    ]
    akismet_answers = {
        "200": text("`true`/`false`, `valid`/`invalid`, the thanks sentence, or Akismet's wording of a problem."),
        "413": {"$ref": "#/components/responses/TooLarge"},
        "429": text(
            "The key's rate limit is used up (comment-check, submit-spam, submit-ham); the reason is also in"
            " `X-akismet-debug-help`.",
            _RETRY_LIMIT,
        ),
        "503": text("The store (Redis) is needed and unavailable: a key never seen by this process, or a label.", _RETRY),
    }
    akismet = {
        "verify-key": (
            AkismetVerifyKey,
            "akismetVerifyKey",
            "Akismet: verify a key",
            "`valid` for one of our keys with a `blog`.",
        ),
        "comment-check": (
            AkismetComment,
            "akismetCommentCheck",
            "Akismet: is this comment spam",
            (
                "`true` when our promotion category is flagged (`X-akismet-pro-tip: discard` at the block or reject level),"
                " `false` otherwise. Scores only: nothing is stored."
            ),
        ),
        "submit-spam": (
            AkismetComment,
            "akismetSubmitSpam",
            "Akismet: this was spam",
            "Records a training label `promotion: 1`.",
        ),
        "submit-ham": (
            AkismetComment,
            "akismetSubmitHam",
            "Akismet: this was not spam",
            "Records a training label `promotion: 0`.",
        ),
    }
    return {
        perspective: {
            "post": drop_in(
                "perspective",
                "perspectiveAnalyze",
                "Perspective API: AnalyzeComment",
                {
                    "200": ok("The scores asked for, in Perspective's shape.", ref(AnalyzeCommentResponse)),
                    "400": ok(
                        f"{_GOOGLE_ERROR} (INVALID_ARGUMENT): a body that is not a request, a bad or unknown field, no or"
                        " too long a text, no or unknown attributes, a language other than English, an unknown API key,"
                        f" a body over {BODY_MAX} bytes.",
                        ref(GoogleError),
                    ),
                    "403": ok(f"{_GOOGLE_ERROR} (PERMISSION_DENIED): no API key.", ref(GoogleError)),
                    "429": ok(
                        f"{_GOOGLE_ERROR} (RESOURCE_EXHAUSTED, reason RATE_LIMIT_EXCEEDED): the key's rate limit is"
                        " used up, as Google answers a quota.",
                        ref(GoogleError),
                        _RETRY_LIMIT,
                    ),
                    "503": ok(f"{_GOOGLE_ERROR} (UNAVAILABLE): the key could not be checked (Redis).", ref(GoogleError), _RETRY),
                },
                description="Scores a comment for Perspective attributes from our three categories; nothing is stored. "
                + _PERSPECTIVE_KEY,
                parameters=perspective_key,
                request=body(AnalyzeCommentRequest),
            ),
            **wrong_method,
        },
        "/v1alpha1/comments:suggestscore": {
            "post": drop_in(
                "perspective",
                "perspectiveSuggestScore",
                "Perspective API: SuggestCommentScore",
                {
                    "200": ok(
                        "Recorded (`X-Moderation-Label` names the label, or `none` when the attributes say nothing of"
                        " our categories).",
                        ref(SuggestCommentScoreResponse),
                        {"X-Moderation-Label": header("The training label's name, or none.", {"type": "string"})},
                    ),
                    "400": ok(
                        f"{_GOOGLE_ERROR} (INVALID_ARGUMENT): a body that is not a request, no or too long a text, no or"
                        " empty or unknown attribute scores, a score that is not set or not a probability, an unknown"
                        " API key.",
                        ref(GoogleError),
                    ),
                    "403": ok(f"{_GOOGLE_ERROR} (PERMISSION_DENIED): no API key.", ref(GoogleError)),
                    "429": ok(
                        f"{_GOOGLE_ERROR} (RESOURCE_EXHAUSTED): the key's rate limit is used up.", ref(GoogleError), _RETRY_LIMIT
                    ),
                    "503": ok(
                        f"{_GOOGLE_ERROR} (UNAVAILABLE): the key could not be checked, or the label not stored (Redis).",
                        ref(GoogleError),
                        _RETRY,
                    ),
                },
                description="A client's suggested scores for a comment, recorded as a training label for our categories"
                " (`moderation retrain` reads it, like the moderators' decisions). " + _PERSPECTIVE_KEY,
                parameters=perspective_key,
                request=body(SuggestCommentScoreRequest),
            ),
        },
        "/$discovery/rest": {
            "get": drop_in(
                "perspective",
                "perspectiveDiscovery",
                "Perspective API: discovery document",
                {
                    "200": ok(
                        "The discovery document of comments.analyze and comments.suggestscore, with `rootUrl` this"
                        " service's address.",
                        {"type": "object"},
                    ),
                    "404": ok(f"{_GOOGLE_ERROR} (NOT_FOUND): a version other than v1alpha1.", ref(GoogleError)),
                },
                description="What Google's client libraries build a Perspective client from at run time (Perspective's"
                " Python sample: `googleapiclient.discovery.build(..., discoveryServiceUrl=...)`). No key needed.",
                parameters=[param("version", "query", string(enum=["v1alpha1"]), "The API version (default v1alpha1).")],
            ),
        },
        "/coral/{site}/moderate": {
            "post": drop_in(
                "coral",
                "coralModerate",
                "Coral Talk: external moderation phase",
                {
                    "200": ok(
                        "Our verdict in Coral's terms (review: SYSTEM_WITHHELD, reject: REJECTED).",
                        ref(CoralAnswer),
                        _CORAL_HEADERS,
                    ),
                    "204": {"description": "No opinion: approved, or an empty text.", "headers": _CORAL_HEADERS},
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "401": ok("`X-Coral-Signature` is missing or matches no secret of the site (code unauthorized).", ref(Error)),
                    "404": ok("No Coral integration is configured for the site (code not_found).", ref(Error)),
                    "413": {"$ref": "#/components/responses/TooLarge"},
                    "422": {"$ref": "#/components/responses/Invalid"},
                    "429": ok(
                        "The site policy's rate limit is used up (code rate_limited); Coral logs it and goes on without"
                        " this phase.",
                        ref(Error),
                        _RETRY_LIMIT,
                    ),
                    "503": {"$ref": "#/components/responses/Unavailable"},
                },
                description="Coral posts each new or edited comment; we check the signature with the site's secrets"
                " (`PUT /v1/integrations/coral`), moderate it as `POST /v1/comments` does (strikes, bans, queue) and"
                " answer as Coral reads answers. Bad fields are named `comment.body`, `author.id`, ...",
                parameters=[
                    param("site", "path", string(), "Our site whose Coral integration this is."),
                    param(
                        "X-Coral-Signature",
                        "header",
                        string(pattern="sha256="),
                        "`sha256=<hex>` elements: the HMAC-SHA256 of the raw body with each active signing secret.",
                        required=True,
                    ),
                ],
                request=body(CoralRequest),
            )
        },
        **{
            f"/akismet/1.1/{name}": {
                "post": drop_in(
                    "akismet",
                    operation_id,
                    summary,
                    {k: v for k, v in akismet_answers.items() if k != "429" or name != "verify-key"},  # not limited
                    description=f"{what} {_AKISMET}",
                    request=form(shape),
                )
            }
            for name, (shape, operation_id, summary, what) in akismet.items()
        },
    }


@functools.cache
def _document() -> dict:
    own, drop_ins = paths(), drop_in_paths()
    shared = responses()
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
                f" batches up to {BATCH_MAX} comments.\n\n"
                "Drop-in endpoints (tag `compatibility`, docs/COMPATIBILITY.md) speak Perspective's, Coral Talk's and"
                " Akismet's contracts instead, errors and authentication included."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "comments", "description": "Submit, score and decide on comments."},
            {"name": "queue", "description": "The review queue and the audit log."},
            {"name": "users", "description": "Strikes and bans."},
            {"name": "events", "description": "Decisions, bans and their reasons, for the site to follow."},
            {"name": "admin", "description": "API keys, policy and training labels."},
            {"name": "models", "description": "The model being served and its shadow."},
            {"name": "health", "description": "Probes, metrics and this document."},
            {"name": "compatibility", "description": "Drop-ins for clients of Perspective, Coral Talk and Akismet."},
        ],
        "paths": {**own, **drop_ins},
        "components": {
            # LabelRow describes the lines of GET /v1/labels (JSON Lines, declared as a string).
            "schemas": components(extra=(LabelRow,)),
            "responses": shared,
            "securitySchemes": {
                "bearerKey": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <key>`."},
                "headerKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "The same key in X-API-Key."},
            },
        },
    }


def document() -> dict:
    """Return the OpenAPI document (a copy: the caller may change it)."""
    return copy.deepcopy(_document())
