"""The event feed (issue 23): every later decision, ban, unban and reset reaches the site, once, with a statement of
reasons; a change and its event are one step; a process stopped between the change and the publishing loses
nothing (the relay); cursors, retention (410), filters and the long poll."""

from __future__ import annotations

import threading
import time

import pytest

from moderation.service.actions import events as event_actions
from moderation.service.times import iso

from .conftest import auth

HELD = "Write to me at someone@example.net"  # held by a promotion rule (not the model): the same on every model
ABUSIVE = "You are a pathetic idiot and everyone knows it."
POLITE = "A perfectly polite remark about the article."


def post(client, key, cid, user, text):
    return client.post("/v1/comments", json={"id": cid, "user_id": user, "text": text}, headers=auth(key)).get_json()


def feed(client, key, **query):
    response = client.get("/v1/events", query_string=query, headers=auth(key))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def events_of(client, key, **query):
    return feed(client, key, **query)["events"]


def test_a_held_comment_s_decision_reaches_the_site_with_its_reasons(client, keys, clock):
    client.put(
        "/v1/policy",
        json={"terms_url": "https://news.example/rules", "appeal": "Write to appeals@news.example"},
        headers=auth(keys["admin"]),
    )
    held = post(client, keys["site"], "c1", "ann", HELD)
    assert held["verdict"] == "review"
    assert events_of(client, keys["site"]) == []  # a verdict is in the answer; the feed carries what comes later
    clock.advance(3600)
    decided = client.post(
        "/v1/comments/c1/decision", json={"decision": "reject", "moderator": "mia"}, headers=auth(keys["moderator"])
    )
    assert decided.status_code == 200
    [event] = events_of(client, keys["site"])
    assert event["type"] == "comment.decided"
    assert (event["comment_id"], event["user_id"], event["site"]) == ("c1", "ann", "news")
    assert event["decision"] == "reject" and event["categories"] == ["promotion"] and event["decided_by"] == "mia"
    assert event["at"] == iso(clock()) and event["previous"] is None and event["state"] == "rejected"
    statement = event["statement_of_reasons"]
    assert statement["restriction"] == "removal"
    assert statement["automated_means"] == {"detection": True, "decision": False}
    assert statement["ground"] == {
        "type": "terms_and_conditions",
        "clauses": ["promotion: spam, advertising or self-promotion"],
        "terms_url": "https://news.example/rules",
    }
    assert statement["redress"] == "Write to appeals@news.example"
    [span] = [s for s in statement["facts_and_circumstances"]["evidence"] if s["source"].startswith("rule")]
    assert HELD[span["start"] : span["end"]].endswith("someone@example.net") and span["category"] == "promotion"
    # the same decision again changes nothing, and tells nothing twice
    client.post("/v1/comments/c1/decision", json={"decision": "reject", "moderator": "mia"}, headers=auth(keys["moderator"]))
    assert len(events_of(client, keys["site"])) == 1


def test_bans_by_strikes_by_hand_unbans_resets_and_undo_are_events(client, keys, clock):
    moderator = auth(keys["moderator"])
    for n in (1, 2, 3):
        assert post(client, keys["site"], f"b{n}", "bob", ABUSIVE)["verdict"] == "reject"
    [ban] = events_of(client, keys["site"])
    assert ban["type"] == "user.banned" and ban["user_id"] == "bob" and ban["decided_by"] == "policy"
    assert ban["ban"] == {"until": iso(clock() + 86400), "indefinite": False}
    facts = ban["statement_of_reasons"]["facts_and_circumstances"]
    assert facts["strikes"] == 3 and facts["threshold"] == 3
    assert facts["last_strike"]["comment_id"] == "b3" and facts["last_strike"]["categories"] == ["attack"]
    assert ban["statement_of_reasons"]["automated_means"] == {"detection": True, "decision": True}
    assert ban["statement_of_reasons"]["restriction"] == "suspension"
    assert "3 strikes" in ban["statement_of_reasons"]["ground"]["clauses"][0]

    # overturning the strike that banned lifts the ban: the site learns both
    client.post("/v1/comments/b3/decision", json={"decision": "approve", "moderator": "mia"}, headers=moderator)
    client.post("/v1/comments/b3/undo", json={"moderator": "mia"}, headers=moderator)
    client.post("/v1/users/bob/ban", json={"reason": "spam wave", "duration_s": 600, "moderator": "max"}, headers=moderator)
    client.delete("/v1/users/bob/ban", json={"reason": "appeal upheld", "moderator": "max"}, headers=moderator)
    client.delete("/v1/users/bob/ban", json={"reason": "again"}, headers=moderator)  # not banned: nothing to tell
    client.post("/v1/users/bob/strikes/reset", json={"moderator": "max"}, headers=moderator)
    kinds = [(e["type"], e.get("decided_by")) for e in events_of(client, keys["site"])]
    assert kinds == [
        ("user.banned", "policy"),
        ("user.unbanned", "policy"),
        ("comment.decided", "mia"),
        ("user.banned", "policy"),  # the undo put the strike back, which banned again
        ("comment.decision_undone", "mia"),
        ("user.banned", "max"),
        ("user.unbanned", "max"),
        ("user.strikes_reset", "max"),
    ]
    events = events_of(client, keys["site"])
    assert events[1]["overturned_comment_id"] == "b3"
    assert events[4]["undone"] == "approve" and events[4]["decision"] is None and events[4]["state"] == "rejected"
    assert (
        events[5]["ban"]["until"] == iso(clock() + 600)
        and events[5]["statement_of_reasons"]["automated_means"]["decision"] is False
    )
    assert events[6]["reason"] == "appeal upheld" and events[7]["strikes_before"] == 3
    # the type filter and the cursor
    bans = events_of(client, keys["site"], types="user.banned,user.unbanned")
    assert [e["type"] for e in bans] == ["user.banned", "user.unbanned", "user.banned", "user.banned", "user.unbanned"]
    first = feed(client, keys["site"], limit=3)
    assert len(first["events"]) == 3 and first["more"] is True
    rest = feed(client, keys["site"], after=first["cursor"])
    assert [e["id"] for e in first["events"] + rest["events"]] == [e["id"] for e in events] and rest["more"] is False
    assert feed(client, keys["site"], after=rest["cursor"])["events"] == []


def test_every_verdict_when_the_site_asks(client, keys):
    client.put("/v1/policy", json={"verdict_events": True}, headers=auth(keys["admin"]))
    post(client, keys["site"], "v1", "cat", POLITE)
    post(client, keys["site"], "v2", "cat", ABUSIVE)
    post(client, keys["site"], "v2", "cat", ABUSIVE)  # a retry: no second event
    events = events_of(client, keys["site"], types="comment.verdict")
    assert [(e["comment_id"], e["verdict"], e["state"]) for e in events] == [
        ("v1", "approve", "approved"),
        ("v2", "reject", "rejected"),
    ]
    assert events[0]["statement_of_reasons"]["restriction"] == "none"
    assert events[1]["statement_of_reasons"]["facts_and_circumstances"]["categories"] == ["attack"]
    assert events[1]["statement_of_reasons"]["automated_means"] == {"detection": True, "decision": True}


def test_a_site_reads_its_own_events_only(client, keys):
    post(client, keys["site"], "c1", "ann", HELD)
    client.post("/v1/comments/c1/decision", json={"decision": "approve", "moderator": "m"}, headers=auth(keys["moderator"]))
    assert len(events_of(client, keys["site"])) == 1
    assert len(events_of(client, keys["admin"])) == 1
    assert events_of(client, keys["other"]) == []
    assert client.get("/v1/events", headers=auth(keys["moderator"])).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [({"after": "yesterday"}, "after"), ({"types": "comment.deleted"}, "types"), ({"limit": 0}, "limit"), ({"wait": 31}, "wait")],
)
def test_bad_queries_are_refused(client, keys, query, field):
    response = client.get("/v1/events", query_string=query, headers=auth(keys["site"]))
    assert response.status_code == 422
    assert [f["field"] for f in response.get_json()["error"]["fields"]] == [field]


def test_a_process_stopped_before_publishing_loses_no_event_and_the_relay_tells_it_once(app, client, keys, monkeypatch):
    post(client, keys["site"], "c1", "ann", HELD)
    post(client, keys["site"], "c2", "ann", HELD)

    def stopped(*_args, **_kwargs):
        raise SystemExit("killed between the change and the publishing")

    with monkeypatch.context() as patch:
        patch.setattr(event_actions, "settle_quietly", stopped)
        with pytest.raises(SystemExit):
            client.post(
                "/v1/comments/c1/decision", json={"decision": "reject", "moderator": "m"}, headers=auth(keys["moderator"])
            )
    assert events_of(client, keys["site"]) == []  # the change is made, its event waits in the user's outbox
    services = app.extensions["moderation"]
    assert services.store.comments.record("news", "ann", "c1", services.clock())["decision"] == "reject"
    relay = app.extensions["moderation_events"]
    assert relay.sweep() == 0  # a mark younger than the grace period is a change still running
    assert relay.sweep(grace_s=0) == 1
    assert relay.sweep(grace_s=0) == 0  # the mark is gone
    # A second settle of the same outbox (another process's retry) publishes nothing twice.
    event_actions.settle(services, "news", "ann")
    client.post("/v1/comments/c2/decision", json={"decision": "approve", "moderator": "m"}, headers=auth(keys["moderator"]))
    events = events_of(client, keys["site"])
    assert [(e["type"], e["comment_id"], e["decision"]) for e in events] == [
        ("comment.decided", "c1", "reject"),
        ("comment.decided", "c2", "approve"),
    ]
    assert services.store.events.outbox("news", "ann") == []


def test_a_cursor_past_the_retention_is_gone_with_where_to_start(app, client, keys, monkeypatch):
    post(client, keys["site"], "c1", "ann", HELD)
    post(client, keys["site"], "c2", "ann", HELD)
    client.post("/v1/comments/c1/decision", json={"decision": "reject", "moderator": "m"}, headers=auth(keys["moderator"]))
    [old] = events_of(client, keys["site"])
    # The retention (14 days) passes for the first event and not for the next: the log's ids are Redis's clock in
    # milliseconds, so the publishing step is told a time 14 days and one millisecond after the first event.
    first_ms = int(old["id"].split("-")[0])
    time.sleep(0.01)
    monkeypatch.setattr(event_actions.time, "time", lambda: (first_ms + 1) / 1000 + 14 * 86400)
    client.post("/v1/comments/c2/decision", json={"decision": "reject", "moderator": "m"}, headers=auth(keys["moderator"]))
    monkeypatch.undo()
    gone = client.get("/v1/events", query_string={"after": "0-0"}, headers=auth(keys["site"]))
    assert gone.status_code == 410
    error = gone.get_json()["error"]
    assert error["code"] == "cursor_expired" and error["oldest_cursor"] == old["id"]
    [kept] = events_of(client, keys["site"], after=error["oldest_cursor"])
    assert kept["comment_id"] == "c2"
    assert [e["comment_id"] for e in events_of(client, keys["site"])] == ["c2"]  # no cursor: from the oldest kept


def test_a_long_poll_wakes_soon_after_a_decision(app, client, keys):
    post(client, keys["site"], "c1", "ann", HELD)
    cursor = feed(client, keys["site"])["cursor"]
    got: dict = {}

    def wait():
        started = time.monotonic()
        got["body"] = (
            app.test_client().get("/v1/events", query_string={"after": cursor, "wait": 10}, headers=auth(keys["site"])).get_json()
        )
        got["returned"] = time.monotonic()
        got["waited"] = got["returned"] - started

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    client.post("/v1/comments/c1/decision", json={"decision": "approve", "moderator": "m"}, headers=auth(keys["moderator"]))
    decided = time.monotonic()
    waiter.join(15)
    assert [e["comment_id"] for e in got["body"]["events"]] == ["c1"]
    assert got["waited"] >= 0.5
    assert got["returned"] - decided < 0.5  # polls every 50 ms; the slack is for a loaded machine


def test_long_polls_leave_a_worker_thread_for_verdicts(app, keys):
    """With two threads a worker lets one request wait; a second long poll meanwhile answers at once."""
    first: dict = {}

    def wait():
        started = time.monotonic()
        app.test_client().get("/v1/events", query_string={"wait": 2}, headers=auth(keys["site"]))
        first["waited"] = time.monotonic() - started

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    started = time.monotonic()
    second = app.test_client().get("/v1/events", query_string={"wait": 2}, headers=auth(keys["site"]))
    assert second.status_code == 200 and time.monotonic() - started < 1.0
    waiter.join(5)
    assert first["waited"] >= 1.9
