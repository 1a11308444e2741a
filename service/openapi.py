"""The OpenAPI 3.0.3 document of the API (served at /v1/openapi.json), generated from the app's routes.

Each view carries its own operation: ``@documented(...)`` (this service's API) or ``@documented_drop_in(...)``
(Perspective, Coral, Akismet) attach it to the view function, so nothing runs per request. ``document(app)``
walks ``app.url_map``: every route whose view carries an operation is in the document, under its path template
(``<comment_id>`` as ``{comment_id}``), once per method; the others (the console's pages, static files) are not.
The permission is the one of the view's own ``@require`` (``view.permission``, see ``service.auth``); with it
come the security, the roles that may call (from ``service.auth.PERMISSIONS``) and the 401/403/429/503 answers.

The schemas are generated from the shapes declared in ``service.schemas``, the same declarations the request
validation is made from (pydantic's JSON Schema, turned into OpenAPI 3.0's dialect here). What is written in
this module: the error statuses each operation can answer (all in the one error shape of ``service.errors``),
the helpers the views describe their operations with, the security schemes and the document's top level. The
drop-in endpoints keep their own ways (docs/COMPATIBILITY.md): Perspective's Google-style errors, Coral's
signature and empty answers, Akismet's form fields and plain-text answers. Limits are the defaults of
``service.config.Settings``; a deployment can change them.
"""

from __future__ import annotations

import copy
import re
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, current_app
from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from .codec import DEPTH_MAX
from .config import Settings
from .roles import PERMISSIONS, ROLES
from .schemas import BATCH_MAX, TEXT_MAX, Error, LabelRow

BODY_MAX = Settings().max_body_bytes
REF = "#/components/schemas/{model}"

Schema = dict[str, Any]


# -- schemas from the shapes ------------------------------------------------------------------------------------

#: The shapes referred to so far, by name (``ref`` fills it as the views are described).
_SHAPES: dict[str, Any] = {}


def ref(shape: Any) -> Schema:
    """Return a reference to the component schema of a shape of ``service.schemas``."""
    _SHAPES[shape.__name__] = shape
    return {"$ref": REF.format(model=shape.__name__)}


def components(names: set[str]) -> dict[str, Schema]:
    """Return the component schemas of the shapes named (each referred to with ``ref``), with the shapes they use."""
    inputs = [(shape, "validation", TypeAdapter(shape).core_schema) for name, shape in _SHAPES.items() if name in names]
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


# -- helpers the views describe their operations with -----------------------------------------------------------


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


def json_content(schema: Schema) -> dict:
    """Return a JSON content map."""
    return {"application/json": {"schema": schema}}


def ok(description: str, schema: Schema, headers: dict | None = None) -> dict:
    """Return a JSON answer (a success, or a drop-in's own error)."""
    response = {"description": description, "content": json_content(schema)}
    if headers:
        response["headers"] = headers
    return response


def text(description: str, headers: dict | None = None) -> dict:
    """Return a plain-text answer."""
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


#: ``Retry-After`` on an answer of a store that is down, and on one of a used-up rate limit.
RETRY = {"Retry-After": header("Seconds to wait (5).", integer())}
RETRY_LIMIT = {"Retry-After": header("Seconds until a request is taken again.", integer())}


# -- operations, on the views -----------------------------------------------------------------------------------

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


#: The attribute of a view function that holds its operations: method (None: any other) -> a function of the
#: method and the view's permission that returns the operation.
ATTRIBUTE = "openapi"

Build = Callable[[str, "str | None"], dict]


def _attach(method: str | None, build: Build) -> Callable:
    def attach(view: Callable) -> Callable:
        view.__dict__.setdefault(ATTRIBUTE, {})[method] = build
        return view

    return attach


def documented(
    operation_id: str,
    summary: str,
    tag: str,
    responses: dict,
    *,
    errors: tuple[int, ...] = (),
    parameters: list | None = None,
    request: dict | None = None,
    description: str | None = None,
    method: str | None = None,
) -> Callable:
    """Decorate a view of this service's API with its operation; it only keeps the arguments on the function.

    ``responses`` are the success answers (and any answer not in the shared error shape); ``errors`` the statuses
    of shared error answers besides those the permission and the request body bring. The permission, read from
    the view's ``@require`` when the document is made, adds the security, the roles and the 401/403/429/503
    answers; a request body adds 400/413/422. ``method``: the one method of the route described (default: every
    method).
    """

    def build(_method: str, permission: str | None) -> dict:
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

    return _attach(method, build)


def documented_drop_in(
    original: str,
    operation_id: str,
    summary: str,
    responses: dict,
    *,
    description: str,
    parameters: list | None = None,
    request: dict | None = None,
    method: str | None = None,
) -> Callable:
    """Decorate a drop-in view with its operation: its original's authentication and answers, every status listed.

    It only keeps the arguments on the function. ``method``: the one method of the route described; None describes
    every method not described otherwise, and then ``{METHOD}`` and ``{Method}`` in ``operation_id`` and ``summary``
    stand for the method (``GET``, ``Get``).
    """

    def build(method_: str, _permission: str | None) -> dict:
        names = {"METHOD": method_.upper(), "Method": method_.title()}
        op: dict = {
            "operationId": operation_id.format(**names),
            "summary": summary.format(**names),
            "tags": ["compatibility"],
            "x-compatibility": original,
        }
        # Not this API's key schemes: each drop-in authenticates as its original does (see the description).
        op["security"] = []
        op["description"] = f"{description} See docs/COMPATIBILITY.md."
        if parameters:
            op["parameters"] = parameters
        if request is not None:
            op["requestBody"] = request
        op["responses"] = dict(sorted(responses.items()))
        return op

    return _attach(method, build)


_TEMPLATE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def paths(app: Flask) -> dict:
    """Return the paths of the document: each route method of ``app`` whose view carries an operation."""
    out: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        builds = getattr(view, ATTRIBUTE, None)
        if not builds:
            continue  # not in the document: the console's pages, static files
        template = _TEMPLATE.sub(r"{\1}", rule.rule)
        # Flask adds HEAD to GET routes and OPTIONS to every route by itself.
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            build = builds.get(method) or builds.get(None)
            if build is None:
                raise RuntimeError(f"{method} {rule.rule}: the view describes {sorted(builds)} only")
            out.setdefault(template, {})[method.lower()] = build(method, getattr(view, "permission", None))
    return out


# -- shared error answers ---------------------------------------------------------------------------------------


def _error_response(description: str, headers: dict | None = None) -> dict:
    return ok(description, ref(Error), headers)


def responses() -> dict:
    """Return the shared error responses."""
    return {
        "BadRequest": _error_response(
            f"The body is not JSON, or is more than is read: nested more than {DEPTH_MAX} levels deep, or a number of more"
            " digits than Python reads (code bad_json; the message says which)."
        ),
        "Unauthorized": _error_response(
            "No API key, or an unknown one (code unauthorized).", {"WWW-Authenticate": header("`Bearer`.")}
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
            RETRY_LIMIT,
        ),
        "Unavailable": _error_response(
            "Redis is unavailable: the key could not be checked or the store is needed (code store_unavailable).", RETRY
        ),
    }


# -- the document -----------------------------------------------------------------------------------------------


def _schema_refs(node: Any) -> Iterator[str]:
    """Yield the names of the component schemas ``node`` refers to."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and value.startswith(REF.format(model="")):
                yield value.rsplit("/", 1)[1]
            else:
                yield from _schema_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_refs(value)


def _document(app: Flask) -> dict:
    routes, shared = paths(app), responses()
    # LabelRow describes the lines of GET /v1/labels (JSON Lines, declared as a string).
    ref(LabelRow)
    schemas = components({*_schema_refs(routes), *_schema_refs(shared), LabelRow.__name__})
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
        "paths": routes,
        "components": {
            "schemas": schemas,
            "responses": shared,
            "securitySchemes": {
                "bearerKey": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <key>`."},
                "headerKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "The same key in X-API-Key."},
            },
        },
    }


#: Each app's document, made once.
_DOCUMENTS: weakref.WeakKeyDictionary[Flask, dict] = weakref.WeakKeyDictionary()


def document(app: Flask | None = None) -> dict:
    """Return the OpenAPI document of ``app``'s routes (default: the current app); a copy: the caller may change it."""
    if app is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    made = _DOCUMENTS.get(app)
    if made is None:
        made = _DOCUMENTS[app] = _document(app)
    return copy.deepcopy(made)
