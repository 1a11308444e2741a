"""The review queue of a site (with leases), its audit log and the training labels."""

from __future__ import annotations

import json
from collections.abc import Iterator

import redis

from .keys import SiteKeys

# Priority: riskier first, then older first. Risk in thousandths above the
# arrival second keeps the score an exact integer in a double.
_SECONDS = 2**33


def priority(risk: float, received_at: float) -> int:
    """Return the queue score (lower is served first)."""
    return (1000 - round(max(0.0, min(1.0, risk)) * 1000)) * _SECONDS + int(received_at)


class QueueStore:
    """Pending comments, leases to moderators, decisions' audit log and labels."""

    def __init__(self, client: redis.Redis, scripts: dict):
        self.client = client
        self.scripts = scripts

    def enqueue(self, site: str, comment_id: str, risk: float, received_at: float, item: dict) -> None:
        """Add a comment to the site's queue (once)."""
        keys = SiteKeys(site)
        self.scripts["enqueue"](
            keys=[keys.queue, keys.items], args=[comment_id, priority(risk, received_at), json.dumps(item, separators=(",", ":"))]
        )

    def pending(self, site: str, now: float, limit: int, category: str | None = None) -> tuple[list[dict], int]:
        """Return up to ``limit`` pending items in queue order (with their lease, if any) and the queue depth."""
        keys = SiteKeys(site)
        out: list[dict] = []
        offset, page = 0, 200
        depth = self.client.zcard(keys.queue)
        while len(out) < limit:
            ids = self.client.zrange(keys.queue, offset, offset + page - 1)
            if not ids:
                break
            pipe = self.client.pipeline(transaction=False)
            pipe.hmget(keys.items, ids)
            pipe.zmscore(keys.leases, ids)
            pipe.hmget(keys.lease_owners, ids)
            items, leases, owners = pipe.execute()
            for comment_id, raw, expires, owner in zip(ids, items, leases, owners):
                if raw is None:
                    continue
                item = json.loads(raw)
                if category and category not in item.get("categories", []):
                    continue
                active = expires is not None and expires > now
                item["lease"] = {"moderator": owner, "expires_at": expires} if active else None
                out.append(item)
                if len(out) >= limit:
                    break
            offset += page
        return out, depth

    def claim(self, site: str, moderator: str, limit: int, lease_s: int, now: float) -> list[dict]:
        """Lease up to ``limit`` free items to ``moderator``; expired leases are free again."""
        keys = SiteKeys(site)
        flat = self.scripts["claim_queue"](keys=keys.queue_keys(), args=[now, lease_s, moderator, limit])
        items = []
        for comment_id, raw in zip(flat[::2], flat[1::2]):
            item = json.loads(raw) or {"id": comment_id}
            item["lease"] = {"moderator": moderator, "expires_at": now + lease_s}
            items.append(item)
        return items

    def depth(self, site: str) -> int:
        """Return the number of pending comments."""
        return self.client.zcard(SiteKeys(site).queue)

    def oldest(self, site: str) -> float | None:
        """Return when the oldest pending comment arrived."""
        keys = SiteKeys(site)
        ids = self.client.zrange(keys.queue, 0, -1)
        times = [json.loads(x)["received_at"] for x in self.client.hmget(keys.items, ids) if x] if ids else []
        return min(times) if times else None

    def record_decision(self, site: str, comment_id: str, number: int, label: dict, audit: dict) -> bool:
        """Take the comment out of the queue, log the decision, keep the label; False if already recorded."""
        keys = SiteKeys(site)
        fields = [str(x) for pair in audit.items() for x in pair]
        done = self.scripts["record_decision"](
            keys=[keys.queue, keys.items, keys.leases, keys.lease_owners, keys.audit, keys.labels, keys.recorded],
            args=[comment_id, number, json.dumps(label), *fields],
        )
        return bool(done)

    def log(self, site: str, fields: dict) -> None:
        """Append an entry (a ban, an unban, a reset) to the site's audit log."""
        self.client.xadd(SiteKeys(site).audit, {k: "" if v is None else str(v) for k, v in fields.items()})

    def audit(self, site: str, count: int = 100, before: str = "+") -> list[dict]:
        """Return recent audit entries, newest first."""
        entries = self.client.xrevrange(SiteKeys(site).audit, max=before, count=count)
        return [{"entry": entry_id, **fields} for entry_id, fields in entries]

    def labels(self, site: str) -> Iterator[dict]:
        """Yield the site's training labels."""
        for _, raw in self.client.hscan_iter(SiteKeys(site).labels, count=500):
            yield json.loads(raw)
