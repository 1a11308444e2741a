"""Webhooks (issue 23): a real receiver in a process of its own verifies every delivery with the Standard Webhooks
library; a receiver down, failing, slow or redirecting gets every event once it answers 2xx, in order; 410 turns
the endpoint off; two instances deliver each event once; endpoints on private addresses are refused (SSRF)."""

from __future__ import annotations

import gc
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from moderation.service.background import Loop
from moderation.service.webhooks import AddressRefused, resolve, url_problem

from .conftest import auth

HELD = "Write to me at someone@example.net"
RECEIVER = Path(__file__).with_name("webhook_receiver.py")


@pytest.fixture(autouse=True)
def _only_this_tests_deliverers():
    """Stop the background threads of apps that earlier tests made and did not stop (they end only when their app is
    collected): one with the default settings polls the same Redis and can take this test's endpoint onto its own
    retry schedule (refusing the private address), so the test would wait in vain (the likely cause of a delivery
    that did not finish once in a whole run, never in this file alone). Autouse fixtures come first, so every
    thread alive here is another test's."""
    for found in gc.get_objects():
        if isinstance(found, Loop):
            found.stop()


FAST = {
    "webhook_poll_s": 0,
    "event_relay_s": 0,
    "webhook_allow_private": True,
    "webhook_retry_s": (0.2,) * 100,  # retries never run out within a test (the give-up test sets its own)
    "webhook_timeout_s": 1.0,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """The receiver process, its answers, and what it got."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.secret = directory / "secret"
        self.log = directory / "deliveries.jsonl"
        self.mode = directory / "mode"
        self.process: subprocess.Popen | None = None

    def start(self) -> Receiver:
        self.process = subprocess.Popen(
            [sys.executable, str(RECEIVER), str(self.port), str(self.secret), str(self.log), str(self.mode)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def answer(self, mode: str) -> None:
        self.mode.write_text(mode)

    def deliveries(self) -> list[dict]:
        if not self.log.exists():
            return []
        # The receiver may be writing a line now: only whole lines (ended by a newline) count.
        whole = self.log.read_text().split("\n")[:-1]
        return [json.loads(line) for line in whole if line.strip()]

    def accepted(self) -> list[dict]:
        """The verified deliveries answered 2xx at once (a slow answer is a timeout here)."""
        return [d for d in self.deliveries() if d["verified"] and d["mode"] == "ok"]


@pytest.fixture
def receiver(tmp_path):
    made = Receiver(tmp_path).start()
    yield made
    made.stop()


@pytest.fixture
def fast_app(make_app, redis_client):
    return make_app(**FAST)


def hold_and_decide(client, keys, n: int, prefix: str = "c", decision: str = "reject") -> None:
    for i in range(n):
        body = {"id": f"{prefix}{i}", "user_id": f"{prefix}u{i % 3}", "text": HELD}
        assert client.post("/v1/comments", json=body, headers=auth(keys["site"])).get_json()["verdict"] == "review"
    for i in range(n):
        client.post(
            f"/v1/comments/{prefix}{i}/decision", json={"decision": decision, "moderator": "mia"}, headers=auth(keys["moderator"])
        )


def endpoint(client, keys, receiver, **extra) -> dict:
    made = client.post("/v1/webhooks", json={"url": receiver.url, **extra}, headers=auth(keys["admin"]))
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    receiver.secret.write_text(body["secret"])
    return body


def deliver_until(app, done, seconds: float = 20.0) -> None:
    deliverer = app.extensions["moderation_webhooks"]
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "deliveries did not finish"
        deliverer.run_once()
        time.sleep(0.05)


def test_deliveries_are_signed_and_verified_by_the_standard_library(fast_app, keys, receiver):
    client = fast_app.test_client()
    made = endpoint(client, keys, receiver, description="the site's CMS")
    assert made["secret"].startswith("whsec_") and made["enabled"] is True and made["types"] == []
    listed = client.get("/v1/webhooks", headers=auth(keys["admin"])).get_json()["webhooks"]
    assert [w["id"] for w in listed] == [made["id"]] and "secret" not in listed[0]
    hold_and_decide(client, keys, 3)
    deliver_until(fast_app, lambda: len(receiver.accepted()) == 3)
    got = receiver.deliveries()
    assert all(d["verified"] for d in got)
    feed = client.get("/v1/events", headers=auth(keys["site"])).get_json()["events"]
    assert [d["id"] for d in got] == [e["id"] for e in feed]
    assert [d["event"]["data"] for d in got] == feed
    assert {d["event"]["type"] for d in got} == {"comment.decided"} and got[0]["event"]["timestamp"] == feed[0]["at"]
    view = client.get(f"/v1/webhooks/{made['id']}", headers=auth(keys["admin"])).get_json()
    assert view["delivery"]["cursor"] == feed[-1]["id"] and view["delivery"]["attempts"] == 0
    assert [a["status"] for a in view["deliveries"]] == [204, 204, 204] and "secret" not in view
    # a wrong secret is refused by the receiver's library (the test's receiver answers 401), and retried
    receiver.secret.write_text("whsec_" + "QUJD" * 8)
    hold_and_decide(client, keys, 1, prefix="w")
    fast_app.extensions["moderation_webhooks"].run_once()
    assert receiver.deliveries()[-1]["verified"] is False
    view = client.get(f"/v1/webhooks/{made['id']}", headers=auth(keys["admin"])).get_json()
    assert view["deliveries"][0]["status"] == 401 and view["delivery"]["attempts"] == 1


def test_a_receiver_down_then_back_gets_everything_in_order(fast_app, keys, receiver):
    client = fast_app.test_client()
    endpoint(client, keys, receiver)
    receiver.stop()
    hold_and_decide(client, keys, 6)
    deliverer = fast_app.extensions["moderation_webhooks"]
    for _ in range(3):  # refused connections: retried, nothing skipped
        deliverer.run_once()
        time.sleep(0.25)
    receiver.start()
    deliver_until(fast_app, lambda: len(receiver.accepted()) == 6)
    feed = client.get("/v1/events", headers=auth(keys["site"])).get_json()["events"]
    assert [d["id"] for d in receiver.accepted()] == [e["id"] for e in feed]  # each once, in the log's order


@pytest.mark.parametrize("failure", ["status 500", "slow 3", "redirect", "status 429"])
def test_failures_are_retried_until_the_receiver_takes_the_event(fast_app, keys, receiver, failure):
    client = fast_app.test_client()
    made = endpoint(client, keys, receiver)
    receiver.answer(failure)
    hold_and_decide(client, keys, 2)
    deliverer = fast_app.extensions["moderation_webhooks"]
    deliverer.run_once()
    time.sleep(0.25)
    deliverer.run_once()
    first = receiver.deliveries()
    assert len(first) >= 2 and {d["id"] for d in first} == {first[0]["id"]}  # the first event again, the next waits
    view = client.get(f"/v1/webhooks/{made['id']}", headers=auth(keys["admin"])).get_json()
    assert view["delivery"]["attempts"] >= 2 and view["delivery"]["failing_since"] is not None
    error = view["deliveries"][0]["error"]
    assert {"status 500": "HTTP 500", "slow 3": "timed out", "redirect": "a redirect (not followed)", "status 429": "HTTP 429"}[
        failure
    ] in error
    if failure == "redirect":
        assert all(d["path"] == "/hooks" for d in receiver.deliveries())  # never followed to /elsewhere
    receiver.answer("ok")
    deliver_until(fast_app, lambda: len(receiver.accepted()) == 2)
    ids = [d["id"] for d in receiver.accepted()]
    assert len(set(ids)) == 2 and ids[0] == first[0]["id"]


def test_retries_give_up_after_the_schedule_and_410_turns_the_endpoint_off(make_app, redis_client, keys, receiver):
    app = make_app(**{**FAST, "webhook_retry_s": (0.1, 0.1)})
    client = app.test_client()
    made = endpoint(client, keys, receiver)
    receiver.answer("status 503")
    hold_and_decide(client, keys, 2)
    deliverer = app.extensions["moderation_webhooks"]
    for _ in range(4):
        deliverer.run_once()
        time.sleep(0.15)
    view = client.get(f"/v1/webhooks/{made['id']}", headers=auth(keys["admin"])).get_json()
    assert any(a.get("gave_up") for a in view["deliveries"])  # three attempts, then the next event
    assert len({d["id"] for d in receiver.deliveries()}) == 2
    receiver.answer("status 410")
    deadline = time.monotonic() + 20
    while client.get(f"/v1/webhooks/{made['id']}", headers=auth(keys["admin"])).get_json()["enabled"]:
        assert time.monotonic() < deadline, "a 410 did not turn the endpoint off"
        deliverer.run_once()
        time.sleep(0.15)
    view = client.get(f"/v1/webhooks/{made['id']}", headers=auth(keys["admin"])).get_json()
    assert view["enabled"] is False and "410" in view["disabled"]
    count = len(receiver.deliveries())
    hold_and_decide(client, keys, 1, prefix="x")
    deliverer.run_once()
    assert len(receiver.deliveries()) == count  # off: nothing sent
    # on again: it goes on from where it stopped
    receiver.answer("ok")
    assert client.patch(f"/v1/webhooks/{made['id']}", json={"enabled": True}, headers=auth(keys["admin"])).get_json()["enabled"]
    deliver_until(app, lambda: any(d["event"]["data"]["comment_id"] == "x0" for d in receiver.accepted()))


def test_two_instances_deliver_each_event_once(make_app, redis_client, keys, receiver):
    first, second = make_app(**FAST), make_app(**FAST)
    client = first.test_client()
    endpoint(client, keys, receiver)
    hold_and_decide(client, keys, 12)  # 12 decisions, and a ban for each of the 3 users (4 strikes each)
    events = [e["id"] for e in client.get("/v1/events", headers=auth(keys["site"])).get_json()["events"]]
    assert len(events) == 15
    deadline = time.monotonic() + 20

    def deliver(app):  # both at once, as two instances' threads would
        while len(receiver.accepted()) < 15 and time.monotonic() < deadline:
            app.extensions["moderation_webhooks"].run_once()

    threads = [threading.Thread(target=deliver, args=(app,)) for app in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [d["id"] for d in receiver.deliveries()] == events


def test_a_restarted_service_resumes_where_it_stopped(make_app, redis_client, keys, receiver):
    app = make_app(**FAST)
    client = app.test_client()
    endpoint(client, keys, receiver)
    receiver.answer("status 500")
    hold_and_decide(client, keys, 5)
    app.extensions["moderation_webhooks"].run_once()
    app.extensions["moderation_webhooks"].stop()
    receiver.answer("ok")
    again = make_app(**FAST)  # a new process, the same Redis
    time.sleep(0.25)
    deliver_until(again, lambda: len(receiver.accepted()) == 5)
    assert len({d["id"] for d in receiver.accepted()}) == 5


def test_the_types_filter_and_redelivery(fast_app, keys, receiver):
    client = fast_app.test_client()
    made = endpoint(client, keys, receiver, types=["user.banned"])
    hold_and_decide(client, keys, 2)
    client.post("/v1/users/zed/ban", json={"reason": "spam wave"}, headers=auth(keys["moderator"]))
    deliver_until(fast_app, lambda: len(receiver.accepted()) == 1)
    fast_app.extensions["moderation_webhooks"].run_once()
    [got] = receiver.accepted()
    assert got["event"]["type"] == "user.banned" and got["event"]["data"]["user_id"] == "zed"
    answer = client.post(f"/v1/webhooks/{made['id']}/redeliver", json={"event_id": got["id"]}, headers=auth(keys["admin"]))
    assert answer.status_code == 202
    deliver_until(fast_app, lambda: len(receiver.accepted()) == 2)
    assert [d["id"] for d in receiver.accepted()] == [got["id"], got["id"]]
    missing = client.post(f"/v1/webhooks/{made['id']}/redeliver", json={"event_id": "1-0"}, headers=auth(keys["admin"]))
    assert missing.status_code == 404
    assert client.delete(f"/v1/webhooks/{made['id']}", headers=auth(keys["admin"])).status_code == 204
    assert client.get(f"/v1/webhooks/{made['id']}", headers=auth(keys["admin"])).status_code == 404


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"url"}),
        ({"url": "ftp://example.org/x"}, {"url"}),
        ({"url": "http://127.0.0.1:9/x"}, {"url"}),
        ({"url": "http://[::1]/x"}, {"url"}),
        ({"url": "http://169.254.169.254/latest/meta-data"}, {"url"}),
        ({"url": "http://10.0.0.8/hook"}, {"url"}),
        ({"url": "http://localhost/hook"}, {"url"}),
        ({"url": "https://user:pw@example.org/x"}, {"url"}),
        ({"url": "https://example.org/x", "types": ["comment.deleted"]}, {"types"}),
        ({"url": "https://example.org/x", "secret": "mine"}, {"secret"}),
        ({"url": 5, "description": 7}, {"url", "description"}),
    ],
)
def test_endpoints_on_private_addresses_and_bad_bodies_are_refused(client, keys, body, fields):
    answer = client.post("/v1/webhooks", json=body, headers=auth(keys["admin"]))
    assert answer.status_code == 422
    assert {f["field"] for f in answer.get_json()["error"]["fields"]} == fields


def test_names_are_checked_when_they_are_resolved():
    with pytest.raises(AddressRefused):
        resolve("localhost", 80, allow_private=False)
    assert resolve("localhost", 80, allow_private=True) in ("127.0.0.1", "::1")
    assert url_problem("https://news.example.org/hooks", allow_private=False) is None
    assert url_problem("http://127.0.0.1:8000/hooks", allow_private=True) is None


def test_only_admins_manage_webhooks(client, keys):
    for role in ("site", "moderator"):
        assert client.get("/v1/webhooks", headers=auth(keys[role])).status_code == 403


def test_redis_restarted_mid_backlog_loses_nothing(assessor, receiver, tmp_path):
    """Events in the log and in the outboxes, the cursors of the feed and of the endpoint: all on Redis's
    append-only file. Redis stops mid-backlog and comes back: every event arrives, once, and a feed reader resumes
    from its cursor."""
    import tempfile

    from moderation.service import create_app
    from moderation.service.redis_server import RedisServer

    with tempfile.TemporaryDirectory(prefix="modhooks-", dir="/tmp") as directory:
        server = RedisServer(directory, persist=True).start()
        try:
            app = create_app({"redis_url": server.url, "assessor": assessor, **FAST})
            store = app.extensions["moderation"].store
            keys = {role: store.apikeys.create("news", role, role, 0)[0] for role in ("site", "moderator", "admin")}
            client = app.test_client()
            endpoint(client, keys, receiver)
            hold_and_decide(client, keys, 6)
            page = client.get("/v1/events", query_string={"limit": 2}, headers=auth(keys["site"])).get_json()
            deliverer = app.extensions["moderation_webhooks"]
            deliverer.run_once()  # delivers some, the receiver answers
            server.stop()
            deliverer.run_once()  # Redis down: nothing moves, nothing breaks
            assert client.get("/v1/events", headers=auth(keys["site"])).status_code == 503
            server.start()
            deliver_until(app, lambda: len(receiver.accepted()) == 6)
            events = [e["id"] for e in client.get("/v1/events", headers=auth(keys["site"])).get_json()["events"]]
            assert len(events) == 6 and [d["id"] for d in receiver.accepted()] == events
            rest = client.get("/v1/events", query_string={"after": page["cursor"]}, headers=auth(keys["site"])).get_json()
            assert [e["id"] for e in page["events"] + rest["events"]] == events
            app.extensions["moderation_webhooks"].stop()
            app.extensions["moderation_events"].stop()
            app.extensions["moderation"].watcher.stop()
        finally:
            server.stop()


def test_an_endpoint_behind_the_retention_says_so_and_goes_on(fast_app, keys, receiver, redis_client):
    from moderation.service.store.keys import SiteKeys

    client = fast_app.test_client()
    made = endpoint(client, keys, receiver)
    hold_and_decide(client, keys, 3)
    ids = [e["id"] for e in client.get("/v1/events", headers=auth(keys["site"])).get_json()["events"]]
    # the first two trimmed, as the retention trims them (publish_events.lua: the floor is the newest trimmed)
    redis_client.xdel(SiteKeys("news").events, *ids[:2])
    redis_client.set(SiteKeys("news").events_floor, ids[1])
    deliver_until(fast_app, lambda: len(receiver.accepted()) == 1)
    assert [d["id"] for d in receiver.accepted()] == ids[2:]
    log = client.get(f"/v1/webhooks/{made['id']}", headers=auth(keys["admin"])).get_json()["deliveries"]
    assert any(a.get("gave_up") and "retention" in (a.get("error") or "") for a in log)
