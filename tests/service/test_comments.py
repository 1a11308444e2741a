"""POST /v1/comments, /v1/comments/batch, /v1/score and decisions: exact answers and effects."""

from __future__ import annotations

from moderation.service.actions.comments import assessment_body

from .conftest import START, auth

ABUSIVE = "You are a pathetic idiot and everyone knows it."
CLEAN = "The council should publish the full traffic study before the vote."
SPAM = "Make $500 a day from home!!! Visit www.easy-cash-now.biz today"
# Sent to review by the shipped model and rules (asserted where it matters).
REVIEW = "You clown, read the article first"
PROMO_REVIEW = "Write to me at someone@example.net"


def submit(client, key, cid, user, text, **extra):
    return client.post("/v1/comments", json={"id": cid, "user_id": user, "text": text, **extra}, headers=auth(key))


def expected(assessor, cid, text, user, verdict=None, reasons=None):
    body = assessment_body(assessor.assess(text), text)
    return {
        "id": cid,
        "verdict": verdict or body["verdict"],
        "scores": body["scores"],
        "reasons": reasons if reasons is not None else body["reasons"],
        "spans": body["spans"],
        "user": user,
        "model_version": assessor.version,
        "store": "ok",
    }


def test_clean_comment_is_approved_with_exact_answer(client, keys, assessor):
    response = submit(client, keys["site"], "c1", "alice", CLEAN)
    assert response.status_code == 200
    assert response.get_json() == expected(assessor, "c1", CLEAN, {"strikes": 0, "banned": False, "banned_until": None})
    assert response.get_json()["verdict"] == "approve"


def test_rejection_adds_a_strike_with_exact_answer(client, keys, assessor):
    response = submit(client, keys["site"], "c1", "bob", ABUSIVE)
    assert response.status_code == 200
    body = response.get_json()
    assert body["verdict"] == "reject"
    assert body == expected(assessor, "c1", ABUSIVE, {"strikes": 1, "banned": False, "banned_until": None})


def test_same_id_again_returns_the_stored_answer_and_changes_nothing(client, keys, app):
    first = submit(client, keys["site"], "c1", "bob", ABUSIVE).get_json()
    again = submit(client, keys["site"], "c1", "bob", ABUSIVE)
    assert again.status_code == 200
    assert again.get_json() == first
    state = app.extensions["moderation"].store.users.state("news", "bob", START)
    assert state["strikes"] == 1


def test_same_id_with_other_text_or_user_is_a_conflict(client, keys):
    submit(client, keys["site"], "c1", "bob", ABUSIVE)
    for user, text in (("bob", "other text"), ("carol", ABUSIVE)):
        response = submit(client, keys["site"], "c1", user, text)
        assert response.status_code == 409
        assert response.get_json() == {
            "error": {
                "status": 409,
                "code": "id_conflict",
                "message": "this comment id was already submitted with a different text or user",
            }
        }


def test_comment_ids_are_per_site(client, keys):
    assert submit(client, keys["site"], "c1", "bob", CLEAN).status_code == 200
    assert submit(client, keys["other"], "c1", "zed", "something else entirely").status_code == 200


def test_review_enqueues_and_the_others_do_not(client, keys):
    assert submit(client, keys["site"], "r1", "sam", REVIEW).get_json()["verdict"] == "review"
    assert submit(client, keys["site"], "s1", "sam", SPAM).get_json()["verdict"] == "reject"
    assert submit(client, keys["site"], "ok1", "sam", CLEAN).get_json()["verdict"] == "approve"
    queue = client.get("/v1/queue", headers=auth(keys["moderator"])).get_json()
    assert [item["id"] for item in queue["items"]] == ["r1"]
    assert queue["depth"] == 1


def test_optional_fields_are_kept_for_moderators(client, keys):
    text = PROMO_REVIEW
    response = submit(
        client,
        keys["site"],
        "p1",
        "pat",
        text,
        article_id="a-42",
        parent_id="p0",
        author_name="Pat <b>",
        created_at="2027-01-15T08:00:00Z",
    )
    assert response.status_code == 200
    assert response.get_json()["verdict"] == "review"
    [item] = client.get("/v1/queue", headers=auth(keys["moderator"])).get_json()["items"]
    assert (item["article_id"], item["parent_id"], item["author_name"], item["created_at"]) == (
        "a-42",
        "p0",
        "Pat <b>",
        "2027-01-15T08:00:00.000Z",
    )
    assert item["categories"] == ["promotion"] and item["text"] == text and item["user_id"] == "pat"
    record = client.get("/v1/comments/p1", headers=auth(keys["moderator"])).get_json()
    assert record["article_id"] == "a-42" and record["text"] == text and record["user_id"] == "pat"


def test_score_has_no_side_effects(client, keys, assessor, app):
    response = client.post("/v1/score", json={"text": ABUSIVE}, headers=auth(keys["site"]))
    assert response.status_code == 200
    assert response.get_json() == assessment_body(assessor.assess(ABUSIVE), ABUSIVE)
    client_ = app.extensions["moderation"].store.client
    assert not [k for k in client_.scan_iter("mod:*") if "apikey" not in k and "sites" not in k and k != "mod:format"]


def test_batch_handles_each_item_alone(client, keys, assessor):
    comments = [
        {"id": "b1", "user_id": "u1", "text": CLEAN},
        {"id": "b2", "user_id": "u2", "text": "   "},
        {"id": "b3", "user_id": "u3", "text": ABUSIVE},
        "not an object",
        {"id": "b1", "user_id": "u1", "text": "changed"},
    ]
    response = client.post("/v1/comments/batch", json={"comments": comments}, headers=auth(keys["site"]))
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [200, 422, 200, 422, 409]
    assert results[0]["result"] == expected(assessor, "b1", CLEAN, {"strikes": 0, "banned": False, "banned_until": None})
    assert results[1]["error"] == {
        "status": 422,
        "code": "invalid_request",
        "message": "invalid fields: text",
        "fields": [{"field": "text", "message": "must not be empty or only whitespace and invisible characters"}],
        "index": 1,
    }
    assert results[2]["result"]["verdict"] == "reject"
    assert results[3]["error"]["fields"] == [{"field": "(body)", "message": "must be a JSON object"}]
    assert results[4]["error"]["code"] == "id_conflict"


def test_batch_limit(client, keys):
    comments = [{"id": f"x{i}", "user_id": "u", "text": "fine"} for i in range(101)]
    response = client.post("/v1/comments/batch", json={"comments": comments}, headers=auth(keys["site"]))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == [{"field": "comments", "message": "must have at most 100 items"}]


def test_site_domains_from_the_policy_are_not_promotion(client, keys):
    text = "Full story: https://www.mynews.example/2027/budget"
    first = client.post("/v1/score", json={"text": text}, headers=auth(keys["site"])).get_json()
    assert any(r.startswith("promotion:") for r in first["reasons"])
    assert client.put("/v1/policy", json={"allowed_domains": ["mynews.example"]}, headers=auth(keys["admin"])).status_code == 200
    second = client.post("/v1/score", json={"text": text}, headers=auth(keys["site"])).get_json()
    assert not any(r.startswith("promotion:rule") for r in second["reasons"])


class TestDecisions:
    def decide(self, client, key, cid, decision, **extra):
        return client.post(
            f"/v1/comments/{cid}/decision", json={"decision": decision, "moderator": "mod-1", **extra}, headers=auth(key)
        )

    def test_reject_from_review_adds_a_strike_once(self, client, keys):
        assert submit(client, keys["site"], "r1", "rita", PROMO_REVIEW).get_json()["verdict"] == "review"
        first = self.decide(client, keys["moderator"], "r1", "reject", categories=["promotion"], note="spam")
        assert first.status_code == 200
        assert first.get_json() == {
            "id": "r1",
            "decision": "reject",
            "categories": ["promotion"],
            "previous": None,
            "changed": True,
            "user_id": "rita",
            "user": {"strikes": 1, "banned": False, "banned_until": None},
        }
        again = self.decide(client, keys["moderator"], "r1", "reject", categories=["promotion"], note="spam")
        assert again.get_json()["changed"] is False
        assert again.get_json()["user"]["strikes"] == 1

    def test_approving_an_auto_rejected_comment_removes_its_strike(self, client, keys):
        assert submit(client, keys["site"], "a1", "ann", ABUSIVE).get_json()["user"]["strikes"] == 1
        body = self.decide(client, keys["moderator"], "a1", "approve").get_json()
        assert body["user"]["strikes"] == 0 and body["changed"] is True
        # and rejecting again (an undo) puts it back
        assert self.decide(client, keys["moderator"], "a1", "reject").get_json()["user"]["strikes"] == 1

    def test_decisions_are_audited_and_become_labels(self, client, keys):
        submit(client, keys["site"], "a1", "ann", ABUSIVE)
        self.decide(client, keys["moderator"], "a1", "approve", note="quoting someone")
        self.decide(client, keys["moderator"], "a1", "reject", categories=["attack"])
        entries = client.get("/v1/audit", headers=auth(keys["moderator"])).get_json()["entries"]
        assert [(e["decision"], e["comment_id"], e["moderator"]) for e in entries] == [
            ("reject", "a1", "mod-1"),
            ("approve", "a1", "mod-1"),
        ]
        assert entries[1]["note"] == "quoting someone"
        labels = client.get("/v1/labels", headers=auth(keys["admin"]))
        assert labels.mimetype == "application/x-ndjson"
        assert labels.get_data(as_text=True).splitlines() == ['{"text": "' + ABUSIVE + '", "attack": 1, "source": "news"}']

    def test_a_decided_comment_leaves_the_queue(self, client, keys):
        submit(client, keys["site"], "q1", "quinn", REVIEW)
        assert client.get("/v1/queue", headers=auth(keys["moderator"])).get_json()["depth"] == 1
        self.decide(client, keys["moderator"], "q1", "approve")
        assert client.get("/v1/queue", headers=auth(keys["moderator"])).get_json() == {"items": [], "depth": 0}

    def test_unknown_comment_is_404(self, client, keys):
        response = self.decide(client, keys["moderator"], "nope", "approve")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"

    def test_invalid_decision_lists_every_field(self, client, keys):
        response = client.post(
            "/v1/comments/x/decision", json={"decision": "maybe", "categories": ["rude"]}, headers=auth(keys["moderator"])
        )
        assert response.status_code == 422
        assert response.get_json()["error"]["fields"] == [
            {"field": "decision", "message": "must be one of approve, reject"},
            {"field": "categories[0]", "message": "must be one of abuse, attack, promotion"},
            {"field": "moderator", "message": "is required"},
        ]


def test_spans_carry_utf16_offsets_for_javascript(client, keys):
    """Emoji outside the BMP take two UTF-16 code units; a combining mark takes one in both units."""
    text = "👍🏽 cafe\u0303 😀 You are a pathetic idiot and everyone knows it."
    for answer in (
        submit(client, keys["site"], "u16", "bob", text).get_json(),
        client.post("/v1/score", json={"text": text}, headers=auth(keys["site"])).get_json(),
        client.get("/v1/comments/u16", headers=auth(keys["moderator"])).get_json(),
    ):
        assert answer["spans"], answer
        encoded = text.encode("utf-16-le")
        for span in answer["spans"]:
            in_python = text[span["start"] : span["end"]]
            in_javascript = encoded[2 * span["start16"] : 2 * span["end16"]].decode("utf-16-le")
            assert in_python == in_javascript and in_python.strip()
            assert span["start16"] == span["start"] + 3  # three astral characters before every span


def test_integer_ids_are_taken_as_their_decimal_strings(client, keys):
    """Many comment systems number their comments and users: 5 is the comment "5", 42 the user "42", everywhere."""
    site, moderator = auth(keys["site"]), auth(keys["moderator"])
    text = "You are a pathetic idiot and everyone knows it."
    first = client.post(
        "/v1/comments", json={"id": 5, "user_id": 42, "text": text, "parent_id": 4, "article_id": 9}, headers=site
    )
    assert first.status_code == 200 and first.get_json()["id"] == "5" and first.get_json()["user"]["strikes"] == 1
    again = client.post("/v1/comments", json={"id": "5", "user_id": "42", "text": text}, headers=site)
    assert again.get_json() == first.get_json()  # the same comment: answered again, not struck twice
    stored = client.get("/v1/comments/5", headers=moderator).get_json()
    assert (stored["id"], stored["user_id"], stored["article_id"]) == ("5", "42", "9")
    batch = client.post(
        "/v1/comments/batch", json={"comments": [{"id": 6, "user_id": 42, "text": "Fine, thanks."}]}, headers=site
    )
    assert batch.get_json()["results"][0]["result"]["id"] == "6"
    decided = client.post("/v1/comments/5/decision", json={"decision": "approve", "moderator": 7}, headers=moderator)
    assert decided.status_code == 200 and decided.get_json()["user_id"] == "42"
    assert client.get("/v1/users/42", headers=moderator).get_json()["strikes"] == 0
    banned = client.post("/v1/users/42/ban", json={"reason": "test", "moderator": 7}, headers=moderator)
    assert banned.status_code == 200
    assert [e["moderator"] for e in client.get("/v1/audit", headers=moderator).get_json()["entries"]] == ["7", "7"]
    for bad in (True, 5.5, [5], {"n": 5}):
        refused = client.post("/v1/comments", json={"id": bad, "user_id": "u", "text": "hi"}, headers=site)
        assert refused.status_code == 422
        assert refused.get_json()["error"]["fields"] == [{"field": "id", "message": "must be a string or an integer"}]


def bad_json(message: str) -> dict:
    return {"error": {"status": 400, "code": "bad_json", "message": message}}


def post_raw(client, key, raw: bytes):
    return client.post("/v1/comments", data=raw, headers={**auth(key), "Content-Type": "application/json"})


def test_json_that_is_more_than_is_read_says_what_is_wrong(client, keys):
    """Valid JSON nested too deep, or with a number too long to read, is not called "not valid JSON"."""
    key = keys["site"]
    deep = b'{"id": "c1", "user_id": "u1", "text": "hi", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = post_raw(client, key, deep)
    assert response.status_code == 400
    assert response.get_json() == bad_json("the request body is nested too deep (more than 200 levels)")
    within = b'{"id": "c2", "user_id": "u1", "text": "hi", "x": ' + b"[" * 199 + b"]" * 199 + b"}"  # 200 levels
    assert post_raw(client, key, within).status_code == 200
    long_id = b'{"id": ' + b"7" * 5000 + b', "user_id": "u1", "text": "hi"}'
    response = post_raw(client, key, long_id)
    assert response.status_code == 400
    assert response.get_json() == bad_json("the request body has a number of 5000 digits (at most 4300 are read)")
    # a long integer id that Python still reads is an id too long
    response = post_raw(client, key, b'{"id": ' + b"7" * 4000 + b', "user_id": "u1", "text": "hi"}')
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == [{"field": "id", "message": "must be 1 to 200 characters"}]


def test_json_that_is_not_json_says_where(client, keys):
    response = post_raw(client, keys["site"], b'{"id" "c1"}')
    assert response.status_code == 400
    assert response.get_json() == bad_json("the request body is not valid JSON: expecting ':' delimiter at line 1 column 7")
    response = post_raw(client, keys["site"], b'{"id": "\xff"}')
    assert response.get_json() == bad_json("the request body is not valid JSON: it is not UTF-8 text")
    response = post_raw(client, keys["site"], b"")
    assert response.get_json() == bad_json("the request body must be JSON")


LONE = "a\ud800b"  # an unpaired surrogate, as the JSON escape "\ud800" gives it


def refused_fields(response) -> list[dict]:
    assert response.status_code == 422, response.get_data()
    return response.get_json()["error"]["fields"]


def test_a_lone_surrogate_is_refused_in_every_text_field_stored(client, keys):
    """Comment, decision, undo, ban and key fields: each one holding "\\ud800" is named in the 422."""
    site, moderator, admin = auth(keys["site"]), auth(keys["moderator"]), auth(keys["admin"])
    lone = "must not contain unpaired surrogates"
    fields = ("id", "user_id", "text", "article_id", "parent_id", "author_name")
    comment = client.post("/v1/comments", json=dict.fromkeys(fields, LONE), headers=site)
    assert refused_fields(comment) == [{"field": name, "message": lone} for name in fields]
    batch = client.post("/v1/comments/batch", json={"comments": [{"id": "b1", "user_id": "u", "text": LONE}]}, headers=site)
    assert batch.get_json()["results"][0]["error"]["fields"] == [{"field": "text", "message": lone}]
    assert refused_fields(client.post("/v1/score", json={"text": LONE}, headers=site)) == [{"field": "text", "message": lone}]
    assert submit(client, keys["site"], "c1", "u1", CLEAN).status_code == 200
    decision = client.post(
        "/v1/comments/c1/decision", json={"decision": "reject", "moderator": LONE, "note": LONE}, headers=moderator
    )
    assert refused_fields(decision) == [{"field": "note", "message": lone}, {"field": "moderator", "message": lone}]
    undo = client.post("/v1/comments/c1/undo", json={"moderator": LONE}, headers=moderator)
    assert refused_fields(undo) == [{"field": "moderator", "message": lone}]
    ban = client.post("/v1/users/u1/ban", json={"reason": LONE, "moderator": LONE}, headers=moderator)
    assert refused_fields(ban) == [{"field": "reason", "message": lone}, {"field": "moderator", "message": lone}]
    reset = client.post("/v1/users/u1/strikes/reset", json={"reason": LONE}, headers=moderator)
    assert refused_fields(reset) == [{"field": "reason", "message": lone}]
    key = client.post("/v1/keys", json={"role": "site", "name": LONE}, headers=admin)
    assert refused_fields(key) == [{"field": "name", "message": lone}]
    # nothing of it was kept (word lists: tests/service/test_site_words.py)
    assert client.get("/v1/audit", headers=moderator).get_json()["entries"] == []
    assert [k["name"] for k in client.get("/v1/keys", headers=admin).get_json()["keys"]].count(LONE) == 0


def test_a_text_that_shows_nothing_is_refused_as_whitespace_is(client, keys):
    """Only zero-width characters, only NULs, only whitespace: the same 422, nothing stored."""
    empty = [{"field": "text", "message": "must not be empty or only whitespace and invisible characters"}]
    for n, text in enumerate(["   ", "\u200b\u200c\u200d", "\x00" * 5, "\ufeff\u2060\u00ad \t\x7f"]):
        assert refused_fields(submit(client, keys["site"], f"e{n}", "u1", text)) == empty, repr(text)
        assert refused_fields(client.post("/v1/score", json={"text": text}, headers=auth(keys["site"]))) == empty
    assert client.get("/v1/users/u1", headers=auth(keys["moderator"])).get_json()["comments"] == []
    # a visible character among them is a comment
    assert submit(client, keys["site"], "e9", "u1", "\u200bok\x00").status_code == 200


def test_repetition_alone_is_held_without_a_strike(client, keys, assessor):
    """Issue 22, item 5: "hello" fifty times is held for review, no strike; spam with a link still costs one."""
    text = "hello " * 50
    response = submit(client, keys["site"], "rep1", "hal", text)
    assert response.status_code == 200
    body = response.get_json()
    assert body == expected(assessor, "rep1", text, {"strikes": 0, "banned": False, "banned_until": None})
    assert body["verdict"] == "review"
    assert "promotion:model:review" in body["reasons"]
    assert not any(r.endswith((":reject", ":block")) for r in body["reasons"])
    for i, repeated in enumerate(["nice video " * 20, "shame " * 40, "HELLO!!! " * 25]):
        answer = submit(client, keys["site"], f"rep{i + 2}", "hal", repeated).get_json()
        assert answer["verdict"] == "review" and answer["user"]["strikes"] == 0, answer["reasons"]
    queue = client.get("/v1/queue", headers=auth(keys["moderator"])).get_json()
    assert queue["depth"] == 4
    spam = "Check out my new song on youtube http://www.youtube.com/watch?v=abc123 please subscribe"
    answer = submit(client, keys["site"], "yt1", "hal", spam).get_json()
    assert answer["verdict"] == "reject" and answer["user"]["strikes"] == 1
