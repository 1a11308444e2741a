"""Keys and roles (401, 403, 404 across sites) and bad input: one error shape, never a 500."""

from __future__ import annotations

import json

import pytest

from .conftest import auth

ABUSIVE = "You are a pathetic idiot and everyone knows it."


class TestAuth:
    def test_no_key_or_a_wrong_key_is_401(self, client, keys):
        for headers in ({}, auth("mk_not-a-key"), {"Authorization": "Basic abc"}, {"X-API-Key": "wrong"}):
            response = client.post("/v1/score", json={"text": "hi"}, headers=headers)
            assert response.status_code == 401
            assert response.get_json()["error"]["code"] == "unauthorized"
            assert response.headers["WWW-Authenticate"] == "Bearer"

    def test_x_api_key_header_works(self, client, keys):
        assert client.post("/v1/score", json={"text": "hi"}, headers={"X-API-Key": keys["site"]}).status_code == 200

    @pytest.mark.parametrize(
        ("role", "method", "path"),
        [
            ("site", "get", "/v1/queue"),
            ("site", "post", "/v1/queue/claim"),
            ("site", "get", "/v1/users/bob"),
            ("site", "post", "/v1/comments/x/decision"),
            ("site", "get", "/v1/labels"),
            ("moderator", "post", "/v1/comments"),
            ("moderator", "get", "/v1/labels"),
            ("moderator", "put", "/v1/policy"),
            ("moderator", "post", "/v1/keys"),
        ],
    )
    def test_wrong_role_is_403(self, client, keys, role, method, path):
        response = getattr(client, method)(path, json={}, headers=auth(keys[role]))
        assert response.status_code == 403
        assert response.get_json() == {"error": {"status": 403, "code": "forbidden", "message": f"a {role} key cannot do this"}}

    def test_another_sites_comment_and_user_are_404(self, client, keys):
        client.post("/v1/comments", json={"id": "c1", "user_id": "bob", "text": ABUSIVE}, headers=auth(keys["site"]))
        decision = client.post(
            "/v1/comments/c1/decision", json={"decision": "approve", "moderator": "m"}, headers=auth(keys["other"])
        )
        assert decision.status_code == 404
        assert client.get("/v1/comments/c1", headers=auth(keys["other"])).status_code == 404
        # the other site sees no strikes for a user of the same name
        assert client.get("/v1/users/bob", headers=auth(keys["other"])).get_json()["strikes"] == 0
        assert client.get("/v1/users/bob", headers=auth(keys["moderator"])).get_json()["strikes"] == 1

    def test_admin_manages_keys_of_its_site(self, client, keys):
        created = client.post("/v1/keys", json={"role": "moderator", "name": "night shift"}, headers=auth(keys["admin"]))
        assert created.status_code == 201
        body = created.get_json()
        assert body["key"].startswith("mk_") and body["site"] == "news" and body["role"] == "moderator"
        listed = client.get("/v1/keys", headers=auth(keys["admin"])).get_json()["keys"]
        assert {"night shift", "test site", "test moderator", "test admin"} == {k["name"] for k in listed}
        assert all("key" not in k for k in listed)
        assert client.get("/v1/queue", headers=auth(body["key"])).status_code == 200
        assert client.delete(f"/v1/keys/{body['id']}", headers=auth(keys["other"])).status_code == 404
        assert client.delete(f"/v1/keys/{body['id']}", headers=auth(keys["admin"])).status_code == 200

    def test_keys_are_stored_hashed(self, app, keys):
        client = app.extensions["moderation"].store.client
        dump = " ".join(str(client.hgetall(k)) for k in client.scan_iter("mod:apikey:*"))
        assert keys["site"] not in dump and keys["admin"] not in dump


class TestBadInput:
    def test_body_that_is_not_json_is_400(self, client, keys):
        for body in (b"not json", b"{", b"", b"\xff\xfe", b'{"text": "a"'):
            response = client.post("/v1/comments", data=body, headers={**auth(keys["site"]), "Content-Type": "application/json"})
            assert response.status_code == 400, body
            assert response.get_json()["error"]["code"] == "bad_json"

    def test_every_bad_field_is_listed(self, client, keys):
        body = {
            "id": "",
            "user_id": 7.5,
            "text": ["x"],
            "article_id": "a\x00b",
            "author_name": "x" * 201,
            "created_at": "yesterday",
        }
        response = client.post("/v1/comments", json=body, headers=auth(keys["site"]))
        assert response.status_code == 422
        assert response.get_json() == {
            "error": {
                "status": 422,
                "code": "invalid_request",
                "message": "invalid fields: id, user_id, text, article_id, author_name, created_at",
                "fields": [
                    {"field": "id", "message": "must be 1 to 200 characters"},
                    {"field": "user_id", "message": "must be a string or an integer"},
                    {"field": "text", "message": "must be a string"},
                    {"field": "article_id", "message": "must not contain control characters"},
                    {"field": "author_name", "message": "must be at most 200 characters"},
                    {"field": "created_at", "message": "must be an ISO 8601 time or seconds since the epoch, from 1970 to 9998"},
                ],
            }
        }

    def test_body_not_an_object(self, client, keys):
        for body in ([], "text", 3, None):
            response = client.post(
                "/v1/comments", data=json.dumps(body), headers={**auth(keys["site"]), "Content-Type": "application/json"}
            )
            assert response.status_code == 422
            assert response.get_json()["error"]["fields"] == [{"field": "(body)", "message": "must be a JSON object"}]

    def test_body_over_64_kb_is_413(self, client, keys):
        body = json.dumps({"id": "c", "user_id": "u", "text": "a" * 70_000})
        response = client.post("/v1/comments", data=body, headers={**auth(keys["site"]), "Content-Type": "application/json"})
        assert response.status_code == 413
        assert response.get_json()["error"] == {
            "status": 413,
            "code": "too_large",
            "message": "request body larger than 65536 bytes",
        }

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "must not be empty or only whitespace and invisible characters"),
            (" \n\t ", "must not be empty or only whitespace and invisible characters"),
            # nothing a reader sees: treated as whitespace is (the normaliser's invisible characters)
            ("\u200b\u200b", "must not be empty or only whitespace and invisible characters"),
            ("\x00\x00\x00", "must not be empty or only whitespace and invisible characters"),
            ("\u202e\u200b\ufeff\u2060 \x7f\u0085\ufe0f\u3164", "must not be empty or only whitespace and invisible characters"),
            # not a character: JSON allows the escape, but nothing can store or show it
            ("\ud800 lone surrogate", "must not contain unpaired surrogates"),
            ("a\udfff", "must not contain unpaired surrogates"),
            ("a" * 10_001, "must be at most 10000 characters (got 10001)"),
        ],
    )
    def test_bad_text_is_422(self, client, keys, text, message):
        response = client.post("/v1/comments", json={"id": "c", "user_id": "u", "text": text}, headers=auth(keys["site"]))
        assert response.status_code == 422
        assert response.get_json()["error"]["fields"] == [{"field": "text", "message": message}]

    def test_text_limit_is_configurable(self, make_app, redis_client, clock):
        app = make_app(max_text_chars=20)
        key = app.extensions["moderation"].store.apikeys.create("news", "site", "", clock())[0]
        response = app.test_client().post("/v1/score", json={"text": "x" * 21}, headers=auth(key))
        assert response.status_code == 422

    @pytest.mark.parametrize(
        "text",
        [
            "tab\tand\x00null\x1bescape",
            "Ελληνικά и кириллица mixed ѕсriрt",
            "emoji 🙂🙃💩🇺🇦 " * 20,
            "\u202e\u200b\ufeff visible",
            "\u0301",  # a combining mark shows
            "<script>alert(1)</script>",
        ],
    )
    def test_odd_text_is_handled(self, client, keys, text):
        body = json.dumps({"id": "odd", "user_id": "u", "text": text})  # json.dumps escapes the surrogate
        response = client.post("/v1/comments", data=body, headers={**auth(keys["site"]), "Content-Type": "application/json"})
        assert response.status_code == 200
        assert response.get_json()["verdict"] in ("approve", "review", "reject")
        replay = client.post("/v1/comments", data=body, headers={**auth(keys["site"]), "Content-Type": "application/json"})
        assert replay.get_json() == response.get_json()

    def test_unknown_route_and_method_use_the_error_shape(self, client, keys):
        missing = client.get("/v1/nothing", headers=auth(keys["site"]))
        assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
        wrong = client.delete("/v1/comments", headers=auth(keys["site"]))
        assert wrong.status_code == 405 and wrong.get_json()["error"]["code"] == "method_not_allowed"
