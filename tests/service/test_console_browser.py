"""The console in a real headless Chromium (Debian's), driven by Playwright through the keyboard.

Chromium comes from the system (``/usr/bin/chromium``; ``make test`` installs it
when missing); Playwright never downloads a browser. On failure each open page
is saved as a screenshot under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from moderation.service import create_app

from .conftest import auth

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
REVIEW = ["You clown, read the article first", "Get a life", "Shut up and read the report", "You are clueless"]
XSS = 'You clown <script>window.__xss=1;alert(1)</script> "><img src=x onerror="window.__xss=2"> <a href="javascript:window.__xss=3">see</a>'
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is needed for the console tests and was not found at {CHROMIUM} (make test installs Debian's 'chromium')"
        )
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live(redis_url, redis_client, assessor):
    """The app on a real HTTP port (real clock: the undo window is real time)."""
    app = create_app({"redis_url": redis_url, "assessor": assessor})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    store = app.extensions["moderation"].store
    keys = {role: store.apikeys.create("news", role, role, time.time())[0] for role in ("site", "moderator")}
    yield {"url": f"http://127.0.0.1:{server.server_port}", "app": app, "store": store, "keys": keys}
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser, live, request):  # after `live`, so failures are photographed before the server stops
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    yield page
    if getattr(request.node, "failed", False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for i, open_page in enumerate(context.pages):
            open_page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{i}.png"), full_page=True)
    context.close()


def seed(live, texts, author="Reader"):
    client = live["app"].test_client()
    for i, text in enumerate(texts):
        body = client.post(
            "/v1/comments",
            json={"id": f"c{i}", "user_id": f"u{i}", "text": text, "author_name": author, "article_id": f"a{i}"},
            headers=auth(live["keys"]["site"]),
        ).get_json()
        assert body["verdict"] == "review", text


def sign_in(page, live, name="ann"):
    page.goto(live["url"] + "/console/login")
    page.locator("#key").focus()
    page.keyboard.type(live["keys"]["moderator"])
    page.keyboard.press("Tab")
    page.keyboard.type(name)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/console/queue"), page.url


def focused_comment(page) -> str:
    return page.evaluate(
        "document.activeElement.closest('article') && document.activeElement.closest('article').dataset.commentId"
    )


def test_work_the_queue_with_the_keyboard(page, live):
    seed(live, REVIEW)
    sign_in(page, live)
    store = live["store"]
    assert page.locator("article.item").count() == 4
    first = focused_comment(page)
    page.keyboard.press("j")
    second = focused_comment(page)
    assert second != first
    page.keyboard.press("k")
    assert focused_comment(page) == first

    # reject the first, for attack and abuse (attack is ticked already; 1 ticks abuse)
    assert page.locator(f'article[data-comment-id="{first}"] input[value="attack"]').is_checked()
    page.keyboard.press("1")
    assert page.locator(f'article[data-comment-id="{first}"] input[value="abuse"]').is_checked()
    page.keyboard.press("r")
    page.locator(f'article[data-comment-id="{first}"] .done').wait_for(state="visible")
    user_first = "u" + first[1:]
    assert store.users.state("news", user_first, time.time())["strikes"] == 1
    label = store.queue.labels("news")
    assert [(x["comment_id"], x.get("abuse"), x.get("attack")) for x in label] == [(first, 1, 1)]
    assert focused_comment(page) == second  # the next comes up at once

    # approve the second, then undo it with u
    page.keyboard.press("a")
    page.locator(f'article[data-comment-id="{second}"] .done').wait_for(state="visible")
    assert store.comments.record("news", "u" + second[1:], second, time.time())["state"] == "approved"
    page.keyboard.press("u")
    # a locator wait, not wait_for_function: the page's CSP forbids the eval that polling needs
    page.locator(f'article[data-comment-id="{second}"]:not(.decided)').wait_for()
    assert store.comments.record("news", "u" + second[1:], second, time.time())["state"] == "pending"
    assert "back" in page.locator("#toast").inner_text()

    # the key list
    page.keyboard.press("?")
    assert page.locator("dialog#help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("dialog#help").is_visible()
    assert page.dialogs == []


def test_undo_reverses_the_strike(page, live):
    seed(live, REVIEW[:1])
    sign_in(page, live)
    page.keyboard.press("r")
    page.locator("article .done").wait_for(state="visible")
    assert live["store"].users.state("news", "u0", time.time())["strikes"] == 1
    page.keyboard.press("u")
    page.locator("article.item:not(.decided)").wait_for()
    assert live["store"].users.state("news", "u0", time.time())["strikes"] == 0


def test_user_panel_ban_and_unban_without_a_mouse(page, live):
    seed(live, REVIEW[:1])
    sign_in(page, live)
    page.goto(live["url"] + "/console/users/u0")
    page.focus("#ban-duration")
    page.keyboard.press("ArrowDown")  # 24 hours
    page.keyboard.press("Tab")
    page.keyboard.type("repeated insults")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    state = live["store"].users.state("news", "u0", time.time())
    assert state["banned"] is True and 86000 < state["banned_until"] - time.time() <= 86400
    assert "banned" in page.locator("main").inner_text()
    page.focus("#unban-reason")
    page.keyboard.type("appeal upheld")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert live["store"].users.state("news", "u0", time.time())["banned"] is False
    log = page.goto(live["url"] + "/console/log?moderator=ann&decision=ban")
    assert log.status == 200
    assert "repeated insults" in page.locator("table").inner_text()


def test_hostile_comments_show_as_text_and_run_nothing(page, live):
    seed(live, [XSS], author='<img src=x onerror="window.__xss=4">')
    sign_in(page, live)
    # what a reader sees, without the evidence labels, is exactly the comment
    text = page.evaluate(
        """(() => { const q = document.querySelector('blockquote.text').cloneNode(true);
                    q.querySelectorAll('.ev-label').forEach(l => l.remove()); return q.textContent; })()"""
    )
    assert text == XSS
    assert page.locator("blockquote.text img, blockquote.text script, blockquote.text a, .meta img").count() == 0
    page.keyboard.press("j")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []
    # the other pages show the same comment's user safely too
    page.goto(live["url"] + "/console/users/u0")
    assert page.evaluate("window.__xss") is None and page.dialogs == []


def test_security_headers_and_no_inline_script(page, live):
    response = page.goto(live["url"] + "/console/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert page.locator("script:not([src])").count() == 0


@pytest.mark.parametrize("width", [1280, 375])
def test_pages_fit_the_screen(page, live, width):
    seed(live, REVIEW)
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live)
    for path in ("/console/queue", "/console/users/u0", "/console/log", "/console/dashboard", "/console/model"):
        page.goto(live["url"] + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} scrolls sideways at {width} px ({overflow} px)"


def test_focus_is_visible_and_controls_are_labelled(page, live):
    seed(live, REVIEW[:1])
    sign_in(page, live)
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    unlabelled = page.evaluate(
        """Array.from(document.querySelectorAll('input:not([type=hidden]), select, meter'))
             .filter(el => !(el.labels && el.labels.length) && !el.closest('label')).length"""
    )
    assert unlabelled == 0


def test_dashboard_shows_charts(page, live):
    seed(live, REVIEW)
    sign_in(page, live)
    page.goto(live["url"] + "/console/dashboard")
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart title").first.text_content().startswith("Comments per hour")
    assert "4" in page.locator(".stats").inner_text()  # four waiting


def test_sign_out(page, live):
    sign_in(page, live)
    page.get_by_role("button", name="Sign out").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/console/login")
    page.goto(live["url"] + "/console/queue")
    assert page.url.endswith("/console/login")


def test_a_very_long_comment_is_cut_with_show_all_and_the_buttons_stay_on_screen(page, live):
    """10,000 characters (or 9,000 emoji, with no space to break at) do not push the scores and buttons away."""
    seed(live, [REVIEW[0] + " " + "🙂" * 9000, REVIEW[0] + ". " + "The council met on Tuesday to discuss the budget. " * 190])
    sign_in(page, live)
    for n in range(2):
        article = page.locator(f"#item-{n}")
        text = page.locator(f"#item-{n}-text")
        button = article.locator(".show-all")
        assert "characters" in button.inner_text() and button.get_attribute("aria-expanded") == "false"
        cut = text.bounding_box()["height"]
        assert cut < 320, cut
        approve = article.locator("button[value=approve]")
        approve.scroll_into_view_if_needed()
        assert text.bounding_box()["height"] == cut  # nothing grew meanwhile
        button.click()
        assert button.get_attribute("aria-expanded") == "true" and button.inner_text() == "Show less"
        assert text.bounding_box()["height"] > 3 * cut
        button.click()
        assert text.bounding_box()["height"] == cut
    # the first item's decision buttons are on the first screen
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator("#item-0 button[value=approve]").bounding_box()
    assert box["y"] + box["height"] <= page.viewport_size["height"]


def test_the_console_has_a_favicon(page, live):
    page.goto(live["url"] + "/console/login")
    href = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(live["url"] + href)
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
    assert response.body().startswith(b"<svg")


def test_score_bars_are_coloured_by_the_sites_thresholds(page, live):
    """Green below the site's review threshold, amber up to its reject threshold, red above (a <meter>'s low/high)."""
    from moderation.service.config import SitePolicy

    seed(live, REVIEW[:1])
    services = live["app"].extensions["moderation"]
    live["store"].policies.set("news", SitePolicy(thresholds={"promotion": {"review": 0.14, "reject": 0.3}}))
    services.forget_policies()
    sign_in(page, live)
    model = services.assessor.thresholds
    bars = page.evaluate(
        """Array.from(document.querySelectorAll('#item-0 .score')).map(el => {
             const m = el.querySelector('meter');
             return [el.className.replace('score score-', ''), m.low, m.high, m.value];
           })"""
    )
    seen = {name: (low, high) for name, low, high, _ in bars}
    assert seen["promotion"] == (0.14, 0.3)
    for category in ("abuse", "attack"):
        assert seen[category] == pytest.approx((model[category].review, model[category].reject))
    # with optimum 0, a <meter> is green below low, amber from low to high, red above: 22% promotion is amber here


def test_the_user_page_shows_each_recent_comments_verdict_and_links_to_its_decisions(page, live):
    seed(live, REVIEW[:2])
    client = live["app"].test_client()
    answer = client.post(
        "/v1/comments/c0/decision", json={"decision": "reject", "moderator": "ann"}, headers=auth(live["keys"]["moderator"])
    )
    assert answer.status_code == 200
    client.post(
        "/v1/comments/c1/decision", json={"decision": "approve", "moderator": "bo"}, headers=auth(live["keys"]["moderator"])
    )
    sign_in(page, live)
    page.goto(live["url"] + "/console/users/u0")
    recent = page.locator("section:has(h2:text('Recent comments')) li").first
    assert "review" in recent.locator(".verdict").inner_text()
    assert "attack" in recent.locator(".reasons").inner_text()
    with page.expect_navigation():
        recent.locator("a", has_text="decision log").click()
    assert "/console/log?comment=c0" in page.url
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "c0" in rows.first.inner_text() and "reject" in rows.first.inner_text()
    assert "On comment c0 only" in page.locator("#log-comment").inner_text()


def test_the_queue_says_how_many_more_wait_and_n_claims_the_next_batch(page, live):
    seed(live, [f"{REVIEW[n % 4]} ({n})" for n in range(12)])  # 12 to review, batches of 10
    sign_in(page, live)
    assert page.locator("article.item").count() == 10
    assert page.locator("#more-waiting").inner_text() == "2 more after these"
    first = set(page.eval_on_selector_all("article.item", "els => els.map(e => e.dataset.commentId)"))
    client = live["app"].test_client()
    for comment_id in first:  # decided elsewhere meanwhile
        client.post(
            f"/v1/comments/{comment_id}/decision",
            json={"decision": "approve", "moderator": "bo"},
            headers=auth(live["keys"]["moderator"]),
        )
    with page.expect_navigation():
        page.keyboard.press("n")
    second = set(page.eval_on_selector_all("article.item", "els => els.map(e => e.dataset.commentId)"))
    assert len(second) == 2 and not second & first
    assert page.locator("#more-waiting").inner_text() == "0 more after these"
    assert page.locator("#next-batch").count() == 0


def sign_in_admin(page, live):
    live["keys"]["admin"] = live["store"].apikeys.create("news", "admin", "admin", time.time())[0]
    page.goto(live["url"] + "/console/login")
    page.fill("#key", live["keys"]["admin"])
    page.fill("#moderator", "ada")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_an_admin_adds_searches_imports_and_removes_site_words(page, live):
    sign_in_admin(page, live)
    page.click("text=Word lists")
    assert page.url.endswith("/console/rules")
    # add one: the next comment with that word (disguised) is rejected, with the site's list as the reason
    page.fill("#r-pattern", "Grimbleshank")
    page.select_option("#r-severity", "block")
    page.select_option("#r-category", "attack")
    page.fill("#r-note", "<b>the troll</b>")
    with page.expect_navigation():
        page.click("#rules-add button[type=submit]")
    row = page.locator("#rules-table tbody tr")
    assert row.count() == 1 and "grimbleshank" in row.first.inner_text()
    assert page.locator("#rules-table b").count() == 0  # the note is text, never markup
    client = live["app"].test_client()
    answer = client.post("/v1/score", json={"text": "ask gr1mbl3shank"}, headers=auth(live["keys"]["site"])).get_json()
    assert "attack:site:block" in answer["reasons"]
    # a bad import is refused whole, each bad line named
    page.fill("#r-text", "review plonker\nnonsense\nallow two words")
    with page.expect_navigation():
        page.click("#rules-import button[type=submit]")
    assert "line 2" in page.locator("#rules-errors").inner_text()
    assert page.locator("#rules-table tbody tr").count() == 1
    page.fill("#r-text", "review plonker  # rude\nallow scunthorpe")
    with page.expect_navigation():
        page.click("#rules-import button[type=submit]")
    assert page.locator("#rules-table tbody tr").count() == 3
    page.fill("#r-q", "rude")
    with page.expect_navigation():
        page.press("#r-q", "Enter")
    assert page.locator("#rules-table tbody tr").count() == 1
    with page.expect_navigation():
        page.click("button[aria-label='Remove plonker']")
    assert "plonker" not in page.locator("body").inner_text()
    # a form without the session's CSRF token is refused
    refused = page.request.post(live["url"] + "/console/rules", form={"action": "remove", "pattern": "grimbleshank"})
    assert refused.status == 403
    assert live["store"].words.load("news")[1].keys() == {"grimbleshank", "scunthorpe"}


def test_moderators_do_not_see_the_word_lists(page, live):
    sign_in(page, live)
    assert page.locator("text=Word lists").count() == 0
    assert page.request.get(live["url"] + "/console/rules").status == 403
