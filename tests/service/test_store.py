"""The store: scripts called by name, one failure type at its boundary, user actions logged once."""

from __future__ import annotations

import inspect
import re

import pytest

from moderation.service.config import SitePolicy
from moderation.service.store import Store, StoreUnavailable, connect
from moderation.service.store.lua import SCRIPTS_DIR, Scripts, declared_args

from .conftest import START
from .openapi_checks import break_redis


def test_every_script_declares_its_arguments_and_reads_them_by_name():
    for path in sorted(SCRIPTS_DIR.glob("*.lua")):
        body = path.read_text(encoding="utf-8")
        if path.name.startswith("_"):
            assert "--! args:" not in body and "ARGV" not in body, path.name
            continue
        fixed, rest = declared_args(body, path.name)
        used = set(re.findall(r"ARG\.([a-z_][a-z0-9_]*)", body))
        assert "ARGV" not in body, f"{path.name} reads ARGV by position"
        assert used == set(fixed) | ({rest} if rest else set()), path.name


def test_a_missing_or_unknown_argument_fails_before_redis(redis_client):
    scripts = Scripts(redis_client)
    claim = {"prefix": "mod:{s:x:i1}", "field": b"\x01" * 8, "bucket": 7, "now": START, "period_s": 86400, "per_bucket": 4}
    with pytest.raises(TypeError, match=r"missing arguments \['retention_s'\]"):
        scripts.call("claim_id", ["mod:{s:x:i1}:m"], **claim, user="u")
    with pytest.raises(TypeError, match=r"unknown arguments \['colour'\]"):
        scripts.call("claim_id", ["mod:{s:x:i1}:m"], **claim, user="u", retention_s=60, colour="red")
    assert redis_client.keys("mod:*") == []
    assert scripts.call("claim_id", ["mod:{s:x:i1}:m"], **claim, user="u", retention_s=60) is None
    assert scripts.call("claim_id", ["mod:{s:x:i1}:m"], **claim, user="v", retention_s=60) == "u"


@pytest.mark.parametrize(
    "text",
    ["", "--! args: a b\n--! args: c", "--! args: a ...rest b", "--! args: A"],
    ids=["none", "twice", "rest not last", "bad name"],
)
def test_bad_argument_declarations_are_refused(text):
    with pytest.raises(ValueError):
        declared_args(text)


def _calls(store: Store):
    """One call of every public method of every part of the store, with plausible arguments."""
    policy = SitePolicy()
    return {
        "store.ping": lambda: store.ping(),
        "users.state": lambda: store.users.state("s", "u", START),
        "users.change": lambda: store.users.change("s", "u", "ban", START, "r", "m"),
        "users.view": lambda: store.users.view("s", "u", START),
        "comments.claim": lambda: store.comments.claim("s", "c", "u", START),
        "comments.owner": lambda: store.comments.owner("s", "c", START),
        "comments.find": lambda: store.comments.find("s", "c", START),
        "comments.submit": lambda: store.comments.submit("s", "u", "c", "sha", "approve", {}, {}, (1, {}), policy, START),
        "comments.record": lambda: store.comments.record("s", "u", "c", START),
        "comments.migrate": lambda: store.comments.migrate(),
        "comments.mark_current": lambda: store.comments.mark_current(),
        "comments.apply_decision": lambda: store.comments.apply_decision(
            "s", "u", "c", "approve", [], (1, {}), policy, {}, START
        ),
        "queue.finish": lambda: store.queue.finish("s", "c", "approve", [], START, None),
        "queue.enqueue": lambda: store.queue.enqueue("s", "c", {"risk": 0.5, "received_at": START}),
        "queue.hourly": lambda: store.queue.hourly("s", START),
        "queue.pending": lambda: store.queue.pending("s", START, 10),
        "queue.claim": lambda: store.queue.claim("s", "m", 10, 60, START),
        "queue.depth": lambda: store.queue.depth("s"),
        "queue.oldest": lambda: store.queue.oldest("s"),
        "queue.record_decision": lambda: store.queue.record_decision("s", "c", 1, None, {"a": 1}, START),
        "queue.record_action": lambda: store.queue.record_action("s", "u", 1, {"a": 1}, START),
        "queue.audit": lambda: store.queue.audit("s"),
        "queue.put_label": lambda: store.queue.put_label("s", "n", {"text": "t"}),
        "queue.labels": lambda: list(store.queue.labels("s")),
        "keys.create": lambda: store.apikeys.create("s", "site", "n", START),
        "keys.lookup": lambda: store.apikeys.lookup("k"),
        "keys.list": lambda: store.apikeys.list("s"),
        "keys.revoke": lambda: store.apikeys.revoke("s", "0" * 16),
        "keys.sites": lambda: store.apikeys.sites(),
        "keys.set_limit": lambda: store.apikeys.set_limit("s", "0" * 16, None),
        "changes.counters": lambda: store.changes.counters(),
        "limits.take": lambda: store.rate_limits.take("s", "k", 1.0, 1),
        "policies.get": lambda: store.policies.get("s", policy),
        "policies.set": lambda: store.policies.set("s", policy),
        "policies.clear": lambda: store.policies.clear("s"),
        "integrations.get": lambda: store.integrations.get("s", "coral"),
        "integrations.set": lambda: store.integrations.set("s", "coral", {}),
        "integrations.clear": lambda: store.integrations.clear("s", "coral"),
        "shadow.record": lambda: store.shadow.record("s", "v", "approve", "review", None, 10),
        "shadow.summary": lambda: store.shadow.summary("s"),
        "shadow.clear": lambda: store.shadow.clear("s"),
        "sessions.create": lambda: store.sessions.create("s", "moderator", "k", "m"),
        "sessions.get": lambda: store.sessions.get("x" * 20),
        "sessions.end": lambda: store.sessions.end("x" * 20),
    }


def test_every_store_method_is_covered_here(redis_client):
    store = Store(redis_client)
    parts = {"store": store, **{name: getattr(store, attr) for name, attr in _PARTS.items()}}
    public = {
        f"{name}.{method}"
        for name, part in parts.items()
        for method, fn in inspect.getmembers(type(part), inspect.isfunction)
        if not method.startswith("_")
    }
    assert public == set(_calls(store))


_PARTS = {
    "users": "users",
    "comments": "comments",
    "queue": "queue",
    "keys": "apikeys",
    "policies": "policies",
    "integrations": "integrations",
    "shadow": "shadow",
    "sessions": "sessions",
    "changes": "changes",
    "limits": "rate_limits",  # named so in /metrics: moderation_redis_errors{operation="limits.take"}
}


def test_with_redis_gone_every_store_method_raises_store_unavailable_and_is_counted_once(redis_url):
    failures: list[str] = []
    client = connect(redis_url, 5.0)
    store = Store(client, on_error=failures.append)
    break_redis(client)
    calls = _calls(store)
    for operation, call in calls.items():
        with pytest.raises(StoreUnavailable) as raised:
            call()
        assert raised.value.operation == operation
    assert failures == list(calls)


def test_a_user_action_is_numbered_and_its_audit_entry_written_once(redis_client):
    store = Store(redis_client)
    first = store.users.change("news", "bob", "ban", START, "spam", "mia", 3600)
    second = store.users.change("news", "bob", "unban", START + 1, "appeal", "mia")
    assert (first.number, second.number) == (1, 2)
    assert first.state["banned"] and not second.state["banned"]
    entry = {"type": "ban", "decision": "ban", "user_id": "bob", "moderator": "mia", "note": "spam", "at": START}
    assert store.queue.record_action("news", "bob", first.number, entry, START) is True
    assert store.queue.record_action("news", "bob", first.number, entry, START) is False  # a repeated second write
    assert store.queue.record_action("news", "bob", second.number, dict(entry, type="unban", decision="unban"), START) is True
    assert store.queue.record_action("news", "bob", first.number, entry, START) is False  # an old number, late
    logged = store.queue.audit("news")
    assert [e["decision"] for e in logged] == ["unban", "ban"]
    # Another user's numbers are their own.
    other = store.users.change("news", "eve", "reset", START, "", "mia")
    assert other.number == 1
    assert store.queue.record_action("news", "eve", other.number, dict(entry, user_id="eve"), START) is True
