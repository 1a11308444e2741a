"""What the OpenAPI tests share: the document, its operations, JSON Schema validation of answers, and ``Api``.

``DOC`` is the document of the service's routes (``service.blueprints()`` on a bare Flask app: no Redis, no
model); ``test_openapi_document`` checks that the app serves the same one. Every answer the tours get goes
through ``Api``, which checks that the status is documented for the operation and that the body validates
(jsonschema) against the schema the document declares for that status.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import redis
from flask import Flask
from jsonschema import Draft202012Validator

from moderation.service import blueprints
from moderation.service.openapi import document

from .conftest import auth


def routes_app() -> Flask:
    """Return a Flask app with the service's routes only (no Redis, no model): what the document is made from."""
    app = Flask("routes")
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    return app


DOC = document(routes_app())
SCHEMAS = DOC["components"]["schemas"]
METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


# -- OpenAPI 3.0 schema -> JSON Schema 2020-12 ------------------------------------------------------------------


def to_json_schema(node):
    """Return the JSON Schema form of an OpenAPI 3.0 schema: ``nullable`` becomes ``null`` allowed, refs point to $defs."""
    if isinstance(node, list):
        return [to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": node["$ref"].replace("#/components/schemas/", "#/$defs/")}
    out = {}
    for key, value in node.items():
        if key in ("nullable", "example") or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(s) for name, s in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[key] = to_json_schema(value)
        else:
            out[key] = value
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


DEFS = {name: to_json_schema(schema) for name, schema in SCHEMAS.items()}


def validator(schema: dict) -> Draft202012Validator:
    """Return a validator for an OpenAPI schema, with every component schema available."""
    return Draft202012Validator({**to_json_schema(schema), "$defs": DEFS})


def errors_of(schema: dict, instance) -> list[str]:
    """Return the validation errors of ``instance`` (empty: valid)."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(schema).iter_errors(instance)]


def resolve(node: dict) -> dict:
    """Follow a local ``$ref``."""
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(node["$ref"])
    return node


def pointer(ref: str):
    """Return what a local JSON pointer names (KeyError when nothing)."""
    assert ref.startswith("#/"), ref
    target = DOC
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        target = target[int(part)] if isinstance(target, list) else target[part]
    return target


def all_operations() -> Iterator[tuple[str, str, dict]]:
    """Yield (METHOD, path template, operation) of the document."""
    for template, item in DOC["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), template, item[method]


def operations() -> Iterator[tuple[str, str, dict]]:
    """Yield the operations of the service's own API (the error shape, the keys); not the drop-ins."""
    for method, template, op in all_operations():
        if "x-compatibility" not in op:
            yield method, template, op


def drop_in_operations() -> Iterator[tuple[str, str, dict]]:
    """Yield the operations of the drop-in endpoints (Perspective, Coral, Akismet): their originals' contracts."""
    for method, template, op in all_operations():
        if "x-compatibility" in op:
            yield method, template, op


def operation(method: str, template: str) -> dict:
    return DOC["paths"][template][method.lower()]


# -- the client that checks every answer ------------------------------------------------------------------------


class Api:
    """Sends requests through the test client and checks each answer against the document."""

    def __init__(self, client, keys: dict):
        self.client = client
        self.keys = keys
        self.seen: set[tuple[str, str, int]] = set()

    def __call__(self, method, template, *, key="admin", path=None, expect=None, headers=None, **kwargs):
        url = template.format(**{name: quote(value, safe="") for name, value in (path or {}).items()})
        sent = dict(headers or {})
        if key is not None:
            sent.update(auth(self.keys.get(key, key)))
        response = self.client.open(url, method=method, headers=sent, **kwargs)
        conforms(response, method, template)
        self.seen.add((method, template, response.status_code))
        if expect is not None:
            assert response.status_code == expect, (
                f"{method} {url}: {response.status_code} {response.get_data(as_text=True)[:500]}"
            )
        return response


def conforms(response, method: str, template: str) -> None:
    """Assert the status is documented for the operation and the body matches the declared schema."""
    documented = operation(method, template)["responses"]
    status = str(response.status_code)
    text = response.get_data(as_text=True)[:500]
    assert status in documented, f"{method} {template} answered undocumented {status}: {text}"
    declared = resolve(documented[status])
    content = declared.get("content", {})
    for header in declared.get("headers", {}):
        assert header in response.headers, f"{method} {template} {status}: no {header} header"
    if not content:  # an answer without a body (Coral's 204)
        assert response.get_data() == b"", f"{method} {template} {status}: a body where none is documented"
        return
    assert response.mimetype in content, f"{method} {template} {status}: {response.mimetype} not in {list(content)}"
    if response.mimetype == "application/json":
        problems = errors_of(content["application/json"]["schema"], response.get_json())
        assert not problems, f"{method} {template} {status}: {problems} in {text}"
        shape = content["application/json"]["schema"].get("$ref", "").rsplit("/", 1)[-1]
        if response.status_code >= 400 and shape == "Error":
            assert response.get_json()["error"]["status"] == response.status_code
        if shape == "GoogleError":  # Perspective's: the HTTP status is "code"
            assert response.get_json()["error"]["code"] == response.status_code


def fields_of(response) -> set[str]:
    return {f["field"] for f in response.get_json()["error"]["fields"]}


def _break_pool(pool) -> None:
    pool.disconnect()
    if "path" in pool.connection_kwargs:
        pool.connection_kwargs["path"] = "/nonexistent/redis.sock"
    else:
        pool.connection_kwargs["port"] = 1
    pool.connection_kwargs["socket_connect_timeout"] = 0.2
    pool.reset()  # forget the connections made with the old address


def break_redis(client: redis.Redis | redis.RedisCluster) -> None:
    """Point the client's pools at nothing: every later command fails with a connection error (on a cluster, on
    every node the client knows and every node it would ask for the slot map again)."""
    if isinstance(client, redis.RedisCluster):
        manager = client.nodes_manager
        for node in [*manager.nodes_cache.values(), *manager.startup_nodes.values()]:
            if node.redis_connection is not None:
                _break_pool(node.redis_connection.connection_pool)
            node.port = 1
        return
    _break_pool(client.connection_pool)
