"""The service tests' fixtures (a real redis-server, an app with an injected clock, API keys), for the CLI tests."""

from __future__ import annotations

from tests.service.conftest import (  # noqa: F401 (fixtures)
    app,
    auth,
    client,
    clock,
    keys,
    make_app,
    redis_client,
    redis_server,
    redis_url,
)
