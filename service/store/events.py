"""Events: each user's outbox, the site's event log, and the marks of changes under way (``service.events``).

A change of one user (a decision, a ban, an unban, a strike reset) and the event
that tells of it are written by one script in the user's slot: the event goes
to the user's outbox (``UserKeys.outbox``). The site's log
(``SiteKeys.events``) is in another slot of a cluster, so publishing is a
second step, ``publish``: the outbox's entries are added to the log in order,
each once (the log remembers the last outbox id it took from each user), and
the outbox is then trimmed.

A process could stop between the two steps. So before a change that may emit
an event, the service marks it under way (``mark``: the user and a token in
``SiteKeys.events_pending``); ``publish`` clears the mark, and the relay
(``service.events.EventRelay``) publishes the outbox of every mark left
behind. Nothing is published twice, and nothing is lost but with the data.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator

import redis

from .errors import guarded, ignore
from .keys import EVENT_RELAY_LEASE, SITES, SiteKeys, UserKeys
from .lua import Scripts


def next_id(stream_id: str) -> str:
    """Return the smallest stream id after ``stream_id`` ("<ms>-<seq>")."""
    ms, _, seq = stream_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def id_before(a: str, b: str) -> bool:
    """Tell whether stream id ``a`` sorts before ``b``."""
    am, _, aseq = a.partition("-")
    bm, _, bseq = b.partition("-")
    return (int(am), int(aseq or 0)) < (int(bm), int(bseq or 0))


def id_kept(kept_s: float) -> str:
    """Return the oldest stream id of what is kept for ``kept_s`` seconds (stream ids are Redis's wall clock)."""
    return f"{int((time.time() - kept_s) * 1000)}-0"


def _outbox_entry(payload: str) -> dict:
    """Return a raw outbox entry as the scripts wrote it, decoded: ``categories`` a list (a decision's are written
    comma-joined), ``strike`` an object (a ban by strikes carries the strike's JSON)."""
    raw = json.loads(payload)
    if isinstance(raw.get("categories"), str):
        raw["categories"] = [c for c in raw["categories"].split(",") if c]
    if isinstance(raw.get("strike"), str):
        raw["strike"] = json.loads(raw["strike"])
    return raw


def _event_json(event: dict) -> str:
    """Return an event as the site's log keeps it: compact JSON, UTF-8 as is."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


#: How long a user's outbox is kept after its last event (``scripts/_user.lua``), and so how long the log remembers
#: the last outbox id it took from a user.
OUTBOX_KEPT_S = 30 * 86400


@guarded("events")
class EventStore:
    """The outboxes, the sites' event logs and the marks of changes under way."""

    def __init__(self, client: redis.Redis, scripts: Scripts, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.scripts = scripts
        self.on_error = on_error

    def mark(self, site: str, user: str, now: float) -> str:
        """Mark a change of ``user`` under way; return its token (for ``publish``)."""
        token = secrets.token_hex(8)
        self.client.hset(SiteKeys(site).events_pending, user, f"{now:.3f} {token}")
        return token

    def marked(self, site: str) -> dict[str, tuple[float, str]]:
        """Return the changes under way: user -> (marked at, token)."""
        found = self.client.hgetall(SiteKeys(site).events_pending)
        out = {}
        for user, value in found.items():
            at, _, token = value.partition(" ")
            try:
                out[user] = (float(at), token)
            except ValueError:
                out[user] = (0.0, token)
        return out

    def outbox(self, site: str, user: str, count: int = 100) -> list[tuple[str, dict]]:
        """Return the oldest ``count`` entries of a user's outbox: (outbox id, the raw event, decoded)."""
        return [
            (entry_id, _outbox_entry(fields.get("e", "{}")))
            for entry_id, fields in self.client.xrange(UserKeys(site, user).outbox, count=count)
        ]

    def publish(self, site: str, user: str, entries: list[tuple[str, dict]], token: str = "", kept_s: float | None = None) -> str:
        """Add ``entries`` (outbox id, final event) to the site's log, each once; clear the mark ``token``; trim the
        log of events older than ``kept_s`` seconds (None: keep them); trim the user's outbox up to what the log has.
        Return the last outbox id published ('' when none ever was)."""
        keys = SiteKeys(site)
        last = self.scripts.call(
            "publish_events",
            [keys.events, keys.events_published, keys.events_pending, keys.events_floor, keys.sweeps],
            user=user,
            token=token,
            min_id=id_kept(kept_s) if kept_s is not None else "",
            published_before=id_kept(OUTBOX_KEPT_S),
            entries=[x for entry_id, event in entries for x in (entry_id, _event_json(event))],
        )
        if last:
            self.client.xtrim(UserKeys(site, user).outbox, minid=next_id(last), approximate=False)
        return last or ""

    def read(self, site: str, after: str, count: int) -> list[tuple[str, dict]]:
        """Return up to ``count`` events of the site's log after the id ``after`` ("0-0": from the oldest)."""
        return [
            (entry_id, json.loads(fields.get("e", "{}")))
            for entry_id, fields in self.client.xrange(SiteKeys(site).events, min=f"({after}", count=count)
        ]

    def get(self, site: str, event_id: str) -> dict | None:
        """Return one event of the site's log, or None when the log does not hold it (any more)."""
        found = self.client.xrange(SiteKeys(site).events, min=event_id, max=event_id, count=1)
        return json.loads(found[0][1].get("e", "{}")) if found else None

    def newest(self, site: str) -> str | None:
        """Return the id of the newest event of the site's log, or None when it is empty."""
        found = self.client.xrevrange(SiteKeys(site).events, count=1)
        return found[0][0] if found else None

    def floor(self, site: str) -> str | None:
        """Return the id of the newest event trimmed from the site's log (a cursor before it missed events)."""
        return self.client.get(SiteKeys(site).events_floor) or None

    def sites(self) -> Iterator[str]:
        """Yield every site with API keys (those whose changes the relay looks after)."""
        yield from self.client.sscan_iter(SITES)

    def take_lease(self, holder: str, seconds: int) -> bool:
        """Take or keep the relay's lease for ``seconds``; tell whether ``holder`` has it."""
        if self.client.set(EVENT_RELAY_LEASE, holder, nx=True, ex=seconds):
            return True
        if self.client.get(EVENT_RELAY_LEASE) == holder:
            self.client.expire(EVENT_RELAY_LEASE, seconds)
            return True
        return False
