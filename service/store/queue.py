"""The review queue of a site (with leases), its audit log and the training labels."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import redis

from .. import codec
from .errors import guarded, ignore
from .events import id_kept
from .keys import SiteKeys
from .lua import Scripts

#: Hourly counts are kept this long (the dashboard shows the last day).
STATS_KEPT_S = 3 * 86400
#: How long a decision's number is kept once recorded: it only stops a retried request from being recorded twice.
RECORDED_KEPT_S = 86400

# Priority: riskier first, then older first. Risk in thousandths above the
# arrival second keeps the score an exact integer in a double.
_SECONDS = 2**33


#: What a decision's ``previous`` may be: the decision before it (the answer to the decision says the same).
_DECISIONS = ("approve", "reject")


def _encoded(value: object) -> str:
    """Return one value of an audit entry as a stream keeps it: None as "", a list of names comma-joined (as
    ``audit_entry`` reads ``categories`` back), a number or text as ``str`` gives it."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(x) for x in value)
    return str(value)


def audit_pairs(fields: dict) -> list[str]:
    """Return an audit entry (typed values: see ``_encoded``) as the field/value list a stream takes."""
    return [x for k, v in fields.items() for x in (k, _encoded(v))]


def _previous(value: object) -> str | None:
    """The decision before this one, as the decision's answer gives it; None when there was none. A comment's state
    (``pending``, ``rejected`` by the classifier: what the caller passes, and entries written before kept, when there
    was no decision before) is not a decision."""
    return value if value in _DECISIONS else None


def audit_entry(entry_id: str, fields: dict[str, str]) -> dict:
    """Return an audit entry with the types the API gives them (a stream keeps strings): ``categories`` a list,
    a ban's ``duration_s`` an integer (0: for good), ``previous`` the decision before (None: none, as the decision's
    answer says), ``at`` seconds (None if missing)."""
    entry: dict = {"entry": entry_id, **fields}
    if "categories" in entry:
        entry["categories"] = [c for c in entry["categories"].split(",") if c]
    if entry.get("duration_s", "").isdigit():
        entry["duration_s"] = int(entry["duration_s"])
    if "previous" in entry:
        entry["previous"] = _previous(entry["previous"])
    entry["at"] = float(entry["at"]) if entry.get("at") else None
    return entry


def priority(risk: float, received_at: float) -> int:
    """Return the queue score (lower is served first)."""
    return (1000 - round(max(0.0, min(1.0, risk)) * 1000)) * _SECONDS + int(received_at)


@guarded("queue")
class QueueStore:
    """Pending comments, leases to moderators, decisions' audit log and labels."""

    def __init__(
        self, client: redis.Redis, scripts: Scripts, kept_s: int = 180 * 86400, on_error: Callable[[str], None] = ignore
    ):
        self.client = client
        self.scripts = scripts
        self.kept_s = kept_s  # how long audit entries and training labels are kept (the retention)
        self.on_error = on_error

    def _bounds(self, now: float) -> dict:
        """Return the arguments that keep the audit log and the sweeps' hashes bounded, at ``now`` (the service's
        clock; the audit log's ids are Redis's wall clock)."""
        return {
            "now": now,
            "audit_min_id": id_kept(self.kept_s),
            "recorded_before": now - RECORDED_KEPT_S,
        }

    def finish(self, site: str, comment_id: str, verdict: str, categories: list[str], now: float, item: dict | None) -> None:
        """Count a new comment in its hour and, with an ``item``, queue it for review (once)."""
        keys = SiteKeys(site)
        self.scripts.call(
            "finish",
            [keys.queue, keys.items, keys.stats(int(now // 3600))],
            comment_id=comment_id,
            enqueue=item is not None,
            priority=priority(item["risk"], item["received_at"]) if item else 0,
            item=item,
            verdict=verdict,
            categories=",".join(categories),
            stats_kept_s=STATS_KEPT_S,
        )

    def enqueue(self, site: str, comment_id: str, item: dict) -> None:
        """Queue a comment for review (once), without counting it."""
        keys = SiteKeys(site)
        self.client.zadd(keys.queue, {comment_id: priority(item["risk"], item["received_at"])}, nx=True)
        self.client.hsetnx(keys.items, comment_id, codec.dumps(item))

    def hourly(self, site: str, now: float, hours: int = 24) -> list[tuple[int, dict[str, int]]]:
        """Return (hour start, counts) for the last ``hours`` hours, oldest first."""
        keys = SiteKeys(site)
        last = int(now // 3600)
        pipe = self.client.pipeline(transaction=False)
        for hour in range(last - hours + 1, last + 1):
            pipe.hgetall(keys.stats(hour))
        return [
            (hour * 3600, {k: int(v) for k, v in counts.items()})
            for hour, counts in zip(range(last - hours + 1, last + 1), pipe.execute())
        ]

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
                item = codec.loads(raw)
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
        flat = self.scripts.call("claim_queue", keys.queue_keys(), now=now, lease_s=lease_s, moderator=moderator, limit=limit)
        items = []
        for comment_id, raw in zip(flat[::2], flat[1::2]):
            item = codec.loads(raw) or {"id": comment_id}
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
        times = [codec.loads(x)["received_at"] for x in self.client.hmget(keys.items, ids) if x] if ids else []
        return min(times) if times else None

    def record_decision(
        self,
        site: str,
        comment_id: str,
        number: int,
        label: dict | None,
        audit: dict,
        now: float,
        requeue: dict | None = None,
    ) -> bool:
        """Log decision ``number``, keep (or drop: None) its label, take the comment out of the queue
        (or put it back: ``requeue`` is its queue item); False if that decision was already recorded."""
        keys = SiteKeys(site)
        if "previous" in audit:
            audit = {**audit, "previous": _previous(audit["previous"])}
        done = self.scripts.call(
            "record_decision",
            [keys.queue, keys.items, keys.leases, keys.lease_owners, keys.audit, keys.labels, keys.recorded, keys.sweeps],
            comment_id=comment_id,
            number=number,
            **self._bounds(now),
            labels_before=now - self.kept_s,
            label=label,
            requeue=requeue is not None,
            priority=priority(requeue["risk"], requeue["received_at"]) if requeue else 0,
            item=requeue,
            audit=audit_pairs(audit),
        )
        return bool(done)

    def record_action(self, site: str, user: str, number: int, audit: dict, now: float) -> bool:
        """Log a ban, unban or reset of ``user`` (its ``number`` from the user's side) once;
        False if that action was already logged."""
        keys = SiteKeys(site)
        return bool(
            self.scripts.call(
                "record_action",
                [keys.audit, keys.recorded, keys.sweeps],
                user_id=user,
                number=number,
                **self._bounds(now),
                audit=audit_pairs(audit),
            )
        )

    def audit(self, site: str, count: int = 100, before: str = "+") -> list[dict]:
        """Return recent audit entries, newest first."""
        entries = self.client.xrevrange(SiteKeys(site).audit, max=before, count=count)
        return [audit_entry(entry_id, fields) for entry_id, fields in entries]

    def put_label(self, site: str, name: str, label: dict) -> None:
        """Keep a training label that no queue decision made (feedback such as Akismet's submit-spam),
        under ``name`` (e.g. ``akismet:<comment id>``); a later label of the same name replaces it."""
        self.client.hset(SiteKeys(site).labels, name, codec.dumps(label))

    def labels(self, site: str) -> Iterator[dict]:
        """Yield the site's training labels."""
        for _, raw in self.client.hscan_iter(SiteKeys(site).labels, count=500):
            yield codec.loads(raw)
