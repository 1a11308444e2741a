"""The console through Flask's test client: sign-in, CSRF, sessions, pages, escaping, decisions."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from .conftest import auth

REVIEW = "You clown, read the article first"
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', '<a href="javascript:alert(1)">click</a>']


def seed(client, keys, texts, **extra):
    for i, text in enumerate(texts):
        body = client.post(
            "/v1/comments", json={"id": f"c{i}", "user_id": f"u{i}", "text": text, **extra}, headers=auth(keys["site"])
        ).get_json()
        assert body["verdict"] == "review", text


def sign_in(client, key, name="ann"):
    page = client.get("/console/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/console/login", data={"login_token": token, "key": key, "moderator": name})


def shown_text(quote_html: str) -> str:
    """Return the text a reader sees in a comment block, without the evidence labels."""
    without_labels = re.sub(r'<sup class="ev-label">[^<]*</sup>', "", quote_html)
    return htmllib.unescape(re.sub(r"</?mark[^>]*>", "", without_labels))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_pages_need_a_session(client):
    for path in ("/console/queue", "/console/log", "/console/dashboard", "/console/model", "/console/users/u1"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/console/login")
    assert client.get("/console/").headers["Location"].endswith("/console/queue")


def test_sign_in_sets_a_strict_http_only_cookie(client, keys):
    response = sign_in(client, keys["moderator"])
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/queue")
    cookie = response.headers["Set-Cookie"]
    assert "mod_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP here
    assert client.get("/console/queue").status_code == 200


def test_cookie_is_secure_over_https(client, keys):
    page = client.get("/console/login", base_url="https://example.test")
    token = re.search(r'name="login_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(
        "/console/login",
        data={"login_token": token, "key": keys["moderator"], "moderator": "ann"},
        base_url="https://example.test",
    )
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize(("role", "message"), [("site", "A moderator or admin key"), (None, "That key is not valid")])
def test_sign_in_refuses_site_keys_and_bad_keys(client, keys, role, message):
    response = sign_in(client, keys[role] if role else "mk_wrong")
    assert response.status_code == 401
    assert message in response.get_data(as_text=True)
    assert client.get("/console/queue").status_code == 302


def test_sign_in_form_is_protected_against_forgery(client, keys):
    response = client.post("/console/login", data={"login_token": "forged", "key": keys["moderator"], "moderator": "ann"})
    assert response.status_code == 403


def test_every_post_needs_the_csrf_token(client, keys):
    seed(client, keys, [REVIEW])
    sign_in(client, keys["moderator"])
    html = client.get("/console/queue").get_data(as_text=True)
    token = csrf_of(html)
    assert client.post("/console/decide", data={"comment_id": "c0", "decision": "approve"}).status_code == 403
    assert client.post("/console/decide", data={"comment_id": "c0", "decision": "approve", "csrf": "nope"}).status_code == 403
    assert client.post("/console/users/u0/ban", data={"reason": "x"}).status_code == 403
    assert client.post("/console/logout").status_code == 403
    ok = client.post("/console/decide", data={"comment_id": "c0", "decision": "approve", "csrf": token, "next": "/console/queue"})
    assert ok.status_code == 302


def test_sign_out_ends_the_session(client, keys):
    sign_in(client, keys["moderator"])
    token = csrf_of(client.get("/console/queue").get_data(as_text=True))
    assert client.post("/console/logout", data={"csrf": token}).status_code == 302
    assert client.get("/console/queue").status_code == 302


def test_queue_page_shows_the_claimed_comments_escaped(client, keys):
    seed(client, keys, [f"You clown {x}" for x in XSS], author_name='<b onmouseover="alert(1)">Bob</b>', article_id="<i>a1</i>")
    sign_in(client, keys["moderator"])
    response = client.get("/console/queue")
    html = response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'; script-src 'self'")
    assert "<script>alert" not in html and "<img src=x" not in html and 'href="javascript:' not in html
    # the text of each comment, read back from the page, is exactly what was sent
    shown = sorted(
        shown_text(quote) for quote in re.findall(r'<blockquote class="text[^"]*"[^>]*>(.*?)</blockquote>', html, re.DOTALL)
    )
    assert shown == sorted(f"You clown {x}" for x in XSS)
    assert "&lt;b onmouseover=" in html and "&lt;i&gt;a1&lt;/i&gt;" in html
    assert html.count('class="card item"') == 3
    assert "<script>" not in html.split("</head>", 1)[1]  # no inline script anywhere in the body
    assert ' style="' not in html  # no inline styles either (the CSP forbids them)


def test_evidence_is_marked_with_colour_and_a_text_label(client, keys):
    seed(client, keys, [REVIEW])
    sign_in(client, keys["moderator"])
    page = client.get("/console/queue").get_data(as_text=True)
    assert re.search(r'<mark class="ev ev-attack[^"]*"[^>]*>You clown[^<]*<sup class="ev-label">attack</sup></mark>', page)
    assert '<label for="score-1-1">attack</label>' in page and '<meter id="score-1-1"' in page


def test_claimed_items_are_not_shown_to_another_moderator(client, keys, app):
    seed(client, keys, [REVIEW])
    sign_in(client, keys["moderator"], "ann")
    assert client.get("/console/queue").get_data(as_text=True).count('class="card item"') == 1
    other = app.test_client()
    sign_in(other, keys["admin"], "bob")
    assert other.get("/console/queue").get_data(as_text=True).count('class="card item"') == 0


def test_decide_and_undo_as_json(client, keys):
    seed(client, keys, [REVIEW])
    sign_in(client, keys["moderator"])
    token = csrf_of(client.get("/console/queue").get_data(as_text=True))
    headers = {"X-CSRF-Token": token, "Accept": "application/json"}
    decided = client.post(
        "/console/decide", json={"comment_id": "c0", "decision": "reject", "categories": ["attack"]}, headers=headers
    )
    assert decided.status_code == 200 and decided.get_json()["user"]["strikes"] == 1
    assert client.post("/console/undo", json={"comment_id": "c0"}, headers=headers).get_json()["state"] == "pending"
    bad = client.post("/console/decide", json={"comment_id": "c0", "decision": "maybe"}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"][0]["field"] == "decision"
    missing = client.post("/console/decide", json={"comment_id": "zz", "decision": "approve"}, headers=headers)
    assert missing.status_code == 404


def test_user_panel_ban_and_unban(client, keys):
    seed(client, keys, [REVIEW])
    sign_in(client, keys["moderator"], "ann")
    token = csrf_of(client.get("/console/users/u0").get_data(as_text=True))
    assert (
        client.post("/console/users/u0/ban", data={"csrf": token, "duration_s": "3600", "reason": "<b>spam</b>"}).status_code
        == 302
    )
    html = client.get("/console/users/u0").get_data(as_text=True)
    assert "banned</strong> until" in html and "&lt;b&gt;spam&lt;/b&gt;" in html
    assert client.post("/console/users/u0/ban", data={"csrf": token, "reason": ""}).status_code == 422
    assert client.post("/console/users/u0/unban", data={"csrf": token, "reason": "appeal"}).status_code == 302
    assert "not banned" in client.get("/console/users/u0").get_data(as_text=True)
    log = client.get("/console/log?moderator=ann&decision=ban").get_data(as_text=True)
    assert "tag-ban" in log and "tag-unban" not in log


def test_log_and_dashboard(client, keys):
    seed(client, keys, [REVIEW])
    client.post(
        "/v1/comments", json={"id": "bad", "user_id": "x", "text": "You are a pathetic idiot."}, headers=auth(keys["site"])
    )
    sign_in(client, keys["moderator"], "ann")
    token = csrf_of(client.get("/console/queue").get_data(as_text=True))
    client.post("/console/decide", data={"comment_id": "c0", "decision": "approve", "csrf": token})
    log = client.get("/console/log").get_data(as_text=True)
    assert "tag-approve" in log and ">ann<" in log
    dashboard = client.get("/console/dashboard").get_data(as_text=True)
    assert '<svg class="chart"' in dashboard and "Comments per hour by verdict, last 24 hours" in dashboard
    assert "reject: 1" in dashboard and "review: 1" in dashboard and "attack: 2" in dashboard


def test_open_redirects_are_refused(client, keys):
    seed(client, keys, [REVIEW])
    sign_in(client, keys["moderator"])
    token = csrf_of(client.get("/console/queue").get_data(as_text=True))
    for target in ("https://evil.example/", "//evil.example/", "/console//evil", "/elsewhere"):
        response = client.post("/console/decide", data={"comment_id": "c0", "decision": "approve", "csrf": token, "next": target})
        assert response.headers["Location"].endswith("/console/queue")


def test_model_page_lists_shadow_disagreements_escaped(client, keys, app, assessor):
    from moderation.classifier.assessor import Assessor
    from moderation.classifier.verdicts import Thresholds
    from moderation.service.serving import Loaded

    services = app.extensions["moderation"]
    # a shadow that flags everything: same model, far lower thresholds
    eager = Assessor(assessor.artifact, assessor.rules, {c: Thresholds(0.0, 0.0) for c in assessor.thresholds})
    services.models.shadow = Loaded(eager, None)
    text = "Lovely weather " + XSS[1]
    assert (
        client.post("/v1/comments", json={"id": "m1", "user_id": "mu", "text": text}, headers=auth(keys["site"])).status_code
        == 200
    )
    assert services.shadow.drain()
    sign_in(client, keys["moderator"])
    page = client.get("/console/model").get_data(as_text=True)
    assert f"<dd>{assessor.version}</dd>" in page
    assert "scores every new comment too" in page
    assert "approve → reject: 1" in page and "0%" in page  # agreement
    assert htmllib.escape(text, quote=False) in page.replace("&#34;", '"').replace("&#39;", "'")
    assert "<img src=x" not in page
    assert 'href="/console/users/mu"' in page


def test_revoking_the_key_ends_the_console_sessions_signed_in_with_it(app, client, keys):
    store = app.extensions["moderation"].store
    key, key_id = store.apikeys.create("news", "moderator", "desk", 0)
    assert sign_in(client, key).status_code == 302
    assert client.get("/console/queue").status_code == 200
    other = app.test_client()
    assert sign_in(other, keys["moderator"]).status_code == 302
    assert client.delete(f"/v1/keys/{key_id}", headers={"Authorization": f"Bearer {keys['admin']}"}).status_code == 200
    gone = client.get("/console/queue")
    assert gone.status_code == 302 and gone.headers["Location"].endswith("/console/login")
    assert other.get("/console/queue").status_code == 200  # a session of another key goes on


def test_a_word_list_import_names_every_problem_by_its_line(client, keys):
    """The console's import answers as the API does: every problem at once, each with its line, nothing applied."""
    sign_in(client, keys["admin"], "ada")
    token = csrf_of(client.get("/console/rules").get_data(as_text=True))
    text = "review plonker\nnonsense\n\nallow two words\nreview plonker"
    response = client.post("/console/rules", data={"csrf": token, "action": "import", "text": text})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.search(r'<div class="card error" role="alert" id="rules-errors">(.*?)</div>', page, re.DOTALL).group(1)
    assert [htmllib.unescape(item) for item in re.findall(r"<li>(.*?)</li>", errors)] == [
        "line 2: write <block|review|allow>[:<category>] <word or phrase>",
        "line 4: pattern is more than one word: an allow entry is one word (or word*, or a domain), which no rule then matches",
        "line 5: pattern 'plonker' is listed twice (first at line 1)",
    ]
    assert "No entries yet." in page
    assert client.get("/v1/rules", headers=auth(keys["admin"])).get_json()["count"] == 0
    # the CSV export gives times in ISO 8601
    assert client.post("/console/rules", data={"csrf": token, "action": "import", "text": "review plonker"}).status_code == 302
    exported = client.get("/console/rules/export.csv").get_data(as_text=True)
    assert exported == "pattern,severity,category,note,added_by,added_at\nplonker,review,abuse,,ada,2027-01-15T08:00:00.000Z\n"


def test_webhooks_page_adds_shows_the_secret_once_and_escapes(client, keys):
    sign_in(client, keys["admin"])
    token = csrf_of(client.get("/console/webhooks").get_data(as_text=True))
    description = "<script>alert(1)</script>"
    added = client.post(
        "/console/webhooks",
        data={"csrf": token, "action": "add", "url": "https://hooks.example.org/m", "types": ["user.banned"], "description": description},
    )
    page = added.get_data(as_text=True)
    assert added.status_code == 201 and "whsec_" in page
    assert description not in page and "&lt;script&gt;" in page
    [endpoint] = client.get("/v1/webhooks", headers=auth(keys["admin"])).get_json()["webhooks"]
    assert endpoint["types"] == ["user.banned"] and endpoint["description"] == description
    again = client.get("/console/webhooks").get_data(as_text=True)
    assert "whsec_" not in again and endpoint["id"] in again  # the secret only once
    client.post("/console/webhooks", data={"csrf": token, "action": "disable", "id": endpoint["id"]})
    assert client.get(f"/v1/webhooks/{endpoint['id']}", headers=auth(keys["admin"])).get_json()["enabled"] is False
    refused = client.post("/console/webhooks", data={"csrf": token, "action": "add", "url": "http://10.0.0.1/x"})
    assert refused.status_code == 422 and "url" in refused.get_data(as_text=True)
    client.post("/console/webhooks", data={"csrf": token, "action": "remove", "id": endpoint["id"]})
    assert client.get("/v1/webhooks", headers=auth(keys["admin"])).get_json()["webhooks"] == []


def test_webhooks_page_is_for_admins(client, keys):
    sign_in(client, keys["moderator"])
    assert client.get("/console/webhooks").status_code == 403


def test_a_comment_past_its_review_period_shows_that_its_text_expired(client, keys, clock):
    for n, text in enumerate(["An old remark about the bridge", "A fresh remark about the bridge"]):
        if n:
            clock.advance(15 * 86400)
        answer = client.post("/v1/comments", json={"id": f"x{n}", "user_id": "u9", "text": text}, headers=auth(keys["site"]))
        assert answer.status_code == 200
    sign_in(client, keys["moderator"], "ann")
    html = client.get("/console/users/u9").get_data(as_text=True)
    assert "A fresh remark about the bridge" in html and "An old remark" not in html
    assert html.count("text expired (full record kept 14 days)") == 1
