"""Generated requests (hypothesis): the server never answers 5xx, and every error has the one error shape.

Bodies come in two kinds: shaped after the OpenAPI request schemas but full of
hostile values (control characters, lone surrogates as JSON escapes or as raw
CESU bytes, emoji, mixed scripts, strings at and past their limits, wrong
types, nested junk, huge numbers, NaN/Infinity/1e999 tokens), and raw bytes
that are not JSON at all. Most requests carry an admin key so that they reach
validation; some carry no key, an unknown key or a weaker role. Besides "no 5xx"
and the error shape, each answer is checked against the document: its status is
documented, its body matches, and what the server accepted (2xx) is valid by the
request schema. One app (and one Redis state) serves all examples of a test.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from moderation.classifier.normalize import blank
from moderation.service.config import SitePolicy

from .conftest import auth
from .openapi_checks import errors_of, operation, operations, resolve

ABUSIVE = "You are a pathetic idiot and everyone knows it."
REVIEW = "You clown, read the article first"
SPAM = "Make $500 a day from home!!! Visit www.easy-cash-now.biz today"
ERROR = {"$ref": "#/components/schemas/Error"}
# Shrinking a failure to a minimal example can take minutes; the failing request is in the message anyway.
# FUZZ_SHRINK=1 turns it on. Failures are kept in .hypothesis/ and tried first on the next run.
PHASES = tuple(p for p in Phase if os.environ.get("FUZZ_SHRINK") or p not in (Phase.shrink, Phase.explain))
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

BODY_OPS = [(m, t) for m, t, op in operations() if "requestBody" in op]
QUERY_OPS = [(m, t) for m, t, op in operations() if any(p["in"] == "query" for p in op.get("parameters", []))]


# -- hostile values ---------------------------------------------------------------------------------------------


class Raw(str):
    """A JSON token written as is (NaN, Infinity, 1e999, a 400-digit integer ...)."""


class Pairs(tuple):
    """A JSON object written from (key, value) pairs, so a key may come twice."""


def encode(value, ascii_only: bool = True) -> str:
    """Return JSON text for ``value``; lone surrogates become \\udXXX escapes when ``ascii_only``."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{encode(str(k), ascii_only)}:{encode(v, ascii_only)}" for k, v in value) + "}"
    if isinstance(value, dict):
        return encode(Pairs(value.items()), ascii_only)
    if isinstance(value, list):
        return "[" + ",".join(encode(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def to_bytes(value, ascii_only: bool = True) -> bytes:
    # Without escapes a lone surrogate goes out as CESU-8 bytes, which are not UTF-8.
    return encode(value, ascii_only).encode("utf-8", "surrogatepass")


def plain(value):
    """Return what the server's JSON parser makes of ``value`` (None when it is not JSON the parser takes)."""
    try:
        return json.loads(to_bytes(value))
    except (ValueError, RecursionError):
        return None


PIECES = [
    "a",
    " ",
    "\t",
    "\n",
    "\x00",
    "\x1f",
    "\x7f",
    "\x85",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\udc00\ud800",
    "\U0010ffff",
    "😀",
    "👩🏽‍💻",
    "🇩🇪",
    "e\u0301",
    "İ",
    "ß",
    "Ω",
    "раураl",
    "مرحبا",
    "שלום",
    "中文评论",
    "日本語",
    "한국어",
    "ｆｕｌｌ",
    "%00",
    "%ED%A0%80",
    "\\u0000",
    "\\",
    '"',
    "'",
    "{",
    "}",
    "<script>",
    "mod:*",
    "{s:news}",
    "\r\n",
    "idiot",
    "www.example.org",
    "http://bit.ly/x",
    "someone@example.net",
    ABUSIVE,
    REVIEW,
    SPAM,
]
SURROGATES = st.lists(st.integers(0xD800, 0xDFFF).map(chr), min_size=1, max_size=3).map("".join)
HOSTILE_TEXT = st.one_of(
    st.text(max_size=30),
    st.tuples(st.text(max_size=5), SURROGATES, st.text(max_size=5)).map("".join),
    st.text(alphabet=st.characters(max_codepoint=0xA0), max_size=20),
    st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    SURROGATES,
    st.sampled_from(["", " ", "\t\n ", "null", "NaN", "0", "-1", "1e999", "true", "[]", "{}"]),
)
TOKENS = st.sampled_from(
    [
        Raw(t)
        for t in ("NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400, "-" + "9" * 400, "1.0e-400", "-0", "1E+2")
    ]
)
EDGE_NUMBERS = [0, -1, 1.0, 1.5, -0.0, 5e-324, 2**31, 2**53 + 1, 2**63, 10**30, 10**400, -(10**400), 1e18, -1e18, 1e308, -1e308]
NUMBERS = st.one_of(st.integers(), st.sampled_from(EDGE_NUMBERS), st.floats())
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, HOSTILE_TEXT, TOKENS)
NESTED = st.builds(
    lambda depth, leaf: Raw("[" * depth + leaf + "]" * depth), st.integers(50, 5000), st.sampled_from(["", "1", "{}"])
)
JUNK = st.recursive(
    SCALARS | NESTED,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(HOSTILE_TEXT, children, max_size=4)),
    max_leaves=12,
)
TIMES = st.sampled_from(
    [10**400, -(10**400), Raw("1e999"), Raw("NaN"), 1e300, 1e18, -1e18, 253402300800, -62135596801, 1800000000.5, 0]
) | st.sampled_from(
    [
        "2027-01-15T08:00:00Z",
        "2027-01-15",
        "2027-01-15T08:00:00.123456+05:30",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59-12:00",
        "9999-12-31T23:59:59.999999",
        "2027-13-01T00:00:00",
        "2027-02-30",
        "now",
        "1800000000",
        "+002027-01-15",
    ]
)


def long_strings(limit: int | None):
    """Strings of exactly ``limit`` and ``limit + 1`` characters, and much longer ones."""
    sizes = [limit, limit + 1] if limit else [300]
    return st.builds(
        lambda ch, n: ch * n,
        st.sampled_from(["a", "é", "😀", " ", "\x00", "\ud800", "x "]),
        st.sampled_from([*sizes, 20_000, 33_000]),
    )


# -- bodies shaped after the request schemas --------------------------------------------------------------------


SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@"
TEXTS = [REVIEW, ABUSIVE, SPAM, "A calm and useful remark.", "see https://www.example.org/a and bit.ly/x"]


@st.composite
def shaped(draw, schema: dict, depth: int = 0, name: str = "", hostile: bool = True):
    """Draw a value for an OpenAPI schema.

    A hostile object has either one hostile property (the others valid, so the
    request gets deep into the server) or all of them; a hostile value is often
    of the wrong type or anything at all. A non-hostile value is valid.
    """
    schema = resolve(schema)
    if hostile and (depth > 4 or draw(st.integers(0, 11)) == 0):
        return draw(JUNK)
    if schema.get("nullable") and draw(st.integers(0, 6)) == 0:
        return None
    if name == "created_at":
        return draw(TIMES if hostile else st.sampled_from(["2027-01-15T08:00:00Z", "2027-01-15", 1800000000, 1800000000.25]))
    if "allOf" in schema:
        return draw(shaped(schema["allOf"][0], depth, name, hostile))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return draw(st.sampled_from(schema[key]).flatmap(lambda s: shaped(s, depth, name, hostile)))
    if "enum" in schema:
        choices = st.sampled_from([c for c in schema["enum"] if c is not None])
        return draw(st.one_of(choices, choices, HOSTILE_TEXT) if hostile else choices)
    kind = schema.get("type")
    if kind == "string":
        low, high = schema.get("minLength", 0), min(schema.get("maxLength", 40), 40)
        if not hostile:
            if name == "text":
                return draw(st.sampled_from(TEXTS) | st.text(alphabet=SAFE, min_size=1, max_size=40))
            return draw(st.text(alphabet=SAFE, min_size=max(low, 1), max_size=max(min(high, 20), 1)))
        return draw(
            st.one_of(st.text(min_size=low, max_size=high), HOSTILE_TEXT, HOSTILE_TEXT, long_strings(schema.get("maxLength")))
        )
    if kind == "integer":
        low, high = schema.get("minimum", -5), schema.get("maximum", 10**6)
        if not hostile:
            return draw(st.integers(low, high))
        edges = st.sampled_from([low, high, low - 1, high + 1, float(low), True, False, 10**12, 2**63, 10**30, 10**400])
        return draw(st.one_of(st.integers(low - 2, high + 2), edges, NUMBERS, TOKENS))
    if kind == "number":
        return draw(st.one_of(NUMBERS, TOKENS) if hostile else st.floats(allow_nan=False, allow_infinity=False))
    if kind == "boolean":
        return draw(st.one_of(st.booleans(), SCALARS) if hostile else st.booleans())
    if kind == "array":
        items = shaped(schema["items"], depth + 1, name, hostile)
        most = schema.get("maxItems")
        if not hostile:
            return draw(st.lists(items, max_size=min(3, most if most is not None else 3)))
        if most is not None and draw(st.integers(0, 9)) == 0:
            return [draw(items)] * (most + 1)
        return draw(st.lists(items, max_size=min(4, most + 1 if most is not None else 4)))
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        bad = set()
        if hostile and properties:
            bad = set(properties) if draw(st.integers(0, 3)) == 0 else {draw(st.sampled_from(sorted(properties)))}
        pairs = []
        for prop, sub in properties.items():
            if prop in bad or draw(st.integers(0, 9)) < (
                10 if prop in required and not hostile else 9 if prop in required else 5
            ):
                pairs.append((prop, draw(shaped(sub, depth + 1, prop, prop in bad))))
        if hostile and draw(st.integers(0, 5)) == 0:
            pairs.append((draw(HOSTILE_TEXT), draw(JUNK)))
        if hostile and pairs and draw(st.integers(0, 9)) == 0:
            key, _ = draw(st.sampled_from(pairs))
            pairs.insert(0, (key, draw(JUNK)))  # a duplicate key: the last one counts
        return Pairs(draw(st.permutations(pairs)) if len(pairs) < 8 else pairs)
    return draw(JUNK) if hostile else None


def body_schema(method: str, template: str) -> dict:
    return operation(method, template)["requestBody"]["content"]["application/json"]["schema"]


VALID = {
    "/v1/comments": {"id": "v1", "user_id": "alice", "text": REVIEW},
    "/v1/comments/batch": {"comments": [{"id": "v2", "user_id": "alice", "text": "fine"}]},
    "/v1/score": {"text": SPAM},
    "/v1/comments/{comment_id}/decision": {"decision": "reject", "moderator": "m1", "categories": ["attack"]},
    "/v1/queue/claim": {"moderator": "m1", "limit": 3},
    "/v1/users/{user_id}/ban": {"reason": "spam", "duration_s": 60},
    "/v1/users/{user_id}/strikes/reset": {"reason": "appeal"},
    "/v1/keys": {"role": "site", "name": "widget"},
    "/v1/policy": {"weights": {"abuse": 2}},
}


def raw_bodies(template: str):
    """Bytes that are not (quite) JSON, or JSON in odd encodings, or bodies at the size limit."""
    valid = json.dumps(VALID.get(template, {}))
    crafted = [
        b"",
        b" ",
        b"null",
        b"[]",
        b"{}",
        b"{",
        b'{"a":}',
        b"{'a': 1}",
        b"\xef\xbb\xbf" + valid.encode(),
        valid.encode("utf-16"),
        valid.encode("utf-32"),
        valid.encode("utf-16-le"),
        valid.encode()[:-1],
        valid.encode() + b"garbage",
        valid.encode() + b"\x00",
        b'{"text": "\xed\xa0\x80"}',
        b'{"text": "\xff\xfe"}',
        b'{"text": "\\ud800"}',
        b'{"text": "\\u0000"}',
        b"NaN",
        b"1e999",
        b'"' + b"a" * 1000,
        b"[" * 100_000,
        b'{"a":' * 5000,
        b"\x00" * 64,
        b'--x\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--x--',
        b"text=hello&id=1",
    ]
    return st.one_of(
        st.binary(max_size=300),
        st.sampled_from(crafted),
        st.integers(0, len(valid)).map(lambda n: valid.encode()[:n]),
        st.integers(-3, 3).map(lambda d: b"{" + b" " * (64 * 1024 - 2 + d) + b"}"),
    )


# -- requests ---------------------------------------------------------------------------------------------------

AUTH = st.sampled_from(["admin"] * 16 + ["none", "unknown", "x-api-key", "moderator", "site", "other"])
CONTENT_TYPES = st.sampled_from(
    ["application/json"] * 4 + [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
SEEDED = ["s-review", "s-clean", "s-abuse", "s-banned"]


def path_value(name: str):
    """A path parameter: mostly known ids, else hostile (never empty or with "/", so the route matches)."""
    known = SEEDED if name == "comment_id" else ["alice", "bob", "0123456789abcdef"]
    hostile = HOSTILE_TEXT.filter(lambda s: s and "/" not in s)
    return st.one_of(
        st.sampled_from(known), st.sampled_from(known), hostile, long_strings(200).map(lambda s: s.replace("/", "x"))
    )


def url_for(template: str, values: dict) -> tuple[str, dict]:
    """Return the URL and the path parameters as the server decodes them (bytes that are not UTF-8 become U+FFFD)."""
    raw = {k: v.encode("utf-8", "surrogatepass") for k, v in values.items()}
    url = template.format(**{k: quote(v, safe="") for k, v in raw.items()})
    return url, {k: v.decode("utf-8", "replace") for k, v in raw.items()}


@st.composite
def paths_for(draw, template: str) -> tuple[str, dict]:
    return url_for(template, {name: draw(path_value(name)) for name in re.findall(r"{([^{}]+)}", template)})


def headers_for(keys: dict, who: str, content_type: str | None) -> dict:
    headers = {"Content-Type": content_type} if content_type else {}
    if who == "x-api-key":
        headers["X-API-Key"] = keys["admin"]
    elif who == "unknown":
        headers.update(auth("mk_unknown-key"))
    elif who != "none":
        headers.update(auth(keys[who]))
    return headers


def show(method: str, url: str, headers: dict, data: bytes | None = None) -> str:
    who = {k: (v[:12] + "...") if k in ("Authorization", "X-API-Key") else v for k, v in headers.items()}
    text = "" if data is None else f" body={data[:2000]!r}{'...' if len(data) > 2000 else ''} ({len(data)} bytes)"
    return f"{method} {url} headers={who}{text}"


def check(response, request: str) -> None:
    """No 5xx; every error in the one shape."""
    status = response.status_code
    text = response.get_data(as_text=True)[:400]
    assert status < 500, f"{status} for {request}\n-> {text}"
    if status >= 400:
        body = response.get_json(silent=True)
        problems = errors_of(ERROR, body) if body is not None else ["not JSON"]
        assert not problems and body["error"]["status"] == status, f"error shape {problems} for {request}\n-> {text}"


def check_contract(method: str, template: str, response, request: str, sent=None, path_values=None) -> None:
    """The status is documented, the body matches its schema, and an accepted request was valid by the document."""
    op = operation(method, template)
    status = str(response.status_code)
    text = response.get_data(as_text=True)[:400]
    assert status in op["responses"], f"undocumented {status} for {request}\n-> {text}"
    declared = resolve(op["responses"][status])
    if response.mimetype == "application/json":
        problems = errors_of(declared["content"]["application/json"]["schema"], response.get_json())
        assert not problems, f"answer does not match the document: {problems} for {request}\n-> {text}"
    if response.status_code >= 300:
        return
    rejected = []
    for p in op.get("parameters", []):
        if p["in"] == "path":
            rejected += errors_of(p["schema"], path_values[p["name"]])
    if sent is not None and "requestBody" in op:
        if template == "/v1/comments/batch":
            rejected += errors_of({"type": "array", "maxItems": 100}, sent["comments"])
            for item, result in zip(sent["comments"], response.get_json()["results"], strict=True):
                if result["status"] == 200:
                    rejected += errors_of({"$ref": "#/components/schemas/CommentInput"}, item)
        else:
            rejected += errors_of(body_schema(method, template), sent)
    assert not rejected, f"accepted a request the document says is invalid: {rejected} for {request}\n-> {text}"


@pytest.fixture
def seeded(client, keys):
    """Comments to decide on, a banned user, and the client."""
    texts = {"s-review": REVIEW, "s-clean": "A calm and useful remark.", "s-abuse": ABUSIVE, "s-banned": "hello"}
    client.post("/v1/users/banned/ban", json={"reason": "test"}, headers=auth(keys["admin"]))
    for cid, text in texts.items():
        user = "banned" if cid == "s-banned" else "alice"
        assert (
            client.post("/v1/comments", json={"id": cid, "user_id": user, "text": text}, headers=auth(keys["site"])).status_code
            == 200
        )
    return client


# -- the properties ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "template"), BODY_OPS, ids=[f"{m} {t}" for m, t in BODY_OPS])
@SETTINGS
@given(data=st.data())
def test_shaped_json_bodies(seeded, keys, method, template, data):
    body = data.draw(shaped(body_schema(method, template)), label="body")
    raw = to_bytes(body, ascii_only=data.draw(st.integers(0, 4), label="escape") > 0)
    url, path_values = data.draw(paths_for(template), label="path")
    headers = headers_for(keys, data.draw(AUTH, label="key"), data.draw(CONTENT_TYPES, label="content type"))
    response = seeded.open(url, method=method, headers=headers, data=raw)
    request = show(method, url, headers, raw)
    check(response, request)
    check_contract(method, template, response, request, plain(body), path_values)


@pytest.mark.parametrize(("method", "template"), BODY_OPS, ids=[f"{m} {t}" for m, t in BODY_OPS])
@settings(SETTINGS, max_examples=100)
@given(data=st.data())
def test_raw_bodies(seeded, keys, method, template, data):
    raw = data.draw(raw_bodies(template), label="body")
    url, path_values = data.draw(paths_for(template), label="path")
    headers = headers_for(keys, data.draw(AUTH, label="key"), data.draw(CONTENT_TYPES, label="content type"))
    response = seeded.open(url, method=method, headers=headers, data=raw)
    request = show(method, url, headers, raw)
    check(response, request)
    try:
        sent = json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        sent = None
    check_contract(method, template, response, request, sent, path_values)


def query_value(schema: dict):
    schema = resolve(schema)
    valid = (
        st.sampled_from(schema["enum"])
        if "enum" in schema
        else st.integers(schema.get("minimum", 0) - 2, schema.get("maximum", 100) + 2).map(str)
        if schema.get("type") == "integer"
        else st.text(max_size=10)
    )
    odd = st.sampled_from(["", " 5 ", "1_0", "+3", "٣", "1e3", "0x10", "5.0", "-0", "9" * 5000, "NaN", "m1", "reject"])
    return st.one_of(valid, valid, odd, HOSTILE_TEXT)


@pytest.mark.parametrize(("method", "template"), QUERY_OPS, ids=[f"{m} {t}" for m, t in QUERY_OPS])
@settings(SETTINGS, max_examples=150)
@given(data=st.data())
def test_query_parameters(seeded, keys, method, template, data):
    pairs = []
    for p in operation(method, template)["parameters"]:
        for _ in range(data.draw(st.sampled_from([0, 1, 1, 1, 2]), label=p["name"])):
            pairs.append((p["name"], data.draw(query_value(p["schema"]), label=p["name"])))
    if data.draw(st.integers(0, 4), label="extra") == 0:
        pairs.append((data.draw(HOSTILE_TEXT, label="extra name"), data.draw(HOSTILE_TEXT, label="extra value")))
    query = "&".join(f"{quote(k.encode('utf-8', 'surrogatepass'))}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in pairs)
    headers = headers_for(keys, data.draw(AUTH, label="key"), None)
    response = seeded.open(template, method=method, headers=headers, query_string=query)
    request = show(method, f"{template}?{query}", headers)
    check(response, request)
    check_contract(method, template, response, request)


# -- what was accepted can be used and read back ----------------------------------------------------------------

ACTIONS = ["/v1/users/{user_id}/ban", "/v1/users/{user_id}/strikes/reset"]
READ_BACK = [
    ("GET", "/v1/comments/{comment_id}"),
    ("GET", "/v1/users/{user_id}"),
    ("GET", "/v1/queue"),
    ("GET", "/v1/audit"),
    ("GET", "/v1/labels"),
]


def send(client, keys, method, template, values=None, body=None, contract=True) -> object:
    url, values = url_for(template, values or {})
    raw = None if body is None else to_bytes(body)
    headers = auth(keys["admin"])
    response = client.open(url, method=method, headers=headers, data=raw)
    request = show(method, url, headers, raw)
    check(response, request)
    if contract:
        check_contract(method, template, response, request, plain(body) if body is not None else None, values)
    return response


# Values the validation accepts, hostile where it lets them be.
IDS = st.text(alphabet=SAFE + "éü中😀", min_size=1, max_size=30)
# A comment text shows something and holds no unpaired surrogate.
ACCEPTED_TEXT = st.one_of(
    st.sampled_from(TEXTS),
    HOSTILE_TEXT.filter(lambda t: not blank(t)),
    st.tuples(HOSTILE_TEXT, st.sampled_from(TEXTS)).map(" ".join),
).filter(lambda t: not re.search("[\ud800-\udfff]", t))
ACCEPTED_TIMES = st.sampled_from(
    ["2027-01-15T08:00:00Z", "2027-01-15", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-12:00", 1e18, -1e18, 0, 1800000000.5]
)
ACCEPTED_COMMENT = st.fixed_dictionaries(
    {"text": ACCEPTED_TEXT},
    optional={
        "article_id": st.none() | IDS,
        "parent_id": st.none() | IDS,
        "author_name": st.none() | HOSTILE_TEXT.filter(lambda t: len(t) <= 200),
        "created_at": st.none() | ACCEPTED_TIMES,
    },
)
ACCEPTED_DECISION = st.fixed_dictionaries(
    {"decision": st.sampled_from(["approve", "reject"]), "moderator": IDS},
    optional={
        "categories": st.none() | st.lists(st.sampled_from(["abuse", "attack", "promotion"]), max_size=3),
        "note": st.none() | HOSTILE_TEXT.filter(lambda t: len(t) <= 2000),
    },
)
ACCEPTED_ACTION = st.fixed_dictionaries(
    {"reason": HOSTILE_TEXT.filter(lambda t: len(t) <= 500)},
    optional={"moderator": st.none() | IDS, "duration_s": st.none() | st.integers(1, 10 * 365 * 86400)},
)


@settings(SETTINGS, max_examples=80)
@given(data=st.data())
def test_accepted_comments_decisions_and_bans_read_back(client, keys, data):
    """Submit, decide, ban with hostile but valid values; then every read of them works and matches the document."""
    n = data.draw(st.integers(0, 10**9), label="n")
    cid, user = data.draw(IDS, label="comment id") + f"-{n}", data.draw(IDS, label="user id")
    reads = [(method, template, {"comment_id": cid, "user_id": user}, None) for method, template in READ_BACK]
    steps = [
        ("POST", "/v1/comments", None, {"id": cid, "user_id": user, **data.draw(ACCEPTED_COMMENT, label="comment")}),
        ("POST", "/v1/comments/{comment_id}/decision", {"comment_id": cid}, data.draw(ACCEPTED_DECISION, label="decision")),
        *reads,
        (
            "POST",
            data.draw(st.sampled_from(ACTIONS), label="action"),
            {"user_id": user},
            data.draw(ACCEPTED_ACTION, label="body"),
        ),
        *reads,
    ]
    for method, template, values, body in steps:
        send(client, keys, method, template, values, body)


BIG = st.one_of(
    st.integers(0, 10),
    st.sampled_from([1, 60, 86400, 10**9, 10**10, 10**11, 10**12, 2**53, 2**63, 10**30, 10**400]),
    st.integers(min_value=0),
)
DOMAINS = st.one_of(
    st.sampled_from(
        ["example.org", "EXAMPLE.ORG", "bit.ly", "(", "[a-", "*", ".", "..", "a\\", "bücher.example", "a" * 253, "localhost"]
    ),
    HOSTILE_TEXT,
)
POLICIES = st.fixed_dictionaries(
    {},
    optional={
        "weights": st.dictionaries(st.sampled_from(["abuse", "attack", "promotion"]), BIG | st.booleans()),
        "strike_ttl_s": BIG,
        "ban_steps": st.lists(st.integers(1, 12), unique=True, max_size=4).flatmap(
            lambda strikes: st.tuples(*[BIG for _ in strikes]).map(
                lambda secs: [[a, b] for a, b in zip(sorted(strikes), secs, strict=True)]
            )
        ),
        "allowed_domains": st.lists(DOMAINS, max_size=3),
    },
)


@settings(SETTINGS, max_examples=80)
@given(data=st.data())
def test_accepted_policy_keeps_the_service_working(client, keys, data):
    """Whatever policy the server accepts, comments, strikes, bans and user views keep working under it."""
    schema = resolve({"$ref": "#/components/schemas/PolicyInput"})
    policy = data.draw(st.one_of(POLICIES, POLICIES, shaped(schema)), label="policy")
    # Start from the default policy, so that the drawn one alone explains a failure.
    send(client, keys, "PUT", "/v1/policy", body=SitePolicy().to_dict())
    if send(client, keys, "PUT", "/v1/policy", body=policy, contract=False).status_code != 200:
        return
    n = data.draw(st.integers(0, 10**9), label="n")
    steps = [
        ("POST", "/v1/comments", None, {"id": f"p-{n}-{i}", "user_id": f"pu-{n}", "text": text}) for i, text in enumerate(TEXTS)
    ]
    steps += [
        ("POST", "/v1/comments/{comment_id}/decision", {"comment_id": f"p-{n}-0"}, {"decision": "reject", "moderator": "m"}),
        ("POST", "/v1/comments/{comment_id}/decision", {"comment_id": f"p-{n}-1"}, {"decision": "approve", "moderator": "m"}),
        ("POST", "/v1/score", None, {"text": "read https://www.example.org and bit.ly/x"}),
        ("GET", "/v1/users/{user_id}", {"user_id": f"pu-{n}"}, None),
        ("GET", "/v1/queue", None, None),
        ("GET", "/v1/policy", None, None),
    ]
    # Only "no 5xx and the error shape" here: the document's view of policies is test_shaped_json_bodies' job.
    for method, template, values, body in steps:
        send(client, keys, method, template, values, body, contract=False)
