"""Everything that touches Redis.

One class per concept, all sharing one client and one set of registered Lua
scripts: ``comments`` (idempotent submission, decisions), ``users`` (strikes,
bans, history), ``queue`` (review queue with leases, audit log, labels),
``apikeys``, ``policies``, ``integrations``, ``shadow`` (comparisons of a
shadow model with the active one), ``sessions`` (console sign-ins) and
``changes`` (counters that tell other processes what to drop from their caches),
``limits`` (token buckets of the rate limits), ``words`` (sites' own word lists), ``events`` (users'
outboxes and the sites' event logs) and ``webhooks`` (endpoints and their deliveries).
Multi-step updates are single Lua scripts (``scripts/*.lua``, called with
named arguments, see ``scripts.py``); key names come from ``keys.py``. Redis
is used here and nowhere else: every failure leaves the store as one
``StoreUnavailable`` (``errors.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode
from redis.retry import Retry

from .apikeys import ApiKeyStore
from .changes import ChangeStore
from .comments import CommentStore
from .errors import REDIS_ERRORS, StoreUnavailable, guarded, ignore
from .events import EventStore
from .integrations import IntegrationStore
from .lua import Scripts
from .policies import PolicyStore
from .queue import QueueStore
from .rate_limits import RateLimitStore
from .sessions import SessionStore
from .shadow import ShadowStore
from .users import UserStore
from .webhooks import WebhookStore
from .words import WordStore

__all__ = ["Store", "StoreUnavailable", "connect", "is_cluster_url"]


#: URL schemes of a Redis Cluster: ``redis+cluster://[user:password@]host:port[,host:port...]`` (``rediss+`` for TLS).
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")


def is_cluster_url(url: str) -> bool:
    """Tell whether ``url`` names a Redis Cluster."""
    return url.split("://", 1)[0].lower() in CLUSTER_SCHEMES


def _cluster(url: str, timeout_s: float) -> redis.RedisCluster:
    scheme, rest = url.split("://", 1)
    rest, _, _query = rest.partition("?")
    rest = rest.rstrip("/")
    credentials, _, hosts = rest.rpartition("@")
    username, _, password = credentials.partition(":") if credentials else ("", "", "")
    nodes = []
    for entry in filter(None, hosts.split(",")):
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"a cluster URL lists host:port pairs, not {entry!r}")
        nodes.append(ClusterNode(host.strip("[]"), int(port)))
    if not nodes:
        raise ValueError("a cluster URL needs at least one host:port")
    return redis.RedisCluster(
        startup_nodes=nodes,
        username=unquote(username) or None,
        password=unquote(password) or None,
        ssl=scheme.lower().startswith("rediss"),
        decode_responses=True,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        # A primary that stops answering: refresh the slot map and try again a few times (a failover promotes
        # its replica within the cluster's node timeout), then fail like a single Redis that is down.
        retry=Retry(NoBackoff(), 2),
        require_full_coverage=False,
    )


def connect(url: str, timeout_s: float = 0.5) -> redis.Redis:
    """Return a client for ``url`` that fails fast and reconnects by itself (a cluster client for a cluster URL)."""
    if is_cluster_url(url):
        return _cluster(url, timeout_s)
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


@guarded("store")
class Store:
    """The service's state in Redis.

    ``on_error(operation)`` is called once for every Redis failure (the
    service counts them in its metrics) before ``StoreUnavailable`` is raised.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        retention_s: int = 180 * 86400,
        full_s: int = 14 * 86400,
        history: int = 50,
        on_error: Callable[[str], None] = ignore,
        wait_replicas: int = 0,
        wait_timeout_ms: int = 100,
    ):
        self.client = client
        self.on_error = on_error
        scripts = Scripts(client, wait_replicas=wait_replicas, wait_timeout_ms=wait_timeout_ms)
        self.users = UserStore(client, scripts, history=history, on_error=on_error)
        self.comments = CommentStore(client, scripts, self.users, retention_s=retention_s, full_s=full_s, on_error=on_error)
        self.queue = QueueStore(client, scripts, kept_s=retention_s, on_error=on_error)
        self.apikeys = ApiKeyStore(client, on_error=on_error)
        self.policies = PolicyStore(client, on_error=on_error)
        self.integrations = IntegrationStore(client, on_error=on_error)
        self.shadow = ShadowStore(client, on_error=on_error)
        self.sessions = SessionStore(client, on_error=on_error)
        self.changes = ChangeStore(client, on_error=on_error)
        self.rate_limits = RateLimitStore(client, scripts, on_error=on_error)
        self.words = WordStore(client, scripts, on_error=on_error)
        self.events = EventStore(client, scripts, on_error=on_error)
        self.webhooks = WebhookStore(client, scripts, on_error=on_error)

    def ping(self) -> bool:
        """Tell whether Redis answers (on a cluster: any primary; one that is down, or failing over, leaves the
        service answering, with degraded verdicts for the users of its slots only)."""
        if not isinstance(self.client, redis.RedisCluster):
            return bool(self.client.ping())
        failure: Exception | None = None
        for node in self.client.get_primaries():
            try:
                if node.redis_connection is not None and node.redis_connection.ping():
                    return True
            except REDIS_ERRORS as error:
                failure = error
        raise failure or redis.ConnectionError("no primary of the cluster is known")
