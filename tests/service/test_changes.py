"""Changes other processes cache (keys, policies, integration settings) reach every app on the Redis soon after."""

from __future__ import annotations

import time

from moderation.service.store.changes import TOPICS

from .conftest import auth

TEXT = "The council should publish the full traffic study before the vote."


def post(client, key, cid):
    return client.post("/v1/comments", json={"id": cid, "user_id": "u", "text": TEXT}, headers=auth(key))


def key_id(client, admin, name):
    [found] = [k for k in client.get("/v1/keys", headers=auth(admin)).get_json()["keys"] if k["name"] == name]
    return found["id"]


def test_a_revoked_key_stops_working_on_another_app_at_its_next_poll(make_app, redis_client):
    a, b = make_app(change_poll_s=0), make_app(change_poll_s=0)  # polled by hand here
    store = a.extensions["moderation"].store
    admin = store.apikeys.create("news", "admin", "admin", 0)[0]
    site = store.apikeys.create("news", "site", "writer", 0)[0]
    ca, cb = a.test_client(), b.test_client()
    assert post(cb, site, "c1").status_code == 200  # b caches the key (for key_cache_s, 30 s)
    b.extensions["moderation"].watcher.poll()  # the baseline
    assert ca.delete(f"/v1/keys/{key_id(ca, admin, 'writer')}", headers=auth(admin)).status_code == 200
    assert post(cb, site, "c2").status_code == 200  # still cached: no poll yet (the watcher is what changes it)
    assert b.extensions["moderation"].watcher.poll() == ["apikeys"]
    answer = post(cb, site, "c3")
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthorized"


def test_the_watcher_thread_applies_a_revocation_within_seconds(make_app, redis_client):
    """The watcher polls every 0.25 s; 3 s (loose enough for a loaded machine) is still far below the key cache's
    30 s, so passing shows the watcher thread did it."""
    a, b = make_app(), make_app()  # change_poll_s: the default, 0.25 s
    store = a.extensions["moderation"].store
    admin = store.apikeys.create("news", "admin", "admin", 0)[0]
    site = store.apikeys.create("news", "site", "writer", 0)[0]
    ca, cb = a.test_client(), b.test_client()
    assert post(cb, site, "c1").status_code == 200  # starts b's watcher and caches the key
    assert ca.delete(f"/v1/keys/{key_id(ca, admin, 'writer')}", headers=auth(admin)).status_code == 200
    revoked = time.monotonic()
    n = 1
    while post(cb, site, f"c{(n := n + 1)}").status_code == 200:
        assert time.monotonic() - revoked < 3.0, "the revoked key still works after 3 s"
        time.sleep(0.01)


def test_policy_and_integration_changes_reach_other_apps(make_app, redis_client):
    a, b = make_app(change_poll_s=0), make_app(change_poll_s=0)
    store = a.extensions["moderation"].store
    admin = store.apikeys.create("news", "admin", "admin", 0)[0]
    ca, cb = a.test_client(), b.test_client()
    before = cb.get("/v1/policy", headers=auth(admin)).get_json()
    b.extensions["moderation"].watcher.poll()
    changed = ca.put("/v1/policy", json={"strike_ttl_s": 3600}, headers=auth(admin))
    assert changed.status_code == 200
    assert cb.get("/v1/policy", headers=auth(admin)).get_json() == before  # b's cached copy
    assert "policies" in b.extensions["moderation"].watcher.poll()
    assert cb.get("/v1/policy", headers=auth(admin)).get_json()["strike_ttl_s"] == 3600
    store.integrations.set("news", "coral", {"secret": "x"})
    assert "integrations" in b.extensions["moderation"].watcher.poll()


def test_counters_that_go_back_still_count_as_a_change(make_app, redis_client):
    """A Redis that lost its data (a restart without persistence) must not hide a change."""
    app = make_app(change_poll_s=0)
    watcher, store = app.extensions["moderation"].watcher, app.extensions["moderation"].store
    store.policies.clear("news")
    watcher.poll()
    redis_client.delete("mod:changes")
    assert watcher.poll() == ["policies"]
    assert set(store.changes.counters()) == set(TOPICS)
