"""Undo of a moderator's last decision, and the hourly counts behind the dashboard."""

from __future__ import annotations

from .conftest import auth

ABUSIVE = "You are a pathetic idiot and everyone knows it."
REVIEW = "You clown, read the article first"
CLEAN = "The council should publish the full traffic study before the vote."


def submit(client, key, cid, user, text):
    return client.post("/v1/comments", json={"id": cid, "user_id": user, "text": text}, headers=auth(key)).get_json()


def decide(client, key, cid, decision, moderator="ann", **extra):
    return client.post(
        f"/v1/comments/{cid}/decision", json={"decision": decision, "moderator": moderator, **extra}, headers=auth(key)
    )


def undo(client, key, cid, moderator="ann"):
    return client.post(f"/v1/comments/{cid}/undo", json={"moderator": moderator}, headers=auth(key))


def test_undo_a_reject_puts_the_comment_back_in_the_queue(client, keys, clock):
    assert submit(client, keys["site"], "r1", "rob", REVIEW)["verdict"] == "review"
    assert decide(client, keys["moderator"], "r1", "reject").get_json()["user"]["strikes"] == 1
    assert client.get("/v1/queue", headers=auth(keys["moderator"])).get_json()["depth"] == 0
    clock.advance(9)
    response = undo(client, keys["moderator"], "r1")
    assert response.status_code == 200
    assert response.get_json() == {
        "id": "r1",
        "undone": "reject",
        "state": "pending",
        "user_id": "rob",
        "user": {"strikes": 0, "banned": False, "banned_until": None},
    }
    assert [i["id"] for i in client.get("/v1/queue", headers=auth(keys["moderator"])).get_json()["items"]] == ["r1"]
    assert client.get("/v1/labels", headers=auth(keys["admin"])).get_data(as_text=True) == ""
    entries = client.get("/v1/audit", headers=auth(keys["moderator"])).get_json()["entries"]
    assert [(e["type"], e["decision"]) for e in entries] == [("undo", "undo"), ("decision", "reject")]
    # nothing more to undo
    again = undo(client, keys["moderator"], "r1")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "nothing_to_undo"


def test_undo_an_overturn_brings_the_strike_back(client, keys):
    submit(client, keys["site"], "a1", "amy", ABUSIVE)
    assert decide(client, keys["moderator"], "a1", "approve").get_json()["user"]["strikes"] == 0
    body = undo(client, keys["moderator"], "a1").get_json()
    assert body["undone"] == "approve" and body["state"] == "rejected" and body["user"]["strikes"] == 1
    assert client.get("/v1/queue", headers=auth(keys["moderator"])).get_json()["depth"] == 0


def test_undo_only_by_the_same_moderator_within_ten_seconds(client, keys, clock):
    submit(client, keys["site"], "r1", "rob", REVIEW)
    decide(client, keys["moderator"], "r1", "approve", moderator="ann")
    other = undo(client, keys["moderator"], "r1", moderator="bob")
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "undo_expired"
    clock.advance(11)
    late = undo(client, keys["moderator"], "r1", moderator="ann")
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "undo_expired"
    assert client.get("/v1/comments/r1", headers=auth(keys["moderator"])).get_json()["state"] == "approved"


def test_a_later_decision_is_the_one_undone(client, keys):
    submit(client, keys["site"], "r1", "rob", REVIEW)
    decide(client, keys["moderator"], "r1", "approve")
    decide(client, keys["moderator"], "r1", "reject", categories=["attack"])
    body = undo(client, keys["moderator"], "r1").get_json()
    assert body["undone"] == "reject" and body["state"] == "approved" and body["user"]["strikes"] == 0
    label = client.get("/v1/labels", headers=auth(keys["admin"])).get_json(force=True)
    assert label == {"text": REVIEW, "abuse": 0, "attack": 0, "promotion": 0, "source": "news"}


def test_hourly_counts_by_verdict_and_category(app, client, keys, clock):
    submit(client, keys["site"], "c1", "u1", CLEAN)
    submit(client, keys["site"], "c2", "u2", ABUSIVE)
    submit(client, keys["site"], "c2", "u2", ABUSIVE)  # a repeat is not counted again
    clock.advance(3600)
    submit(client, keys["site"], "c3", "u3", REVIEW)
    hours = app.extensions["moderation"].store.queue.hourly("news", clock(), hours=3)
    assert [counts for _, counts in hours] == [
        {},
        {"all": 2, "verdict:approve": 1, "verdict:reject": 1, "category:attack": 1},
        {"all": 1, "verdict:review": 1, "category:attack": 1},
    ]
    assert hours[-1][0] == int(clock() // 3600) * 3600
