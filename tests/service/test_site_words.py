"""A site's own word lists through the service: verdicts, isolation between sites, live changes, the audit log."""

from __future__ import annotations

import time

from .conftest import auth

TROLL = "grimbleshank"


def submit(client, key, comment_id, text, user="u1"):
    response = client.post("/v1/comments", json={"id": comment_id, "user_id": user, "text": text}, headers=auth(key))
    assert response.status_code == 200, response.get_data()
    return response.get_json()


def put_words(client, key, entries):
    response = client.put("/v1/rules", json={"entries": entries, "moderator": "ana"}, headers=auth(key))
    assert response.status_code == 200, response.get_data()
    return response.get_json()


def test_a_site_word_rejects_with_evidence_and_other_sites_are_untouched(client, keys):
    text = f"Ask {TROLL.upper()} about the bridge."
    assert submit(client, keys["site"], "c0", text)["verdict"] == "approve"
    put_words(client, keys["admin"], [{"pattern": TROLL, "severity": "block", "category": "attack"}])
    answer = submit(client, keys["site"], "c1", "Ask gr1mbl3sh4nk about the bridge.")
    assert answer["verdict"] == "reject" and "attack:site:block" in answer["reasons"]
    [span] = [s for s in answer["spans"] if s["source"] == "rule:site"]
    assert (span["start"], span["end"], span["category"]) == (4, 16, "attack")
    assert answer["user"]["strikes"] == 1
    # the other site has no such word
    other = client.post("/v1/score", json={"text": text}, headers=auth(keys["other"])).get_json()
    assert other["verdict"] == "approve" and "rule:site" not in {s["source"] for s in other["spans"]}


def test_allow_lets_an_innocent_word_through_for_this_site(client, keys):
    text = "You are a pathetic idiot and everyone knows it."
    assert client.post("/v1/score", json={"text": text}, headers=auth(keys["site"])).get_json()["verdict"] == "reject"
    put_words(client, keys["admin"], [{"pattern": "idiot", "severity": "allow"}, {"pattern": "pathetic", "severity": "allow"}])
    answer = client.post("/v1/score", json={"text": text}, headers=auth(keys["site"])).get_json()
    assert not any(r.endswith(":rule:block") for r in answer["reasons"])


def test_a_change_through_one_app_is_used_by_another_within_a_second(make_app, redis_client, keys):
    one, two = make_app(), make_app()
    c1, c2 = one.test_client(), two.test_client()
    text = f"what {TROLL} said"
    assert c2.post("/v1/score", json={"text": text}, headers=auth(keys["site"])).get_json()["verdict"] == "approve"
    put_words(c1, keys["admin"], [{"pattern": TROLL, "severity": "review"}])
    started = time.monotonic()
    while c2.post("/v1/score", json={"text": text}, headers=auth(keys["site"])).get_json()["verdict"] != "review":
        assert time.monotonic() - started < 1.0, "the other app still used the old lists"
        time.sleep(0.02)


def test_every_change_is_in_the_audit_log_and_no_label_is_made(client, keys):
    put_words(client, keys["admin"], [{"pattern": TROLL, "severity": "block"}, {"pattern": "scunthorpe", "severity": "allow"}])
    client.patch("/v1/rules", json={"remove": ["scunthorpe"], "moderator": "bo"}, headers=auth(keys["admin"]))
    entries = client.get("/v1/audit?decision=rules", headers=auth(keys["moderator"])).get_json()["entries"]
    assert [(e["moderator"], e["change"]) for e in entries] == [
        ("bo", "added or changed nothing; removed 1"),
        ("ana", "replaced the lists: 1 allow, 1 block"),
    ]
    # the lists are not training labels: retraining reads decisions and feedback only
    assert client.get("/v1/labels", headers=auth(keys["admin"])).get_data() == b""


def test_the_last_compiled_lists_serve_while_redis_is_down(redis_url, assessor, clock, keys, client):
    from service import create_app
    from service.store import connect

    from .test_openapi import break_redis

    put_words(client, keys["admin"], [{"pattern": TROLL, "severity": "block"}])
    own = connect(redis_url, 5.0)
    app = create_app({"redis_url": redis_url, "redis": own, "assessor": assessor, "clock": clock, "change_poll_s": 0})
    other = app.test_client()
    assert other.post("/v1/score", json={"text": TROLL}, headers=auth(keys["site"])).get_json()["verdict"] == "reject"
    break_redis(own)
    answer = submit(other, keys["site"], "down-1", f"hey {TROLL}")
    assert answer["store"] == "unavailable" and answer["verdict"] == "reject"
