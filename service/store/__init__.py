"""Everything that touches Redis.

One class per concept, all sharing one client and one set of registered Lua
scripts: ``comments`` (idempotent submission, decisions), ``users`` (strikes,
bans, history), ``queue`` (review queue with leases, audit log, labels),
``apikeys``, ``policies``, ``integrations`` and ``shadow``
(comparisons of a shadow model with the active one). Multi-step updates are single Lua scripts
(``scripts/*.lua``); key names come from ``keys.py``.
"""

from __future__ import annotations

from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .apikeys import ApiKeyStore
from .comments import CommentStore
from .integrations import IntegrationStore
from .policies import PolicyStore
from .queue import QueueStore
from .shadow import ShadowStore
from .users import UserStore

SCRIPTS_DIR = Path(__file__).with_name("scripts")
# Scripts that work on one (site, user) start with the shared user functions.
_USER_SCRIPTS = ("submit", "decide", "ban", "user_state")


def connect(url: str, timeout_s: float = 0.5) -> redis.Redis:
    """Return a client for ``url`` that fails fast and reconnects by itself."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        health_check_interval=15,
        # One immediate retry on a dropped connection (a Redis restart), then fail.
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[redis.ConnectionError],
    )


def load_scripts(client: redis.Redis) -> dict[str, object]:
    """Register every Lua script once; return them by name."""
    prelude = (SCRIPTS_DIR / "_user.lua").read_text(encoding="utf-8")
    scripts = {}
    for path in sorted(SCRIPTS_DIR.glob("*.lua")):
        if path.name.startswith("_"):
            continue
        body = path.read_text(encoding="utf-8")
        if path.stem in _USER_SCRIPTS:
            body = prelude + "\n" + body
        scripts[path.stem] = client.register_script(body)
    return scripts


class Store:
    """The service's state in Redis."""

    def __init__(self, client: redis.Redis, *, retention_s: int = 180 * 86400, history: int = 50):
        self.client = client
        scripts = load_scripts(client)
        self.users = UserStore(client, scripts, history=history)
        self.comments = CommentStore(client, scripts, self.users, retention_s=retention_s)
        self.queue = QueueStore(client, scripts)
        self.apikeys = ApiKeyStore(client)
        self.policies = PolicyStore(client)
        self.integrations = IntegrationStore(client)
        self.shadow = ShadowStore(client)

    def ping(self) -> bool:
        """Tell whether Redis answers."""
        return bool(self.client.ping())
