"""Strike policy: thresholds ban for 24 hours, 7 days, for good; strikes and bans expire (injected time)."""

from __future__ import annotations

from moderation.service.times import iso

from .conftest import auth

ABUSIVE = "You are a pathetic idiot and everyone knows it."
DAY = 86400


def reject(client, key, n, user="bob"):
    body = client.post("/v1/comments", json={"id": f"{user}-{n}", "user_id": user, "text": ABUSIVE}, headers=auth(key)).get_json()
    assert body["verdict"] == "reject"
    return body


def test_thresholds_ban_for_a_day_a_week_then_for_good(client, keys, clock):
    assert reject(client, keys["site"], 1)["user"] == {"strikes": 1, "banned": False, "banned_until": None}
    assert reject(client, keys["site"], 2)["user"]["banned"] is False
    third = reject(client, keys["site"], 3)
    assert third["user"] == {"strikes": 3, "banned": True, "banned_until": iso(clock() + DAY)}
    # banned: rejected with user_banned, no new strike
    banned = client.post(
        "/v1/comments", json={"id": "x", "user_id": "bob", "text": "A perfectly polite remark."}, headers=auth(keys["site"])
    ).get_json()
    assert banned["verdict"] == "reject" and banned["reasons"] == ["user_banned"]
    assert banned["user"]["strikes"] == 3
    # the ban ends by itself
    clock.advance(DAY + 1)
    after = client.post(
        "/v1/comments", json={"id": "y", "user_id": "bob", "text": "A perfectly polite remark."}, headers=auth(keys["site"])
    ).get_json()
    assert after["verdict"] == "approve" and after["user"] == {"strikes": 3, "banned": False, "banned_until": None}
    reject(client, keys["site"], 4)
    fifth = reject(client, keys["site"], 5)
    assert fifth["user"] == {"strikes": 5, "banned": True, "banned_until": iso(clock() + 7 * DAY)}
    clock.advance(7 * DAY + 1)
    reject(client, keys["site"], 6)
    seventh = reject(client, keys["site"], 7)
    assert seventh["user"] == {"strikes": 7, "banned": True, "banned_until": None}  # for good
    clock.advance(365 * DAY)
    assert client.get("/v1/users/bob", headers=auth(keys["moderator"])).get_json()["banned"] is True


def test_strikes_expire_after_thirty_days(client, keys, clock):
    reject(client, keys["site"], 1)
    reject(client, keys["site"], 2)
    clock.advance(30 * DAY + 1)
    third = reject(client, keys["site"], 3)
    assert third["user"] == {"strikes": 1, "banned": False, "banned_until": None}
    view = client.get("/v1/users/bob", headers=auth(keys["moderator"])).get_json()
    assert [s["comment_id"] for s in view["active_strikes"]] == ["bob-3"]
    assert view["active_strikes"][0]["expires_at"] == iso(clock() + 30 * DAY)


def test_a_site_can_change_its_policy(client, keys, clock):
    policy = {"weights": {"attack": 3}, "ban_steps": [[3, 3600]], "strike_ttl_s": 7 * DAY}
    response = client.put("/v1/policy", json=policy, headers=auth(keys["admin"]))
    assert response.status_code == 200
    assert response.get_json() == {
        "weights": {"abuse": 1, "attack": 3, "promotion": 1},
        "strike_ttl_s": 7 * DAY,
        "ban_steps": [[3, 3600]],
        "allowed_domains": [],
        "thresholds": {},
        "rate_limit": None,
        "events_retention_s": 14 * DAY,
        "verdict_events": False,
        "terms_url": None,
        "appeal": None,
    }
    first = reject(client, keys["site"], 1)  # an attack weighs 3: banned at once
    assert first["user"] == {"strikes": 3, "banned": True, "banned_until": iso(clock() + 3600)}
    assert (
        client.get("/v1/policy", headers=auth(keys["other"])).get_json()["weights"]["attack"] == 1
    )  # other sites keep the default


def test_a_site_chooses_its_own_operating_point(client, keys):
    text = {"text": "The council approved the new bike lanes on Main Street.", "user_id": "carol"}
    first = client.post("/v1/comments", json={**text, "id": "op-1"}, headers=auth(keys["site"])).get_json()
    assert first["verdict"] == "approve"
    score = first["scores"]["attack"]
    # A site that wants everything at least this likely to be an attack held for a moderator:
    policy = {"thresholds": {"attack": {"review": score / 2}}}
    response = client.put("/v1/policy", json=policy, headers=auth(keys["admin"]))
    assert response.status_code == 200
    assert response.get_json()["thresholds"] == {"attack": {"review": score / 2}}
    second = client.post("/v1/comments", json={**text, "id": "op-2"}, headers=auth(keys["site"])).get_json()
    assert second["verdict"] == "review" and second["reasons"] == ["attack:model:review"]
    other = client.post("/v1/comments", json={**text, "id": "op-3"}, headers=auth(keys["other"])).get_json()
    assert other["verdict"] == "approve"  # other sites keep the model's thresholds


def test_bad_policies_are_refused(client, keys):
    bad_thresholds = (
        {"thresholds": {"attack": {"review": 0.9, "reject": 0.5}}},
        {"thresholds": {"attack": {"review": 1.5}}},
        {"thresholds": {"spam": {"review": 0.5}}},
        {"thresholds": {"attack": {"maybe": 0.5}}},
        {"thresholds": {"attack": {"review": True}}},
        {"thresholds": {"attack": {}}},
        {"thresholds": [0.5]},
    )
    for body in (
        {"ban_steps": [[5, 10], [3, 10]]},
        {"weights": {"spam": 1}},
        {"strike_ttl_s": -1},
        {"colour": "red"},
        [1],
        *bad_thresholds,
    ):
        response = client.put("/v1/policy", json=body, headers=auth(keys["admin"]))
        assert response.status_code == 422, body
        assert response.get_json()["error"]["code"] == "invalid_request"


def test_overturning_the_strike_that_banned_lifts_the_automatic_ban(client, keys):
    for n in (1, 2, 3):
        reject(client, keys["site"], n)
    decision = client.post(
        "/v1/comments/bob-3/decision", json={"decision": "approve", "moderator": "m"}, headers=auth(keys["moderator"])
    )
    assert decision.get_json()["user"] == {"strikes": 2, "banned": False, "banned_until": None}


def test_a_manual_ban_is_not_lifted_by_an_overturn(client, keys):
    reject(client, keys["site"], 1)
    client.post("/v1/users/bob/ban", json={"reason": "spam wave", "duration_s": 3600}, headers=auth(keys["moderator"]))
    decision = client.post(
        "/v1/comments/bob-1/decision", json={"decision": "approve", "moderator": "m"}, headers=auth(keys["moderator"])
    )
    assert decision.get_json()["user"]["banned"] is True
