"""A site's own word lists through the service: verdicts, isolation between sites, live changes, the audit log."""

from __future__ import annotations

import csv
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


def test_a_change_through_one_app_is_used_by_another_within_seconds(make_app, redis_client, keys):
    """The change watcher polls every 0.25 s (how soon, measured: docs/BENCHMARKS.md, "Site word lists"); 3 s is loose
    enough for a loaded machine."""
    one, two = make_app(), make_app()
    c1, c2 = one.test_client(), two.test_client()
    text = f"what {TROLL} said"
    assert c2.post("/v1/score", json={"text": text}, headers=auth(keys["site"])).get_json()["verdict"] == "approve"
    put_words(c1, keys["admin"], [{"pattern": TROLL, "severity": "review"}])
    started = time.monotonic()
    while c2.post("/v1/score", json={"text": text}, headers=auth(keys["site"])).get_json()["verdict"] != "review":
        assert time.monotonic() - started < 3.0, "the other app still used the old lists after 3 s"
        time.sleep(0.02)


def test_every_change_is_in_the_audit_log_and_no_label_is_made(client, keys):
    put_words(client, keys["admin"], [{"pattern": TROLL, "severity": "block"}, {"pattern": "scunthorpe", "severity": "allow"}])
    client.patch("/v1/rules", json={"remove": ["scunthorpe"], "moderator": "bo"}, headers=auth(keys["admin"]))
    entries = client.get("/v1/audit?decision=rules", headers=auth(keys["moderator"])).get_json()["entries"]
    assert [(e["moderator"], e["change"]) for e in entries] == [
        ("bo", "added or changed nothing; removed 1 (scunthorpe)"),
        ("ana", "replaced the lists: 1 allow (scunthorpe), 1 block (grimbleshank)"),
    ]
    # the lists are not training labels: retraining reads decisions and feedback only
    assert client.get("/v1/labels", headers=auth(keys["admin"])).get_data() == b""


def test_the_last_compiled_lists_serve_while_redis_is_down(redis_url, assessor, clock, keys, client):
    from moderation.service import create_app
    from moderation.service.store import connect

    from .openapi_checks import break_redis

    put_words(client, keys["admin"], [{"pattern": TROLL, "severity": "block"}])
    own = connect(redis_url, 5.0)
    app = create_app({"redis_url": redis_url, "redis": own, "assessor": assessor, "clock": clock, "change_poll_s": 0})
    other = app.test_client()
    assert other.post("/v1/score", json={"text": TROLL}, headers=auth(keys["site"])).get_json()["verdict"] == "reject"
    break_redis(own)
    answer = submit(other, keys["site"], "down-1", f"hey {TROLL}")
    assert answer["store"] == "unavailable" and answer["verdict"] == "reject"


SYNTAX = "write <block|review|allow>[:<category>] <word or phrase>"


def refused(response) -> list[dict]:
    assert response.status_code == 422, response.get_data()
    return response.get_json()["error"]["fields"]


def test_a_text_import_names_every_problem_by_its_line_at_once(client, keys):
    """Syntax and entry problems together, numbered as lines of the body (comments and blank lines count)."""
    body = (
        "# the site's words\n"  # 1
        "\n"  # 2
        "block grimbleshank\r\n"  # 3
        "nonsense\n"  # 4
        "allow two words\r"  # 5
        "review wo*rd  # a note\n"  # 6
        "block:nope troll\n"  # 7
        "block grimbleshank  # again\n"  # 8
        "review plonker\n"  # 9
    )
    response = client.put("/v1/rules", data=body, content_type="text/plain", headers=auth(keys["admin"]))
    assert refused(response) == [
        {"field": "line 4", "message": SYNTAX},
        {
            "field": "line 5",
            "message": "pattern is more than one word: an allow entry is one word (or word*, or a domain), which no rule"
            " then matches",
        },
        {
            "field": "line 6",
            "message": "pattern has an unbalanced wildcard: * goes only at the start or the end of a word",
        },
        {"field": "line 7", "message": "category must be one of abuse, attack, promotion"},
        {"field": "line 8", "message": "pattern 'grimbleshank' is listed twice (first at line 3)"},
    ]
    assert response.get_json()["error"]["message"] == "invalid fields: line 4, line 5, line 6, line 7, line 8"
    assert client.get("/v1/rules", headers=auth(keys["admin"])).get_json()["version"] == 0  # nothing applied


def test_a_csv_import_names_every_problem_by_its_line(client, keys):
    body = (
        "pattern,severity,category,note\n"  # 1
        'grimbleshank,block,attack,"a note\non two lines"\n'  # 2-3
        ",review,,\n"  # 4
        "wo*rd,never,,\n"  # 5
        "\n"  # 6
        "grimbleshank,review,,\n"  # 7
    )
    response = client.put("/v1/rules", data=body, content_type="text/csv", headers=auth(keys["admin"]))
    assert refused(response) == [
        {"field": "line 4", "message": "pattern is empty"},
        {"field": "line 5", "message": "severity must be one of block, review, allow"},
        {
            "field": "line 5",
            "message": "pattern has an unbalanced wildcard: * goes only at the start or the end of a word",
        },
        {"field": "line 7", "message": "pattern 'grimbleshank' is listed twice (first at line 2)"},
    ]
    no_header = client.put("/v1/rules", data="\nword,list\nx,block\n", content_type="text/csv", headers=auth(keys["admin"]))
    assert refused(no_header) == [{"field": "line 2", "message": "a CSV header with pattern and severity columns is needed"}]
    empty = client.put("/v1/rules", data="", content_type="text/csv", headers=auth(keys["admin"]))
    assert refused(empty) == [{"field": "line 1", "message": "a CSV header with pattern and severity columns is needed"}]
    huge = 'pattern,severity\nok,block\n"' + "a" * 200_000 + '",block\n'
    limit = csv.field_size_limit(131_072)  # the csv module's own (training.datasets raises it when imported)
    try:
        response = client.put("/v1/rules", data=huge, content_type="text/csv", headers=auth(keys["admin"]))  # was a 500
    finally:
        csv.field_size_limit(limit)
    assert refused(response) == [
        {"field": "line 3", "message": "cannot be read as CSV: field larger than field limit (131072)"}
    ]


def test_the_moderators_name_and_the_entries_are_refused_together(client, keys):
    query = {"moderator": "a\x01"}
    response = client.put("/v1/rules", query_string=query, data="nonsense\n", content_type="text/plain", headers=auth(keys["admin"]))
    assert refused(response) == [
        {"field": "moderator", "message": "must not contain control characters"},
        {"field": "line 1", "message": SYNTAX},
    ]
    response = client.patch(
        "/v1/rules", json={"add": [{"pattern": "", "severity": "block"}], "moderator": 5}, headers=auth(keys["admin"])
    )
    assert refused(response) == [
        {"field": "moderator", "message": "must be text of at most 200 characters"},
        {"field": "add[0].pattern", "message": "is empty"},
    ]


def test_the_audit_entry_names_the_entries_changed(client, keys):
    admin, moderator = auth(keys["admin"]), auth(keys["moderator"])
    words = [f"word{i:02d}" for i in range(25)]
    client.patch("/v1/rules", json={"add": [{"pattern": w, "severity": "block"} for w in words]}, headers=admin)
    client.patch(
        "/v1/rules",
        json={"add": [{"pattern": "plonker", "severity": "review"}], "remove": ["word00", "word01", "never-listed"]},
        headers=admin,
    )
    client.put("/v1/rules", data="allow scunthorpe\n", content_type="text/plain", headers=admin)
    entries = client.get("/v1/audit", query_string={"decision": "rules"}, headers=moderator).get_json()["entries"]
    assert [e["change"] for e in entries] == [
        # 20 named in all, the rest counted
        f"replaced the lists: 1 allow (scunthorpe); removed 24 ({', '.join(['plonker', *words[2:20]])} and 5 more)",
        "added or changed 1 review (plonker); removed 2 (word00, word01)",
        f"added or changed 25 block ({', '.join(words[:20])} and 5 more); removed 0",
    ]


def test_a_csv_export_gives_added_at_in_iso_8601_and_imports_again(client, keys):
    put_words(client, keys["admin"], [{"pattern": TROLL, "severity": "block", "category": "attack", "note": "=1+1"}])
    exported = client.get("/v1/rules", query_string={"format": "csv"}, headers=auth(keys["admin"]))
    assert exported.get_data(as_text=True) == (
        "pattern,severity,category,note,added_by,added_at\n" f"{TROLL},block,attack,'=1+1,ana,2027-01-15T08:00:00.000Z\n"
    )
    listed = client.get("/v1/rules", headers=auth(keys["admin"])).get_json()["entries"]
    assert listed[0]["added_at"] == "2027-01-15T08:00:00.000Z"  # as the JSON list gives it
    again = client.put("/v1/rules", data=exported.get_data(), content_type="text/csv", headers=auth(keys["admin"]))
    assert again.status_code == 200 and again.get_json()["entries"] == 1


def test_a_lone_surrogate_is_refused_in_every_field_of_an_entry(client, keys):
    lone, admin = "must not contain unpaired surrogates", auth(keys["admin"])
    words = client.put(
        "/v1/rules", json={"entries": [{"pattern": "a\ud800", "severity": "block", "note": "\udc00"}], "moderator": "\ud800"},
        headers=admin,
    )
    assert refused(words) == [
        {"field": "moderator", "message": lone},
        {"field": "entries[0].pattern", "message": lone},
        {"field": "entries[0].note", "message": lone},
    ]
    removed = client.patch("/v1/rules", json={"remove": ["a\ud800"]}, headers=admin)
    assert refused(removed) == [{"field": "remove[0]", "message": lone}]
    assert client.get("/v1/rules", headers=admin).get_json()["version"] == 0
