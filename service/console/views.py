"""The moderator console: server-rendered pages under /console.

Every page needs a signed-in moderator (or admin) key; every POST needs the
session's CSRF token. Forms work without JavaScript (they post and redirect);
``static/console.js`` adds the keyboard and posts decisions without reloading,
asking for ``application/json`` answers.
"""

from __future__ import annotations

import secrets
import time
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup

from moderation.classifier.types import CATEGORIES, Reason

from ..actions import access
from ..actions import comments as comment_actions
from ..actions import queue as queue_actions
from ..actions import shadow as shadow_actions
from ..actions import users as user_actions
from ..actions import webhooks as webhook_actions
from ..actions import words as word_actions
from ..actions.context import Services
from ..actions.errors import ActionError, Invalid, StoreUnavailable
from ..actions.events import EVENT_TYPES
from ..auth import KeyRefused, authenticate
from ..errors import ApiError, api_error
from ..schemas import (
    CONSOLE_BAN,
    CONSOLE_DECISION,
    CONSOLE_LOGIN,
    CONSOLE_UNDO,
    CONSOLE_USER_ACTION,
    USER_ID,
    WORD_SEVERITIES,
    form_body,
)
from ..validation import validate
from . import render
from .sessions import COOKIE, LOGIN_COOKIE, SESSION_S, same_token

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")

#: What a key must grant to sign in to the console (moderator and admin keys do).
CONSOLE_PERMISSION = "queue"
BATCH = 10
BAN_CHOICES = (("3600", "1 hour"), ("86400", "24 hours"), ("604800", "7 days"), ("2592000", "30 days"), ("", "for good"))
#: Comments longer than this (characters or lines) are shown cut, with a "show all" button.
LONG_CHARS = 800
LONG_LINES = 12

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def services() -> Services:
    return current_app.extensions["moderation"]


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


@bp.after_request
def _headers(response):
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(StoreUnavailable)
def _store_down(error: StoreUnavailable):
    if wants_json():
        return api_error(error).response()
    return render_template("error.html", status=503, message="The store (Redis) is unavailable. Try again in a moment."), 503


@bp.errorhandler(ApiError)
@bp.errorhandler(ActionError)
def _api_error(error: Exception):
    error = api_error(error)
    if wants_json():
        return error.response()
    return render_template("error.html", status=error.status, message=error.message), error.status


def _cookie(response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Strict", secure=request.is_secure, path="/console")


def signed_in(view):
    """Decorate a view: a console session is needed (else: to the sign-in page); POSTs need its CSRF token."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        session = access.session(services(), request.cookies.get(COOKIE))
        if session is None:
            if wants_json():
                raise ApiError(401, "sign in again")
            return redirect(url_for("console.login"))
        if request.method == "POST":
            given = request.headers.get("X-CSRF-Token") or request.form.get("csrf")
            if not same_token(session.csrf, given):
                raise ApiError(403, "the form is out of date; reload the page", "csrf")
        g.console = session
        return view(*args, **kwargs)

    return wrapper


# --- sign-in -------------------------------------------------------------------


@bp.get("/")
def home():
    return redirect(url_for("console.queue"))


@bp.get("/login")
def login():
    token = secrets.token_urlsafe(24)
    response = current_app.make_response(render_template("login.html", login_token=token, error=None))
    _cookie(response, LOGIN_COOKIE, token, 600)
    return response


@bp.post("/login")
def login_submit():
    token = request.form.get("login_token")
    if not same_token(request.cookies.get(LOGIN_COOKIE, ""), token):
        raise ApiError(403, "the sign-in form is out of date; reload the page", "csrf")
    key = (request.form.get("key") or "").strip()
    name = (request.form.get("moderator") or "").strip()
    error = None
    identity = None
    try:
        validate({"moderator": name}, CONSOLE_LOGIN)
    except ApiError:
        error = "Give your name (1 to 100 characters): it goes into the decision log."
    if error is None:
        try:
            identity = authenticate(key, CONSOLE_PERMISSION)
        except KeyRefused as refused:
            forbidden = refused.reason == "forbidden"
            error = "A moderator or admin key is needed to use the console." if forbidden else "That key is not valid."
    if error:
        fresh = secrets.token_urlsafe(24)
        response = current_app.make_response((render_template("login.html", login_token=fresh, error=error, moderator=name), 401))
        _cookie(response, LOGIN_COOKIE, fresh, 600)
        return response
    session_id = access.sign_in(services(), identity, name, key)
    response = redirect(url_for("console.queue"))
    _cookie(response, COOKIE, session_id, SESSION_S)
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@bp.post("/logout")
@signed_in
def logout():
    access.sign_out(services(), request.cookies.get(COOKIE))
    response = redirect(url_for("console.login"))
    response.delete_cookie(COOKIE, path="/console")
    return response


# --- queue ----------------------------------------------------------------------


def _view_item(item: dict) -> dict:
    item = dict(item)
    text = item.get("text", "")
    item["segments"] = render.segments(text, item.get("spans", []))
    # A long comment is shown cut, with "show all": the scores and buttons stay on the screen.
    item["long"] = len(text) > LONG_CHARS or text.count("\n") > LONG_LINES
    item["chars"] = len(text)
    item["received"] = render.when(item.get("received_at"))
    item["written"] = render.when(render.parse_iso(item.get("created_at")))
    reasons = Reason.parse_all(item.get("reasons", []))
    item["rules"] = [r for r in reasons if r.source == "rule"]
    item["model"] = [r for r in reasons if r.source == "model"]
    return item


@bp.get("/queue")
@signed_in
def queue():
    s = services()
    session = g.console
    items = queue_actions.claim(s, session.site, session.moderator, BATCH)
    depth = queue_actions.depth(s, session.site)
    # Score bars are coloured by the thresholds in force for this site: green below review, amber to reject, red above.
    thresholds = s.assessor.thresholds_for(s.policy(session.site).thresholds)
    return render_template(
        "queue.html",
        items=[_view_item(i) for i in items],
        depth=depth,
        more=max(0, depth - len(items)),
        categories=CATEGORIES,
        thresholds=thresholds,
        lease_s=s.settings.lease_s,
        undo_s=s.settings.undo_window_s,
    )


def _back(default: str):
    target = request.form.get("next") or ""
    # Only paths inside the console: never an open redirect.
    if target.startswith("/console/") and "//" not in target and "\\" not in target:
        return redirect(target)
    return redirect(default)


@bp.post("/decide")
@signed_in
def decide():
    session = g.console
    source = request.get_json(silent=True) if request.is_json else None
    if source is None:
        source = {
            "comment_id": request.form.get("comment_id"),
            "decision": request.form.get("decision"),
            "categories": request.form.getlist("categories"),
            "note": request.form.get("note") or None,
        }
    data = validate(source, CONSOLE_DECISION)
    categories = tuple(data.get("categories") or ()) or None if data["decision"] == "reject" else None
    decision = comment_actions.Decision(data["decision"], session.moderator, categories, data.get("note"))
    result = comment_actions.decide(services(), session.site, data["comment_id"], decision, session.key_id)
    if wants_json():
        return jsonify(result)
    return _back(url_for("console.queue"))


@bp.post("/undo")
@signed_in
def undo():
    session = g.console
    source = request.get_json(silent=True) if request.is_json else {"comment_id": request.form.get("comment_id")}
    data = validate(source, CONSOLE_UNDO)
    result = comment_actions.undo(services(), session.site, data["comment_id"], session.moderator, session.key_id)
    if wants_json():
        return jsonify(result)
    return _back(url_for("console.queue"))


# --- users ----------------------------------------------------------------------


@bp.get("/users/<user_id>")
@signed_in
def user(user_id: str):
    validate({"user_id": user_id}, USER_ID)
    s = services()
    found = user_actions.view(s, g.console.site, user_id)
    now = s.clock()
    strikes = [
        {
            **x,
            "at_text": render.when(x.get("at")),
            "expires_text": render.when(x["expires_at"]),
            "left": render.age(x["expires_at"] - now),
        }
        for x in found["strikes"]
    ]
    history = [{**e, "at_text": render.when(e.get("at"))} for e in found["history"]]
    comments = [{**c, "received": render.when(c["received_at"])} for c in found["comments"]]
    ban = found["ban"]
    if ban:
        ban = {**ban, "until_text": render.when(ban["until"]) if ban["until"] else "for good", "at_text": render.when(ban["at"])}
    return render_template(
        "user.html",
        user_id=user_id,
        state=found["state"],
        strikes=strikes,
        ban=ban,
        history=history,
        comments=comments,
        ban_choices=BAN_CHOICES,
        full_days=s.settings.full_record_days,
    )


def _user_action(user_id: str, action: str):
    validate({"user_id": user_id}, USER_ID)
    spec = CONSOLE_BAN if action == "ban" else CONSOLE_USER_ACTION  # the API's own shapes: one rule at both doors
    data = validate(form_body(request.form, spec), spec)
    reason = (data.get("reason") or "").strip()
    duration = data.get("duration_s")
    session = g.console
    user_actions.change(
        services(),
        session.site,
        user_id,
        action,
        session.moderator,
        reason,
        duration if action == "ban" else None,
    )
    return redirect(url_for("console.user", user_id=user_id))


@bp.post("/users/<user_id>/ban")
@signed_in
def ban(user_id: str):
    return _user_action(user_id, "ban")


@bp.post("/users/<user_id>/unban")
@signed_in
def unban(user_id: str):
    return _user_action(user_id, "unban")


@bp.post("/users/<user_id>/reset")
@signed_in
def reset(user_id: str):
    return _user_action(user_id, "reset")


# --- decision log and dashboard ----------------------------------------------------


LOG_CHOICES = ("approve", "reject", "undo", "ban", "unban", "reset", "rules")


@bp.get("/log")
@signed_in
def log():
    moderator_filter = (request.args.get("moderator") or "").strip()[:100]
    decision = request.args.get("decision") or ""
    if decision not in LOG_CHOICES:
        decision = ""
    comment = (request.args.get("comment") or "").strip()[:200]
    entries = queue_actions.audit(services(), g.console.site, 200, moderator_filter or None, decision or None, comment or None)
    shown = [{**entry, "at_text": render.when(entry["at"]) if entry["at"] is not None else "-"} for entry in entries]
    return render_template(
        "log.html", entries=shown, moderator=moderator_filter, decision=decision, choices=LOG_CHOICES, comment=comment
    )


# --- the site's own word lists (admins) ---------------------------------------------


def _admin_only() -> None:
    if g.console.role != "admin":
        raise ApiError(403, "the site's word lists are for admin keys", "forbidden")


def _rules_page(errors: list[dict] | None = None, status: int = 200, form: dict | None = None):
    query = (request.args.get("q") or "").strip()[:200]
    _, rows = word_actions.entries(services(), g.console.site, query)
    shown = [{**row, "at_text": render.when(float(row["added_at"])) if row.get("added_at") else "-"} for row in rows]
    return (
        render_template(
            "rules.html",
            entries=shown,
            q=query,
            errors=errors or [],
            form=form or {},
            severities=WORD_SEVERITIES,
            categories=CATEGORIES,
        ),
        status,
    )


@bp.get("/rules")
@signed_in
def rules():
    """The site's own word lists: search, add, remove, import (admins)."""
    _admin_only()
    return _rules_page()


@bp.get("/rules/export.<format>")
@signed_in
def rules_export(format: str):
    _admin_only()
    _, rows = word_actions.entries(services(), g.console.site)
    if format == "csv":
        body, mimetype = word_actions.to_csv(rows), "text/csv"
    elif format == "text":
        body, mimetype = word_actions.to_text(rows), "text/plain"
    else:
        raise ApiError(404, "no such export", "not_found")
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="word-lists.{"csv" if format == "csv" else "txt"}"'
    return response


@bp.post("/rules")
@signed_in
def rules_change():
    _admin_only()
    s, session = services(), g.console
    action = request.form.get("action")
    try:
        if action == "add":
            entry = {"pattern": request.form.get("pattern", ""), "severity": request.form.get("severity", "")}
            if request.form.get("category"):
                entry["category"] = request.form["category"]
            if request.form.get("note"):
                entry["note"] = request.form["note"]
            word_actions.change(s, session.site, [entry], None, session.moderator, session.key_id)
        elif action == "remove":
            word_actions.change(s, session.site, None, [request.form.get("pattern", "")], session.moderator, session.key_id)
        elif action == "import":
            entries = word_actions.parse_text(request.form.get("text", ""))
            if request.form.get("replace") == "1":
                word_actions.replace_all(s, session.site, entries, session.moderator, session.key_id)
            else:
                word_actions.change(s, session.site, entries, None, session.moderator, session.key_id)
        else:
            raise ApiError(400, "unknown action", "bad_request")
    except Invalid as exc:
        return _rules_page(exc.fields, 422, dict(request.form))
    return redirect(url_for("console.rules"))


def _webhooks_page(errors: list[dict] | None = None, status: int = 200, form: dict | None = None, secret: dict | None = None):
    s, site = services(), g.console.site
    endpoints = []
    for endpoint in webhook_actions.listing(s, site):
        view = webhook_actions.view(s, site, endpoint["id"], attempts=5)
        endpoints.append(view)
    return (
        render_template(
            "webhooks.html", endpoints=endpoints, errors=errors or [], form=form or {}, secret=secret, types=EVENT_TYPES
        ),
        status,
    )


@bp.get("/webhooks")
@signed_in
def webhooks():
    """The site's webhook endpoints: add (the secret shown once), turn off and on, remove, latest deliveries (admins)."""
    _admin_only()
    return _webhooks_page()


@bp.post("/webhooks")
@signed_in
def webhooks_change():
    _admin_only()
    s, site = services(), g.console.site
    action = request.form.get("action")
    try:
        if action == "add":
            data = {"url": request.form.get("url", ""), "types": request.form.getlist("types"), "description": request.form.get("description", "")}
            made = webhook_actions.create(s, site, data)
            return _webhooks_page(secret=made, status=201)
        endpoint_id = request.form.get("id", "")
        if action in ("enable", "disable"):
            webhook_actions.change(s, site, endpoint_id, {"enabled": action == "enable"})
        elif action == "remove":
            webhook_actions.remove(s, site, endpoint_id)
        else:
            raise ApiError(400, "unknown action", "bad_request")
    except Invalid as exc:
        return _webhooks_page(exc.fields, 422, dict(request.form))
    return redirect(url_for("console.webhooks"))


@bp.get("/dashboard")
@signed_in
def dashboard():
    activity = queue_actions.activity(services(), g.console.site, 24)
    hours, oldest, now = activity["hours"], activity["oldest"], activity["now"]
    totals = {v: sum(c.get(f"verdict:{v}", 0) for _, c in hours) for v in render.VERDICTS}
    flagged = {c: sum(x.get(f"category:{c}", 0) for _, x in hours) for c in CATEGORIES}
    # The charts are SVG made from numbers and fixed labels only (see render.hourly_chart).
    verdict_chart = Markup(render.hourly_chart(hours, render.VERDICTS, "verdict", "Comments per hour by verdict, last 24 hours"))
    category_chart = Markup(
        render.hourly_chart(hours, CATEGORIES, "category", "Flagged comments per hour by category, last 24 hours")
    )
    return render_template(
        "dashboard.html",
        verdict_chart=verdict_chart,
        category_chart=category_chart,
        totals=totals,
        flagged=flagged,
        total=sum(c.get("all", 0) for _, c in hours),
        depth=activity["depth"],
        oldest_age=render.age(now - oldest) if oldest else None,
        verdicts=render.VERDICTS,
        categories=CATEGORIES,
    )


@bp.get("/model")
@signed_in
def model():
    """The model in service and, with a shadow model set, where the two disagree (for a moderator to judge)."""
    s = services()
    site = g.console.site
    active, shadow = s.models.active.assessor, s.models.shadow
    summary = shadow_actions.summary(s, site, 100)
    rows = []
    for d in summary["disagreements"]:
        user, record = comment_actions.lookup(s, site, d["comment_id"])
        rows.append(
            {
                **d,
                "user_id": user,
                "text": record["fields"].get("text") if record else None,
                "expired": bool(record) and not record["full"],
                "state": record["state"] if record else None,
                "at_text": render.when(float(d["at"])),
            }
        )
    versions = [{"version": v, **counts} for v, counts in sorted(summary["versions"].items(), key=lambda kv: -kv[1]["compared"])]
    return render_template(
        "model.html",
        active=active,
        card=active.artifact.card,
        shadow=shadow.assessor if shadow else None,
        versions=versions,
        disagreements=rows,
        categories=CATEGORIES,
        full_days=s.settings.full_record_days,
    )


@bp.app_template_filter("pct")
def pct(value: float) -> str:
    return f"{100 * value:.0f}%"


@bp.app_context_processor
def _context():
    session = g.get("console")
    return {"console": session, "now_text": render.when(time.time())}
