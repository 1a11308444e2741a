"""The model registry shared through Redis: published from any machine, followed by every instance, bytes checked."""

from __future__ import annotations

import logging
import time

import pytest

from moderation.classifier import artifact
from moderation.classifier.registry import RegistryError
from moderation.service import create_app
from moderation.service.registry import SharedRegistry, sha256
from moderation.service.store import connect
from moderation.service.store.keys import ModelKeys
from moderation.service.store.model_registry import ModelStore

from .conftest import auth

SHIPPED = artifact.DEFAULT_MODEL
SHIPPED_VERSION = artifact.read_card(SHIPPED)["version"]


def shared(redis_url, cache) -> SharedRegistry:
    """A registry as one machine sees it: the shared Redis, its own cache folder."""
    return SharedRegistry(ModelStore(connect(redis_url, 5.0)), cache)


def test_a_version_published_on_one_machine_is_fetched_and_checked_on_another(redis_client, redis_url, tmp_path, tiny_artifact):
    here, there = shared(redis_url, tmp_path / "here"), shared(redis_url, tmp_path / "there")
    version = here.publish(tiny_artifact, {"reason": "test"})
    assert there.active_version() == version
    assert not (tmp_path / "there" / "versions").exists()  # nothing fetched before it is needed
    path = there.active_path()
    assert path == tmp_path / "there" / "versions" / f"{version}.model"
    assert artifact.load(path).version == version
    assert sha256(path.read_bytes()) == ModelStore(redis_client).meta(version)["sha256"]
    rows = {row["version"]: row for row in there.list()}
    assert rows[version]["active"] and not rows[SHIPPED_VERSION]["active"] and rows[SHIPPED_VERSION]["fallback"]
    # a rollback to the shipped model from the second machine publishes it first, and the first one sees it
    there.activate(SHIPPED_VERSION, reason="back")
    assert here.active_version() == SHIPPED_VERSION
    there.set_shadow(version)
    assert here.shadow_version() == version
    there.set_shadow(None)
    assert here.shadow_version() is None
    events = here.history()
    assert [e["event"] for e in events] == ["publish", "publish", "rollback", "shadow", "shadow"]
    assert events[0]["report"] == {"reason": "test"} and events[2]["reason"] == "back"


def test_bytes_that_do_not_match_their_hash_are_refused_and_logged(redis_client, redis_url, tmp_path, caplog):
    registry = shared(redis_url, tmp_path / "a")
    version = registry.publish(SHIPPED, activate=False)
    data = bytearray(SHIPPED.read_bytes())
    data[-200] ^= 0xFF
    redis_client.set(ModelKeys.blob(version), bytes(data))
    other = shared(redis_url, tmp_path / "b")
    with caplog.at_level(logging.ERROR, logger="moderation.service.registry"), pytest.raises(RegistryError, match="SHA-256"):
        other.activate(version)
    assert "refusing model version" in caplog.text
    assert other.active_version() is None
    # a local copy changed after it was fetched is not trusted either: fetched again (and refused here)
    (tmp_path / "b" / "versions").mkdir(parents=True, exist_ok=True)
    (tmp_path / "b" / "versions" / f"{version}.model").write_bytes(bytes(data))
    with pytest.raises(RegistryError):
        other.path_of(version)


def test_unknown_versions_are_refused(redis_client, redis_url, tmp_path):
    registry = shared(redis_url, tmp_path)
    for version in ("", "nothex!", "0123456789ab"):
        with pytest.raises(RegistryError):
            registry.activate(version)
    assert registry.active_version() is None and registry.history() == []


def serving(client, key) -> str:
    return client.get("/v1/model", headers=auth(key)).get_json()["version"]


def wait_for(check, timeout_s: float = 15.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError("not within the time")


def test_every_instance_follows_the_shared_registry(redis_client, redis_url, tmp_path, tiny_artifact, keys, caplog):
    instances = [
        create_app(
            {
                "redis_url": redis_url,
                "model_registry": "redis",
                "model_dir": str(tmp_path / name),
                "model_poll_s": 60.0,  # far longer than the test: the change counter tells them
                "change_poll_s": 0.05,
            }
        )
        for name in ("one", "two")
    ]
    clients = [app.test_client() for app in instances]
    try:
        assert [serving(c, keys["site"]) for c in clients] == [SHIPPED_VERSION] * 2  # each starts its watcher
        version = shared(redis_url, tmp_path / "cli").publish(tiny_artifact)
        for c in clients:
            wait_for(lambda c=c: serving(c, keys["site"]) == version)
        # a version whose bytes were changed in Redis is refused: every instance goes on serving what it has
        bad = shared(redis_url, tmp_path / "cli").publish(SHIPPED, activate=False)
        redis_client.set(ModelKeys.blob(bad), b"not a model")
        with caplog.at_level(logging.ERROR):
            ModelStore(redis_client).point("active", bad, {"event": "rollback", "version": bad})
            for app in instances:
                wait_for(lambda app=app: app.extensions["moderation"].models._failed)
        assert [serving(c, keys["site"]) for c in clients] == [version] * 2
        assert "do not match" in caplog.text
    finally:
        for app in instances:
            app.extensions["moderation"].watcher.stop()


def test_a_pointer_naming_a_path_is_refused(redis_client, redis_url, tmp_path):
    registry = shared(redis_url, tmp_path / "cache")
    ModelStore(redis_client).point("active", "../../etc/passwd")
    with pytest.raises(RegistryError):
        registry.local_file(registry.pointers().active)
    with pytest.raises(RegistryError):
        registry.fetch("../x")
