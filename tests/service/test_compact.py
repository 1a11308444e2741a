"""Two lifetimes of a comment (issue 24): a compact lasting record for the retention, a full one for the review
period; claims in small hashes; the legacy format read, rewritten when touched, and moved by ``moderation migrate``."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from moderation.cli.main import main as cli_main
from moderation.service.store import comments as comments_store
from moderation.service.store.keys import FORMAT, SiteKeys, UserKeys

from .conftest import auth

DAY = 86400.0
CLEAN = "The council should publish the full traffic study before the vote on the new bridge."
ABUSIVE = "You are a pathetic idiot and everyone knows it."
REVIEW = "You clown, read the article first"


def post(client, key, cid, text, user="ann"):
    return client.post("/v1/comments", json={"id": cid, "user_id": user, "text": text}, headers=auth(key))


def get(client, key, cid):
    return client.get(f"/v1/comments/{cid}", headers=auth(key))


def encoding(client, key: str) -> str:
    return client.object("encoding", key)


def test_past_the_review_period_a_comment_keeps_its_lasting_record(client, keys, clock, redis_client):
    first = post(client, keys["site"], "c1", ABUSIVE).get_json()
    assert first["verdict"] == "reject" and first["user"]["strikes"] == 1
    full = get(client, keys["moderator"], "c1").get_json()
    assert full["full_record"] is True and full["text"] == ABUSIVE and full["spans"]
    clock.advance(15 * DAY)
    lasting = get(client, keys["moderator"], "c1").get_json()
    assert lasting["full_record"] is False and lasting["text"] is None and lasting["spans"] == []
    assert lasting["state"] == "rejected" and lasting["verdict"] == "reject"
    assert lasting["reasons"] == full["reasons"] and lasting["model_version"] == full["model_version"]
    assert lasting["scores"] == {c: round(v, 2) for c, v in full["scores"].items()}
    # the same text again is a repeat (no second strike); another text under the id is refused
    again = post(client, keys["site"], "c1", ABUSIVE).get_json()
    assert again["verdict"] == "reject" and again["user"]["strikes"] == 1 and again["reasons"] == first["reasons"]
    assert post(client, keys["site"], "c1", CLEAN).status_code == 409
    assert post(client, keys["site"], "c1", ABUSIVE, user="bob").status_code == 409
    # a decision on it lifts the strike, and undo puts it back
    decided = client.post(
        "/v1/comments/c1/decision", json={"decision": "approve", "moderator": "mia"}, headers=auth(keys["moderator"])
    )
    assert decided.status_code == 200 and decided.get_json()["user"]["strikes"] == 0
    undone = client.post("/v1/comments/c1/undo", json={"moderator": "mia"}, headers=auth(keys["moderator"]))
    assert undone.status_code == 200 and undone.get_json()["user"]["strikes"] == 1
    assert get(client, keys["moderator"], "c1").get_json()["state"] == "rejected"
    # no training label without the text
    assert redis_client.hget(SiteKeys("news").labels, "c1") is None


def test_the_full_record_waits_with_the_queue_and_then_for_the_review_period(client, keys, clock, redis_client):
    assert post(client, keys["site"], "held", REVIEW).get_json()["verdict"] == "review"
    full = UserKeys("news", "ann").full
    assert redis_client.ttl(full) == -1  # while one of its records waits for review
    clock.advance(30 * DAY)
    assert get(client, keys["moderator"], "held").get_json()["text"] == REVIEW
    client.post("/v1/comments/held/decision", json={"decision": "reject", "moderator": "mia"}, headers=auth(keys["moderator"]))
    # past the review period already: kept through the undo window only
    assert get(client, keys["moderator"], "held").get_json()["text"] == REVIEW
    assert 0 < redis_client.ttl(full) <= DAY + 120
    clock.advance(100)
    assert get(client, keys["moderator"], "held").get_json()["text"] is None
    # a new comment's full record: its review period, and a day for the sweep
    assert post(client, keys["site"], "fresh", CLEAN).status_code == 200
    assert 14 * DAY < redis_client.ttl(full) <= 15 * DAY
    clock.advance(14 * DAY + 1)
    assert get(client, keys["moderator"], "fresh").get_json()["full_record"] is False
    # the user's next comment sweeps the records past their term (a day late at most)
    clock.advance(DAY)
    assert post(client, keys["site"], "later", CLEAN).status_code == 200
    assert redis_client.hlen(full) == 2  # "later" and the sweep's due time


def test_records_and_claims_are_small_hashes(client, keys, redis_client):
    for n in range(40):
        assert post(client, keys["site"], f"c{n}", CLEAN, user=f"u{n % 4}").status_code == 200
    records, full = UserKeys("news", "u0").records, UserKeys("news", "u0").full
    assert redis_client.hlen(records) == 11 and redis_client.hlen(full) == 11  # ten records and the sweep's due time
    assert encoding(redis_client, records) in ("ziplist", "listpack")
    claim_keys = [k for k in redis_client.scan_iter("mod:{s:news:i*}:*") if not k.endswith(":m")]
    assert sum(redis_client.hlen(k) for k in claim_keys) == 40
    assert all(encoding(redis_client, k) in ("ziplist", "listpack") for k in claim_keys)
    # no key per comment
    assert not [k for k in redis_client.scan_iter("mod:*:cid:*")] and not [k for k in redis_client.scan_iter("mod:*:c:*")]


def test_claims_double_their_buckets_as_a_period_fills_and_every_one_is_found(client, keys, clock, redis_client, monkeypatch):
    monkeypatch.setattr(comments_store, "CLAIMS_PER_BUCKET", 2)
    ids = [f"id-{n}" for n in range(120)]
    for cid in ids:
        assert post(client, keys["site"], cid, CLEAN, user="u" + cid[-1]).status_code == 200
    def layouts() -> dict[int, list[tuple[int, int]]]:
        """Period -> (first, last) bucket counts of each shard that has a layout for it."""
        out: dict[int, list[tuple[int, int]]] = {}
        for key in redis_client.scan_iter("mod:{s:news:i*}:m"):
            for entry in (redis_client.hget(key, "L") or "").split():
                period, first, last = map(int, entry.split(":"))
                out.setdefault(period, []).append((first, last))
        return out

    assert any(last > 1 for shards in layouts().values() for _, last in shards)
    for cid in ids:
        assert get(client, keys["moderator"], cid).get_json()["user_id"] == "u" + cid[-1]
        assert post(client, keys["site"], cid, CLEAN, user="u" + cid[-1]).status_code == 200
    # the next period starts with as many buckets as this one ended with
    clock.advance(comments_store.CLAIM_PERIOD_S)
    assert post(client, keys["site"], "next", CLEAN, user="u1").status_code == 200
    period = int(clock() // comments_store.CLAIM_PERIOD_S)
    starts = [first for first, _ in layouts()[period]]
    assert starts and starts[0] > 1
    assert get(client, keys["moderator"], "id-7").get_json()["user_id"] == "u7"


def test_past_the_retention_a_comment_is_gone_and_its_user_keeps_no_record(client, keys, clock, redis_client):
    assert post(client, keys["site"], "old", CLEAN).status_code == 200
    clock.advance(181 * DAY)
    assert get(client, keys["moderator"], "old").status_code == 404
    assert post(client, keys["site"], "new", CLEAN).status_code == 200  # the user's records are swept on the way
    assert redis_client.hlen(UserKeys("news", "ann").records) == 2  # the new record and the sweep's due time


# -- the legacy format --------------------------------------------------------------------------------------------


def legacy_comment(redis, site, user, cid, text, created, verdict="approve", state="approved", decision="", categories=""):
    """Write one comment as the version before issue 24 did: a claim key, and one hash with the whole record."""
    sha = hashlib.sha256(text.encode()).hexdigest()
    scores = (
        {"abuse": 0.91234, "attack": 0.3, "promotion": 0.01}
        if verdict == "reject"
        else {"abuse": 0.02, "attack": 0.4, "promotion": 0.0}
    )
    reasons = ["abuse:model:reject"] if verdict == "reject" else (["attack:model:review"] if verdict == "review" else [])
    assessment = {"verdict": verdict, "scores": scores, "reasons": reasons, "spans": [], "model_version": "0123456789ab"}
    keys = UserKeys(site, user)
    redis.set(SiteKeys(site).legacy_claim(cid), f"{user}\n{sha}", ex=180 * 86400)
    struck = 1 if state == "rejected" else 0
    redis.hset(
        keys.comment(cid),
        mapping={
            "sha": sha,
            "assessment": json.dumps(assessment),
            "user": '{"strikes":0,"banned":false,"banned_until":null}',
            "banned": 0,
            "state": state,
            "struck": struck,
            "created": created,
            "decisions": 1 if decision else 0,
            "fields": json.dumps({"text": text, "article_id": "a1", "user_id": user}),
            **({"decision": decision, "decided_categories": categories, "decided_at": created + 60} if decision else {}),
        },
    )
    redis.expire(keys.comment(cid), 180 * 86400)
    redis.lpush(keys.comments, cid)
    if struck:
        redis.zadd(keys.strikes, {cid: created + 30 * DAY})
        redis.hset(keys.strike_info, cid, json.dumps({"weight": 1, "categories": ["abuse"], "reason": "r", "at": created}))


@pytest.fixture
def legacy(app, redis_client, clock):
    """A store the earlier version filled: 60 comments of 6 users on two sites, some past the review period."""
    clock.now = time.time()  # ``moderation migrate`` runs on the wall clock
    redis_client.hdel(FORMAT, "comments")
    app.extensions["moderation"].store.comments._legacy = None
    made = {}
    for n in range(60):
        site, user, cid = ("news" if n % 2 else "other"), f"u{n % 6}", f"old-{n}"
        created = clock() - (20 if n % 3 == 0 else 1) * DAY
        kind = n % 4
        if kind == 0:
            legacy_comment(redis_client, site, user, cid, ABUSIVE + str(n), created, "reject", "rejected")
        elif kind == 1:
            legacy_comment(redis_client, site, user, cid, REVIEW + str(n), created, "review", "pending")
        elif kind == 2:
            legacy_comment(redis_client, site, user, cid, REVIEW + str(n), created, "review", "approved", "approve")
        else:
            legacy_comment(redis_client, site, user, cid, CLEAN + str(n), created)
        made[cid] = (site, user, created)
    return made


def _strikes(redis, site, user):
    return redis.zcard(UserKeys(site, user).strikes)


def test_legacy_comments_are_read_and_rewritten_when_touched(client, keys, legacy, redis_client):
    site, user, _ = legacy["old-1"]  # news, pending
    assert redis_client.exists(SiteKeys(site).legacy_claim("old-1"))
    view = get(client, keys["moderator"], "old-1").get_json()
    assert view["user_id"] == user and view["state"] == "pending" and view["text"] == REVIEW + "1"
    assert not redis_client.exists(SiteKeys(site).legacy_claim("old-1"))
    assert not redis_client.exists(UserKeys(site, user).comment("old-1"))  # rewritten as a lasting and a full record
    # a repeat of a legacy comment: its answer, no strike; a changed text: 409
    site, user, _ = legacy["old-3"]  # news, approved
    assert post(client, keys["site"], "old-3", CLEAN + "3", user=user).get_json()["verdict"] == "approve"
    assert post(client, keys["site"], "old-3", CLEAN, user=user).status_code == 409
    # a decision on a legacy rejection lifts its strike
    site, user, _ = legacy["old-4"]  # other, rejected
    before = _strikes(redis_client, site, user)
    decided = client.post(
        "/v1/comments/old-4/decision", json={"decision": "approve", "moderator": "mia"}, headers=auth(keys["other"])
    )
    assert decided.status_code == 200 and _strikes(redis_client, site, user) == before - 1


def test_migrate_moves_every_legacy_comment_once_and_answers_stay_the_same(
    client, keys, legacy, redis_client, redis_url, clock, capsys
):
    def views():
        out = {}
        for cid, (site, _, _) in legacy.items():
            key = keys["moderator"] if site == "news" else keys["other"]
            out[cid] = get(client, key, cid).get_json()
        return out

    strikes = {(s, u): _strikes(redis_client, s, u) for s, u, _ in legacy.values()}
    assert get(client, keys["moderator"], "old-5").status_code == 200  # one touched before (moved already)
    assert cli_main(["migrate", "--redis-url", redis_url, "--batch", "7"]) == 0
    assert "59 comments moved" in capsys.readouterr().out
    assert not list(redis_client.scan_iter("mod:*:cid:*"))
    assert redis_client.hget(FORMAT, "comments") == "2"
    after = views()
    for cid, (site, user, created) in legacy.items():
        view = after[cid]
        assert view["user_id"] == user, cid
        n = int(cid.split("-")[1])
        recent = created > clock() - 14 * DAY or n % 4 == 1  # within the review period, or waiting for review
        assert view["full_record"] is recent and (view["text"] is not None) is recent, cid
        assert view["model_version"] == "0123456789ab"
        assert view["state"] == ("rejected", "pending", "approved", "approved")[n % 4], cid
        assert view["decision"] == ("approve" if n % 4 == 2 else None), cid
        if n % 4 == 0:
            assert view["scores"]["abuse"] == (0.91234 if recent else 0.91) and view["reasons"] == ["abuse:model:reject"]
        assert not redis_client.exists(UserKeys(site, user).comment(cid))
    assert strikes == {(s, u): _strikes(redis_client, s, u) for s, u, _ in legacy.values()}
    # a second run finds nothing left
    assert cli_main(["migrate", "--redis-url", redis_url]) == 0
    assert "0 comments moved" in capsys.readouterr().out
    # the service now skips the legacy lookups
    store = client.application.extensions["moderation"].store
    store.comments._legacy = None
    assert post(client, keys["site"], "after", CLEAN).status_code == 200 and store.comments._legacy is False


# -- everything else that grows has a bound -----------------------------------------------------------------------


def test_the_audit_log_labels_and_decision_numbers_are_kept_for_their_terms(client, keys, clock, redis_client):
    site = SiteKeys("news")
    redis_client.xadd(site.audit, {"type": "decision", "comment_id": "ancient"}, id="1000-0")
    redis_client.hset(site.labels, "ancient", json.dumps({"text": "t", "decided_at": clock() - 181 * DAY}))
    redis_client.hset(site.labels, "feedback", json.dumps({"text": "t"}))  # no time: kept
    redis_client.hset(site.recorded, mapping={"old": f"3 {clock() - 2 * DAY}", "legacy": "5", "new": f"1 {clock()}"})
    assert post(client, keys["site"], "h1", REVIEW).status_code == 200
    decided = client.post(
        "/v1/comments/h1/decision", json={"decision": "reject", "moderator": "mia"}, headers=auth(keys["moderator"])
    )
    assert decided.status_code == 200
    assert [e[0] for e in redis_client.xrange(site.audit)] != [] and "1000-0" not in [
        e[0] for e in redis_client.xrange(site.audit)
    ]
    assert set(redis_client.hkeys(site.labels)) == {"feedback", "h1"}
    assert set(redis_client.hkeys(site.recorded)) == {"new", "h1"}


def test_an_inactive_users_keys_expire(client, keys, redis_client):
    assert post(client, keys["site"], "r1", ABUSIVE).get_json()["verdict"] == "reject"
    user = UserKeys("news", "ann")
    ttl = {
        name: redis_client.ttl(getattr(user, name))
        for name in ("records", "full", "comments", "history", "strikes", "strike_info", "outbox")
    }
    assert 180 * DAY < ttl["records"] <= 181 * DAY
    assert 14 * DAY < ttl["full"] <= 15 * DAY
    assert ttl["comments"] == ttl["history"] and 179 * DAY < ttl["comments"] <= 180 * DAY
    assert ttl["strikes"] == ttl["strike_info"] and 30 * DAY < ttl["strikes"] <= 31 * DAY  # the default strike term
    # a decision is an event: the user's outbox (emptied once the event is published) goes after 30 days
    client.post("/v1/comments/r1/decision", json={"decision": "approve", "moderator": "mia"}, headers=auth(keys["moderator"]))
    assert 29 * DAY < redis_client.ttl(user.outbox) <= 30 * DAY


def test_the_event_log_forgets_users_whose_outbox_is_gone(client, keys, redis_client):
    site = SiteKeys("news")
    redis_client.hset(site.events_published, "gone", "1000-0")
    assert post(client, keys["site"], "r1", ABUSIVE).status_code == 200
    client.post("/v1/comments/r1/decision", json={"decision": "approve", "moderator": "mia"}, headers=auth(keys["moderator"]))
    published = redis_client.hgetall(site.events_published)
    assert "gone" not in published and "ann" in published
