"""Rate limits: a token bucket per API key in Redis (its own limit, else the site's), answered per API's conventions."""

from __future__ import annotations

import json
import time

import pytest

from moderation.service.compat.coral import sign
from moderation.service.config import RateLimit

from .conftest import auth

TEXT = "The council should publish the full traffic study before the vote."


def score(client, key):
    return client.post("/v1/score", json={"text": TEXT}, headers=auth(key))


@pytest.fixture
def store(app):
    return app.extensions["moderation"].store


def test_a_keys_own_limit_allows_its_burst_then_answers_429_until_a_token_is_back(client, store):
    key = store.apikeys.create("news", "site", "w", 0, RateLimit(per_s=5, burst=3))[0]
    assert [score(client, key).status_code for _ in range(3)] == [200, 200, 200]
    refused = score(client, key)
    assert refused.status_code == 429
    assert refused.get_json() == {"error": {"status": 429, "code": "rate_limited", "message": "rate limit reached; retry in 1 s"}}
    assert refused.headers["Retry-After"] == "1"
    time.sleep(0.25)  # 5 a second: one token back after 0.2 s
    assert score(client, key).status_code == 200
    assert score(client, key).status_code == 429


def test_the_site_policy_limits_keys_without_their_own_and_each_key_has_its_own_bucket(client, store, keys):
    assert (
        client.put("/v1/policy", json={"rate_limit": {"per_s": 0.01, "burst": 2}}, headers=auth(keys["admin"])).status_code == 200
    )
    other = store.apikeys.create("news", "site", "second", 0)[0]
    roomy = store.apikeys.create("news", "site", "roomy", 0, RateLimit(per_s=100, burst=50))[0]
    assert [score(client, keys["site"]).status_code for _ in range(3)] == [200, 200, 429]
    assert int(score(client, keys["site"]).headers["Retry-After"]) in range(99, 101)  # 0.01 a second
    assert [score(client, other).status_code for _ in range(3)] == [200, 200, 429]  # its own bucket
    assert {score(client, roomy).status_code for _ in range(10)} == {200}  # its own limit wins
    # another site is not limited by this one's policy
    assert {score(client, keys["other"]).status_code for _ in range(5)} == {200}


def test_the_bucket_is_shared_by_every_process_on_the_redis(make_app, redis_client):
    a, b = make_app(), make_app()
    key = a.extensions["moderation"].store.apikeys.create("news", "site", "w", 0, RateLimit(per_s=0.01, burst=4))[0]
    ca, cb = a.test_client(), b.test_client()
    statuses = [score(c, key).status_code for c in (ca, cb, ca, cb, ca, cb)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_an_admin_changes_a_keys_limit_and_it_applies_at_once(client, store, keys):
    key, key_id = store.apikeys.create("news", "site", "w", 0, RateLimit(per_s=0.01, burst=1))
    assert [score(client, key).status_code for _ in range(2)] == [200, 429]
    changed = client.patch(f"/v1/keys/{key_id}", json={"rate_limit": {"per_s": 100, "burst": 100}}, headers=auth(keys["admin"]))
    assert changed.status_code == 200 and changed.get_json()["rate_limit"] == {"per_s": 100.0, "burst": 100}
    assert score(client, key).status_code == 200
    client.patch(f"/v1/keys/{key_id}", json={"rate_limit": None}, headers=auth(keys["admin"]))
    assert {score(client, key).status_code for _ in range(5)} == {200}  # no own limit, none for the site


def test_limits_fail_open_when_redis_is_down_and_that_is_counted(make_app, redis_url, keys):
    from moderation.service.store import connect
    from tests.service.openapi_checks import break_redis

    own = connect(redis_url, 5.0)
    app = make_app(redis=own)
    client = app.test_client()
    key = app.extensions["moderation"].store.apikeys.create("news", "site", "w", 0, RateLimit(per_s=0.01, burst=1))[0]
    assert [score(client, key).status_code for _ in range(2)] == [200, 429]
    break_redis(own)
    assert {score(client, key).status_code for _ in range(3)} == {200}  # the cached key, no bucket to ask
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'moderation_rate_limit_unchecked_total{api="native"} 3.0' in metrics
    assert 'moderation_rate_limited_total{api="native"} 1.0' in metrics


def test_perspective_answers_googles_quota_error(client, store):
    key = store.apikeys.create("news", "site", "w", 0, RateLimit(per_s=0.01, burst=1))[0]
    body = {"comment": {"text": TEXT}, "requestedAttributes": {"TOXICITY": {}}}
    assert client.post(f"/v1alpha1/comments:analyze?key={key}", json=body).status_code == 200
    refused = client.post(f"/v1alpha1/comments:analyze?key={key}", json=body)
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == 429 and error["status"] == "RESOURCE_EXHAUSTED"
    assert error["message"].startswith("Quota exceeded for quota metric")
    assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    assert int(refused.headers["Retry-After"]) >= 99


def test_akismet_answers_plain_text_429(client, store):
    key = store.apikeys.create("news", "site", "w", 0, RateLimit(per_s=0.01, burst=1))[0]
    form = {"api_key": key, "blog": "https://news.example", "user_ip": "127.0.0.1", "comment_content": TEXT}
    assert client.post("/akismet/1.1/comment-check", data=form).get_data(as_text=True) in ("true", "false")
    refused = client.post("/akismet/1.1/comment-check", data=form)
    assert refused.status_code == 429 and refused.mimetype == "text/plain"
    assert refused.get_data(as_text=True).startswith("Rate limit reached for this API key")
    assert int(refused.headers["Retry-After"]) >= 99
    assert refused.headers["X-akismet-debug-help"] == refused.get_data(as_text=True)


def test_coral_is_limited_by_the_site_policy(client, keys):
    secret = "empsec_" + "ab" * 32
    assert client.put("/v1/integrations/coral", json={"secrets": [secret]}, headers=auth(keys["admin"])).status_code == 200
    assert (
        client.put("/v1/policy", json={"rate_limit": {"per_s": 0.01, "burst": 1}}, headers=auth(keys["admin"])).status_code == 200
    )
    statuses = []
    for n in range(2):
        body = json.dumps(
            {
                "action": "NEW",
                "comment": {"body": f"Nice piece {n}"},
                "author": {"id": "a"},
                "story": {"id": "s"},
                "site": {"id": "x"},
                "tenantID": "t",
                "tenantDomain": "news.example",
            }
        ).encode()
        answer = client.post("/coral/news/moderate", data=body, headers={"X-Coral-Signature": f"sha256={sign(secret, body)}"})
        statuses.append((answer.status_code, answer.headers.get("Retry-After")))
    assert statuses[0][0] in (200, 204)
    assert statuses[1][0] == 429 and int(statuses[1][1]) >= 99
