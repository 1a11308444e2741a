"""The Perspective API's discovery document, as this service serves it.

Google's client libraries that have no generated code for Perspective build it
at run time from a discovery document: Perspective's own Python sample calls
``googleapiclient.discovery.build("commentanalyzer", "v1alpha1",
discoveryServiceUrl=".../$discovery/rest?version=v1alpha1")``. Served here at
the same path, with ``rootUrl`` set to the address the request came in on,
such a client works with only that base URL changed.

The document describes what this service implements: ``comments.analyze`` and
``comments.suggestscore`` with the request and response fields that
``service.compat.perspective`` reads and writes (docs/COMPATIBILITY.md). It
follows the discovery format (https://developers.google.com/discovery/v1/reference/apis).
Its schemas are this service's one field list: the request parser reads each
message's field names from them (``fields``).
"""

from __future__ import annotations

import re
from typing import Any

NAME = "commentanalyzer"
VERSION = "v1alpha1"


def _obj(description: str, properties: dict[str, Any] | None = None, **extra) -> dict:
    schema: dict[str, Any] = {"type": "object", "description": description}
    if properties is not None:
        schema["properties"] = properties
    schema.update(extra)
    return schema


def _ref(name: str, description: str = "") -> dict:
    return {"$ref": name, "description": description} if description else {"$ref": name}


def _map_of(name: str, description: str) -> dict:
    return {"type": "object", "description": description, "additionalProperties": {"$ref": name}}


_STRING = {"type": "string"}
_NUMBER = {"type": "number", "format": "float"}
_INT = {"type": "integer", "format": "int32"}
_BOOL = {"type": "boolean"}
_STRINGS = {"type": "array", "items": {"type": "string"}}
#: The values of ``TextEntry.type``.
TEXT_TYPES = ("TEXT_TYPE_UNSPECIFIED", "PLAIN_TEXT", "HTML")

_SCHEMAS: dict[str, dict] = {
    "TextEntry": _obj(
        "A piece of text.", {"text": _STRING, "type": {"type": "string", "enum": list(TEXT_TYPES)}}
    ),
    "Context": _obj(
        "Text around the comment; accepted and not scored.",
        {"entries": {"type": "array", "items": _ref("TextEntry")}, "articleAndParentComment": _ref("ArticleAndParentComment")},
    ),
    "ArticleAndParentComment": _obj(
        "The article and the comment answered.", {"article": _ref("TextEntry"), "parentComment": _ref("TextEntry")}
    ),
    "AttributeParameters": _obj("How one attribute is to be scored.", {"scoreType": _STRING, "scoreThreshold": _NUMBER}),
    "Score": _obj("A score.", {"value": _NUMBER, "type": _STRING}),
    "SpanScore": _obj(
        "A score for a part of the text (begin and end in code points).", {"begin": _INT, "end": _INT, "score": _ref("Score")}
    ),
    "AttributeScores": _obj(
        "The scores of one attribute.",
        {"summaryScore": _ref("Score"), "spanScores": {"type": "array", "items": _ref("SpanScore")}},
    ),
    "AnalyzeCommentRequest": _obj(
        "A comment to score.",
        {
            "comment": _ref("TextEntry"),
            "context": _ref("Context"),
            "requestedAttributes": _map_of("AttributeParameters", "Attribute name -> parameters."),
            "spanAnnotations": _BOOL,
            "languages": _STRINGS,
            "doNotStore": _BOOL,
            "clientToken": _STRING,
            "sessionId": _STRING,
            "communityId": _STRING,
        },
    ),
    "AnalyzeCommentResponse": _obj(
        "The scores of a comment.",
        {
            "attributeScores": _map_of("AttributeScores", "Attribute name -> scores."),
            "languages": _STRINGS,
            "detectedLanguages": _STRINGS,
            "clientToken": _STRING,
        },
    ),
    "SuggestCommentScoreRequest": _obj(
        "The scores a person says a comment should have.",
        {
            "comment": _ref("TextEntry"),
            "context": _ref("Context"),
            "attributeScores": _map_of("AttributeScores", "Attribute name -> suggested scores."),
            "languages": _STRINGS,
            "communityId": _STRING,
            "clientToken": _STRING,
            "sessionId": _STRING,
        },
    ),
    "SuggestCommentScoreResponse": _obj(
        "The answer to a suggestion.",
        {"detectedLanguages": _STRINGS, "requestedLanguages": _STRINGS, "clientToken": _STRING},
    ),
}
for _name, _schema in _SCHEMAS.items():
    _schema["id"] = _name


def fields(message: str, *undescribed: str) -> dict[str, str]:
    """Return a message's fields as {lowerCamel name, as in the JSON mapping: proto name}, the names its schema
    here lists; ``undescribed``: names the parser accepts that the document does not list. Google's JSON parser
    accepts both names of a field."""
    return {name: re.sub("([A-Z])", r"_\1", name).lower() for name in (*_SCHEMAS[message]["properties"], *undescribed)}

_PARAMETERS = {
    "key": {"type": "string", "location": "query", "description": "An API key of this service."},
    "alt": {"type": "string", "location": "query", "default": "json", "enum": ["json"]},
    "prettyPrint": {"type": "boolean", "location": "query", "default": "true"},
    "fields": {"type": "string", "location": "query"},
    "quotaUser": {"type": "string", "location": "query"},
    "$.xgafv": {"type": "string", "location": "query", "enum": ["1", "2"]},
}


def _method(name: str, request: str, response: str, description: str) -> dict:
    path = f"{VERSION}/comments:{name}"
    return {
        "id": f"{NAME}.comments.{name}",
        "path": path,
        "flatPath": path,
        "httpMethod": "POST",
        "description": description,
        "parameters": {},
        "parameterOrder": [],
        "request": {"$ref": request},
        "response": {"$ref": response},
    }


def document(root_url: str) -> dict:
    """The discovery document, with every method under ``root_url`` (ending in ``/``)."""
    return {
        "kind": "discovery#restDescription",
        "discoveryVersion": "v1",
        "id": f"{NAME}:{VERSION}",
        "name": NAME,
        "version": VERSION,
        "title": "Perspective Comment Analyzer API (served by comment-moderation)",
        "description": "Scores comments with this service's classifier; see docs/COMPATIBILITY.md.",
        "protocol": "rest",
        "rootUrl": root_url,
        "servicePath": "",
        "baseUrl": root_url,
        "batchPath": "batch",
        "parameters": _PARAMETERS,
        "schemas": _SCHEMAS,
        "resources": {
            "comments": {
                "methods": {
                    "analyze": _method("analyze", "AnalyzeCommentRequest", "AnalyzeCommentResponse", "Scores a comment."),
                    "suggestscore": _method(
                        "suggestscore",
                        "SuggestCommentScoreRequest",
                        "SuggestCommentScoreResponse",
                        "Records the scores a person suggests.",
                    ),
                }
            }
        },
    }
