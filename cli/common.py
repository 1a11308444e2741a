"""What several commands share: the settings, a Redis client, the model directory."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from moderation.service.config import Settings, load_settings

if TYPE_CHECKING:
    import redis

    from moderation.classifier.registry import ModelRegistry
    from moderation.service.actions.context import Services


def settings(**overrides) -> Settings:
    """Return the service's settings (defaults, then ``MODERATION_*`` variables, then ``overrides``)."""
    return load_settings(overrides or None)[0]


@contextlib.contextmanager
def redis_client(redis_url: str | None) -> Iterator[redis.Redis]:
    """Yield a client for ``redis_url`` (else REDIS_URL), or for the embedded Redis: the running service's (or another
    command's) when one runs on the data directory, else one started just for this command and stopped after it."""
    from moderation.service.redis_server import RedisInUse, RedisServer, RedisServerError
    from moderation.service.store import connect

    config = settings(redis_url=redis_url) if redis_url else settings()
    if config.redis_url:
        yield connect(config.redis_url, 5.0)
        return
    server = RedisServer(Path(config.data_dir) / "redis")
    try:
        server.start()
        started = True
    except RedisInUse:  # never a second server on a directory in use: this command uses the one there
        started = False
        deadline = time.monotonic() + 10
        while not server.running():
            if time.monotonic() > deadline:
                raise RedisServerError(f"the redis-server on {server.data_dir} does not answer on {server.socket}") from None
            time.sleep(0.05)
    try:
        yield connect(server.url, 5.0)
    finally:
        if started:
            server.stop()


@contextlib.contextmanager
def offline_services(redis_url: str | None) -> Iterator[Services]:
    """Yield the services the actions need outside the server (store and clock), on ``redis_client(redis_url)``."""
    import time

    from moderation.service.actions.context import Services
    from moderation.service.store import Store

    config = settings()
    with redis_client(redis_url) as client:
        store = Store(client, retention_s=config.retention_days * 86400, full_s=config.full_record_days * 86400)
        yield Services.offline(store, config, time.time)


@contextlib.contextmanager
def model_registry(model_dir: str | None, redis_url: str | None = None) -> Iterator[ModelRegistry]:
    """Yield the model registry the settings name (``MODERATION_MODEL_REGISTRY``): the model directory ``model_dir``
    (else the settings' one), or the registry shared through Redis (``redis_url``, else REDIS_URL, else the embedded
    one) with that directory as its cache; with the settings' fallback model."""
    from moderation.service.registry import open_registry

    config = settings()
    root = model_dir or config.models_root
    if config.model_registry == "local":
        yield open_registry("local", None, root, config.model_path)
        return
    with redis_client(redis_url) as client:
        yield open_registry(config.model_registry, client, root, config.model_path)
