"""The site's own word lists: ``/v1/rules`` (admin; the URL keeps the name it was published with). See ``service/actions/words.py`` for the formats.

A change is refused (422) with every problem of the request at once: the
moderator's name, and each bad entry (by its path in a JSON body, by its line in
a text or CSV body); nothing of it is applied."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from .. import openapi as doc
from ..actions import words as actions
from ..auth import require
from ..errors import ApiError, invalid
from ..schemas import (
    WORD_SEVERITIES,
    WORDS_BY,
    WORDS_CHANGED,
    WORDS_MAX_BYTES,
    WORDS_REPLACED,
    SiteWords,
    SiteWordsChanged,
    SiteWordsInput,
    SiteWordsPatch,
)
from ..times import iso
from ..validation import field_errors, json_body, query_choice, validate
from . import services

bp = Blueprint("words", __name__)

_ABOUT = (
    "The site's own words and phrases: block (reject), review (hold for a moderator), allow (no rule, packaged or"
    " the site's, matches it; a domain is allowed as the policy's allowed_domains are). Matched like the packaged lists,"
    " through the same normalisation; hits are evidence with source rule:site and reasons <category>:site:<severity>."
    " Every process uses a change within about MODERATION_CHANGE_POLL_S; each change is in the audit log."
)

PATH = "/v1/rules"
FORMATS = ("json", "text", "csv")


def _who(data: object) -> tuple[str, list[dict]]:
    """Return who is recorded as making the change (the ``moderator`` given, in the body or the query, else the key's
    id) and the problem with the name given, if any."""
    given = ("moderator" in data) if isinstance(data, dict) else ("moderator" in request.args)
    name = data.get("moderator") if isinstance(data, dict) else request.args.get("moderator")
    problems = field_errors({"moderator": name}, WORDS_BY) if given else []
    return (g.identity.key_id if problems else name or g.identity.key_id), problems


def _shown(row: dict) -> dict:
    return {**row, "added_at": iso(row["added_at"]) if row.get("added_at") else None}


@bp.get(PATH)
@doc.documented(
    "listRules",
    "Read (or export) the site's own word lists",
    "admin",
    {
        "200": {
            "description": "The entries (JSON), or with format=text or csv the list to save and import again.",
            "content": {
                **doc.json_content(doc.ref(SiteWords)),
                "text/plain": {"schema": doc.string()},
                "text/csv": {"schema": doc.string()},
            },
        }
    },
    errors=(422,),
    parameters=[
        doc.param("q", "query", doc.string(), "Only entries whose pattern or note contains this."),
        doc.param("severity", "query", doc.enum(WORD_SEVERITIES), "Only entries of this severity."),
        doc.param("format", "query", doc.enum(FORMATS), "json (default), text or csv."),
    ],
    description=_ABOUT,
)
@require("admin")
def list_rules():
    """The site's entries: JSON, or ``?format=text|csv`` to export them; ``q`` searches patterns and notes."""
    errors: list = []
    fmt = query_choice("format", FORMATS, errors) or "json"
    severity = query_choice("severity", WORD_SEVERITIES, errors)
    if errors:
        raise invalid(errors)
    s = services()
    version, rows = actions.entries(s, g.identity.site, request.args.get("q", ""), severity)
    if fmt == "text":
        return Response(actions.to_text(rows), mimetype="text/plain")
    if fmt == "csv":
        return Response(actions.to_csv(rows), mimetype="text/csv")
    return jsonify({"entries": [_shown(r) for r in rows], "count": len(rows), "version": version})


def _import_body() -> tuple[object, object]:
    """Return (entries, the body or None) of a PUT: JSON ``{"entries": [...]}``, or text or CSV (an ``Imported``, its
    entries and problems named by their lines)."""
    request.max_content_length = WORDS_MAX_BYTES
    kind = request.mimetype
    if kind in ("text/plain", "text/csv"):
        raw = request.get_data(cache=True)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ApiError(400, "the list must be UTF-8 text", "bad_request") from None
        return (actions.parse_csv(text) if kind == "text/csv" else actions.parse_text(text)), None
    data = json_body()
    validate(data, WORDS_REPLACED)  # its own fields; its entries and moderator are checked with the change
    return data["entries"], data


@bp.put(PATH)
@doc.documented(
    "replaceRules",
    "Replace the site's own word lists (bulk import)",
    "admin",
    {"200": doc.ok("Replaced: the lists' version and size.", doc.ref(SiteWordsChanged))},
    request={
        "required": True,
        "content": {
            **doc.json_content(doc.ref(SiteWordsInput)),
            "text/plain": {"schema": doc.string("One entry a line: <severity>[:<category>] <pattern>  # note")},
            "text/csv": {"schema": doc.string("A header with pattern,severity and optionally category,note.")},
        },
    },
    parameters=[doc.param("moderator", "query", doc.string(), "Who adds them, for a text or CSV body.")],
    description=_ABOUT + " Every entry is checked first: any bad one (422, each listed) and nothing is"
    f" applied. Up to {WORDS_MAX_BYTES // (1024 * 1024)} MB.",
)
@require("admin")
def replace_rules():
    """Replace every entry (JSON, ``text/plain`` or ``text/csv``); a bad entry refuses the whole list."""
    entries, data = _import_body()
    who, problems = _who(data)
    result = actions.replace_all(services(), g.identity.site, entries, who, g.identity.key_id, problems)
    return jsonify(result)


@bp.patch(PATH)
@doc.documented(
    "changeRules",
    "Add and remove entries of the site's own word lists",
    "admin",
    {"200": doc.ok("Changed: the lists' version and size.", doc.ref(SiteWordsChanged))},
    request=doc.body(SiteWordsPatch),
    description=_ABOUT,
)
@require("admin")
def change_rules():
    """Add (or change) entries and remove patterns, together."""
    request.max_content_length = WORDS_MAX_BYTES
    data = json_body()
    validate(data, WORDS_CHANGED)  # its own fields; its entries, patterns and moderator are checked with the change
    who, problems = _who(data)
    result = actions.change(services(), g.identity.site, data.get("add"), data.get("remove"), who, g.identity.key_id, problems)
    return jsonify(result)


@bp.delete(PATH)
@doc.documented(
    "deleteRules",
    "Remove entries (or all) of the site's own word lists",
    "admin",
    {"200": doc.ok("Removed: the lists' version and size.", doc.ref(SiteWordsChanged))},
    errors=(422,),
    parameters=[doc.param("pattern", "query", doc.string(), "An entry to remove (repeatable); none: remove every entry.")],
    description=_ABOUT,
)
@require("admin")
def delete_rules():
    """Remove the entries named by ``?pattern=`` (repeatable), or every entry when none is named."""
    patterns = request.args.getlist("pattern")
    s = services()
    who, problems = _who(None)
    if patterns:
        result = actions.change(s, g.identity.site, None, patterns, who, g.identity.key_id, problems)
    else:
        result = actions.replace_all(s, g.identity.site, [], who, g.identity.key_id, problems)
    return jsonify(result)
