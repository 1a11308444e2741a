"""Akismet's REST API under /akismet/1.1: form-encoded calls as Akismet clients send them, plain-text answers.

The recorded calls in ``compat_examples/akismet_*.txt`` follow the parameters of Akismet's
documented examples (our own values); ``API_KEY`` is replaced by the test's key.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from moderation.service import create_app
from moderation.service.store import connect

from .conftest import auth
from .openapi_checks import break_redis

EXAMPLES = Path(__file__).with_name("compat_examples")
BASE = "/akismet/1.1"
THANKS = "Thanks for making the web a better place."
CLEAN = "The council should publish the full traffic study before the vote."
ABUSIVE = "You are a pathetic idiot and everyone knows it."
PROMOTION = "Write to me at someone@example.net"
SPAM = "Make $500 a day from home!!! Visit www.easy-cash-now.biz today"


def recorded(name: str, key: str, **changes: str | None) -> dict:
    """Return a recorded call's form fields (``None`` in ``changes`` drops a field)."""
    fields = {}
    for line in (EXAMPLES / name).read_text(encoding="utf-8").splitlines():
        field, _, value = line.partition("=")
        fields[field] = key if value == "API_KEY" else value
    for field, value in changes.items():
        if value is None:
            fields.pop(field, None)
        else:
            fields[field] = value
    return fields


def call(client, endpoint: str, form: dict):
    return client.post(f"{BASE}/{endpoint}", data=form, headers={"User-Agent": "WordPress/6.5 | Akismet/5.3"})


def check(client, key: str, **changes):
    return call(client, "comment-check", recorded("akismet_comment_check.txt", key, **changes))


def feedback(client, endpoint: str, key: str, **changes):
    return call(client, endpoint, recorded("akismet_submit_spam.txt", key, **changes))


def labels(app, site: str = "news") -> list[dict]:
    return list(app.extensions["moderation"].store.queue.labels(site))


def exported(client, keys) -> list[dict]:
    response = client.get("/v1/labels", headers=auth(keys["admin"]))
    assert response.status_code == 200
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def is_text(response, body: str, status: int = 200) -> None:
    assert (response.status_code, response.get_data(as_text=True)) == (status, body)
    assert response.mimetype == "text/plain" and response.mimetype_params.get("charset") == "utf-8"


# -- verify-key ------------------------------------------------------------------------------------------------


def test_verify_key(client, keys):
    for role in ("site", "moderator", "admin"):
        is_text(call(client, "verify-key", recorded("akismet_verify_key.txt", keys[role])), "valid")
    # older clients send the key as "key"
    is_text(call(client, "verify-key", {"key": keys["site"], "blog": "https://news.example.org"}), "valid")
    unknown = call(client, "verify-key", recorded("akismet_verify_key.txt", "mk_not-a-key"))
    is_text(unknown, "invalid")
    assert unknown.headers["X-akismet-debug-help"]
    for missing, help_ in (("api_key", 'Empty "api_key" value'), ("blog", 'Empty "blog" value')):
        response = call(client, "verify-key", recorded("akismet_verify_key.txt", keys["site"], **{missing: None}))
        is_text(response, "invalid")
        assert response.headers["X-akismet-debug-help"] == help_


# -- comment-check ---------------------------------------------------------------------------------------------


def test_comment_check_recorded_call(client, keys):
    response = check(client, keys["site"])
    is_text(response, "true")
    assert "X-akismet-pro-tip" not in response.headers  # review level: spam, but not "discard"
    assert response.headers["X-Moderation-Verdict"] == "review"
    assert response.headers["X-Moderation-Reasons"] == "promotion:rule:review,promotion:model:review"


@pytest.mark.parametrize(
    ("text", "answer", "discard"),
    [
        (CLEAN, "false", False),
        (ABUSIVE, "false", False),  # abusive but not spam: Akismet speaks of spam only
        (PROMOTION, "true", False),
        (SPAM, "true", True),
    ],
)
def test_comment_check_answers_about_promotion(client, keys, text, answer, discard):
    response = check(client, keys["site"], comment_content=text)
    is_text(response, answer)
    assert (response.headers.get("X-akismet-pro-tip") == "discard") is discard


def test_comment_check_stores_nothing(client, keys, app):
    check(client, keys["site"], comment_content=ABUSIVE)
    check(client, keys["site"], comment_content=SPAM)
    assert client.get("/v1/queue", headers=auth(keys["moderator"])).get_json()["depth"] == 0
    assert labels(app) == []


def test_comment_check_test_values(client, keys):
    is_text(check(client, keys["site"], comment_content=CLEAN, comment_author="akismet-guaranteed-spam"), "true")
    is_text(
        check(client, keys["site"], comment_content=CLEAN, comment_author_email="akismet-guaranteed-spam@example.com"), "true"
    )
    is_text(check(client, keys["site"], comment_content=SPAM, user_role="administrator"), "false")


def test_comment_check_of_a_stored_comment_and_of_nothing(client, keys):
    client.post("/v1/comments", json={"id": "c-77", "user_id": "u", "text": SPAM}, headers=auth(keys["site"]))
    is_text(check(client, keys["site"], comment_content=None, comment_id="c-77"), "true")
    is_text(check(client, keys["site"], comment_content=None), "false")
    is_text(check(client, keys["site"], comment_content="   "), "false")
    nothing = check(client, keys["site"], comment_content="\u200b\u200d\x00")  # shows nothing: as whitespace
    is_text(nothing, "false")
    assert nothing.headers["X-Moderation-Verdict"] == "none"


def test_comment_check_every_role(client, keys):
    for role in ("site", "moderator", "admin", "other"):
        is_text(check(client, keys[role]), "true")


def test_the_sites_allowed_domains_are_used(client, keys):
    text = "See https://news.example.org/map for the route"
    before = check(client, keys["site"], comment_content=text)
    is_text(before, "true")
    assert "promotion:rule" in before.headers["X-Moderation-Reasons"]  # a link to a host the site has not allowed
    client.put("/v1/policy", json={"allowed_domains": ["news.example.org"]}, headers=auth(keys["admin"]))
    after = check(client, keys["site"], comment_content=text)
    assert "X-akismet-pro-tip" not in after.headers
    assert "promotion:rule" not in after.headers.get("X-Moderation-Reasons", "")


# -- errors, as Akismet gives them -----------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["comment-check", "submit-spam", "submit-ham"])
@pytest.mark.parametrize("missing", ["api_key", "blog", "user_ip"])
def test_missing_required_fields(client, keys, app, endpoint, missing):
    name = "akismet_comment_check.txt" if endpoint == "comment-check" else "akismet_submit_spam.txt"
    response = call(client, endpoint, recorded(name, keys["site"], **{missing: None}))
    is_text(response, f"Missing required field: {missing}.")
    assert response.headers["X-akismet-debug-help"] == f'Empty "{missing}" value'
    response = call(client, endpoint, recorded(name, keys["site"], **{missing: "  "}))
    is_text(response, f"Missing required field: {missing}.")
    assert labels(app) == []


@pytest.mark.parametrize("endpoint", ["comment-check", "submit-spam", "submit-ham"])
def test_wrong_key(client, keys, app, endpoint):
    response = call(client, endpoint, recorded("akismet_submit_spam.txt", "mk_not-a-key"))
    is_text(response, "invalid")
    assert "API key" in response.headers["X-akismet-debug-help"]
    assert labels(app) == []


def test_feedback_needs_a_text(client, keys, app):
    response = feedback(client, "submit-spam", keys["site"], comment_content=None)
    is_text(response, "Missing required field: comment_content.")
    assert response.headers["X-akismet-debug-help"] == 'Empty "comment_content" value'
    is_text(feedback(client, "submit-ham", keys["site"], comment_content=""), "Missing required field: comment_content.")
    invisible = feedback(client, "submit-spam", keys["site"], comment_content="\u200b\ufeff\x00")
    is_text(invisible, "Missing required field: comment_content.")
    bad_id = feedback(client, "submit-spam", keys["site"], comment_id="x" * 201)
    is_text(bad_id, "Invalid field: comment_id.")
    assert labels(app) == []


def test_other_methods_and_bodies(client, keys):
    assert client.get(f"{BASE}/comment-check").status_code == 405
    # a JSON body is not Akismet's form: every field is missing
    response = client.post(f"{BASE}/comment-check", json={"api_key": keys["site"]})
    is_text(response, "Missing required field: api_key.")
    assert client.post(f"{BASE}/comment-check", data={"api_key": "k" * (70 * 1024)}).status_code == 413


# -- submit-spam / submit-ham ----------------------------------------------------------------------------------


def test_submit_spam_records_a_promotion_label(client, keys, app, clock):
    form = recorded("akismet_submit_spam.txt", keys["site"])
    response = call(client, "submit-spam", form)
    is_text(response, THANKS)
    text = form["comment_content"]
    name = "akismet:" + hashlib.sha256(text.encode()).hexdigest()
    assert response.headers["X-Moderation-Label"] == name
    assert labels(app) == [
        {"text": text, "promotion": 1, "source": "news", "feedback": "akismet:submit-spam", "decided_at": clock()}
    ]
    assert exported(client, keys) == [{"text": text, "promotion": 1, "source": "news"}]


def test_submit_ham_records_a_not_promotion_label(client, keys, app, clock):
    is_text(feedback(client, "submit-ham", keys["moderator"], comment_content=PROMOTION), THANKS)
    assert labels(app) == [
        {"text": PROMOTION, "promotion": 0, "source": "news", "feedback": "akismet:submit-ham", "decided_at": clock()}
    ]
    assert exported(client, keys) == [{"text": PROMOTION, "promotion": 0, "source": "news"}]


def test_feedback_on_a_stored_comment_uses_its_text_and_replaces_earlier_feedback(client, keys, app, clock):
    client.post("/v1/comments", json={"id": "c-9", "user_id": "u9", "text": PROMOTION}, headers=auth(keys["site"]))
    # the platform sends what it shows (here: an excerpt); the label keeps the text we moderated
    spam = feedback(client, "submit-spam", keys["site"], comment_id="c-9", comment_content="Write to me at")
    is_text(spam, THANKS)
    assert spam.headers["X-Moderation-Label"] == "akismet:c-9"
    assert labels(app) == [
        {
            "text": PROMOTION,
            "promotion": 1,
            "source": "news",
            "comment_id": "c-9",
            "feedback": "akismet:submit-spam",
            "decided_at": clock(),
        }
    ]
    clock.advance(30)
    is_text(feedback(client, "submit-ham", keys["admin"], comment_id="c-9", comment_content=None), THANKS)
    (label,) = labels(app)
    assert (label["promotion"], label["feedback"], label["decided_at"]) == (0, "akismet:submit-ham", clock())
    # an id we do not know: the text sent is labelled under that id
    feedback(client, "submit-spam", keys["site"], comment_id="elsewhere-1", comment_content=SPAM)
    by_id = {row.get("comment_id"): row for row in labels(app)}
    assert by_id["elsewhere-1"]["text"] == SPAM and by_id["elsewhere-1"]["promotion"] == 1


def test_feedback_sits_beside_moderator_labels_in_the_export(client, keys, app):
    client.post("/v1/comments", json={"id": "r1", "user_id": "u1", "text": ABUSIVE}, headers=auth(keys["site"]))
    decision = {"decision": "reject", "moderator": "m1", "categories": ["attack"]}
    client.post("/v1/comments/r1/decision", json=decision, headers=auth(keys["moderator"]))
    feedback(client, "submit-spam", keys["site"], comment_content=SPAM)
    feedback(client, "submit-ham", keys["site"], comment_content=CLEAN)
    rows = sorted(exported(client, keys), key=lambda r: r["text"])
    assert rows == sorted(
        [
            {"text": ABUSIVE, "attack": 1, "source": "news"},
            {"text": SPAM, "promotion": 1, "source": "news"},
            {"text": CLEAN, "promotion": 0, "source": "news"},
        ],
        key=lambda r: r["text"],
    )
    # the same text again replaces its label (one row per text and verdict)
    feedback(client, "submit-ham", keys["site"], comment_content=SPAM)
    assert {r["text"]: r.get("promotion") for r in exported(client, keys)}[SPAM] == 0
    # another site's labels are its own
    assert labels(app, "other") == []


def test_feedback_rows_load_as_training_data(client, keys, tmp_path):
    from moderation.training.datasets import load_jsonl

    feedback(client, "submit-spam", keys["site"], comment_content=SPAM)
    feedback(client, "submit-ham", keys["site"], comment_content=CLEAN)
    path = tmp_path / "labels.jsonl"
    path.write_text(client.get("/v1/labels", headers=auth(keys["admin"])).get_data(as_text=True), encoding="utf-8")
    examples = {e.text: e.labels for e in load_jsonl(path)}
    assert examples[SPAM] == {"abuse": None, "attack": None, "promotion": 1}
    assert examples[CLEAN] == {"abuse": None, "attack": None, "promotion": 0}


def test_feedback_labels_are_read_by_moderator_retrain(client, keys, app, clock):
    """``moderation retrain`` reads the stored labels: feedback counts, ordered by ``decided_at``, promotion only."""
    retrain = pytest.importorskip("moderation.training.retrain")
    feedback(client, "submit-spam", keys["site"], comment_content=SPAM)
    clock.advance(10)
    feedback(client, "submit-ham", keys["site"], comment_content=CLEAN)
    examples = retrain.label_examples(labels(app))
    assert [(at, e.text, e.labels) for at, e in examples] == [
        (clock() - 10, SPAM, {"abuse": None, "attack": None, "promotion": 1}),
        (clock(), CLEAN, {"abuse": None, "attack": None, "promotion": 0}),
    ]


def test_is_test_records_nothing(client, keys, app):
    response = feedback(client, "submit-spam", keys["site"], is_test="1")
    is_text(response, THANKS)
    assert labels(app) == []


def test_long_and_odd_texts_are_stored_cleanly(client, keys, app):
    long_text = "buy now " * 2000
    feedback(client, "submit-spam", keys["site"], comment_content=long_text)
    (label,) = labels(app)
    assert len(label["text"]) == 10_000 and long_text.startswith(label["text"])


def test_store_outage(redis_url, assessor, clock, keys, redis_client):
    own = connect(redis_url, 5.0)
    app = create_app({"redis_url": redis_url, "redis": own, "assessor": assessor, "clock": clock})
    client = app.test_client()
    is_text(check(client, keys["site"]), "true")  # the key is now known to this process
    break_redis(own)
    is_text(check(client, keys["site"], comment_content=SPAM), "true")  # scoring needs no store
    response = feedback(client, "submit-spam", keys["site"])
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert check(client, keys["admin"]).status_code == 503  # a key not seen yet cannot be checked


def test_a_real_akismet_client(app, keys, monkeypatch):
    """The ``akismet`` package from PyPI, with its base URL pointed at us, talks to these endpoints."""
    import akismet  # a test dependency (pyproject's "test" extra): this test runs in CI, never skipped
    import httpx
    from akismet import _common

    monkeypatch.setattr(_common, "_API_URL", "http://moderation.test/akismet")
    http = httpx.Client(transport=httpx.WSGITransport(app=app), headers={"User-Agent": _common.USER_AGENT})
    config = akismet.Config(key=keys["site"], url="https://news.example.org")
    client = akismet.SyncClient.validated_client(config=config, http_client=http)
    assert client.comment_check("203.0.113.47", comment_content=CLEAN, comment_type="comment") == akismet.CheckResponse.HAM
    assert client.comment_check("203.0.113.47", comment_content=PROMOTION) == akismet.CheckResponse.SPAM
    assert client.comment_check("203.0.113.47", comment_content=SPAM) == akismet.CheckResponse.DISCARD
    assert client.submit_spam("203.0.113.47", comment_content=SPAM, comment_author="Quick Cash") is True
    assert client.submit_ham("203.0.113.47", comment_content=CLEAN) is True
    assert {(r["text"], r["promotion"]) for r in app.extensions["moderation"].store.queue.labels("news")} == {
        (SPAM, 1),
        (CLEAN, 0),
    }
    with pytest.raises(akismet.APIKeyError):
        akismet.SyncClient.validated_client(config=akismet.Config(key="mk_wrong", url="https://x.example"), http_client=http)
