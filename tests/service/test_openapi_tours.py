"""Real answers match the OpenAPI document: tours of every operation, drop-ins included.

Every answer the tours get goes through ``Api`` (``openapi_checks``), which checks that the status is documented
for the operation and that the body validates against the schema the document declares for that status; the
tours together reach every (operation, status) the document declares. The last tests check that what a request
schema accepts and refuses is what the server accepts and refuses, drop-in endpoints included.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re

import pytest

from moderation.service import create_app
from moderation.service.config import RateLimit
from moderation.service.store import connect
from moderation.service.store.apikeys import ROLES

from .conftest import auth
from .openapi_checks import Api, break_redis, drop_in_operations, errors_of, fields_of, operation, operations

CLEAN = "The council should publish the full traffic study before the vote."
ABUSIVE = "You are a pathetic idiot and everyone knows it."
REVIEW = "You clown, read the article first"  # sent to review by the shipped model and rules
HUGE = 70 * 1024  # over the default 64 KB body limit


@pytest.fixture
def api(client, keys) -> Api:
    return Api(client, keys)


@pytest.fixture
def broken_api(redis_url, assessor, clock, keys):
    """An app whose Redis is gone after the admin key was checked once (cached); other keys are not cached."""
    own = connect(redis_url, 5.0)
    app = create_app({"redis_url": redis_url, "redis": own, "assessor": assessor, "clock": clock})
    api = Api(app.test_client(), keys)
    api("GET", "/v1/policy", expect=200)
    break_redis(own)
    return api


# -- (c) real answers match the document ------------------------------------------------------------------------


def comment(cid: str, text: str = CLEAN, user: str = "alice", **extra) -> dict:
    return {"id": cid, "user_id": user, "text": text, **extra}


def tour_comments(api: Api) -> None:
    post = "/v1/comments"
    first = api("POST", post, key="site", json=comment("c1"), expect=200).get_json()
    assert first["verdict"] == "approve" and first["store"] == "ok"
    assert api("POST", post, key="site", json=comment("c1"), expect=200).get_json() == first
    assert api("POST", post, key="site", json=comment("c1", ABUSIVE), expect=409).get_json()["error"]["code"] == "id_conflict"
    api("POST", post, key=None, headers={"X-API-Key": api.keys["site"]}, json=comment("c2"), expect=200)
    assert api("POST", post, key="admin", json=comment("r1", REVIEW, "bob"), expect=200).get_json()["verdict"] == "review"
    assert api("POST", post, key="site", json=comment("x1", ABUSIVE, "bob"), expect=200).get_json()["verdict"] == "reject"
    # auth
    unauthorized = api("POST", post, key=None, json=comment("c3"), expect=401)
    assert unauthorized.headers["WWW-Authenticate"] == "Bearer"
    api("POST", post, key="mk_not-a-key", json=comment("c3"), expect=401)
    api("POST", post, key=None, headers={"Authorization": "Bearer "}, json=comment("c3"), expect=401)
    api("POST", post, key="moderator", json=comment("c3"), expect=403)
    # bodies
    assert api("POST", post, key="site", data=b"{not json", expect=400).get_json()["error"]["code"] == "bad_json"
    api("POST", post, key="site", data=b"", expect=400)
    api("POST", post, key="site", data=b"\xff\xfe\x00", expect=400)
    invalid = api(
        "POST",
        post,
        key="site",
        json={
            "id": "",
            "user_id": True,
            "text": "   ",
            "article_id": "a\x00b",
            "parent_id": 7.5,
            "author_name": "x" * 201,
            "created_at": "yesterday",
        },
        expect=422,
    )
    assert fields_of(invalid) == {"id", "user_id", "text", "article_id", "parent_id", "author_name", "created_at"}
    assert fields_of(api("POST", post, key="site", json={}, expect=422)) == {"id", "user_id", "text"}
    assert fields_of(api("POST", post, key="site", json=[1], expect=422)) == {"(body)"}
    assert fields_of(api("POST", post, key="site", json=comment("c4", "y" * 10_001), expect=422)) == {"text"}
    api("POST", post, key="site", json=comment("c4", "y" * 10_000), expect=200)
    assert api("POST", post, key="site", json=comment("c5", "z" * HUGE), expect=413).get_json()["error"]["code"] == "too_large"
    # batch
    batch = "/v1/comments/batch"
    items = [comment("b1"), {"id": 1}, comment("c1", ABUSIVE), "junk", comment("b2", REVIEW, "carol")]
    results = api("POST", batch, key="site", json={"comments": items}, expect=200).get_json()["results"]
    assert [r["status"] for r in results] == [200, 422, 409, 422, 200]
    assert [r["error"]["index"] for r in results if r["status"] != 200] == [1, 2, 3]
    api("POST", batch, key="site", json={"comments": []}, expect=200)
    assert fields_of(api("POST", batch, key="site", json={"comments": [comment("b")] * 101}, expect=422)) == {"comments"}
    assert fields_of(api("POST", batch, key="site", json={"comments": None}, expect=422)) == {"comments"}
    api("POST", batch, key="site", data=b"[", expect=400)
    api("POST", batch, key="site", json={"comments": [comment("b3", "w" * HUGE)]}, expect=413)
    api("POST", batch, key="moderator", json={"comments": []}, expect=403)
    api("POST", batch, key=None, json={"comments": []}, expect=401)
    # score: every role may score
    for role in ROLES:
        api("POST", "/v1/score", key=role, json={"text": ABUSIVE}, expect=200)
    assert fields_of(api("POST", "/v1/score", key="site", json={"text": 3}, expect=422)) == {"text"}
    api("POST", "/v1/score", key="site", data=b"nope", expect=400)
    api("POST", "/v1/score", key="site", json={"text": "v" * HUGE}, expect=413)
    api("POST", "/v1/score", key=None, json={"text": "hi"}, expect=401)
    # a stored comment
    one = "/v1/comments/{comment_id}"
    record = api("GET", one, key="moderator", path={"comment_id": "r1"}, expect=200).get_json()
    assert record["state"] == "pending" and record["decision"] is None
    own = api("GET", one, key="site", path={"comment_id": "r1"}, expect=200).get_json()
    assert own == record  # a site key reads its own comments, as a moderator does (no moderator's field in it)
    api("GET", one, key="other", path={"comment_id": "r1"}, expect=404)
    api("GET", one, key="moderator", path={"comment_id": "nope"}, expect=404)
    api("GET", one, key=None, path={"comment_id": "r1"}, expect=401)
    # decisions
    decide = "/v1/comments/{comment_id}/decision"
    answer = api(
        "POST", decide, key="moderator", path={"comment_id": "r1"}, json={"decision": "reject", "moderator": "m1"}, expect=200
    )
    assert answer.get_json()["changed"] is True and answer.get_json()["user"]["strikes"] == 2
    again = api(
        "POST", decide, key="moderator", path={"comment_id": "r1"}, json={"decision": "reject", "moderator": "m1"}, expect=200
    )
    assert again.get_json()["changed"] is False
    body = {"decision": "approve", "moderator": "m2", "categories": None, "note": "fine after all"}
    assert api("POST", decide, key="admin", path={"comment_id": "r1"}, json=body, expect=200).get_json()["previous"] == "reject"
    api(
        "POST",
        decide,
        key="admin",
        path={"comment_id": "x1"},
        json={"decision": "reject", "moderator": "m1", "categories": ["attack"]},
    )
    api("POST", decide, key="site", path={"comment_id": "r1"}, json=body, expect=403)
    api("POST", decide, key="other", path={"comment_id": "r1"}, json=body, expect=404)
    api("POST", decide, key="moderator", path={"comment_id": "nope"}, json=body, expect=404)
    invalid = api(
        "POST",
        decide,
        key="moderator",
        path={"comment_id": "r1"},
        json={"decision": "maybe", "categories": ["abuse", "nonsense"], "moderator": "", "note": 5},
        expect=422,
    )
    assert fields_of(invalid) == {"decision", "categories[1]", "moderator", "note"}
    api("POST", decide, key="moderator", path={"comment_id": "r1"}, data=b"{", expect=400)
    api("POST", decide, key="moderator", path={"comment_id": "r1"}, json={**body, "note": "n" * HUGE}, expect=413)
    api("POST", decide, key=None, path={"comment_id": "r1"}, json=body, expect=401)
    record = api("GET", one, key="moderator", path={"comment_id": "r1"}, expect=200).get_json()
    assert record["state"] == "approved" and record["decision"] == "approve"
    # undo: only the moderator who decided
    undo = "/v1/comments/{comment_id}/undo"
    undone = api("POST", undo, key="admin", path={"comment_id": "r1"}, json={"moderator": "m2"}, expect=200).get_json()
    assert undone["undone"] == "approve" and undone["state"] == "rejected"
    api("POST", undo, key="moderator", path={"comment_id": "r1"}, json={"moderator": "m2"}, expect=409)
    api("POST", undo, key="moderator", path={"comment_id": "nope"}, json={"moderator": "m2"}, expect=404)
    api("POST", undo, key="other", path={"comment_id": "r1"}, json={"moderator": "m2"}, expect=404)
    api("POST", undo, key="site", path={"comment_id": "r1"}, json={"moderator": "m2"}, expect=403)
    assert fields_of(api("POST", undo, key="moderator", path={"comment_id": "r1"}, json={}, expect=422)) == {"moderator"}
    api("POST", undo, key="moderator", path={"comment_id": "r1"}, data=b"{", expect=400)
    api("POST", undo, key="moderator", path={"comment_id": "r1"}, json={"moderator": "m" * HUGE}, expect=413)
    api("POST", undo, key=None, path={"comment_id": "r1"}, json={"moderator": "m2"}, expect=401)


def tour_queue(api: Api) -> None:
    for i in range(3):
        api(
            "POST",
            "/v1/comments",
            key="site",
            json=comment(f"q{i}", REVIEW, f"user{i}", article_id="a1", created_at="2027-01-01T10:00:00+02:00"),
        )
    page = api("GET", "/v1/queue", key="moderator", expect=200).get_json()
    assert page["depth"] >= 3 and len(page["items"]) == page["depth"] and page["items"][0]["lease"] is None
    api("GET", "/v1/queue", key="moderator", query_string={"limit": 1, "category": "attack"}, expect=200)
    invalid = api("GET", "/v1/queue", key="moderator", query_string={"limit": 0, "category": "nope"}, expect=422)
    assert fields_of(invalid) == {"limit", "category"}
    assert fields_of(api("GET", "/v1/queue", key="moderator", query_string={"limit": "ten"}, expect=422)) == {"limit"}
    api("GET", "/v1/queue", key="site", expect=403)
    api("GET", "/v1/queue", key=None, expect=401)
    claim = "/v1/queue/claim"
    claimed = api("POST", claim, key="moderator", json={"moderator": "m1", "limit": 2}, expect=200).get_json()
    assert len(claimed["items"]) == 2 and all(i["lease"]["moderator"] == "m1" for i in claimed["items"])
    assert api("GET", "/v1/queue", key="moderator", expect=200).get_json()["items"][0]["lease"] is not None
    api("POST", claim, key="moderator", json={"moderator": "m2", "limit": None}, expect=200)
    assert fields_of(api("POST", claim, key="moderator", json={"moderator": "", "limit": 0}, expect=422)) == {
        "moderator",
        "limit",
    }
    assert fields_of(api("POST", claim, key="moderator", json={"moderator": "m", "limit": 101}, expect=422)) == {"limit"}
    api("POST", claim, key="moderator", data=b"]", expect=400)
    api("POST", claim, key="moderator", json={"moderator": "m" * HUGE}, expect=413)
    api("POST", claim, key="site", json={"moderator": "m1"}, expect=403)
    api("POST", claim, key=None, json={"moderator": "m1"}, expect=401)
    decide = "/v1/comments/{comment_id}/decision"
    api("POST", decide, key="moderator", path={"comment_id": "q0"}, json={"decision": "reject", "moderator": "m1"}, expect=200)
    api("POST", "/v1/users/{user_id}/ban", key="moderator", path={"user_id": "user1"}, json={"reason": "spam"}, expect=200)
    entries = api("GET", "/v1/audit", key="moderator", expect=200).get_json()["entries"]
    assert [e["type"] for e in entries[:2]] == ["ban", "decision"]
    filtered = api(
        "GET", "/v1/audit", key="admin", query_string={"moderator": "m1", "decision": "reject", "limit": 5}, expect=200
    )
    filtered = filtered.get_json()["entries"]
    assert filtered[0]["comment_id"] == "q0"
    assert all(e["moderator"] == "m1" and e["decision"] == "reject" for e in filtered)
    invalid = api("GET", "/v1/audit", key="moderator", query_string={"limit": 1001, "decision": "shrug"}, expect=422)
    assert fields_of(invalid) == {"limit", "decision"}
    api("GET", "/v1/audit", key="site", expect=403)
    api("GET", "/v1/audit", key=None, expect=401)


def tour_events(api: Api) -> None:
    api("PUT", "/v1/policy", json={"verdict_events": True, "appeal": "https://news.example.org/appeal"}, expect=200)
    for i, text in enumerate((ABUSIVE, ABUSIVE, ABUSIVE, REVIEW)):
        api("POST", "/v1/comments", key="site", json=comment(f"e{i}", text, "fay"), expect=200)
    decide = "/v1/comments/{comment_id}/decision"
    api("POST", decide, key="moderator", path={"comment_id": "e3"}, json={"decision": "reject", "moderator": "m"}, expect=200)
    api("POST", decide, key="moderator", path={"comment_id": "e2"}, json={"decision": "approve", "moderator": "m"}, expect=200)
    api("POST", "/v1/comments/{comment_id}/undo", key="moderator", path={"comment_id": "e2"}, json={"moderator": "m"}, expect=200)
    for action, method, body in (
        ("/v1/users/{user_id}/ban", "POST", {"reason": "x", "duration_s": None}),
        ("/v1/users/{user_id}/ban", "DELETE", None),
        ("/v1/users/{user_id}/strikes/reset", "POST", None),
    ):
        api(method, action, key="moderator", path={"user_id": "fay"}, json=body, expect=200)
    page = api("GET", "/v1/events", key="site", expect=200).get_json()
    assert {e["type"] for e in page["events"]} == {
        "comment.verdict",
        "comment.decided",
        "comment.decision_undone",
        "user.banned",
        "user.unbanned",
        "user.strikes_reset",
    }
    api("GET", "/v1/events", key="admin", query_string={"after": page["cursor"], "types": "user.banned", "limit": 5}, expect=200)
    fields = fields_of(api("GET", "/v1/events", key="site", query_string={"after": "x", "types": "nope", "limit": 0}, expect=422))
    assert fields == {"after", "types", "limit"}
    api("GET", "/v1/events", key="moderator", expect=403)
    api("GET", "/v1/events", key=None, expect=401)
    # a cursor past the retention (the floor is set as trimming sets it)
    store = api.client.application.extensions["moderation"].store
    store.client.set("mod:{s:news}:events:floor", page["events"][0]["id"])
    gone = api("GET", "/v1/events", key="site", query_string={"after": "0-0"}, expect=410).get_json()["error"]
    assert gone["code"] == "cursor_expired" and gone["oldest_cursor"] == page["events"][0]["id"]


def test_event_answers_match_the_document(api):
    tour_events(api)


def tour_webhooks(api: Api) -> None:
    hooks, one, again = "/v1/webhooks", "/v1/webhooks/{endpoint_id}", "/v1/webhooks/{endpoint_id}/redeliver"
    made = api(
        "POST", hooks, json={"url": "https://hooks.example.org/moderation", "types": ["user.banned"]}, expect=201
    ).get_json()
    assert made["secret"].startswith("whsec_")
    path = {"endpoint_id": made["id"]}
    assert [w["id"] for w in api("GET", hooks, expect=200).get_json()["webhooks"]] == [made["id"]]
    api("GET", one, path=path, expect=200)
    api("GET", one, path={"endpoint_id": "wh_nope"}, expect=404)
    api("PATCH", one, path=path, json={"enabled": False, "types": None, "description": "off for now"}, expect=200)
    api("PATCH", one, path={"endpoint_id": "wh_nope"}, json={"enabled": True}, expect=404)
    assert fields_of(api("PATCH", one, path=path, json={"enabled": "yes", "url": "http://10.1.2.3/"}, expect=422)) == {
        "enabled",
        "url",
    }
    api("PATCH", one, path=path, data=b"{", headers={"Content-Type": "application/json"}, expect=400)
    api("PATCH", one, path=path, json={"description": "d" * HUGE}, expect=413)
    assert fields_of(api("POST", hooks, json={"url": "http://127.0.0.1/x"}, expect=422)) == {"url"}
    api("POST", hooks, data=b"{", headers={"Content-Type": "application/json"}, expect=400)
    api("POST", hooks, json={"url": "https://x.example.org/" + "p" * HUGE}, expect=413)
    api("POST", hooks, key="site", json={"url": "https://hooks.example.org/x"}, expect=403)
    api("POST", hooks, key=None, json={"url": "https://hooks.example.org/x"}, expect=401)
    api("GET", hooks, key="moderator", expect=403)
    api("GET", hooks, key=None, expect=401)
    for method in ("GET", "DELETE"):
        api(method, one, key="site", path=path, expect=403)
        api(method, one, key=None, path=path, expect=401)
    api("PATCH", one, key="site", path=path, json={}, expect=403)
    api("PATCH", one, key=None, path=path, json={}, expect=401)
    api("POST", "/v1/users/{user_id}/ban", key="moderator", path={"user_id": "gus"}, json={"reason": "x"}, expect=200)
    [event] = api("GET", "/v1/events", key="site", query_string={"types": "user.banned"}, expect=200).get_json()["events"][-1:]
    assert api("POST", again, path=path, json={"event_id": event["id"]}, expect=202).get_json()["queued"] is True
    api("POST", again, path=path, json={"event_id": "1-0"}, expect=404)
    api("POST", again, path={"endpoint_id": "wh_nope"}, json={"event_id": event["id"]}, expect=404)
    assert fields_of(api("POST", again, path=path, json={"event_id": "soon"}, expect=422)) == {"event_id"}
    api("POST", again, path=path, data=b"{", headers={"Content-Type": "application/json"}, expect=400)
    api("POST", again, path=path, json={"event_id": "1-" + "0" * HUGE}, expect=413)
    api("POST", again, key="site", path=path, json={"event_id": event["id"]}, expect=403)
    api("POST", again, key=None, path=path, json={"event_id": event["id"]}, expect=401)
    api("DELETE", one, path=path, expect=204)
    api("DELETE", one, path=path, expect=404)


def test_webhook_answers_match_the_document(api):
    tour_webhooks(api)


def tour_users(api: Api) -> None:
    for i, text in enumerate((ABUSIVE, ABUSIVE, REVIEW, CLEAN)):
        api("POST", "/v1/comments", key="site", json=comment(f"u{i}", text, "dave"), expect=200)
    user = "/v1/users/{user_id}"
    view = api("GET", user, key="moderator", path={"user_id": "dave"}, expect=200).get_json()
    assert view["strikes"] == 2 and len(view["active_strikes"]) == 2 and len(view["comments"]) == 4
    api("GET", user, key="moderator", path={"user_id": "nobody"}, expect=200)
    assert fields_of(api("GET", user, key="moderator", path={"user_id": "a\x01b"}, expect=422)) == {"user_id"}
    api("GET", user, key="moderator", path={"user_id": "u" * 201}, expect=422)
    api("GET", user, key="site", path={"user_id": "dave"}, expect=403)
    api("GET", user, key=None, path={"user_id": "dave"}, expect=401)
    ban = "/v1/users/{user_id}/ban"
    banned = api("POST", ban, key="moderator", path={"user_id": "dave"}, json={"duration_s": 3600, "reason": "abuse"}, expect=200)
    assert banned.get_json()["banned"] is True and banned.get_json()["banned_until"] is not None
    view = api("GET", user, key="moderator", path={"user_id": "dave"}, expect=200).get_json()
    assert view["ban"]["automatic"] is False and view["history"][0]["type"] == "ban"
    rejected = api("POST", "/v1/comments", key="site", json=comment("u9", CLEAN, "dave"), expect=200).get_json()
    assert rejected["verdict"] == "reject" and rejected["reasons"][0] == "user_banned"
    forever = api(
        "POST", ban, key="admin", path={"user_id": "erin"}, json={"reason": "x", "duration_s": None, "moderator": "m"}, expect=200
    )
    assert forever.get_json()["banned_until"] is None
    invalid = api(
        "POST", ban, key="moderator", path={"user_id": "dave"}, json={"duration_s": 0, "reason": 5, "moderator": ""}, expect=422
    )
    assert fields_of(invalid) == {"duration_s", "reason", "moderator"}
    assert fields_of(api("POST", ban, key="moderator", path={"user_id": "dave"}, json={}, expect=422)) == {"reason"}
    api("POST", ban, key="moderator", path={"user_id": "dave"}, data=b"reason=x", expect=400)
    api("POST", ban, key="moderator", path={"user_id": "dave"}, json={"reason": "r" * HUGE}, expect=413)
    api("POST", ban, key="site", path={"user_id": "dave"}, json={"reason": "x"}, expect=403)
    api("POST", ban, key=None, path={"user_id": "dave"}, json={"reason": "x"}, expect=401)
    for action, method in (("/v1/users/{user_id}/ban", "DELETE"), ("/v1/users/{user_id}/strikes/reset", "POST")):
        api(method, action, key="moderator", path={"user_id": "dave"}, expect=200)
        api(method, action, key="moderator", path={"user_id": "dave"}, json={"reason": "appeal", "moderator": "m3"}, expect=200)
        api(method, action, key="moderator", path={"user_id": "dave"}, json={"reason": None, "moderator": None}, expect=200)
        assert fields_of(
            api(method, action, key="moderator", path={"user_id": "dave"}, json={"reason": 1, "moderator": ""}, expect=422)
        ) == {
            "reason",
            "moderator",
        }
        api(method, action, key="moderator", path={"user_id": "dave"}, json=[], expect=422)
        api(method, action, key="moderator", path={"user_id": "a\x7f"}, expect=422)
        api(method, action, key="moderator", path={"user_id": "dave"}, data=b"\x00", expect=400)
        api(method, action, key="moderator", path={"user_id": "dave"}, json={"reason": "r" * HUGE}, expect=413)
        api(method, action, key="site", path={"user_id": "dave"}, expect=403)
        api(method, action, key=None, path={"user_id": "dave"}, expect=401)
    view = api("GET", user, key="moderator", path={"user_id": "dave"}, expect=200).get_json()
    assert view["strikes"] == 0 and view["banned"] is False and view["ban"] is None


def tour_admin(api: Api) -> None:
    listed = api("GET", "/v1/keys", expect=200).get_json()["keys"]
    assert sorted(k["role"] for k in listed) == ["admin", "moderator", "site"]
    api("GET", "/v1/keys", key="moderator", expect=403)
    api("GET", "/v1/keys", key=None, expect=401)
    made = api("POST", "/v1/keys", json={"role": "site", "name": "widget"}, expect=201).get_json()
    assert made["site"] == "news"
    api("POST", "/v1/keys", json={"role": "moderator", "name": None}, expect=201)
    assert fields_of(api("POST", "/v1/keys", json={"role": "root", "name": 5}, expect=422)) == {"role", "name"}
    api("POST", "/v1/keys", data=b"{'role': 'site'}", expect=400)
    api("POST", "/v1/keys", json={"role": "site", "name": "n" * HUGE}, expect=413)
    api("POST", "/v1/keys", key="moderator", json={"role": "site"}, expect=403)
    api("POST", "/v1/keys", key=None, json={"role": "site"}, expect=401)
    revoke = "/v1/keys/{key_id}"
    limited = {"per_s": 2.5, "burst": 10}
    answer = api("PATCH", revoke, path={"key_id": made["id"]}, json={"rate_limit": limited}, expect=200).get_json()
    assert answer["id"] == made["id"] and answer["rate_limit"] == limited
    listed = api("GET", "/v1/keys", expect=200).get_json()["keys"]
    assert [k["rate_limit"] for k in listed if k["id"] == made["id"]] == [limited]
    cleared = api("PATCH", revoke, path={"key_id": made["id"]}, json={"rate_limit": None}, expect=200).get_json()
    assert cleared["rate_limit"] is None
    for bad, fields in (
        ({}, {"rate_limit"}),
        ({"rate_limit": {"per_s": 0, "burst": 1}}, {"rate_limit.per_s"}),
        ({"rate_limit": {"per_s": 1}}, {"rate_limit.burst"}),
        ({"rate_limit": 5}, {"rate_limit"}),
    ):
        assert fields_of(api("PATCH", revoke, path={"key_id": made["id"]}, json=bad, expect=422)) == fields
    api("PATCH", revoke, path={"key_id": made["id"]}, data=b"{", expect=400)
    api("PATCH", revoke, path={"key_id": made["id"]}, json={"rate_limit": None, "x": "x" * HUGE}, expect=413)
    api("PATCH", revoke, key="other", path={"key_id": made["id"]}, json={"rate_limit": None}, expect=404)
    api("PATCH", revoke, key="moderator", path={"key_id": made["id"]}, json={"rate_limit": None}, expect=403)
    api("PATCH", revoke, key=None, path={"key_id": made["id"]}, json={"rate_limit": None}, expect=401)
    own = api("POST", "/v1/keys", json={"role": "site", "rate_limit": {"per_s": 1, "burst": 2}}, expect=201).get_json()
    assert own["rate_limit"] == {"per_s": 1.0, "burst": 2}
    api("DELETE", revoke, path={"key_id": own["id"]}, expect=200)
    api("DELETE", revoke, key="moderator", path={"key_id": made["id"]}, expect=403)
    api("DELETE", revoke, key="other", path={"key_id": made["id"]}, expect=404)
    assert api("DELETE", revoke, path={"key_id": made["id"]}, expect=200).get_json() == {"revoked": made["id"]}
    api("DELETE", revoke, path={"key_id": made["id"]}, expect=404)
    api("DELETE", revoke, path={"key_id": "short"}, expect=404)
    api("DELETE", revoke, key=None, path={"key_id": made["id"]}, expect=401)
    api("POST", "/v1/score", key=made["key"], json={"text": "hi"}, expect=401)
    # policy
    policy = api("GET", "/v1/policy", expect=200).get_json()
    api("GET", "/v1/policy", key="moderator", expect=403)
    api("GET", "/v1/policy", key=None, expect=401)
    changed = api("PUT", "/v1/policy", json={"weights": {"abuse": 2}, "allowed_domains": ["Example.org"]}, expect=200).get_json()
    assert changed["weights"]["abuse"] == 2 and changed["allowed_domains"] == ["example.org"]
    assert changed["ban_steps"] == policy["ban_steps"]
    api("PUT", "/v1/policy", json={}, expect=200)
    for bad, fields in (
        ({"unknown": 1}, {"unknown"}),
        ([], {"(body)"}),
        ({"ban_steps": [[3, 1], [2, 1]]}, {"ban_steps[1][0]"}),
        ({"strike_ttl_s": 0}, {"strike_ttl_s"}),
        ({"weights": {"abuse": -1}}, {"weights.abuse"}),
        (  # every problem at once, each with its path
            {
                "weights": {"abuse": "x", "spam": 1},
                "strike_ttl_s": "no",
                "ban_steps": [[1, "a"], 5],
                "allowed_domains": ["ok.org", ""],
                "thresholds": {"attack": {"review": 0.9, "reject": 0.5}, "abuse": {"reject": 7}},
                "rate_limit": {"per_s": 0, "burst": 1.5},
                "colour": "red",
            },
            {
                "weights.abuse",
                "weights.spam",
                "strike_ttl_s",
                "ban_steps[0][1]",
                "ban_steps[1]",
                "allowed_domains[1]",
                "thresholds.attack.review",
                "thresholds.abuse.reject",
                "rate_limit.per_s",
                "rate_limit.burst",
                "colour",
            },
        ),
    ):
        assert fields_of(api("PUT", "/v1/policy", json=bad, expect=422)) == fields
    assert api("GET", "/v1/policy", expect=200).get_json() == {
        **policy,
        "weights": {**policy["weights"], "abuse": 2},
        "allowed_domains": ["example.org"],
    }
    api("PUT", "/v1/policy", data=b"{]", expect=400)
    api("PUT", "/v1/policy", json={"allowed_domains": ["d" * HUGE]}, expect=413)
    api("PUT", "/v1/policy", key="moderator", json={}, expect=403)
    api("PUT", "/v1/policy", key=None, json={}, expect=401)
    # labels
    api("POST", "/v1/comments", key="site", json=comment("l1", REVIEW), expect=200)
    api(
        "POST",
        "/v1/comments/{comment_id}/decision",
        path={"comment_id": "l1"},
        json={"decision": "reject", "moderator": "m"},
        expect=200,
    )
    labels = api("GET", "/v1/labels", expect=200)
    rows = [json.loads(line) for line in labels.get_data(as_text=True).splitlines()]
    assert rows
    for row in rows:
        assert errors_of({"$ref": "#/components/schemas/LabelRow"}, row) == []
    api("GET", "/v1/labels", key="moderator", expect=403)
    api("GET", "/v1/labels", key=None, expect=401)


def tour_rules(api: Api) -> None:
    path = "/v1/rules"
    assert api("GET", path, expect=200).get_json() == {"entries": [], "count": 0, "version": 0}
    entries = [
        {"pattern": "Grimbleshank", "severity": "block", "category": "attack", "note": "the troll's nickname"},
        {"pattern": "scunthorpe", "severity": "allow"},
        {"pattern": "spam-shop.biz", "severity": "review"},
    ]
    assert api("PUT", path, json={"entries": entries, "moderator": "ana"}, expect=200).get_json() == {"version": 1, "entries": 3}
    listed = api("GET", path, query_string={"q": "troll"}, expect=200).get_json()
    assert [(e["pattern"], e["category"], e["added_by"]) for e in listed["entries"]] == [("grimbleshank", "attack", "ana")]
    assert api("GET", path, query_string={"severity": "allow"}, expect=200).get_json()["count"] == 1
    text = api("GET", path, query_string={"format": "text"}, expect=200).get_data(as_text=True)
    assert "block:attack grimbleshank  # the troll's nickname" in text.splitlines()
    csv_text = api("GET", path, query_string={"format": "csv"}, expect=200).get_data(as_text=True)
    assert csv_text.startswith("pattern,severity,category,note,added_by,added_at")
    api("GET", path, query_string={"format": "xml"}, expect=422)
    changed = api(
        "PATCH", path, json={"add": [{"pattern": "plonker", "severity": "review"}], "remove": ["scunthorpe"]}, expect=200
    )
    assert changed.get_json() == {"version": 2, "entries": 3}
    bad = [
        {"pattern": "", "severity": "block"},
        {"pattern": "ok", "severity": "never"},
        {"pattern": "wo*rd", "severity": "block"},
    ]
    assert fields_of(api("PATCH", path, json={"add": bad}, expect=422)) == {"add[0].pattern", "add[1].severity", "add[2].pattern"}
    assert fields_of(api("PUT", path, json={"entries": bad[:1] + [{"pattern": "x" * 201, "severity": "block"}]}, expect=422)) == {
        "entries[0].pattern",
        "entries[1].pattern",
    }
    assert api("GET", path, expect=200).get_json()["version"] == 2  # nothing of a bad change was applied
    api("PUT", path, data="block fine\nnonsense line\n", content_type="text/plain", expect=422)
    imported = api("PUT", path, data="pattern,severity\nmuppet,review\n", content_type="text/csv", expect=200).get_json()
    assert imported["entries"] == 1
    api("PUT", path, data=b"{]", content_type="application/json", expect=400)
    api("PUT", path, json={"entries": [{"pattern": "w", "severity": "block", "note": "n" * HUGE * 80}]}, expect=413)
    api("PATCH", path, data=b"{", content_type="application/json", expect=400)
    api("PATCH", path, json={"add": [{"pattern": "w", "severity": "block", "note": "n" * HUGE * 80}]}, expect=413)
    assert api("DELETE", path, query_string={"pattern": "muppet"}, expect=200).get_json()["entries"] == 0
    api("DELETE", path, query_string={"pattern": ""}, expect=422)
    assert api("DELETE", path, expect=200).get_json() == {"version": 5, "entries": 0}
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        api(method, path, key="moderator", json={}, expect=403)
        api(method, path, key=None, json={}, expect=401)
    audit = api("GET", "/v1/audit", key="moderator", query_string={"decision": "rules"}, expect=200).get_json()["entries"]
    assert len(audit) == 5 and audit[-1]["change"] == (
        "replaced the lists: 1 allow (scunthorpe), 1 block (grimbleshank), 1 review (spam-shop.biz)"
    )


def tour_health(api: Api) -> None:
    assert api("GET", "/healthz", key=None, expect=200).get_json() == {"status": "ok"}
    assert api("GET", "/readyz", key=None, expect=200).get_json()["redis"] == "ok"
    assert b"moderation_requests" in api("GET", "/metrics", key=None, expect=200).get_data()
    api("GET", "/v1/openapi.json", key=None, expect=200)


def tour_models(api: Api) -> None:
    info = api("GET", "/v1/model", key="site", expect=200).get_json()
    assert info["version"] == info["card"]["version"] and info["shadow"] is None
    api("GET", "/v1/model", key=None, expect=401)
    shadow = api("GET", "/v1/shadow", key="moderator", expect=200).get_json()
    assert shadow["shadow"] is None and shadow["disagreements"] == []
    api("GET", "/v1/shadow", key=None, expect=401)
    api("GET", "/v1/shadow", key="site", expect=403)
    api("GET", "/v1/shadow", query_string={"limit": "0"}, expect=422)


def tour_integrations(api: Api) -> None:
    path = "/v1/integrations/coral"
    assert api("GET", path, expect=200).get_json()["configured"] is False
    secret = "empsec_" + "ab" * 32
    stored = api("PUT", path, json={"secrets": [secret], "format": "PLAIN_TEXT"}, expect=200).get_json()
    assert stored["configured"] is True and secret not in json.dumps(stored)
    api("PUT", path, json={"secrets": []}, expect=422)
    api("PUT", path, data=b"{]", expect=400)
    api("PUT", path, json={"secrets": ["s" * HUGE]}, expect=413)
    api("GET", path, key=None, expect=401)
    api("GET", path, key="moderator", expect=403)
    api("PUT", path, key="site", json={"secrets": [secret]}, expect=403)
    api("DELETE", path, key="moderator", expect=403)
    api("PUT", path, key=None, json={"secrets": [secret]}, expect=401)
    api("DELETE", path, key=None, expect=401)
    assert api("DELETE", path, expect=200).get_json()["configured"] is False


def tour_outage(api: Api) -> None:
    """Redis is down; the admin key is cached, the others are not."""
    answer = api("POST", "/v1/comments", json=comment("o1"), expect=200).get_json()
    assert answer["store"] == "unavailable" and answer["user"] is None
    results = api("POST", "/v1/comments/batch", json={"comments": [comment("o2")]}, expect=200).get_json()["results"]
    assert results[0]["result"]["store"] == "unavailable"
    api("POST", "/v1/score", json={"text": CLEAN}, expect=200)
    api("GET", "/v1/policy", expect=200)
    down = [
        ("GET", "/v1/comments/{comment_id}", {"comment_id": "o1"}, None),
        ("POST", "/v1/comments/{comment_id}/decision", {"comment_id": "o1"}, {"decision": "approve", "moderator": "m"}),
        ("POST", "/v1/comments/{comment_id}/undo", {"comment_id": "o1"}, {"moderator": "m"}),
        ("GET", "/v1/queue", None, None),
        ("POST", "/v1/queue/claim", None, {"moderator": "m"}),
        ("GET", "/v1/audit", None, None),
        ("GET", "/v1/users/{user_id}", {"user_id": "u"}, None),
        ("POST", "/v1/users/{user_id}/ban", {"user_id": "u"}, {"reason": "x"}),
        ("DELETE", "/v1/users/{user_id}/ban", {"user_id": "u"}, None),
        ("POST", "/v1/users/{user_id}/strikes/reset", {"user_id": "u"}, None),
        ("GET", "/v1/events", None, None),
        ("GET", "/v1/webhooks", None, None),
        ("POST", "/v1/webhooks", None, {"url": "https://hooks.example.org/x"}),
        ("GET", "/v1/webhooks/{endpoint_id}", {"endpoint_id": "wh_x"}, None),
        ("PATCH", "/v1/webhooks/{endpoint_id}", {"endpoint_id": "wh_x"}, {"enabled": True}),
        ("DELETE", "/v1/webhooks/{endpoint_id}", {"endpoint_id": "wh_x"}, None),
        ("POST", "/v1/webhooks/{endpoint_id}/redeliver", {"endpoint_id": "wh_x"}, {"event_id": "1-0"}),
        ("GET", "/v1/keys", None, None),
        ("POST", "/v1/keys", None, {"role": "site"}),
        ("DELETE", "/v1/keys/{key_id}", {"key_id": "0123456789abcdef"}, None),
        ("PATCH", "/v1/keys/{key_id}", {"key_id": "0123456789abcdef"}, {"rate_limit": None}),
        ("PUT", "/v1/policy", None, {"strike_ttl_s": 60}),
        ("GET", "/v1/labels", None, None),
        ("GET", "/v1/shadow", None, None),
        ("GET", "/v1/integrations/coral", None, None),
        ("PUT", "/v1/integrations/coral", None, {"secrets": ["empsec_" + "cd" * 32]}),
        ("DELETE", "/v1/integrations/coral", None, None),
        ("GET", "/v1/rules", None, None),
        ("PUT", "/v1/rules", None, {"entries": []}),
        ("PATCH", "/v1/rules", None, {"remove": ["x"]}),
        ("DELETE", "/v1/rules", None, None),
    ]
    for method, template, path, body in down:
        response = api(method, template, path=path, json=body, expect=503)
        assert response.get_json()["error"]["code"] == "store_unavailable"
        assert response.headers["Retry-After"] == "5"
    # A key the process has not seen yet cannot be checked: 503, not 401.
    api("POST", "/v1/score", key="site", json={"text": CLEAN}, expect=503)
    api("GET", "/v1/model", key="site", expect=503)
    api("POST", "/v1/comments", key="site", json=comment("o3"), expect=503)
    api("POST", "/v1/comments/batch", key="site", json={"comments": []}, expect=503)
    api("GET", "/v1/policy", key="other", expect=503)
    ready = api("GET", "/readyz", key=None, expect=503).get_json()
    assert ready["status"] == "unavailable" and ready["redis"] == "unavailable"
    api("GET", "/healthz", key=None, expect=200)
    api("GET", "/metrics", key=None, expect=200)


def test_comment_answers_match_the_document(api):
    tour_comments(api)


def test_queue_and_audit_answers_match_the_document(api):
    tour_queue(api)


def test_user_answers_match_the_document(api):
    tour_users(api)


def test_admin_answers_match_the_document(api):
    tour_admin(api)


def test_rules_answers_match_the_document(api):
    tour_rules(api)


def test_health_answers_match_the_document(api):
    tour_health(api)


def test_model_answers_match_the_document(api):
    tour_models(api)


def test_integration_answers_match_the_document(api):
    tour_integrations(api)


def test_answers_while_redis_is_down_match_the_document(broken_api):
    tour_outage(broken_api)


def test_roles_are_as_documented(api):
    """Each role's key gets 403 exactly on the operations whose x-roles leave it out."""
    for method, template, op in operations():
        if not op["security"]:
            continue
        path = {name: "x" for name in re.findall(r"{([^{}]+)}", template)}
        for role in ROLES:
            response = api(method, template, key=role, path=path, json={})
            assert (response.status_code == 403) == (role not in op["x-roles"]), (
                f"{role} {method} {template}: {response.status_code}"
            )


def test_unknown_routes_and_methods_answer_the_error_shape(client, keys):
    for method, path, status in (("GET", "/v1/nope", 404), ("PUT", "/v1/comments", 405), ("GET", "/v1/score", 405)):
        response = client.open(path, method=method, headers=auth(keys["admin"]))
        assert response.status_code == status
        assert errors_of({"$ref": "#/components/schemas/Error"}, response.get_json()) == []


def tour_rate_limits(api: Api) -> None:
    """A key whose own limit is one request and then one a thousand seconds: every operation then answers 429."""
    store = api.client.application.extensions["moderation"].store
    key = store.apikeys.create("news", "admin", "limited", 0, RateLimit(0.001, 1))[0]
    api("GET", "/v1/policy", key=key, expect=200)  # the one token
    for method, template, op in operations():
        if "x-permission" not in op:
            continue
        path = {name: "x" for name in re.findall(r"{(\w+)}", template)}
        response = api(method, template, key=key, path=path, expect=429)
        assert response.get_json()["error"]["code"] == "rate_limited"
        assert 990 <= int(response.headers["Retry-After"]) <= 1000


def test_rate_limited_answers_match_the_document(api):
    tour_rate_limits(api)


def test_every_documented_answer_is_exercised(api, broken_api):
    """The tours above reach every (operation, status) the document declares, and nothing else."""
    for tour in (
        tour_comments,
        tour_queue,
        tour_users,
        tour_events,
        tour_webhooks,
        tour_admin,
        tour_rules,
        tour_health,
        tour_models,
        tour_integrations,
        tour_rate_limits,
    ):
        tour(api)
    tour_outage(broken_api)
    documented = {(m, t, int(s)) for m, t, op in operations() for s in op["responses"]}
    assert documented - (api.seen | broken_api.seen) == set()


# -- (d) the drop-ins answer as documented ----------------------------------------------------------------------

PERSPECTIVE = "/v1alpha1/comments:analyze"
CORAL = "/coral/{site}/moderate"
CORAL_SECRET = "empsec_" + "3f7a" * 17
AKISMET = ("verify-key", "comment-check", "submit-spam", "submit-ham")


def analyze(text: str = CLEAN, **extra) -> dict:
    return {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}, **extra}


def coral_request(text: str = CLEAN, author: str = "coral-user", **changes) -> dict:
    body = {
        "action": "NEW",
        "comment": {"body": text, "parentID": None},
        "author": {"id": author, "role": "COMMENTER"},
        "story": {"id": "story-1", "url": "https://news.example.org/story-1"},
        "site": {"id": "site-1"},
        "tenantID": "tenant-1",
        "tenantDomain": "news.example.org",
    }
    body.update(changes)
    return body


def signed(raw: bytes, secret: str = CORAL_SECRET) -> dict:
    return {"X-Coral-Signature": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()}


def coral(api: Api, body, *, site: str = "news", expect: int, secret: str | None = CORAL_SECRET, raw: bytes | None = None):
    raw = raw if raw is not None else json.dumps(body, indent=2).encode()
    headers = {"Content-Type": "application/json", **(signed(raw, secret) if secret else {})}
    return api("POST", CORAL, key=None, path={"site": site}, headers=headers, data=raw, expect=expect)


def akismet(api: Api, endpoint: str, form: dict, expect: int = 200):
    return api("POST", f"/akismet/1.1/{endpoint}", key=None, data=form, expect=expect)


def akismet_form(key: str, text: str = CLEAN, **extra) -> dict:
    return {"api_key": key, "blog": "https://news.example.org", "user_ip": "203.0.113.7", "comment_content": text, **extra}


def tour_drop_ins(api: Api) -> None:
    site_key = api.keys["site"]
    # Perspective: the key as Perspective sends it, or as this API's own header; Google's errors.
    answer = api("POST", PERSPECTIVE, key=None, query_string={"key": site_key}, json=analyze(ABUSIVE), expect=200)
    assert answer.get_json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"] > 0.5
    api("POST", PERSPECTIVE, key="moderator", json=analyze(spanAnnotations=True, clientToken="t-1"), expect=200)
    assert api("POST", PERSPECTIVE, key="site", json=analyze(""), expect=400).get_json()["error"]["status"] == "INVALID_ARGUMENT"
    api("POST", PERSPECTIVE, key="mk_not-a-key", json=analyze(), expect=400)
    api("POST", PERSPECTIVE, key="site", data=b"{", expect=400)
    api("POST", PERSPECTIVE, key="site", json=analyze("z" * HUGE), expect=400)
    assert api("POST", PERSPECTIVE, key=None, json=analyze(), expect=403).get_json()["error"]["status"] == "PERMISSION_DENIED"
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        assert api(method, PERSPECTIVE, key="site", expect=404).headers["Allow"] == "POST"
    document = api("GET", "/$discovery/rest", key=None, query_string={"version": "v1alpha1"}, expect=200).get_json()
    assert set(document["resources"]["comments"]["methods"]) == {"analyze", "suggestscore"}
    api("GET", "/$discovery/rest", key=None, query_string={"version": "v9"}, expect=404)
    # Coral: the site's secret first (our own API), then signed requests as Coral sends them.
    api("PUT", "/v1/integrations/coral", json={"secrets": [CORAL_SECRET]}, expect=200)
    assert coral(api, coral_request(ABUSIVE), expect=200).get_json()["status"] == "REJECTED"
    assert coral(api, coral_request(CLEAN), expect=204).headers["X-Moderation-Verdict"] == "approve"
    coral(api, None, raw=b"{not json", expect=400)
    coral(api, coral_request(), secret=None, expect=401)
    coral(api, coral_request(), secret="empsec_" + "00" * 32, expect=401)
    coral(api, coral_request(), site="nosuch", expect=404)
    coral(api, coral_request("w" * HUGE), expect=413)
    invalid = coral(api, coral_request(comment={"body": 5}, author={}), expect=422)
    assert fields_of(invalid) == {"comment.body", "author.id"}
    # Akismet: form fields, plain-text answers (problems too, as Akismet answers them).
    assert akismet(api, "verify-key", {"key": site_key, "blog": "https://news.example.org"}).get_data() == b"valid"
    assert akismet(api, "verify-key", {"api_key": "mk_nope", "blog": "x"}).get_data() == b"invalid"
    assert akismet(api, "comment-check", akismet_form(site_key, "Make $500 a day from home!!! Visit www.easy-cash-now.biz today"))
    assert akismet(api, "comment-check", akismet_form(site_key)).get_data() == b"false"
    assert akismet(api, "comment-check", akismet_form(site_key, user_ip="")).get_data().startswith(b"Missing required field")
    assert akismet(api, "submit-spam", akismet_form(site_key, is_test="1")).get_data().startswith(b"Thanks")
    assert akismet(api, "submit-ham", akismet_form(site_key, comment_id="a\x01")).get_data() == b"Invalid field: comment_id."
    for endpoint in AKISMET:
        akismet(api, endpoint, akismet_form(site_key, "v" * HUGE), expect=413)


SUGGEST = "/v1alpha1/comments:suggestscore"


def suggestion(text: str = ABUSIVE, **scores: float) -> dict:
    return {
        "comment": {"text": text},
        "attributeScores": {name: {"summaryScore": {"value": v}} for name, v in (scores or {"INSULT": 0.9}).items()},
    }


def tour_suggest(api: Api) -> None:
    site_key = api.keys["site"]
    answer = api(
        "POST", SUGGEST, key=None, query_string={"key": site_key}, json={**suggestion(), "clientToken": "t1"}, expect=200
    )
    assert answer.get_json() == {"detectedLanguages": ["en"], "clientToken": "t1"}
    assert answer.headers["X-Moderation-Label"].startswith("perspective:")
    api("POST", SUGGEST, key=None, query_string={"key": site_key}, json={"comment": {"text": "hi"}}, expect=400)
    api("POST", SUGGEST, key=None, json=suggestion(), expect=403)


def tour_drop_ins_outage(api: Api) -> None:
    """Redis is down; the admin key is cached, the site key and the site's Coral secrets are not."""
    api("POST", SUGGEST, key="site", json=suggestion(), expect=503)
    api("POST", SUGGEST, key="admin", json=suggestion(), expect=503)  # the key is known; the label cannot be stored
    unavailable = api("POST", PERSPECTIVE, key="site", json=analyze(), expect=503)
    assert unavailable.get_json()["error"]["status"] == "UNAVAILABLE"
    api("POST", PERSPECTIVE, key="admin", json=analyze(), expect=200)  # scoring needs no store
    assert coral(api, coral_request(), expect=503).get_json()["error"]["code"] == "store_unavailable"
    for endpoint in AKISMET:
        akismet(api, endpoint, akismet_form(api.keys["site"]), expect=503)


def tour_drop_ins_limited(api: Api) -> None:
    """The site's policy allows one request per key (and one for its Coral) per thousand seconds."""
    api("PUT", "/v1/integrations/coral", json={"secrets": [CORAL_SECRET]}, expect=200)
    api("PUT", "/v1/policy", json={"rate_limit": {"per_s": 0.001, "burst": 1}}, expect=200)
    store = api.client.application.extensions["moderation"].store
    key = store.apikeys.create("news", "site", "limited", 0)[0]
    api("POST", PERSPECTIVE, key=key, json=analyze(), expect=200)
    limited = api("POST", PERSPECTIVE, key=key, json=analyze(), expect=429).get_json()["error"]
    api("POST", SUGGEST, key=key, json=suggestion(), expect=429)
    assert limited["status"] == "RESOURCE_EXHAUSTED" and limited["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    for endpoint in ("comment-check", "submit-spam", "submit-ham"):
        akismet(api, endpoint, akismet_form(key), expect=429)
    assert akismet(api, "verify-key", {"key": key, "blog": "https://news.example.org"}).get_data() == b"valid"
    coral(api, coral_request("first"), expect=204)
    assert coral(api, coral_request("second"), expect=429).get_json()["error"]["code"] == "rate_limited"
    api("PUT", "/v1/policy", json={"rate_limit": None}, expect=200)


def test_drop_in_answers_match_the_document(api, broken_api):
    """Each drop-in operation's every documented answer is reached, and each matches the document."""
    tour_drop_ins(api)
    tour_suggest(api)
    tour_drop_ins_limited(api)
    tour_drop_ins_outage(broken_api)
    documented = {(m, t, int(s)) for m, t, op in drop_in_operations() for s in op["responses"]}
    assert documented - (api.seen | broken_api.seen) == set()


# -- (e) what a request schema accepts is what the server accepts -------------------------------------------------

COMMENT_OK = {"id": "k1", "user_id": "u1", "text": CLEAN}
# (method, template, path, body, the server accepts it): each body is sent, and checked against the documented schema.
REQUESTS = [
    ("POST", "/v1/comments", None, COMMENT_OK, True),
    ("POST", "/v1/comments", None, {**COMMENT_OK, "id": "k2", "created_at": 1800000000, "article_id": None, "x": [1]}, True),
    ("POST", "/v1/comments", None, {**COMMENT_OK, "id": "k3", "author_name": "Ann", "created_at": "2027-01-15"}, True),
    ("POST", "/v1/comments", None, {**COMMENT_OK, "id": ""}, False),
    ("POST", "/v1/comments", None, {**COMMENT_OK, "id": "a\x00b"}, False),
    ("POST", "/v1/comments", None, {**COMMENT_OK, "user_id": "u" * 201}, False),
    ("POST", "/v1/comments", None, {**COMMENT_OK, "text": "   "}, False),
    ("POST", "/v1/comments", None, {**COMMENT_OK, "text": "t" * 10_001}, False),
    ("POST", "/v1/comments", None, {**COMMENT_OK, "author_name": "a" * 201}, False),
    ("POST", "/v1/comments", None, {**COMMENT_OK, "created_at": True}, False),
    ("POST", "/v1/comments", None, {"id": "k4", "text": CLEAN}, False),
    ("POST", "/v1/comments", None, [COMMENT_OK], False),
    ("POST", "/v1/comments/batch", None, {"comments": [COMMENT_OK]}, True),
    ("POST", "/v1/comments/batch", None, {"comments": [COMMENT_OK] * 101}, False),
    ("POST", "/v1/comments/batch", None, {"comments": {"0": COMMENT_OK}}, False),
    ("POST", "/v1/score", None, {"text": CLEAN}, True),
    ("POST", "/v1/score", None, {"text": 5}, False),
    ("POST", "/v1/comments/{comment_id}/decision", {"comment_id": "k1"}, {"decision": "reject", "moderator": "m"}, True),
    (
        "POST",
        "/v1/comments/{comment_id}/decision",
        {"comment_id": "k1"},
        {"decision": "approve", "moderator": "m", "categories": None, "note": None},
        True,
    ),
    ("POST", "/v1/comments/{comment_id}/decision", {"comment_id": "k1"}, {"decision": "maybe", "moderator": "m"}, False),
    (
        "POST",
        "/v1/comments/{comment_id}/decision",
        {"comment_id": "k1"},
        {"decision": "reject", "moderator": "m", "categories": ["abuse", "abuse", "attack", "promotion"]},
        False,
    ),
    (
        "POST",
        "/v1/comments/{comment_id}/decision",
        {"comment_id": "k1"},
        {"decision": "reject", "moderator": "m", "note": 1},
        False,
    ),
    ("POST", "/v1/comments/{comment_id}/undo", {"comment_id": "k1"}, {"moderator": 7.5}, False),
    ("POST", "/v1/queue/claim", None, {"moderator": "m", "limit": 5}, True),
    ("POST", "/v1/queue/claim", None, {"moderator": "m", "limit": "5"}, False),
    ("POST", "/v1/queue/claim", None, {"moderator": "m", "limit": 0}, False),
    ("POST", "/v1/users/{user_id}/ban", {"user_id": "u9"}, {"reason": "spam", "duration_s": 60, "moderator": None}, True),
    ("POST", "/v1/users/{user_id}/ban", {"user_id": "u9"}, {"reason": "spam", "duration_s": 10 * 365 * 86400 + 1}, False),
    ("POST", "/v1/users/{user_id}/ban", {"user_id": "u9"}, {"reason": "r" * 501}, False),
    ("POST", "/v1/users/{user_id}/ban", {"user_id": "u9"}, {"duration_s": 60}, False),
    ("POST", "/v1/users/{user_id}/strikes/reset", {"user_id": "u9"}, {"reason": None}, True),
    ("POST", "/v1/users/{user_id}/strikes/reset", {"user_id": "u9"}, {"moderator": ""}, False),
    ("POST", "/v1/keys", None, {"role": "moderator", "name": "n"}, True),
    ("POST", "/v1/keys", None, {"role": "root"}, False),
    ("PUT", "/v1/policy", None, {"weights": {"abuse": 2}, "strike_ttl_s": 3600}, True),
    ("PUT", "/v1/policy", None, {"unknown": 1}, False),
    ("PUT", "/v1/policy", None, {"strike_ttl_s": 0}, False),
    ("PUT", "/v1/integrations/coral", None, {"secrets": [CORAL_SECRET], "format": "HTML"}, True),
    ("PUT", "/v1/integrations/coral", None, {"secrets": [CORAL_SECRET] * 6}, False),
    ("PUT", "/v1/integrations/coral", None, {"secrets": [CORAL_SECRET], "format": "XML"}, False),
    ("PUT", "/v1/integrations/coral", None, {"secrets": []}, False),
    ("PUT", "/v1/integrations/coral", None, {"secrets": ["short"]}, False),
]


def test_request_schemas_accept_and_refuse_what_the_server_does(api):
    """Valid by the documented request schema exactly when the server takes it (2xx), else it answers 422."""
    api("POST", "/v1/comments", key="admin", json=COMMENT_OK, expect=200)  # the comment the decisions are about
    for method, template, path, body, accepted in REQUESTS:
        schema = operation(method, template)["requestBody"]["content"]["application/json"]["schema"]
        problems = errors_of(schema, body)
        assert (not problems) == accepted, f"{method} {template} {body!r:.200}: the document says {problems or 'valid'}"
        status = api(method, template, key="admin", path=path, json=body).status_code
        assert (status in (200, 201)) if accepted else (status == 422), f"{method} {template} {body!r:.200}: {status}"


def test_drop_in_request_schemas_accept_and_refuse_what_the_server_does(api, keys):
    """The same for Perspective, Coral and Akismet, each refusing in its own way."""
    perspective_schema = operation("POST", PERSPECTIVE)["requestBody"]["content"]["application/json"]["schema"]
    for body, accepted in (
        (analyze(), True),
        (analyze(languages=["en-US"], doNotStore=True, clientToken="c"), True),
        ({"comment": {"text": CLEAN, "type": "PLAIN_TEXT"}, "requested_attributes": {"SPAM": {"scoreThreshold": 0.5}}}, True),
        ({**analyze(), "context": {"entries": [{"text": "the article"}]}, "session_id": None}, True),
        ({**analyze(), "unknownField": 1}, False),
        ({**analyze(), "doNotStore": "yes"}, False),
        ({"comment": {"text": 5}, "requestedAttributes": {"TOXICITY": {}}}, False),
        ({"comment": {"text": CLEAN, "type": "MARKDOWN"}, "requestedAttributes": {"TOXICITY": {}}}, False),
        ({"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {"scoreType": "SOMETHING"}}}, False),
        ([analyze()], False),
    ):
        problems = errors_of(perspective_schema, body)
        assert (not problems) == accepted, f"{body!r:.200}: the document says {problems or 'valid'}"
        api("POST", PERSPECTIVE, key="site", json=body, expect=200 if accepted else 400)
    api("PUT", "/v1/integrations/coral", json={"secrets": [CORAL_SECRET]}, expect=200)
    coral_schema = operation("POST", CORAL)["requestBody"]["content"]["application/json"]["schema"]
    for body, accepted in (
        (coral_request(), True),
        (coral_request(action="EDIT", comment={"body": ABUSIVE, "parentID": "p1"}), True),
        (coral_request(action="DELETE"), False),
        (coral_request(comment="hello"), False),
        (coral_request(author={"id": ""}), False),
        (coral_request(story={"url": "https://x"}), False),
    ):
        problems = errors_of(coral_schema, body)
        assert (not problems) == accepted, f"{body!r:.200}: the document says {problems or 'valid'}"
        assert coral(api, body, expect=None).status_code in ((200, 204) if accepted else (422,))
    for endpoint, form, accepted in (
        ("verify-key", {"api_key": keys["site"], "blog": "https://b"}, True),
        ("comment-check", akismet_form(keys["site"]), True),
        ("comment-check", akismet_form(keys["site"], comment_id="c-1"), True),
        ("comment-check", {k: v for k, v in akismet_form(keys["site"]).items() if k != "user_ip"}, False),
        ("submit-ham", akismet_form(keys["site"], comment_id="a" * 201), False),
    ):
        schema = operation("POST", f"/akismet/1.1/{endpoint}")["requestBody"]["content"]["application/x-www-form-urlencoded"]
        problems = errors_of(schema["schema"], form)
        assert (not problems) == accepted, f"{endpoint} {form}: the document says {problems or 'valid'}"
        answer = akismet(api, endpoint, form).get_data(as_text=True)
        assert answer.startswith(("Missing required field", "Invalid field")) != accepted, f"{endpoint} {form}: {answer}"
