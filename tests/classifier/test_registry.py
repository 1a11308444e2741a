"""The model directory: publish, list, activate, roll back, shadow; pointers change atomically."""

from __future__ import annotations

import json

import pytest

from moderation.classifier import artifact
from moderation.classifier.registry import ModelRegistry, RegistryError

SHIPPED = artifact.DEFAULT_MODEL
SHIPPED_VERSION = artifact.read_card(SHIPPED)["version"]


def test_an_empty_directory_serves_the_fallback(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    assert registry.active_version() is None and registry.shadow_version() is None
    assert registry.active_path() == SHIPPED
    rows = registry.list()
    assert [(r["version"], r["active"], r["fallback"]) for r in rows] == [(SHIPPED_VERSION, True, True)]


def test_publish_activates_and_keeps_the_file_and_history(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    version = registry.publish(SHIPPED, {"why": "test"})
    assert version == SHIPPED_VERSION
    assert registry.active_version() == version
    assert registry.active_path() == tmp_path / "models" / "versions" / f"{version}.model"
    assert (tmp_path / "models" / "active").read_text() == version + "\n"
    assert artifact.load(registry.active_path()).version == version
    events = registry.history()
    assert [e["event"] for e in events] == ["publish"] and events[0]["report"] == {"why": "test"}
    # nothing half-written is left behind
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["active", "history.jsonl", "versions"]
    assert [p.name for p in (tmp_path / "models" / "versions").iterdir()] == [f"{version}.model"]


def test_publish_inactive_then_activate_and_shadow(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    version = registry.publish(SHIPPED, activate=False)
    assert registry.active_version() is None
    registry.set_shadow(version)
    assert registry.shadow_version() == version
    assert registry.pointers().shadow.name == f"{version}.model"
    registry.set_shadow(None)
    assert registry.shadow_version() is None
    registry.activate(version, reason="go")
    assert registry.active_version() == version
    assert registry.history()[-1]["reason"] == "go"


def test_rollback_to_the_fallback_version_publishes_it_first(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    registry.activate(SHIPPED_VERSION)
    assert registry.active_version() == SHIPPED_VERSION
    assert registry.active_path().is_file()


def test_the_fallback_version_can_be_the_shadow(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    registry.set_shadow(SHIPPED_VERSION)
    assert registry.shadow_version() == SHIPPED_VERSION
    assert registry.pointers().shadow.is_file()
    assert registry.active_version() is None  # the fallback stays active
    rows = registry.list()  # listed once, though it is both the fallback and a published copy
    assert [(r["version"], r["active"], r["shadow"], r["fallback"]) for r in rows] == [(SHIPPED_VERSION, True, True, True)]


@pytest.mark.parametrize("version", ["", "nothex!", "../../etc/passwd", "0123456789ab"])
def test_unknown_or_malformed_versions_are_refused(tmp_path, version):
    registry = ModelRegistry(tmp_path / "models")
    with pytest.raises(RegistryError):
        registry.activate(version)
    with pytest.raises(RegistryError):
        registry.set_shadow(version)
    assert registry.active_version() is None


def test_a_tampered_version_is_not_activated(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    version = registry.publish(SHIPPED, activate=False)
    path = registry.path_of(version)
    data = bytearray(path.read_bytes())
    data[-200] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RegistryError):
        registry.activate(version)
    assert registry.active_version() is None


def test_history_lines_are_json(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    registry.publish(SHIPPED)
    registry.set_shadow(SHIPPED_VERSION)
    lines = (tmp_path / "models" / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["publish", "shadow"]


def test_a_refused_candidate_is_recorded_in_the_history_only(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    registry.record_refusal("abcdef123456", {"why": "worse"})
    assert registry.active_version() is None and registry.active_path() == SHIPPED
    [event] = registry.history()
    assert event["event"] == "refused" and event["version"] == "abcdef123456" and event["report"] == {"why": "worse"}
