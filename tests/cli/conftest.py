"""The service tests' fixtures (a real redis-server, an app with an injected clock, API keys), for the CLI tests."""

from __future__ import annotations

import pytest

from tests.service.conftest import (  # noqa: F401 (fixtures)
    app,
    auth,
    client,
    clock,
    keys,
    make_app,
    redis_client,
    redis_cluster,
    redis_server,
    single_redis_url,
)


@pytest.fixture(scope="session")
def redis_url(request) -> str:
    """The CLI tests run on the single redis-server (the cluster ones ask for ``redis_cluster``)."""
    return single_redis_url(request)
