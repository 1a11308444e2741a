"""Ten thousand users of one site do not reach the requests of another (issue 11, item 7).

What a request costs is the commands it sends to Redis, those its scripts run
included. Redis's MONITOR shows all of them, so the test compares, command for
command, another site's submit before and after one site gained 10,000 users:
the same commands, none of them on the big site's keys, none that walks a
collection.
"""

from __future__ import annotations

import re
import threading

import pytest
import redis

from moderation.service import create_app

from .conftest import auth, clear, single_redis_url

USERS = 10_000
REFRESH = re.compile(r"(GET mod:\{s:small\}:policy|HGETALL mod:apikey:[0-9a-f]+)$")
#: Commands whose cost grows with what they walk.
WALKS = {"KEYS", "SCAN", "SSCAN", "HSCAN", "ZSCAN", "SMEMBERS", "HGETALL", "HKEYS", "HVALS", "LRANGE", "SORT", "DBSIZE"}


@pytest.fixture
def single(request):
    """The single redis-server (MONITOR sees one server's commands)."""
    url = single_redis_url(request)
    client = redis.Redis.from_url(url, decode_responses=True)
    clear(client)
    yield url, client
    clear(client)


def commands_of(client: redis.Redis, action) -> list[str]:
    """Return the commands Redis ran while ``action()`` ran (scripts' own included), as their words."""
    seen: list[str] = []
    started = threading.Event()
    marker = "isolation-test-marker"

    def watch() -> None:
        with client.monitor() as monitor:
            started.set()
            for event in monitor.listen():
                if marker in event["command"]:
                    return
                seen.append(event["command"])

    watcher = threading.Thread(target=watch)
    watcher.start()
    started.wait(5)
    client.echo("isolation-test-start")
    action()
    client.echo(marker)
    watcher.join(10)
    assert not watcher.is_alive()
    begun = next(i for i, c in enumerate(seen) if "isolation-test-start" in c)
    return seen[begun + 1 :]


def test_ten_thousand_users_of_one_site_do_not_reach_another_sites_requests(single, assessor, clock):
    url, client = single
    app = create_app({"redis_url": url, "assessor": assessor, "clock": clock, "change_poll_s": 0})
    http = app.test_client()
    store = app.extensions["moderation"].store
    big = store.apikeys.create("big", "site", "big site", clock())[0]
    small = store.apikeys.create("small", "site", "small site", clock())[0]

    def submit(key: str, cid: str, user: str) -> None:
        body = {"id": cid, "user_id": user, "text": "You are a pathetic idiot and everyone knows it."}
        assert http.post("/v1/comments", json=body, headers=auth(key)).status_code == 200

    submit(small, "s0", "s-user-0")  # the small site's caches (key, policy) are warm from here on
    submit(big, "b0", "b-user-0")
    before = commands_of(client, lambda: submit(small, "s1", "s-user-1"))
    for start in range(0, USERS, 100):
        batch = [{"id": f"m{n}", "user_id": f"m-user-{n}", "text": "Thanks, a fair summary."} for n in range(start, start + 100)]
        answer = http.post("/v1/comments/batch", json={"comments": batch}, headers=auth(big))
        assert answer.status_code == 200 and {r["status"] for r in answer.get_json()["results"]} == {200}
    users = {key.split("}")[0] for key in client.scan_iter("mod:{s:big:u:*", count=1000)}
    assert len(users) == USERS + 1  # each user has keys of their own (b-user-0 too)
    after = commands_of(client, lambda: submit(small, "s2", "s-user-2"))

    def shape(commands: list[str]) -> list[str]:
        """The commands' names ("EVALSHA <sha> 3 ..." -> EVALSHA), leaving out the rereads of the caller's own key and
        policy, which come when the process's cached copies grow old (by the clock, whatever the other site did)."""
        return [c.split(" ", 1)[0].upper() for c in commands if not REFRESH.match(c)]

    assert before and shape(after) == shape(before), (before, after)
    assert not [c for c in before + after if "s:big" in c]  # the big site's keys: {s:big} and {s:big:u:<user>}
    assert not {c for c in shape(after) if c in WALKS}
    app.extensions["moderation"].watcher.stop()
