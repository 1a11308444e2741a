"""Redis outage (degraded answers, 503s, recovery) and concurrent submissions (nothing lost or counted twice)."""

from __future__ import annotations

import json
import multiprocessing
import tempfile
import threading
import time

import pytest

from moderation.service import create_app
from moderation.service.redis_server import RedisServer
from moderation.service.store import connect

from .conftest import Clock, auth, clear

ABUSIVE = "You are a pathetic idiot and everyone knows it."
CLEAN = "The council should publish the full traffic study before the vote."


@pytest.fixture
def own_redis():
    """A redis-server this test may stop and start."""
    with tempfile.TemporaryDirectory(prefix="modfail-", dir="/tmp") as directory:
        server = RedisServer(directory, persist=True).start()
        try:
            yield server
        finally:
            server.stop()


def metric(client, name: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    total = 0.0
    for line in text.splitlines():
        if line.startswith((name + " ", name + "{")):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.mark.parametrize("degraded_verdict", ["keep", "review"])
def test_redis_down_then_back(own_redis, assessor, degraded_verdict):
    clock = Clock()
    app = create_app({"redis_url": own_redis.url, "assessor": assessor, "clock": clock, "degraded_verdict": degraded_verdict})
    client = app.test_client()
    site, mod = (
        app.extensions["moderation"].store.apikeys.create("news", role, "", clock())[0] for role in ("site", "moderator")
    )
    assert (
        client.post("/v1/comments", json={"id": "before", "user_id": "u", "text": CLEAN}, headers=auth(site)).get_json()["store"]
        == "ok"
    )
    assert client.get("/v1/queue", headers=auth(mod)).status_code == 200  # the moderator key is cached too
    assert client.get("/readyz").status_code == 200

    own_redis.stop()
    down = client.post("/v1/comments", json={"id": "during", "user_id": "u", "text": CLEAN}, headers=auth(site))
    assert down.status_code == 200
    body = down.get_json()
    assert body["store"] == "unavailable" and body["user"] is None
    if degraded_verdict == "keep":
        assert body["verdict"] == "approve" and body["reasons"] == []
    else:
        assert body["verdict"] == "review" and body["reasons"] == ["store_unavailable"]
    rejected = client.post("/v1/comments", json={"id": "during2", "user_id": "u", "text": ABUSIVE}, headers=auth(site)).get_json()
    assert rejected["verdict"] == "reject" and rejected["store"] == "unavailable"
    for method, path, payload in (
        ("get", "/v1/queue", None),
        ("post", "/v1/queue/claim", {"moderator": "m"}),
        ("get", "/v1/users/u", None),
        ("post", "/v1/comments/before/decision", {"decision": "approve", "moderator": "m"}),
        ("post", "/v1/users/u/ban", {"reason": "r"}),
    ):
        response = getattr(client, method)(path, json=payload, headers=auth(mod))
        assert response.status_code == 503, path
        assert response.get_json()["error"]["code"] == "store_unavailable"
        assert response.headers["Retry-After"] == "5"
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200
    assert metric(client, "moderation_store_unavailable_total") == 2
    assert metric(client, "moderation_redis_errors_total") >= 7

    own_redis.start()  # same socket, same append-only file: no restart of the app
    after = client.post("/v1/comments", json={"id": "after", "user_id": "u", "text": ABUSIVE}, headers=auth(site)).get_json()
    assert after["store"] == "ok" and after["user"]["strikes"] == 1
    assert client.get("/readyz").status_code == 200
    again = client.post("/v1/comments", json={"id": "before", "user_id": "u", "text": CLEAN}, headers=auth(site)).get_json()
    assert again["store"] == "ok"  # written before the outage, kept on disk


def test_unknown_key_during_an_outage_is_503(own_redis, assessor):
    app = create_app({"redis_url": own_redis.url, "assessor": assessor})
    own_redis.stop()
    response = app.test_client().post("/v1/score", json={"text": "x"}, headers=auth("mk_never-seen"))
    assert response.status_code == 503


def _hammer(app, key, ids, results, barrier):
    client = app.test_client()
    barrier.wait()
    for cid in ids:
        results.append(
            client.post("/v1/comments", json={"id": cid, "user_id": "target", "text": ABUSIVE}, headers=auth(key)).get_json()
        )


def test_concurrent_rejections_count_exactly_and_ban_once(app, keys, redis_client):
    ids = [f"c{i}" for i in range(30)]
    results: list[dict] = []
    threads = 12
    barrier = threading.Barrier(threads)
    # every id is sent by two threads at once: duplicates must not count twice
    chunks = [ids[i % 6 * 5 : i % 6 * 5 + 5] for i in range(threads)]
    workers = [threading.Thread(target=_hammer, args=(app, keys["site"], chunk, results, barrier)) for chunk in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(results) == 60
    assert all(r["verdict"] == "reject" and r["store"] == "ok" for r in results)
    view = app.test_client().get("/v1/users/target", headers=auth(keys["moderator"])).get_json()
    assert view["strikes"] == 3  # the third strike bans; later comments add none
    assert [e["type"] for e in view["history"]].count("ban") == 1
    by_id: dict[str, set] = {}
    for r in results:
        by_id.setdefault(r["id"], set()).add(json.dumps({k: r[k] for k in ("verdict", "reasons")}, sort_keys=True))
    assert all(len(answers) == 1 for answers in by_id.values())  # the two copies of an id got the same answer
    assert sum(1 for answers in by_id.values() if "user_banned" in next(iter(answers))) == 27


def _process_worker(args):
    redis_url, key, ids = args
    from moderation.classifier.assessor import Assessor

    app = create_app({"redis_url": redis_url, "assessor": Assessor.load()})
    client = app.test_client()
    return [
        client.post("/v1/comments", json={"id": cid, "user_id": "many", "text": ABUSIVE}, headers=auth(key)).get_json()["user"][
            "strikes"
        ]
        for cid in ids
    ]


def test_concurrent_processes_count_every_strike(redis_url, redis_client):
    clear(redis_client)
    from moderation.service.store.apikeys import ApiKeyStore
    from moderation.service.store.keys import SiteKeys

    key = ApiKeyStore(connect(redis_url)).create("news", "admin", "", 0)[0]
    redis_client.set(SiteKeys("news").policy, json.dumps({"ban_steps": [[1000, 60]]}))  # no ban: count every strike
    ids = [f"p{i}" for i in range(80)]
    jobs = [(redis_url, key, ids[i::4] + ids[(i + 1) % 4 :: 4][:5]) for i in range(4)]  # overlapping ids
    context = multiprocessing.get_context("fork")
    with context.Pool(4) as pool:
        counts = pool.map(_process_worker, jobs)
    assert max(max(c) for c in counts) == 80
    # the workers used the real clock
    from moderation.service.store import Store

    assert Store(connect(redis_url)).users.state("news", "many", time.time())["strikes"] == 80
