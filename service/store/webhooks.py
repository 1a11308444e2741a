"""Webhook endpoints of each site and their delivery state (``service.webhooks`` delivers).

An endpoint is a JSON record in the site's ``webhooks`` hash; its signing secret is kept as given out (the service
signs with it, so it cannot be a hash), and never shown again after creation. Each endpoint reads the site's event
log with a cursor of its own (``state``), moved past an event only once the receiver took it (or the retries gave
up), by the process that holds the endpoint's lease.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import redis

from .. import codec
from .errors import guarded, ignore
from .keys import WEBHOOK_SITES, SiteKeys
from .lua import Scripts

#: Attempts kept in each endpoint's delivery log.
LOG_KEPT = 100


@guarded("webhooks")
class WebhookStore:
    """Endpoints, cursors, leases, delivery logs and redeliveries."""

    def __init__(self, client: redis.Redis, scripts: Scripts, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.scripts = scripts
        self.on_error = on_error

    # -- endpoints

    def create(self, site: str, record: dict, cursor: str) -> str:
        """Store a new endpoint reading the log after ``cursor``; return its id."""
        endpoint_id = "wh_" + secrets.token_hex(8)
        keys = SiteKeys(site)
        self.client.hset(
            keys.webhook(endpoint_id, "state"), mapping={"cursor": cursor, "attempts": 0, "next_at": 0, "failing_since": 0}
        )
        self.client.hset(keys.webhooks, endpoint_id, codec.dumps(record))
        self.client.sadd(WEBHOOK_SITES, site)
        return endpoint_id

    def get(self, site: str, endpoint_id: str) -> dict | None:
        """Return an endpoint's record, or None."""
        raw = self.client.hget(SiteKeys(site).webhooks, endpoint_id)
        return codec.loads(raw) if raw else None

    def all(self, site: str) -> dict[str, dict]:
        """Return every endpoint of a site: id -> record."""
        return {k: codec.loads(v) for k, v in self.client.hgetall(SiteKeys(site).webhooks).items()}

    def put(self, site: str, endpoint_id: str, record: dict) -> None:
        """Replace an endpoint's record."""
        self.client.hset(SiteKeys(site).webhooks, endpoint_id, codec.dumps(record))

    def delete(self, site: str, endpoint_id: str) -> bool:
        """Forget an endpoint and its delivery state; False when there was none."""
        keys = SiteKeys(site)
        gone = self.client.hdel(keys.webhooks, endpoint_id)
        for part in ("state", "log", "redeliver", "lease"):
            self.client.delete(keys.webhook(endpoint_id, part))
        return bool(gone)

    def sites(self) -> list[str]:
        """Return the sites that have (or had) endpoints."""
        return sorted(self.client.smembers(WEBHOOK_SITES))

    # -- delivery

    def state(self, site: str, endpoint_id: str) -> dict:
        """Return an endpoint's cursor, attempts at the event it is on, when to try next and since when it fails."""
        raw = self.client.hgetall(SiteKeys(site).webhook(endpoint_id, "state"))
        return {
            "cursor": raw.get("cursor") or "0-0",
            "attempts": int(raw.get("attempts") or 0),
            "next_at": float(raw.get("next_at") or 0),
            "failing_since": float(raw.get("failing_since") or 0),
        }

    def take_lease(self, site: str, endpoint_id: str, holder: str, seconds: float) -> bool:
        """Take or keep the endpoint's lease for ``seconds``; tell whether ``holder`` has it."""
        key = SiteKeys(site).webhook(endpoint_id, "lease")
        ms = max(1, int(seconds * 1000))
        if self.client.set(key, holder, nx=True, px=ms):
            return True
        if self.client.get(key) == holder:
            self.client.pexpire(key, ms)
            return True
        return False

    def release(self, site: str, endpoint_id: str, holder: str) -> None:
        """Give the lease back if ``holder`` has it (another process may then deliver at once)."""
        key = SiteKeys(site).webhook(endpoint_id, "lease")
        if self.client.get(key) == holder:
            self.client.delete(key)

    def advance(self, site: str, endpoint_id: str, holder: str, expected: str, cursor: str) -> bool:
        """Move the cursor from ``expected`` to ``cursor`` (the attempts start again); False if the lease or the
        cursor changed meanwhile."""
        keys = SiteKeys(site)
        return bool(
            self.scripts.call(
                "webhook_advance",
                [keys.webhook(endpoint_id, "state"), keys.webhook(endpoint_id, "lease")],
                holder=holder,
                expected=expected,
                cursor=cursor,
            )
        )

    def failed(self, site: str, endpoint_id: str, attempts: int, next_at: float, failing_since: float) -> None:
        """Record a failed attempt at the event the cursor is on: how many so far, when to try again."""
        self.client.hset(
            SiteKeys(site).webhook(endpoint_id, "state"),
            mapping={"attempts": attempts, "next_at": next_at, "failing_since": failing_since},
        )

    def log(self, site: str, endpoint_id: str, attempt: dict) -> None:
        """Add an attempt to the endpoint's delivery log (the latest ``LOG_KEPT`` are kept)."""
        key = SiteKeys(site).webhook(endpoint_id, "log")
        pipe = self.client.pipeline(transaction=False)
        pipe.lpush(key, codec.dumps(attempt))
        pipe.ltrim(key, 0, LOG_KEPT - 1)
        pipe.execute()

    def attempts(self, site: str, endpoint_id: str, count: int = 20) -> list[dict]:
        """Return the latest attempts, newest first."""
        return [codec.loads(x) for x in self.client.lrange(SiteKeys(site).webhook(endpoint_id, "log"), 0, count - 1)]

    def redeliver(self, site: str, endpoint_id: str, event_id: str) -> None:
        """Ask for an event to be sent to the endpoint again."""
        self.client.rpush(SiteKeys(site).webhook(endpoint_id, "redeliver"), event_id)

    def next_redelivery(self, site: str, endpoint_id: str) -> str | None:
        """Take the oldest event id asked to be sent again, or None."""
        return self.client.lpop(SiteKeys(site).webhook(endpoint_id, "redeliver"))
