"""The use-case layer: free of HTTP, one way to each change, and its reads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from moderation.service.actions import admin, queue, users
from moderation.service.actions.errors import Invalid, NotFound
from moderation.service.errors import api_error
from moderation.service.store import StoreUnavailable

from .conftest import auth

SERVICE = Path(__file__).resolve().parents[2] / "service"


def _imports(path: Path) -> set[str]:
    """Return the absolute names a module imports (relative imports resolved inside ``service``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(SERVICE.parent).with_suffix("").parts[:-1])
    # Imports for type checkers only are not made at run time.
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in node.names)
            else:
                found.add(node.module or "")
    return found


def _module_path(name: str) -> Path | None:
    parts = name.split(".")
    if parts[0] != "service":
        return None
    path = SERVICE.parent.joinpath(*parts)
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file() and path != SERVICE:
        return path / "__init__.py"
    return None


def test_actions_and_what_they_use_know_nothing_of_http():
    seen: set[Path] = set()
    todo = sorted((SERVICE / "actions").glob("*.py"))
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        names = _imports(path)
        web = sorted(n for n in names if n.split(".")[0] in ("flask", "werkzeug", "jinja2", "markupsafe"))
        assert not web, f"{path.relative_to(SERVICE.parent)} imports {web}"
        todo.extend(p for p in map(_module_path, names) if p is not None and p not in seen)
    assert SERVICE / "store" / "__init__.py" in seen  # the walk did follow the imports


def test_errors_of_actions_map_to_the_one_error_shape():
    assert api_error(NotFound("no comment 'x' on this site")).to_dict() == {
        "error": {"status": 404, "code": "not_found", "message": "no comment 'x' on this site"}
    }
    assert api_error(StoreUnavailable("users.change")).status == 503
    bad = api_error(Invalid([{"field": "(body)", "message": "must be a JSON object"}]))
    assert (bad.status, bad.code, bad.fields) == (
        422,
        "invalid_request",
        [{"field": "(body)", "message": "must be a JSON object"}],
    )


def test_a_ban_through_the_api_is_logged_once_with_its_number(app, client, keys):
    services = app.extensions["moderation"]
    answer = client.post("/v1/users/bob/ban", json={"reason": "spam", "moderator": "mia"}, headers=auth(keys["moderator"]))
    assert answer.status_code == 200
    entries = services.store.queue.audit("news")
    assert [(e["decision"], e["user_id"], e["moderator"], e["note"]) for e in entries] == [("ban", "bob", "mia", "spam")]
    # The second write repeated (a retry after a lost reply) logs nothing more.
    assert services.store.queue.record_action("news", "bob", 1, {"decision": "ban"}, services.clock()) is False
    assert len(services.store.queue.audit("news")) == 1


def test_the_console_and_the_api_change_users_through_the_same_action(app, keys):
    services = app.extensions["moderation"]
    state = users.change(services, "news", "bob", "ban", "mia", "spam", 60)
    assert state["banned"] and state["banned_until"] is not None
    assert users.change(services, "news", "bob", "reset", "mia")["strikes"] == 0
    assert not users.change(services, "news", "bob", "unban", "mia", "appeal")["banned"]
    assert [e["decision"] for e in queue.audit(services, "news", 10)] == ["unban", "reset", "ban"]


def test_a_filtered_audit_read_pages_back_past_the_first_page(app):
    services = app.extensions["moderation"]
    record = services.store.queue.record_action
    for number in range(1, 4):
        record("news", "eve", number, {"type": "ban", "decision": "ban", "user_id": "eve", "moderator": "old", "at": 1}, 1)
    for number in range(1, 701):
        record("news", "bob", number, {"type": "reset", "decision": "reset", "user_id": "bob", "moderator": "new", "at": 2}, 2)
    older = queue.audit(services, "news", 10, moderator="old")
    assert [e["user_id"] for e in older] == ["eve"] * 3
    assert len(queue.audit(services, "news", 5, decision="reset")) == 5
    assert queue.audit(services, "news", 10, moderator="nobody") == []


def test_revoking_an_unknown_key_is_not_found_and_a_bad_policy_is_invalid(app):
    services = app.extensions["moderation"]
    with pytest.raises(NotFound):
        admin.revoke_key(services, "news", "0" * 16)
    with pytest.raises(Invalid):
        admin.update_policy(services, "news", {"strike_ttl_s": "long"})
    with pytest.raises(Invalid):
        admin.update_policy(services, "news", ["not", "an", "object"])


def test_the_audit_filter_takes_every_decision_the_log_holds_and_refuses_others(client, keys):
    client.post("/v1/comments", json={"id": "c1", "user_id": "bob", "text": "You are an idiot"}, headers=auth(keys["site"]))
    client.post("/v1/comments/c1/decision", json={"decision": "approve", "moderator": "mia"}, headers=auth(keys["moderator"]))
    client.post("/v1/comments/c1/undo", json={"moderator": "mia"}, headers=auth(keys["moderator"]))
    undone = client.get("/v1/audit?decision=undo", headers=auth(keys["moderator"])).get_json()["entries"]
    assert [(e["decision"], e["comment_id"]) for e in undone] == [("undo", "c1")]
    refused = client.get("/v1/audit?decision=delete", headers=auth(keys["moderator"]))
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == [
        {"field": "decision", "message": "must be one of approve, reject, undo, ban, unban, reset, rules"}
    ]
