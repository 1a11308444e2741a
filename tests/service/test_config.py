"""Settings: every MODERATION_* variable is a field of ``Settings``, read by ``load_settings`` (and nowhere else)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from moderation.service.config import PREFIX, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_without_variables():
    settings, extras = load_settings(environ={})
    assert settings == Settings() and extras == {}
    assert (settings.bind, settings.workers, settings.threads) == ("127.0.0.1:8080", None, 2)
    assert (settings.access_log, settings.log_level, settings.switch_interval_ms) == (None, "info", 0.5)
    assert settings.worker_processes == (os.cpu_count() or 2)
    assert settings.metrics_dir == os.path.join("var", "metrics")
    assert settings.models_root == os.path.join("var", "models")


def test_the_server_settings_come_from_their_variables():
    environ = {
        "MODERATION_BIND": "0.0.0.0:9000",
        "MODERATION_WORKERS": "3",
        "MODERATION_THREADS": "4",
        "MODERATION_ACCESS_LOG": "-",
        "MODERATION_LOG_LEVEL": "warning",
        "MODERATION_SWITCH_INTERVAL_MS": "1.5",
        "MODERATION_DATA_DIR": "/srv/mod",
        "MODERATION_ENCODER": "uncertain",
    }
    settings, _ = load_settings(environ=environ)
    assert (settings.bind, settings.workers, settings.worker_processes, settings.threads) == ("0.0.0.0:9000", 3, 3, 4)
    assert (settings.access_log, settings.log_level, settings.switch_interval_ms) == ("-", "warning", 1.5)
    assert settings.metrics_dir == "/srv/mod/metrics" and settings.encoder == "uncertain"
    # empty is unset; 0 workers is one per CPU, as before
    settings, _ = load_settings(environ={"MODERATION_WORKERS": "0", "MODERATION_ACCESS_LOG": "", "MODERATION_BIND": ""})
    assert settings.worker_processes == (os.cpu_count() or 2)
    assert settings.access_log is None and settings.bind == "127.0.0.1:8080"


def test_redis_url_and_overrides():
    environ = {"REDIS_URL": "redis://a", "MODERATION_REDIS_URL": "redis://b"}
    assert load_settings(environ=environ)[0].redis_url == "redis://b"
    assert load_settings(environ={"REDIS_URL": "redis://a"})[0].redis_url == "redis://a"
    settings, extras = load_settings({"redis_url": "redis://c", "clock": 1}, environ=environ)
    assert settings.redis_url == "redis://c" and extras == {"clock": 1}


@pytest.mark.parametrize(
    ("name", "value"),
    [("MODERATION_SWITCH_INTERVAL_MS", "fast"), ("MODERATION_WORKERS", "many"), ("MODERATION_THREADS", "0")],
)
def test_a_bad_value_names_its_variable(name, value):
    with pytest.raises(ValueError, match=name.removeprefix(PREFIX).lower() if value == "0" else name):
        load_settings(environ={name: value})


def test_gunicorn_takes_its_values_from_the_settings(tmp_path):
    """service/gunicorn_conf.py, imported as gunicorn does, in a process of its own (it sets PROMETHEUS_MULTIPROC_DIR)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX) and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(MODERATION_DATA_DIR=str(tmp_path / "d"), MODERATION_BIND="127.0.0.1:9999", MODERATION_THREADS="3")
    env.update(MODERATION_WORKERS="5", MODERATION_LOG_LEVEL="debug", MODERATION_ACCESS_LOG="-")
    (tmp_path / "d" / "metrics").mkdir(parents=True)
    (tmp_path / "d" / "metrics" / "old.db").write_text("a previous run's counts")
    code = (
        "import json, os, sys; from moderation.service import gunicorn_conf as c; "
        "print(json.dumps({k: getattr(c, k) for k in ('bind', 'workers', 'threads', 'accesslog', 'loglevel')} | "
        "{'dir': os.environ['PROMETHEUS_MULTIPROC_DIR'], 'prometheus_imported': 'prometheus_client' in sys.modules}))"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == {
        "bind": "127.0.0.1:9999",
        "workers": 5,
        "threads": 3,
        "accesslog": "-",
        "loglevel": "debug",
        "dir": str(tmp_path / "d" / "metrics"),
        "prometheus_imported": False,  # prometheus_client picks its multiprocess mode when imported: not before this
    }
    assert list((tmp_path / "d" / "metrics").iterdir()) == []  # emptied
    # PROMETHEUS_MULTIPROC_DIR, when set, is kept
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "elsewhere")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["dir"] == str(tmp_path / "elsewhere") and (tmp_path / "elsewhere").is_dir()


def test_only_the_settings_module_reads_moderation_variables():
    readers = []
    for package in ("service", "training", "classifier", "cli"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"environ(\.get)?\s*[\[(]\s*[\"']MODERATION_", text) or re.search(r"getenv\(\s*[\"']MODERATION_", text):
                readers.append(str(path.relative_to(ROOT)))
    assert readers == []


def test_the_readme_lists_every_setting_and_no_other():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Settings") :]
    table = section[: section.index("\n\n", section.index("| name |"))]
    listed = set(re.findall(r"`MODERATION_([A-Z_]+)`", table))
    assert listed == {f.name.upper() for f in fields(Settings)}


def test_a_comment_is_kept_for_the_retention_days(make_app, redis_client):
    from moderation.service.store.keys import UserKeys

    from .conftest import auth

    app = make_app(retention_days=2)
    key = app.extensions["moderation"].store.apikeys.create("news", "site", "t", 0)[0]
    body = {"id": "kept", "user_id": "u", "text": "The council should publish the study."}
    assert app.test_client().post("/v1/comments", json=body, headers=auth(key)).status_code == 200
    # the lasting record for the retention (the user's hash: a day more, for the sweep); the full one no longer
    assert 3 * 86400 - 60 < redis_client.ttl(UserKeys("news", "u").records) <= 3 * 86400
    assert 3 * 86400 - 60 < redis_client.ttl(UserKeys("news", "u").full) <= 3 * 86400
