"""Service settings: defaults, then ``MODERATION_*`` environment variables, then a mapping.

Every setting has a documented default; names carry their units. The same
names (lower case) are the keys of the mapping given to ``create_app`` and
(upper case, with the ``MODERATION_`` prefix) the environment variables.
``REDIS_URL`` is also read, as the conventional name.

This is the only place that reads ``MODERATION_*`` variables: the app, the
gunicorn settings (``service/gunicorn_conf.py``) and the ``moderation`` command
all take their values from ``load_settings()``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from moderation.classifier.types import CATEGORIES

PREFIX = "MODERATION_"
#: Longest strike lifetime or ban a policy may set (ten years).
MAX_SECONDS = 10 * 365 * 86400
#: Largest strike count a policy may name.
MAX_STRIKES = 1_000_000


class PolicyError(ValueError):
    """A site policy that cannot be used; ``fields`` names every problem (``{"field": path, "message": ...}``)."""

    def __init__(self, fields: list[dict]):
        super().__init__("; ".join(f"{f['field']}: {f['message']}" for f in fields))
        self.fields = fields


#: Largest request rate or burst a rate limit may name.
MAX_RATE = 1_000_000


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: ``burst`` requests at once, refilled at ``per_s`` requests a second."""

    per_s: float
    burst: int

    def __post_init__(self):
        problems = self.problems({"per_s": self.per_s, "burst": self.burst})
        if problems:
            raise PolicyError(problems)
        object.__setattr__(self, "per_s", float(self.per_s))

    def to_dict(self) -> dict:
        """Return the JSON form."""
        return {"per_s": self.per_s, "burst": self.burst}

    @classmethod
    def from_dict(cls, data: Any, path: str = "rate_limit") -> RateLimit | None:
        """Build one from ``{"per_s": x, "burst": n}``; None (no limit) from None; ``PolicyError`` naming each problem."""
        if data is None:
            return None
        problems = cls.problems(data, path)
        if problems:
            raise PolicyError(problems)
        return cls(data["per_s"], data["burst"])

    @staticmethod
    def problems(data: Any, path: str = "rate_limit") -> list[dict]:
        """Tell what is wrong with a rate limit's JSON form (null is none, and fine), each problem under ``path``."""
        if data is None:
            return []
        from .schemas import RATE_LIMIT, field_errors  # the schemas import this module

        return field_errors(data, RATE_LIMIT, prefix=path)


@dataclass(frozen=True)
class SitePolicy:
    """How rejections turn into strikes and bans, and which links are fine (a site may override it)."""

    #: Strikes one rejection adds, per category the rejection was for (the
    #: largest of its categories counts).
    weights: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 1))
    #: How long a strike counts.
    strike_ttl_s: int = 30 * 86400
    #: (active strikes, ban seconds) in increasing order; 0 seconds bans for good.
    ban_steps: tuple[tuple[int, int], ...] = ((3, 86400), (5, 7 * 86400), (7, 0))
    #: The site's own domains (and any it trusts): links to them are not promotion.
    allowed_domains: tuple[str, ...] = ()
    #: The site's own operating point: ``{category: {"review": p, "reject": p}}`` overriding the model's
    #: thresholds (calibrated probabilities; docs/MODEL.md has the curve to choose from). Empty: the model's.
    thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    #: The limit of each of the site's API keys that has none of its own (and of its Coral integration); None: none.
    rate_limit: RateLimit | None = None
    #: How long the site's event log keeps an event (``GET /v1/events``, webhooks; docs/EVENTS.md).
    events_retention_s: int = 14 * 86400
    #: Also an event for every verdict (``comment.verdict``), not only for later decisions and bans.
    verdict_events: bool = False
    #: Where the site's rules for comments are published: the ground named in each statement of reasons.
    terms_url: str | None = None
    #: How an author can contest a decision (a URL or a sentence), told in each statement of reasons.
    appeal: str | None = None

    def __post_init__(self):
        problems = policy_problems(self.to_dict())
        if set(self.weights) != set(CATEGORIES):
            problems.insert(0, {"field": "weights", "message": f"needs a weight for every category ({', '.join(CATEGORIES)})"})
        if problems:
            raise PolicyError(problems)

    def weight(self, categories: list[str]) -> int:
        """Return the strikes a rejection for ``categories`` adds (at least 1 when none is named)."""
        return max((self.weights[c] for c in categories if c in self.weights), default=1)

    def to_dict(self) -> dict:
        """Return the JSON form."""
        return {
            "weights": dict(self.weights),
            "strike_ttl_s": self.strike_ttl_s,
            "ban_steps": [list(s) for s in self.ban_steps],
            "allowed_domains": list(self.allowed_domains),
            "thresholds": {c: dict(t) for c, t in self.thresholds.items()},
            "rate_limit": self.rate_limit.to_dict() if self.rate_limit else None,
            "events_retention_s": self.events_retention_s,
            "verdict_events": self.verdict_events,
            "terms_url": self.terms_url,
            "appeal": self.appeal,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: SitePolicy | None = None) -> SitePolicy:
        """Build a policy from its JSON form; missing keys keep ``base``'s values (default: the defaults).

        ``PolicyError`` lists every problem, each with its path (``ban_steps[1][0]``, ``thresholds.attack.review``)."""
        if not isinstance(data, Mapping):
            raise PolicyError([{"field": "(body)", "message": "must be a JSON object"}])
        problems = policy_problems(data)
        if problems:
            raise PolicyError(problems)
        base = base or cls()
        thresholds = data.get("thresholds", base.thresholds)
        return cls(
            weights={**base.weights, **data.get("weights", {})},
            strike_ttl_s=data.get("strike_ttl_s", base.strike_ttl_s),
            ban_steps=tuple(tuple(s) for s in data.get("ban_steps", base.ban_steps)),
            allowed_domains=tuple(str(d).lower() for d in data.get("allowed_domains", base.allowed_domains)),
            thresholds={c: {k: float(v) for k, v in t.items()} for c, t in thresholds.items()},
            rate_limit=RateLimit.from_dict(data["rate_limit"]) if "rate_limit" in data else base.rate_limit,
            events_retention_s=data.get("events_retention_s", base.events_retention_s),
            verdict_events=data.get("verdict_events", base.verdict_events),
            terms_url=data.get("terms_url", base.terms_url) or None,
            appeal=data.get("appeal", base.appeal) or None,
        )


#: The keys of a policy's JSON form.
POLICY_KEYS = (
    "weights",
    "strike_ttl_s",
    "ban_steps",
    "allowed_domains",
    "thresholds",
    "rate_limit",
    "events_retention_s",
    "verdict_events",
    "terms_url",
    "appeal",
)
#: The event log keeps an event for an hour at least and 90 days at most.
EVENTS_RETENTION_RANGE_S = (3600, 90 * 86400)
#: At most this many characters of a site's terms URL or appeal text.
STATEMENT_TEXT_MAX = 1000


def policy_problems(data: Mapping[str, Any]) -> list[dict]:
    """Tell everything wrong with (part of) a policy's JSON form: ``[{"field": path, "message": ...}]``, empty when
    it is fine. The form is ``service.schemas.PolicyInput``, validated as every request body is."""
    from .schemas import POLICY, field_errors  # the schemas import this module

    problems = field_errors(data, POLICY)
    return sorted(problems, key=lambda p: p["field"].split(".")[0].split("[")[0] in POLICY_KEYS)  # unknown keys first


@dataclass(frozen=True)
class Settings:
    """All settings of the service, with their defaults."""

    #: Redis to use; unset: ``moderation serve`` starts an embedded one.
    redis_url: str | None = None
    #: Where the embedded Redis keeps its data (AOF) and socket.
    data_dir: str = "var"
    #: Seconds a Redis command may take before the call fails.
    redis_timeout_s: float = 0.5
    #: After each write that changes strikes or bans (a rejection, a decision, a ban, unban or reset), wait until this
    #: many replicas of its Redis node have it (``WAIT``) before answering: a failover then cannot lose an
    #: acknowledged strike. Fewer in time: that answer says the store is unavailable. 0: do not wait (Redis's own
    #: asynchronous replication). See docs/SCALING.md.
    redis_wait_replicas: int = 0
    #: How long (milliseconds) such a write waits for its replicas at most.
    redis_wait_timeout_ms: int = 100
    #: Model file used until a version is published to the model directory; unset: the model shipped in the package.
    model_path: str | None = None
    #: Model directory (published versions, the active one, the shadow); unset: ``<data_dir>/models``.
    model_dir: str | None = None
    #: How often (seconds) each worker looks at the model directory for a new active or shadow version.
    model_poll_s: float = 2.0
    #: Where published versions, the active and shadow pointers and the history live: ``local`` (the model
    #: directory, one machine) or ``redis`` (shared by every instance on that Redis; the model directory is then
    #: each process's cache). See ``service.registry``.
    model_registry: str = "local"
    #: Rule lists folder; unset: the package's lists.
    rules_dir: str | None = None
    #: The sentence encoder's second stage: "off", "uncertain" (only comments the n-gram model is unsure of)
    #: or "all"; unset: what the model was trained to default to (docs/MODEL.md).
    encoder: str | None = None
    #: Longest comment text accepted, in characters.
    max_text_chars: int = 10_000
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = 64 * 1024
    #: Most comments in one batch request.
    batch_max: int = 100
    #: How long a claimed queue item stays with its moderator.
    lease_s: int = 600
    #: How long a moderator may undo their last decision on a comment.
    undo_window_s: float = 10.0
    #: When Redis is down, "keep" the verdict or turn "approve" into "review".
    degraded_verdict: str = "keep"
    #: Default site policy: strikes, bans, allowed domains (a site can override it through the admin API).
    site_policy: SitePolicy = field(default_factory=SitePolicy)
    #: Seconds an API key check is cached in each process (and used while Redis is down). A revoked key stops
    #: working sooner: within ``change_poll_s`` on every process (``service.watch``).
    key_cache_s: float = 30.0
    #: How often (seconds) each process looks for changes other processes made to what it caches (API keys,
    #: policies, integration settings); 0 turns the watcher off (then only the cache lifetimes apply).
    change_poll_s: float = 0.25
    #: How often (seconds) the event relay looks for changes whose events a stopped process left unpublished
    #: (``service.events``); 0: never (tests that drive it by hand).
    event_relay_s: float = 1.0
    #: How often (seconds) each process looks for webhook deliveries to make (``service.webhooks``); an event
    #: published by the process itself is sent at once. 0: no deliveries from this process.
    webhook_poll_s: float = 0.25
    #: Seconds to wait before each retry of a delivery that failed (Standard Webhooks' schedule: 5 s, 5 min, 30 min,
    #: 2 h, 5 h, 10 h, 10 h, with up to 20% jitter): about 27 hours of retries, after which the event is logged as
    #: given up and the endpoint goes on with the next one.
    webhook_retry_s: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
    #: Seconds a receiver has to answer a delivery.
    webhook_timeout_s: float = 10.0
    #: Allow endpoints on loopback, private, link-local and other non-public addresses (off: refused, against
    #: server-side request forgery; on for a receiver on the same host or network).
    webhook_allow_private: bool = False
    #: Recent events kept per user (strikes, bans, decisions).
    user_history: int = 50
    #: Days a comment's lasting record is kept (about 30 bytes: its id's claim, a digest of its text, its state,
    #: verdict, latest decision, scores in hundredths, model version and reasons): repeats of its id answer from it,
    #: decisions and undo work on it, moderators look it up (docs/SCALING.md).
    retention_days: int = 180
    #: Days a comment's full record is kept besides (its text and fields, the evidence spans, the whole answer, its
    #: strike's details), counted from its arrival; longer while it waits for review, and through the undo window of
    #: a decision. At most ``retention_days``. After it, a lookup answers the lasting record, without text.
    full_record_days: int = 14

    # -- the HTTP server (gunicorn, for ``moderation serve`` and the container) --------------------------------------

    #: Where gunicorn listens: ``HOST:PORT`` (or ``unix:PATH``).
    bind: str = "127.0.0.1:8080"
    #: gunicorn worker processes; unset (or 0): one per CPU that ``os.cpu_count()`` sees (the host's, not a
    #: container's CPU limit).
    workers: int | None = None
    #: Threads per worker process.
    threads: int = 2
    #: Requests a worker lets wait for a thread, whatever the load; the next one is refused at once with 503 and
    #: ``Retry-After`` (load shedding, ``service.shedding``); 0: no bound.
    max_queued: int = 64
    #: Milliseconds of waiting for a thread that make a standing queue overload: when every request picked up during
    #: ``shed_interval_ms`` waited longer (not a burst), a worker refuses at once (503) a request that would wait over
    #: a fifth of it, by its estimate, until an interval passes without a refusal (load shedding,
    #: ``service.shedding``); 0: no bound. 150: with the encoder on by default (issue 22) a 16-connection closed
    #: loop on 2 workers waits about 70 ms and is served nearly whole at 150 (0 and 73 of about 5,000 refused in two
    #: runs; at 100, 456; at 50, most answers were refusals: docs/MODEL.md, "Experiments").
    max_wait_ms: float = 150.0
    #: Milliseconds the shortest wait for a thread must stay above ``max_wait_ms`` to count as overload (CoDel's
    #: interval): a burst that drains sooner is served whole.
    shed_interval_ms: float = 100.0
    #: Seconds a client has to send a whole request (head and body) once it has begun; a slower one is cut off, so
    #: a client sending a byte a second holds a worker's thread this long at most (``service.worker``).
    request_timeout_s: float = 10.0
    #: Access log file (``-``: stdout); unset: no access log.
    access_log: str | None = None
    #: gunicorn's log level (``debug``, ``info``, ``warning``, ``error``, ``critical``).
    log_level: str = "info"
    #: How often, in milliseconds, a worker's threads hand over the interpreter lock (Python's default is 5);
    #: kept within 0.05 to 100.
    switch_interval_ms: float = 0.5

    @property
    def models_root(self) -> str:
        """Return the model directory."""
        return self.model_dir or os.path.join(self.data_dir, "models")

    @property
    def worker_processes(self) -> int:
        """Return the number of gunicorn workers: ``workers``, else one per CPU."""
        return self.workers or os.cpu_count() or 2

    @property
    def metrics_dir(self) -> str:
        """Return the folder of the workers' metrics files (prometheus_client's multiprocess mode): ``<data_dir>/metrics``.

        The service runs with ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's own variable) set to it, unless that
        variable is already set; ``service/gunicorn_conf.py`` sets it.
        """
        return os.path.join(self.data_dir, "metrics")

    def __post_init__(self):
        if self.degraded_verdict not in ("keep", "review"):
            raise ValueError("degraded_verdict must be 'keep' or 'review'")
        if self.model_registry not in ("local", "redis"):
            raise ValueError("model_registry must be 'local' or 'redis'")
        if self.encoder not in (None, "off", "uncertain", "all"):
            raise ValueError("encoder must be 'off', 'uncertain' or 'all'")
        for name in (
            "max_text_chars",
            "max_body_bytes",
            "batch_max",
            "lease_s",
            "user_history",
            "model_poll_s",
            "threads",
            "retention_days",
            "full_record_days",
            "request_timeout_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.workers is not None and self.workers < 0:
            raise ValueError("workers must not be negative (0: one per CPU)")
        if self.max_queued < 0 or self.max_wait_ms < 0:
            raise ValueError("max_queued and max_wait_ms must not be negative (0: no bound)")
        if self.shed_interval_ms <= 0:
            raise ValueError("shed_interval_ms must be positive")
        if self.redis_wait_replicas < 0 or self.redis_wait_timeout_ms <= 0:
            raise ValueError("redis_wait_replicas must not be negative and redis_wait_timeout_ms must be positive")
        if self.change_poll_s < 0:
            raise ValueError("change_poll_s must not be negative (0: off)")
        if self.event_relay_s < 0:
            raise ValueError("event_relay_s must not be negative (0: off)")


def _parse(kind: Any, raw: str) -> Any:
    if kind == "SitePolicy":
        return SitePolicy.from_dict(json.loads(raw))
    text = str(kind)
    if "tuple[float" in text:
        return tuple(float(part) for part in raw.split(",") if part.strip())
    if "tuple" in text:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if "bool" in text:
        if raw.strip().lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ValueError(f"must be true or false, not {raw!r}")
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if "float" in text:
        return float(raw)
    if "int" in text:
        return int(raw)
    return raw


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Settings, dict[str, Any]]:
    """Return (settings, extras): defaults, then MODERATION_* variables, then ``overrides``.

    Keys of ``overrides`` that are not settings (``clock``, ``redis`` client,
    ``assessor`` ...) are returned as extras for the app's wiring.
    """
    environ = os.environ if environ is None else environ
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    if environ.get("REDIS_URL"):
        values["redis_url"] = environ["REDIS_URL"]
    for name, spec in known.items():
        raw = environ.get(PREFIX + name.upper())
        if raw is not None and raw != "":
            try:
                values[name] = _parse(spec.type, raw)
            except (ValueError, json.JSONDecodeError) as exc:
                raise ValueError(f"{PREFIX}{name.upper()}: {exc}") from None
    extras: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        name = key.lower()
        if name in known:
            if name == "site_policy" and isinstance(value, Mapping):
                value = SitePolicy.from_dict(value)
            values[name] = value
        else:
            extras[name] = value
    return replace(Settings(), **values), extras


Clock = Callable[[], float]
