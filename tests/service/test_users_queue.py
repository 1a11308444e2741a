"""Users (view, ban, unban, reset) and the review queue (order, category, leases, expiry)."""

from __future__ import annotations

from moderation.service.times import iso

from .conftest import auth

REVIEW_ATTACK = ["You clown, read the article first", "Get a life", "Shut up and read the report"]
REVIEW_PROMO = "Write to me at someone@example.net"


def submit(client, key, cid, user, text):
    body = client.post("/v1/comments", json={"id": cid, "user_id": user, "text": text}, headers=auth(key)).get_json()
    return body


class TestUsers:
    def test_view_ban_unban_reset(self, client, keys, clock):
        submit(client, keys["site"], "c1", "dan", "You are a pathetic idiot and everyone knows it.")
        view = client.get("/v1/users/dan", headers=auth(keys["moderator"])).get_json()
        assert view["user_id"] == "dan" and view["strikes"] == 1 and view["banned"] is False and view["ban"] is None
        [strike] = view["active_strikes"]
        assert strike["comment_id"] == "c1" and strike["categories"] == ["attack"] and "attack" in strike["reason"]
        assert view["comments"][0]["id"] == "c1" and view["comments"][0]["verdict"] == "reject"

        banned = client.post(
            "/v1/users/dan/ban",
            json={"duration_s": 600, "reason": "cooling off", "moderator": "m1"},
            headers=auth(keys["moderator"]),
        )
        assert banned.get_json() == {"user_id": "dan", "strikes": 1, "banned": True, "banned_until": iso(clock() + 600)}
        view = client.get("/v1/users/dan", headers=auth(keys["moderator"])).get_json()
        assert view["ban"] == {
            "until": iso(clock() + 600),
            "reason": "cooling off",
            "by": "m1",
            "at": iso(clock()),
            "automatic": False,
        }

        forever = client.post("/v1/users/dan/ban", json={"reason": "repeat offender"}, headers=auth(keys["moderator"])).get_json()
        assert forever["banned"] is True and forever["banned_until"] is None

        lifted = client.delete("/v1/users/dan/ban", json={"reason": "appeal", "moderator": "m2"}, headers=auth(keys["moderator"]))
        assert lifted.get_json() == {"user_id": "dan", "strikes": 1, "banned": False, "banned_until": None}
        reset = client.post("/v1/users/dan/strikes/reset", headers=auth(keys["moderator"]))
        assert reset.get_json() == {"user_id": "dan", "strikes": 0, "banned": False, "banned_until": None}

        history = [e["type"] for e in client.get("/v1/users/dan", headers=auth(keys["moderator"])).get_json()["history"]]
        assert history == ["reset", "unban", "ban", "ban", "strike"]
        audit = [e["decision"] for e in client.get("/v1/audit", headers=auth(keys["moderator"])).get_json()["entries"]]
        assert audit == ["reset", "unban", "ban", "ban"]

    def test_the_audit_log_gives_the_types_the_api_takes(self, client, keys, clock):
        """Categories a list, ban lengths integers (0: for good), the moderator given or the key's id, times ISO."""
        moderator = auth(keys["moderator"])
        submit(client, keys["site"], "c1", "dan", "You are a pathetic idiot and everyone knows it.")
        client.post(
            "/v1/comments/c1/decision",
            json={"decision": "reject", "categories": ["attack", "abuse"], "moderator": "m1"},
            headers=moderator,
        )
        client.post("/v1/comments/c1/undo", json={"moderator": "m1"}, headers=moderator)
        client.post("/v1/users/dan/ban", json={"duration_s": 600, "reason": "cooling off", "moderator": "m2"}, headers=moderator)
        client.post("/v1/users/dan/ban", json={"reason": "for good"}, headers=moderator)
        client.post("/v1/users/dan/strikes/reset", json={"moderator": "m3"}, headers=moderator)
        entries = client.get("/v1/audit", headers=moderator).get_json()["entries"]
        assert [e["type"] for e in entries] == ["reset", "ban", "ban", "undo", "decision"]
        reset, forever, timed, undo, decision = entries
        assert decision["categories"] == ["abuse", "attack"] and decision["previous"] is None  # no decision before
        assert undo["categories"] == [] and undo["previous"] == "reject"
        assert (timed["duration_s"], timed["moderator"]) == (600, "m2")
        listed = client.get("/v1/keys", headers=auth(keys["admin"])).get_json()["keys"]
        [key_id] = [k["id"] for k in listed if k["name"] == "test moderator"]
        assert forever["duration_s"] == 0 and forever["moderator"] == key_id
        assert reset["moderator"] == "m3" and "duration_s" not in reset
        assert {e["at"] for e in entries} == {iso(clock())}

    def test_timed_ban_expires(self, client, keys, clock):
        client.post("/v1/users/eve/ban", json={"duration_s": 60, "reason": "x"}, headers=auth(keys["moderator"]))
        clock.advance(61)
        assert client.get("/v1/users/eve", headers=auth(keys["moderator"])).get_json()["banned"] is False

    def test_ban_needs_a_reason(self, client, keys):
        response = client.post("/v1/users/eve/ban", json={"duration_s": 0}, headers=auth(keys["moderator"]))
        assert response.status_code == 422
        assert response.get_json()["error"]["fields"] == [
            {"field": "duration_s", "message": "must be at least 1"},
            {"field": "reason", "message": "is required"},
        ]

    def test_a_ban_too_long_names_its_limit_as_people_write_it(self, client, keys):
        for duration in (10**12, 10**400):
            body = {"duration_s": duration, "reason": "x"}
            response = client.post("/v1/users/eve/ban", json=body, headers=auth(keys["moderator"]))
            assert response.status_code == 422
            assert response.get_json()["error"]["fields"] == [{"field": "duration_s", "message": "must be at most 315360000"}]


class TestQueue:
    def test_highest_risk_first_then_oldest(self, client, keys, clock):
        for i, text in enumerate(REVIEW_ATTACK + [REVIEW_PROMO]):
            assert submit(client, keys["site"], f"q{i}", f"u{i}", text)["verdict"] == "review"
            clock.advance(1)
        items = client.get("/v1/queue", headers=auth(keys["moderator"])).get_json()["items"]
        risks = [(item["risk"], item["received_at"]) for item in items]
        assert risks == sorted(risks, key=lambda r: (-r[0], r[1]))
        assert items[0]["id"] == "q3"  # promotion 0.94 is the riskiest

    def test_equal_risk_is_served_oldest_first(self, client, keys, clock):
        for i in range(3):
            submit(client, keys["site"], f"same{i}", f"u{i}", f"{REVIEW_PROMO} ")  # same scores
            clock.advance(5)
        items = client.get("/v1/queue", headers=auth(keys["moderator"])).get_json()["items"]
        assert [i["id"] for i in items] == ["same0", "same1", "same2"]

    def test_category_filter_and_limit(self, client, keys):
        for i, text in enumerate(REVIEW_ATTACK + [REVIEW_PROMO]):
            submit(client, keys["site"], f"q{i}", f"u{i}", text)
        promo = client.get("/v1/queue?category=promotion", headers=auth(keys["moderator"])).get_json()
        assert [i["id"] for i in promo["items"]] == ["q3"] and promo["depth"] == 4
        assert len(client.get("/v1/queue?limit=2", headers=auth(keys["moderator"])).get_json()["items"]) == 2
        bad = client.get("/v1/queue?limit=0&category=rude", headers=auth(keys["moderator"]))
        assert bad.status_code == 422
        assert [f["field"] for f in bad.get_json()["error"]["fields"]] == ["limit", "category"]

    def test_claims_are_leased_and_expire(self, client, keys, clock):
        for i, text in enumerate(REVIEW_ATTACK):
            submit(client, keys["site"], f"q{i}", f"u{i}", text)
        mine = client.post("/v1/queue/claim", json={"moderator": "ann", "limit": 2}, headers=auth(keys["moderator"])).get_json()
        assert len(mine["items"]) == 2 and mine["lease_s"] == 600
        assert all(i["lease"] == {"moderator": "ann", "expires_at": iso(clock() + 600)} for i in mine["items"])
        theirs = client.post("/v1/queue/claim", json={"moderator": "bob", "limit": 5}, headers=auth(keys["moderator"])).get_json()
        assert {i["id"] for i in theirs["items"]} == {"q0", "q1", "q2"} - {i["id"] for i in mine["items"]}
        # ann reloading gets hers again; nothing is left for a third moderator
        again = client.post("/v1/queue/claim", json={"moderator": "ann", "limit": 5}, headers=auth(keys["moderator"])).get_json()
        assert {i["id"] for i in again["items"]} == {i["id"] for i in mine["items"]}
        assert (
            client.post("/v1/queue/claim", json={"moderator": "cy", "limit": 5}, headers=auth(keys["moderator"])).get_json()[
                "items"
            ]
            == []
        )
        # the listing shows who holds what
        listing = client.get("/v1/queue", headers=auth(keys["moderator"])).get_json()["items"]
        assert {i["lease"]["moderator"] for i in listing} == {"ann", "bob"}
        # leases end by themselves
        clock.advance(601)
        freed = client.post("/v1/queue/claim", json={"moderator": "cy", "limit": 5}, headers=auth(keys["moderator"])).get_json()
        assert {i["id"] for i in freed["items"]} == {"q0", "q1", "q2"}

    def test_lease_time_is_configurable(self, make_app, redis_client, clock):
        app = make_app(lease_s=30)
        client = app.test_client()
        store = app.extensions["moderation"].store
        key = store.apikeys.create("news", "admin", "", clock())[0]
        submit(client, key, "q0", "u0", REVIEW_ATTACK[0])
        claimed = client.post("/v1/queue/claim", json={"moderator": "ann"}, headers=auth(key)).get_json()
        assert claimed["lease_s"] == 30
        clock.advance(31)
        assert len(client.post("/v1/queue/claim", json={"moderator": "bob"}, headers=auth(key)).get_json()["items"]) == 1


def test_query_limits_out_of_range_say_so(client, keys):
    """An integer out of range, negative or huge, is "must be between"; only what is not an integer is "must be one"."""
    moderator = auth(keys["moderator"])
    for path, most in (("/v1/audit", 1000), ("/v1/queue", 500), ("/v1/shadow", 500)):
        for limit in ("-5", "0", str(most + 1), "99999999999999999999", "9" * 5000, "-" + "9" * 30):
            response = client.get(path, query_string={"limit": limit}, headers=moderator)
            assert response.status_code == 422, (path, limit)
            assert response.get_json()["error"] == {
                "status": 422,
                "code": "invalid_request",
                "message": "invalid fields: limit",
                "fields": [{"field": "limit", "message": f"must be between 1 and {most}"}],
            }
        for limit in ("ten", "5.0", "1e3", "+3", " 5", "\u0663", ""):
            response = client.get(path, query_string={"limit": limit}, headers=moderator)
            assert response.status_code == 422, (path, limit)
            assert response.get_json()["error"]["fields"] == [{"field": "limit", "message": "must be an integer"}]
        assert client.get(path, query_string={"limit": "007"}, headers=moderator).status_code == 200


def test_a_decisions_answer_and_its_audit_entry_agree_on_the_previous_decision(client, keys):
    """The decision before this one, or null when there was none, whether the classifier had rejected the comment,
    held it for review or approved it."""
    moderator = auth(keys["moderator"])
    submit(client, keys["site"], "auto", "dan", "You are a pathetic idiot and everyone knows it.")  # rejected
    submit(client, keys["site"], "held", "eve", REVIEW_PROMO)  # pending
    answers = []
    for comment_id, decision in (("auto", "approve"), ("held", "reject"), ("auto", "reject"), ("held", "approve")):
        body = {"decision": decision, "moderator": "m1"}
        answer = client.post(f"/v1/comments/{comment_id}/decision", json=body, headers=moderator)
        assert answer.status_code == 200
        answers.append(answer.get_json())
    assert [a["previous"] for a in answers] == [None, None, "approve", "reject"]
    undone = client.post("/v1/comments/held/undo", json={"moderator": "m1"}, headers=moderator).get_json()
    entries = client.get("/v1/audit", headers=moderator).get_json()["entries"]
    assert [(e["comment_id"], e["decision"], e["previous"]) for e in entries] == [
        ("held", "undo", undone["undone"]),
        *[(a["id"], a["decision"], a["previous"]) for a in reversed(answers)],
    ]
    assert undone["undone"] == "approve"
