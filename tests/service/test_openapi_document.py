"""The OpenAPI document: made from the routes, today's document, a valid OpenAPI 3.0 document, and sound.

The document is generated from the views' own descriptions (``service.openapi.documented``); these tests check
that every route of the app is in it and nothing else, that it is the document saved before it was generated
(``openapi.json``), that ``openapi-spec-validator`` finds it a valid OpenAPI 3.0 document, and what that
validator does not check: refs, unused schemas, OpenAPI 3.0's schema rules, roles, and the request schemas
saying what the validation does. Real answers are checked against it in ``test_openapi_tours``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV30SpecValidator, validate

from moderation.service.api.comments import COMMENT, DECISION
from moderation.service.auth import PERMISSIONS
from moderation.service.openapi import ATTRIBUTE
from moderation.service.store.apikeys import ROLES

from .openapi_checks import (
    DEFS,
    DOC,
    SCHEMAS,
    all_operations,
    drop_in_operations,
    errors_of,
    operations,
    pointer,
    resolve,
    routes_app,
    to_json_schema,
)

SAVED = Path(__file__).with_name("openapi.json")


# -- (a) routes and document match ------------------------------------------------------------------------------


def test_every_route_is_documented_and_every_documented_operation_exists(app):
    """Every route of the app, the drop-ins included (Perspective, Coral, Akismet); only the console's HTML is not."""
    routes = set()
    drop_ins = set()
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if rule.endpoint == "static" or blueprint == "console":
            continue
        template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        # Flask adds HEAD to GET routes and OPTIONS to every route by itself.
        methods = {(method, template) for method in rule.methods - {"HEAD", "OPTIONS"}}
        routes |= methods
        if blueprint in ("perspective", "coral", "akismet") and not rule.rule.startswith("/v1/"):
            drop_ins |= methods
    documented = {(method, template) for method, template, _ in all_operations()}
    assert routes - documented == set(), "routes missing from the document"
    assert documented - routes == set(), "documented operations the app does not have"
    assert {(method, template) for method, template, _ in drop_in_operations()} == drop_ins
    # AnalyzeComment (POST, and 4 methods answered 404), SuggestCommentScore, the discovery document, Coral's phase,
    # 4 Akismet methods
    assert len(drop_ins) == 12


def test_every_api_route_describes_itself():
    """Every route but the console's pages and static files carries its operation (``@documented``, or
    ``@documented_drop_in`` for the drop-ins); a route without one would be left out of the document. Its
    permission is the one of its own ``@require``."""
    app = routes_app()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.split(".")[0] == "console":
            continue
        view = app.view_functions[rule.endpoint]
        assert getattr(view, ATTRIBUTE, None), f"{rule.rule} ({rule.endpoint}) carries no OpenAPI operation"
        template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = DOC["paths"][template][method.lower()]
            assert op.get("x-permission") == getattr(view, "permission", None), f"{method} {rule.rule}"


def test_served_document_is_the_document(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == json.loads(json.dumps(DOC))


def test_document_is_the_one_saved():
    """The generated document means what the hand-written one did (``openapi.json``, saved before the change)."""
    assert json.loads(json.dumps(DOC)) == json.loads(SAVED.read_text())


def test_document_is_valid_openapi_3_0():
    """openapi-spec-validator: the OpenAPI 3.0 schema (top level, operations, parameters, responses, schema
    keywords, 3.0.x), path parameters declared exactly, unique operationIds, and every ref it follows resolves."""
    validate(json.loads(json.dumps(DOC)), cls=OpenAPIV30SpecValidator)


# -- (b) what the OpenAPI validator does not check ---------------------------------------------------------------

_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}


def walk_refs(node, where="#") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield where, value
            else:
                yield from walk_refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk_refs(value, f"{where}/{i}")


def schema_nodes(schema, where) -> Iterator[tuple[str, dict]]:
    """Yield every schema object inside ``schema`` (not following refs)."""
    yield where, schema
    if "$ref" in schema:
        return
    for name, sub in schema.get("properties", {}).items():
        yield from schema_nodes(sub, f"{where}.{name}")
    for key in ("items", "not"):
        if isinstance(schema.get(key), dict):
            yield from schema_nodes(schema[key], f"{where}.{key}")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from schema_nodes(schema["additionalProperties"], f"{where}.additionalProperties")
    for key in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(schema.get(key, [])):
            yield from schema_nodes(sub, f"{where}.{key}[{i}]")


def all_schemas() -> Iterator[tuple[str, dict]]:
    """Yield every schema of the document: components, parameters, bodies, responses."""
    for name, schema in SCHEMAS.items():
        yield from schema_nodes(schema, name)
    for method, template, op in all_operations():
        for p in op.get("parameters", []):
            yield from schema_nodes(p["schema"], f"{method} {template} {p['name']}")
        for media in op.get("requestBody", {}).get("content", {}).values():
            yield from schema_nodes(media["schema"], f"{method} {template} body")
        for status, response in op["responses"].items():
            for media in response.get("content", {}).values():
                yield from schema_nodes(media["schema"], f"{method} {template} {status}")
    for name, response in DOC["components"]["responses"].items():
        for media in response["content"].values():
            yield from schema_nodes(media["schema"], f"responses.{name}")


def test_every_tag_is_declared():
    declared_tags = {t["name"] for t in DOC["tags"]}
    used_tags = {tag for _, _, op in all_operations() for tag in op.get("tags", [])}
    assert used_tags <= declared_tags


def test_every_ref_resolves():
    refs = list(walk_refs(DOC))
    assert refs
    for where, ref in refs:
        try:
            pointer(ref)
        except (KeyError, IndexError, ValueError):
            pytest.fail(f"{where}: $ref {ref} does not resolve")


def test_every_component_schema_is_used():
    used = {ref.rsplit("/", 1)[1] for _, ref in walk_refs(DOC) if ref.startswith("#/components/schemas/")}
    # LabelRow describes the lines of GET /v1/labels (JSON Lines, declared as a string).
    assert set(SCHEMAS) - used == {"LabelRow"}


def well_formed(method: str, template: str, op: dict, schemes: dict, *, succeeds: bool = True) -> None:
    """Assert what the validator leaves to us (``succeeds``: it has a success answer): every content has a schema,
    every parameter a description, a body some content, the security known schemes and the roles their permission."""
    where = f"{method} {template}"
    for status, response in op["responses"].items():
        for media, content in resolve(response).get("content", {}).items():
            assert "schema" in content, f"{where} {status} {media}: no schema"
    if succeeds:
        assert any(s.startswith("2") for s in op["responses"]), f"{where}: no success response"
    for p in op.get("parameters", []):
        assert p.get("description"), f"{where} {p['name']}"
    if "requestBody" in op:
        assert op["requestBody"]["content"], where
    for requirement in op["security"]:
        assert set(requirement) <= set(schemes), f"{where}: unknown security scheme"
    if op["security"]:
        roles = op["x-roles"]
        assert roles == [r for r in ROLES if op["x-permission"] in PERMISSIONS[r]], where
        assert "401" in op["responses"] and "503" in op["responses"], where
        assert ("403" in op["responses"]) == (len(roles) < len(ROLES)), where


def test_every_operation_is_well_formed():
    schemes = DOC["components"]["securitySchemes"]
    for method, template, op in operations():
        well_formed(method, template, op, schemes)
    for scheme in schemes.values():
        if scheme["type"] == "http":
            assert scheme["scheme"] == "bearer"
        if scheme["type"] == "apiKey":
            assert scheme["in"] == "header" and scheme["name"] == "X-API-Key"


def test_drop_in_operations_are_well_formed():
    """As sound as the others; each authenticates as its original does, and AnalyzeComment's other methods only 404."""
    schemes = DOC["components"]["securitySchemes"]
    for method, template, op in drop_in_operations():
        wrong_method = template == "/v1alpha1/comments:analyze" and method != "POST"
        well_formed(method, template, op, schemes, succeeds=not wrong_method)
        assert op["security"] == [] and op["tags"] == ["compatibility"], f"{method} {template}"
        assert op["x-compatibility"] in ("perspective", "coral", "akismet") and "docs/COMPATIBILITY.md" in op["description"]
        if wrong_method:
            assert set(op["responses"]) == {"404"}


def test_every_schema_uses_openapi_3_0_keywords_only():
    """What OpenAPI 3.0 says of schemas and its validator does not check (keywords and types it does)."""
    for where, schema in all_schemas():
        if "$ref" in schema:
            assert set(schema) == {"$ref"}, f"{where}: siblings of $ref are ignored in OpenAPI 3.0"
            continue
        kind = schema.get("type")
        if kind == "array":
            assert "items" in schema, f"{where}: arrays need items"
        for value in schema.get("enum", []):
            if value is None:
                assert schema.get("nullable"), f"{where}: null in enum of a non-nullable schema"
            elif kind is not None:
                assert isinstance(value, _TYPES[kind]), f"{where}: enum value {value!r} is not {kind}"
        if "properties" in schema:
            assert set(schema.get("required", [])) <= set(schema["properties"]), f"{where}: required names unknown properties"
        if schema.get("nullable") and "type" not in schema:
            assert "allOf" in schema or "anyOf" in schema or "oneOf" in schema, f"{where}: nullable without a type"


def test_every_schema_is_valid_json_schema():
    for name, schema in DEFS.items():
        Draft202012Validator.check_schema(schema)
        assert name
    for _, schema in all_schemas():
        Draft202012Validator.check_schema(to_json_schema(schema))


def test_request_schemas_mirror_the_validation_rules():
    """CommentInput and DecisionInput say what service.api.comments checks: names, required, null, lengths, choices."""
    for schema_name, spec in (("CommentInput", COMMENT), ("DecisionInput", DECISION)):
        schema = SCHEMAS[schema_name]
        assert set(schema["properties"]) == set(spec), schema_name
        assert set(schema["required"]) == {n for n, f in spec.items() if f.required}, schema_name
        assert schema["additionalProperties"] is True, f"{schema_name}: the server ignores unknown fields"
        for name, field in spec.items():
            prop = schema["properties"][name]
            inner = prop["allOf"][0] if "allOf" in prop else prop
            assert bool(prop.get("nullable")) == (field.nullable or not field.required), f"{schema_name}.{name} nullable"
            if field.kind == "id":  # a string of 1 to max_length characters, or an integer (taken as its digits)
                branches = {branch["type"]: branch for branch in inner["anyOf"]}
                assert set(branches) == {"string", "integer"}, f"{schema_name}.{name}"
                text = branches["string"]
                assert (text["minLength"], text["maxLength"]) == (1, field.max_length or 200), f"{schema_name}.{name}"
            if field.kind == "string" and field.max_length:
                assert inner["maxLength"] == field.max_length, f"{schema_name}.{name}"
            if field.choices:
                assert [c for c in inner["enum"] if c is not None] == list(field.choices), f"{schema_name}.{name}"
            if field.kind == "list":
                assert inner["maxItems"] == field.max_length
                assert SCHEMAS["Category"]["enum"] == list(field.items.choices)


def test_schemas_accept_and_refuse_what_the_server_does():
    ok = {"id": "c1", "user_id": "u1", "text": "hello", "created_at": None, "extra": {"ignored": True}}
    assert errors_of({"$ref": "#/components/schemas/CommentInput"}, ok) == []
    for bad in ({"id": "", "user_id": "u", "text": "x"}, {"id": "a\x00", "user_id": "u", "text": "x"}, {"id": "a", "text": "x"}):
        assert errors_of({"$ref": "#/components/schemas/CommentInput"}, bad)
    assert errors_of({"$ref": "#/components/schemas/CommentInput"}, {"id": "a", "user_id": "u", "text": "x" * 10_001})
    assert errors_of({"$ref": "#/components/schemas/BatchInput"}, {"comments": [ok] * 101})
    assert errors_of({"$ref": "#/components/schemas/PolicyInput"}, {"unknown": 1})
    error = {"error": {"status": 422, "code": "invalid_request", "message": "m", "fields": [{"field": "a", "message": "b"}]}}
    assert errors_of({"$ref": "#/components/schemas/Error"}, error) == []
    assert errors_of({"$ref": "#/components/schemas/Error"}, {"error": {**error["error"], "extra": 1}})
